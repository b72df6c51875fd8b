// @ts-check
/**
 * The public URL in the top bar: the `--tunnel` program's state and URL (with when a quick
 * tunnel's URL changed), and the canary — a red strip across the top when probes sent through
 * the public URL stop coming back, and a note when they pass again.
 */
import { byId, el, span, copyButton } from './dom.js';
import { fmtWhen, fmtDuration } from './format.js';

/**
 * @typedef {Object} TunnelStatus `/api/status` `tunnel`
 * @property {string} driver cloudflared, ngrok or ssh
 * @property {string | null} public_url
 * @property {'starting'|'up'|'restarting'|'failed'} state
 * @property {string} since RFC 3339
 * @property {string | null} error
 * @property {string | null} url_changed_at RFC 3339
 * @property {string | null} previous_url
 * @property {boolean} changes_url
 */

/**
 * @typedef {Object} CanaryStatus `/api/status` `canary`
 * @property {string | null} url the public URL probed
 * @property {string | null} last_at
 * @property {boolean | null} ok
 * @property {number | null} latency_ms
 * @property {string | null} error
 * @property {'tunnel'|'app'|null} failed_at
 * @property {string | null} failing_since
 * @property {number} sent
 * @property {number} received
 * @property {boolean} app whether probes go on to the app
 */

/** Icon of each tunnel state: the colour is never the only sign. */
const TUNNEL_ICONS = { up: '●', starting: '◌', restarting: '◌', failed: '✗' };

/**
 * When the last failure began, while it lasts; kept to say "reaching again" after it.
 * @type {{since: string, url: string} | null}
 */
let failing = null;

/**
 * Shows the tunnel and the canary, or nothing when hookpit has neither.
 * @param {{tunnel?: TunnelStatus | null, canary?: CanaryStatus | null} | null | undefined} status
 */
export function setPublic(status) {
  drawTunnel(status?.tunnel ?? null);
  drawCanary(status?.canary ?? null);
}

/** @param {TunnelStatus | null} tunnel */
function drawTunnel(tunnel) {
  const box = byId('tunnel');
  if (!tunnel || typeof tunnel !== 'object') {
    box.hidden = true;
    box.replaceChildren();
    return;
  }
  const state = tunnel.state in TUNNEL_ICONS ? tunnel.state : 'failed';
  const tone = { up: 'relay-connected', starting: 'relay-connecting', restarting: 'relay-offline', failed: 'relay-refused' }[state];
  box.replaceChildren(span('label', String(tunnel.driver || 'tunnel')),
    span(`relay-state ${tone}`, `${TUNNEL_ICONS[state]} ${state}`, `The ${tunnel.driver} program is ${state} since ${fmtWhen(tunnel.since)}`));
  if (tunnel.public_url) {
    const url = String(tunnel.public_url);
    box.append(el('code', { class: 'url', text: url, title: 'Public URL: senders post here (any path)' }),
      copyButton(() => url, 'copy', 'Copy the public URL'));
  }
  if (tunnel.url_changed_at) {
    box.append(span('relay-fact url-changed', `URL changed ${fmtWhen(tunnel.url_changed_at)}`,
      `Was ${tunnel.previous_url || '?'}: webhooks sent there are lost — update the endpoint in the sender`));
  } else if (tunnel.changes_url && tunnel.public_url) {
    box.append(span('relay-fact', 'new URL each start', 'A quick tunnel gets a new URL every time it starts'));
  }
  if (tunnel.error && state !== 'up') {
    const why = String(tunnel.error);
    box.append(span('relay-fact relay-error', why, why));
  }
  box.dataset.state = state;
  box.hidden = false;
}

/** @param {CanaryStatus | null} canary */
function drawCanary(canary) {
  const top = document.querySelector('header.top');
  const alert = byId('canary');
  const failed = !!canary && canary.ok === false;
  top?.classList.toggle('canary-failing', failed);
  if (!canary || typeof canary !== 'object' || canary.ok === null) {
    alert.hidden = true;
    alert.replaceChildren();
    return;
  }
  const url = String(canary.url || 'the public URL');
  if (failed) {
    const since = fmtWhen(canary.failing_since);
    const where = canary.failed_at === 'app' ? 'reach this hookpit but not your app' : 'are not reaching this hookpit';
    failing = { since: canary.failing_since || '', url };
    alert.replaceChildren(span('canary-icon', '✗'),
      span('canary-text', `webhooks sent to ${url} ${where} since ${since}: ${canary.error || 'no reason given'}`));
    alert.className = 'canary canary-bad';
    alert.hidden = false;
    return;
  }
  if (failing) {
    const was = failing;
    failing = null;
    const moved = was.url !== url ? ` — the public URL changed (was ${was.url}): give the sender the new one` : '';
    alert.replaceChildren(span('canary-icon', '✓'),
      span('canary-text', `webhooks sent to ${url} reach this hookpit again (they failed since ${fmtWhen(was.since)})${moved}`),
      el('button', { class: 'icon-button', text: '×', title: 'Dismiss', on: { click: () => { alert.hidden = true; } } }));
    alert.className = 'canary canary-good';
    alert.hidden = false;
    return;
  }
  if (!alert.classList.contains('canary-good')) alert.hidden = true;
  // Beside the tunnel, or the relay when the public URL is the relay's.
  const host = byId('tunnel').hidden ? byId('relay') : byId('tunnel');
  host.querySelector('.canary-ok')?.remove();
  if (!host.hidden) host.append(span('relay-fact canary-ok', `✓ canary ${fmtDuration(canary.latency_ms ?? 0)}`,
    `A signed probe sent to ${url}${canary.app ? ' and on to your app' : ''} came back ${fmtWhen(canary.last_at)} (${canary.received}/${canary.sent} so far)`));
}
