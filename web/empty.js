// @ts-check
/**
 * The first-run screen: the capture URL, a one-click "Send test event" (a Cyberdesk event as Svix
 * signs it, or, picked beside the button, any provider's sample as that provider signs it), and a
 * curl command to copy; below, one quiet line to the Test my endpoint view for people building the
 * receiving app.
 */
import { el, span, copyButton } from './dom.js';
import * as api from './api.js';
import { loadProviders, provider } from './providers.js';

/** The test event the button sends: a signed Cyberdesk run that failed a post-run check. */
const TEST_EVENT = { template: 'run_complete', status: 'task_failed', checks_fail: true, path: '/cyberdesk' };

/**
 * A curl command that sends an (unsigned) Cyberdesk-like webhook to the capture URL.
 * @param {string} captureUrl
 */
export function curlExample(captureUrl) {
  return `curl -sS ${captureUrl}/cyberdesk \\\n  -H 'content-type: application/json' \\\n  -d '{"event_type":"run_complete","run":{"id":"r1","status":"task_failed"}}'`;
}

/** A fresh random `whsec_` key, for a test event when hookpit has none to sign with. */
function throwawaySecret() {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return `whsec_${btoa(String.fromCharCode(...bytes))}`;
}

/**
 * A throwaway secret of the form `algorithm` takes, or null where only a key pair signs
 * (Discord's ed25519, SendGrid's ECDSA), which the page cannot make.
 * @param {string} algorithm
 */
function throwawayFor(algorithm) {
  if (algorithm === 'ed25519' || algorithm === 'ecdsa-p256') return null;
  const hex = [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('');
  return algorithm === 'basic' ? `hookpit:${hex}` : hex;
}

/**
 * Sends the test event, as `providerName` sends (its sample, on `/NAME`) or, without one, the
 * Cyberdesk event as Svix does. When hookpit has no key to sign with, signs with a throwaway one
 * (the event then shows as unverified, which the Verification tab explains).
 * @param {string} [providerName]
 * @returns {Promise<{id: number | null, note: string}>}
 */
export async function sendTestEvent(providerName = '') {
  const p = provider(providerName);
  const event = p ? { provider: p.name, path: `/${p.name}` } : TEST_EVENT;
  try {
    const r = await api.sendTest(event);
    return { id: r && typeof r.id === 'number' ? r.id : null, note: '' };
  } catch (err) {
    if (!(err instanceof api.ApiError) || err.status !== 400 || !/key|sign/i.test(err.message)) throw err;
    const secret = p ? throwawayFor(p.algorithm) : throwawaySecret();
    if (!secret) throw new Error(`${p?.title} signs with a private key: add one for /${p?.name} in the Keys panel first`);
    const r = await api.sendTest({ ...event, secret });
    return {
      id: r && typeof r.id === 'number' ? r.id : null,
      note: `No key is configured for ${event.path}, so it was signed with a throwaway key and shows as unverified.`,
    };
  }
}

/** What the button sends, in words, for `providerName` (none: the Cyberdesk event). */
function sendsWhat(providerName = '') {
  const p = provider(providerName);
  return p ? `${p.title}'s sample webhook, signed as ${p.title} signs it` : 'a signed Cyberdesk run_complete whose post-run check failed';
}

/**
 * Draws the first-run screen into `root`.
 * @param {HTMLElement} root
 * @param {string} captureUrl
 * @param {(id: number | null, note: string) => void} onSent
 * @param {() => void} onTestEndpoint opens the Test my endpoint view
 */
export function renderEmpty(root, captureUrl, onSent, onTestEndpoint) {
  const error = el('p', { class: 'error-text', attrs: { role: 'alert' } });
  const send = el('button', { class: 'btn primary big', text: 'Send test event', attrs: { type: 'button', id: 'send-test' } });
  const what = span('muted', sendsWhat());
  const sender = el('select', { attrs: { id: 'send-provider', 'aria-label': 'Sent as' } },
    el('option', { text: 'as Cyberdesk (Svix)', attrs: { value: '' } }));
  loadProviders().then((list) => {
    for (const p of list.filter((x) => x.name !== 'standard')) {
      sender.append(el('option', { text: `as ${p.title}`, attrs: { value: p.name } }));
    }
  });
  sender.addEventListener('change', () => { what.textContent = sendsWhat(sender.value); });
  send.addEventListener('click', async () => {
    send.disabled = true;
    error.textContent = '';
    try {
      const { id, note } = await sendTestEvent(sender.value);
      onSent(id, note);
    } catch (err) {
      error.textContent = `Could not send: ${err instanceof Error ? err.message : err}`;
    } finally {
      send.disabled = false;
    }
  });
  const curl = curlExample(captureUrl);
  root.replaceChildren(el('div', 'empty-card',
    el('div', 'listening', span('pulse', ''), span('', 'Waiting for the first webhook')),
    el('h1', { text: 'Send webhooks to' }),
    el('div', 'capture-box', el('code', { class: 'mono', text: captureUrl, attrs: { id: 'empty-capture' } }), copyButton(() => captureUrl)),
    el('div', 'send-row', send, sender, what),
    error,
    el('div', 'or', span('muted', 'or from a terminal:'), copyButton(() => curl.replace(/\\\n\s*/g, ''), 'copy', 'Copy the curl command')),
    el('pre', { class: 'mono curl-box', text: curl }),
    el('div', 'empty-doctor',
      span('muted', 'Building the app that receives them?'),
      el('button', { class: 'link-button', text: 'Test your endpoint the way Svix will treat it →', attrs: { type: 'button', id: 'empty-doctor' }, on: { click: onTestEndpoint } }))));
}
