// @ts-check
/**
 * The top bar: capture URL with a copy button, the relay (only when there is one), the state of
 * the live stream, and the theme (follows the system unless the user picks one).
 */
import { byId, el, span, copyButton } from './dom.js';

/**
 * Shows the capture URL.
 * @param {string} url
 */
export function setCapture(url) {
  const code = byId('capture-url');
  code.textContent = url;
  const box = byId('capture');
  box.querySelector('.copy')?.remove();
  box.append(copyButton(() => url, 'copy', 'Copy the capture URL'));
}

/**
 * Shows the relay, or nothing when hookpit runs without one.
 * @param {any} relay `/api/status` `relay`, or null
 */
export function setRelay(relay) {
  const box = byId('relay');
  if (!relay || typeof relay !== 'object') {
    box.hidden = true;
    box.replaceChildren();
    return;
  }
  const state = String(relay.state || 'unknown');
  const tone = state === 'connected' ? 'good' : state === 'connecting' ? 'pending' : 'bad';
  const icon = { good: '●', pending: '◌', bad: '○' }[tone];
  const title = [
    relay.last_heartbeat ? `last heartbeat ${relay.last_heartbeat}` : '',
    typeof relay.backlog === 'number' ? `backlog ${relay.backlog}` : '',
    relay.error ? String(relay.error) : '',
  ].filter(Boolean).join(' · ');
  box.replaceChildren(span('label', 'relay'), span(`relay-state tone-${tone}`, `${icon} ${state}`, title));
  if (relay.public_url) {
    const url = String(relay.public_url);
    box.append(el('code', { class: 'url', text: url, title: 'Public URL: senders post here' }), copyButton(() => url, 'copy', 'Copy the public URL'));
  } else if (relay.relay) {
    box.append(span('muted', String(relay.relay)));
  }
  if (typeof relay.backlog === 'number' && relay.backlog > 0) box.append(span('muted', `${relay.backlog} queued`));
  box.hidden = false;
}

/**
 * Shows why hookpit cannot store webhooks (e.g. a full disk), or nothing when it can.
 * @param {any} storage `/api/status` `storage`: `{ok, error}`
 */
export function setStorage(storage) {
  const box = byId('storage');
  if (!storage || storage.ok !== false) {
    box.hidden = true;
    box.replaceChildren();
    return;
  }
  const why = String(storage.error || 'writes are failing');
  box.replaceChildren(span('relay-state tone-bad', '✗ not storing', `Webhooks get 503 until this clears: ${why}`), span('muted', why));
  box.hidden = false;
}

/**
 * Shows the live stream's state: live, reconnecting or offline.
 * @param {'connecting'|'live'|'reconnecting'|'offline'} state
 * @param {number} [retryInMs]
 */
export function setLiveState(state, retryInMs) {
  const node = byId('live-state');
  node.className = `live-state ${state}`;
  const word = /** @type {HTMLElement} */ (node.querySelector('.word'));
  word.textContent = state;
  node.title = {
    connecting: 'Connecting to hookpit…',
    live: 'Live: new webhooks appear as they arrive',
    reconnecting: `Lost the connection to hookpit; reconnecting${retryInMs ? ` in ${Math.ceil(retryInMs / 1000)} s` : ''}`,
    offline: `hookpit is not reachable; still trying${retryInMs ? ` (next in ${Math.ceil(retryInMs / 1000)} s)` : ''}`,
  }[state];
  document.body.classList.toggle('disconnected', state === 'offline' || state === 'reconnecting');
}

/** The theme choices, cycled by the button. */
const THEMES = /** @type {const} */ (['auto', 'light', 'dark']);

/** Binds the theme button; the choice is kept in localStorage. */
export function bindTheme() {
  const buttonNode = byId('theme');
  const apply = (/** @type {string} */ t) => {
    if (t === 'auto') delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = t;
    buttonNode.textContent = t === 'dark' ? '☾' : t === 'light' ? '☀' : '◐';
    buttonNode.title = t === 'auto' ? 'Theme: follows the system (click for light)' : `Theme: ${t} (click for ${t === 'light' ? 'dark' : 'the system\'s'})`;
  };
  let current = localStorage.getItem('hookpit.theme') || 'auto';
  if (!THEMES.includes(/** @type {any} */ (current))) current = 'auto';
  apply(current);
  buttonNode.addEventListener('click', () => {
    current = THEMES[(THEMES.indexOf(/** @type {any} */ (current)) + 1) % THEMES.length];
    localStorage.setItem('hookpit.theme', current);
    apply(current);
  });
}
