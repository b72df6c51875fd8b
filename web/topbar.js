// @ts-check
/**
 * The top bar: capture URL with a copy button, the relay (only when there is one), the state of
 * the live stream, and the theme (follows the system unless the user picks one).
 */
import { byId, el, span, copyButton } from './dom.js';
import { fmtRelative } from './format.js';

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
 * @typedef {Object} RelayStatus `/api/status` `relay`, and the `relay.status` frame
 * @property {'connecting'|'connected'|'offline'|'refused'} state
 * @property {string} [relay] the relay's base URL
 * @property {string | null} [public_url] where senders post
 * @property {string | null} [last_heartbeat] RFC 3339, when the relay was last heard
 * @property {number} [backlog] requests the relay holds that this agent has not acknowledged
 * @property {string | null} [error] why it is offline or refused
 */

/** Icon and word of each relay state: the colour is never the only sign. */
const RELAY_ICONS = { connected: '●', connecting: '◌', offline: '○', refused: '✗' };

/**
 * The relay's "heartbeat 3 s ago" node and the time it counts from, kept current by a
 * once-a-second tick.
 * @type {{node: HTMLElement, at: number} | null}
 */
let heartbeat = null;
/** @type {ReturnType<typeof setInterval> | undefined} */
let heartbeatTick;

/** Writes the heartbeat's age into its node. */
function drawHeartbeat() {
  if (heartbeat) heartbeat.node.textContent = `heartbeat ${fmtRelative(heartbeat.at)}`;
}

/**
 * Shows the relay, or nothing when hookpit runs without one: its state as a coloured chip with
 * an icon and a word, the public URL, and — in plain sight, not in a tooltip — the last
 * heartbeat, the backlog, and why it is offline or refused.
 * @param {RelayStatus | null | undefined} relay
 */
export function setRelay(relay) {
  const box = byId('relay');
  heartbeat = null;
  if (!relay || typeof relay !== 'object') {
    box.hidden = true;
    box.replaceChildren();
    return;
  }
  const state = relay.state in RELAY_ICONS ? relay.state : 'offline';
  const chip = span(`relay-state relay-${state}`, `${RELAY_ICONS[state]} ${state}`,
    state === 'refused' ? 'The relay refused this agent: check --relay and --relay-token' : `Relay ${state}`);
  box.replaceChildren(span('label', 'relay'), chip);
  if (relay.public_url) {
    const url = String(relay.public_url);
    box.append(el('code', { class: 'url', text: url, title: 'Public URL: senders post here' }), copyButton(() => url, 'copy', 'Copy the public URL'));
  } else if (relay.relay) {
    box.append(el('code', { class: 'url', text: String(relay.relay), title: 'The relay this agent connects to' }));
  }
  const at = relay.last_heartbeat ? Date.parse(relay.last_heartbeat) : NaN;
  if (!Number.isNaN(at)) {
    heartbeat = { node: span('relay-fact heartbeat', '', `last heartbeat ${relay.last_heartbeat}`), at };
    drawHeartbeat();
    box.append(heartbeat.node);
    heartbeatTick ??= setInterval(drawHeartbeat, 1000);
  }
  if (typeof relay.backlog === 'number' && state !== 'refused') {
    const queued = relay.backlog;
    box.append(span(`relay-fact backlog${queued > 0 ? ' queued' : ''}`, `backlog ${queued.toLocaleString('en-US')}`,
      'Webhooks the relay holds that hookpit has not received yet'));
  }
  if (relay.error && state !== 'connected') {
    const why = String(relay.error);
    box.append(span('relay-fact relay-error', why, why));
  }
  box.dataset.state = state;
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

/** Events the index may trail by before the top bar says so: a busy capture's last batch. */
const INDEX_NOTE_FROM = 100;

/**
 * Shows how far the text search index got while it is catching up (after an upgrade, or a
 * burst of webhooks), or nothing once it has; whether it is still behind.
 * @param {any} index `/api/status` `index`: `{indexed, total}`
 * @returns {boolean}
 */
export function setIndex(index) {
  const box = byId('search-index');
  const indexed = Number(index?.indexed);
  const total = Number(index?.total);
  if (!Number.isFinite(indexed) || !Number.isFinite(total) || total - indexed < INDEX_NOTE_FROM) {
    box.hidden = true;
    box.replaceChildren();
    return false;
  }
  const percent = Math.floor((indexed / total) * 100);
  box.replaceChildren(span('relay-fact', `search index ${percent}% (${indexed.toLocaleString('en-US')} of ${total.toLocaleString('en-US')})`,
    'Text search is being indexed in the background; searches stay complete meanwhile, only slower'));
  box.hidden = false;
  return true;
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
