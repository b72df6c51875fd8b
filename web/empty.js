// @ts-check
/**
 * The first-run screen: the capture URL, a one-click "Send test event", and a curl command to
 * copy; below, one quiet line to the Test my endpoint view for people building the receiving app.
 */
import { el, span, copyButton } from './dom.js';
import * as api from './api.js';

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
 * Sends the test event. When hookpit has no key to sign with, signs with a throwaway one (the
 * event then shows as unverified, which the Verification tab explains).
 * @returns {Promise<{id: number | null, note: string}>}
 */
export async function sendTestEvent() {
  try {
    const r = await api.sendTest(TEST_EVENT);
    return { id: r && typeof r.id === 'number' ? r.id : null, note: '' };
  } catch (err) {
    if (!(err instanceof api.ApiError) || err.status !== 400 || !/key/i.test(err.message)) throw err;
    const r = await api.sendTest({ ...TEST_EVENT, secret: throwawaySecret() });
    return {
      id: r && typeof r.id === 'number' ? r.id : null,
      note: 'No key is configured for /cyberdesk, so it was signed with a throwaway key and shows as unverified.',
    };
  }
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
  send.addEventListener('click', async () => {
    send.disabled = true;
    error.textContent = '';
    try {
      const { id, note } = await sendTestEvent();
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
    el('div', 'send-row', send, span('muted', 'a signed Cyberdesk run_complete whose post-run check failed')),
    error,
    el('div', 'or', span('muted', 'or from a terminal:'), copyButton(() => curl.replace(/\\\n\s*/g, ''), 'copy', 'Copy the curl command')),
    el('pre', { class: 'mono curl-box', text: curl }),
    el('div', 'empty-doctor',
      span('muted', 'Building the app that receives them?'),
      el('button', { class: 'link-button', text: 'Test your endpoint the way Svix will treat it →', attrs: { type: 'button', id: 'empty-doctor' }, on: { click: onTestEndpoint } }))));
}
