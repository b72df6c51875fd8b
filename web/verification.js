// @ts-check
/**
 * The Verification tab: the verdict sentence, then signature and timestamp judged apart, skew,
 * scheme, message id and the key that matched. When hookpit has no key for a signed webhook it
 * offers a field to paste one for the route; the server then re-verifies the route's events.
 */
import { el, span, button, copyButton, facts } from './dom.js';
import { fmtAge, fmtAbsolute } from './format.js';
import { verdictBadge } from './badges.js';
import * as api from './api.js';

/** Display names of the schemes. */
const SCHEMES = { 'standard-webhooks': 'Standard Webhooks (Svix)', stripe: 'Stripe', github: 'GitHub' };

/** @param {string} reason */
const reasonWords = (reason) => reason.replaceAll('_', ' ');

/**
 * The route a key for this path most likely belongs to: its first segment ("/cyberdesk").
 * @param {string} path
 */
export function guessRoute(path) {
  const m = path.match(/^\/[^/?]+/);
  return m ? m[0] : '/';
}

/**
 * @typedef {Object} VerifyContext
 * @property {() => void} refresh reload the event after a key was added or it was re-verified
 * @property {(text: string, kind?: 'info'|'error'|'good') => void} toast
 */

/**
 * @param {any} e the event detail
 * @param {VerifyContext} ctx
 * @returns {HTMLElement}
 */
export function renderVerification(e, ctx) {
  const v = e.verification || {};
  const root = el('div', 'verify-tab');
  const icon = { valid: '✓', invalid: '✗', unsigned: '–', unverified: '?' }[/** @type {'valid'} */ (v.status)] || '–';
  root.append(el('div', { class: `verdict-big verdict-${v.status}` }, span('icon', icon), el('p', { text: v.message || '' })));

  /** @type {Node | null} */
  let sig = null;
  if (v.signature_ok === true) sig = span('ok', `✓ matches${v.matched_key ? ` key "${v.matched_key}"` : ''}`);
  else if (v.signature_ok === false) sig = span('bad', '✗ matches no configured key');
  else if (v.scheme) sig = span('muted', '— not checked (no key that can verify it)');

  /** @type {Node | null} */
  let ts = null;
  if (typeof v.timestamp === 'number') {
    const d = new Date(v.timestamp * 1000);
    ts = el('span', null, span('mono', String(v.timestamp)), span('muted', `  ${fmtAbsolute(d)}`));
  }
  /** @type {Node | null} */
  let tsOk = null;
  if (v.timestamp_ok === true) tsOk = span('ok', '✓ within the 5 min tolerance');
  else if (v.timestamp_ok === false) {
    const age = typeof v.skew_s === 'number' ? `${fmtAge(v.skew_s)} ${v.skew_s >= 0 ? 'old' : 'in the future'}: ` : '';
    tsOk = span('bad', `✗ ${age}outside the 5 min tolerance`);
  }
  else if (v.reason === 'bad_timestamp') tsOk = span('bad', '✗ not a whole number of unix seconds');

  /** @type {string | null} */
  let skew = null;
  if (typeof v.skew_s === 'number') {
    skew = v.skew_s >= 0 ? `${fmtAge(v.skew_s)} old when it arrived` : `${fmtAge(v.skew_s)} in the future when it arrived`;
  }

  root.append(facts([
    ['Verdict', verdictBadge(v)],
    ['Reason', v.reason ? reasonWords(v.reason) : null],
    ['Signature', sig],
    ['Timestamp', ts],
    ['Timestamp check', tsOk],
    ['Skew', skew],
    ['Scheme', v.scheme ? (SCHEMES[/** @type {'stripe'} */ (v.scheme)] || v.scheme) : 'none'],
    ['Message id', v.msg_id ? el('span', 'id-copy', span('mono', v.msg_id), copyButton(() => v.msg_id)) : null],
    ['Matched key', v.matched_key ? span('mono', v.matched_key) : null],
  ]));

  const wantsKey = v.status === 'unverified' || (v.status === 'invalid' && v.reason === 'signature_mismatch');
  if (v.status !== 'unsigned') {
    const form = keyForm(e, ctx, v.status === 'unverified');
    if (v.status === 'unverified') root.append(form);
    else if (wantsKey) root.append(el('details', 'key-details', el('summary', { text: 'Try another key' }), form));
  }
  root.append(el('div', 'actions-row', button('Verify again', async (ev) => {
    const b = /** @type {HTMLButtonElement} */ (ev.currentTarget);
    b.disabled = true;
    try {
      await api.reverify(e.id);
      ctx.toast('Verified again with the keys configured now');
      ctx.refresh();
    } catch (err) {
      ctx.toast(err instanceof Error ? err.message : String(err), 'error');
    } finally {
      b.disabled = false;
    }
  }, 'btn', 'Judge the stored webhook again with the keys hookpit has now')));
  return root;
}

/**
 * The "paste a key for this route" form.
 * @param {any} e
 * @param {VerifyContext} ctx
 * @param {boolean} prominent
 */
function keyForm(e, ctx, prominent) {
  const secret = el('input', {
    class: 'mono', attrs: {
      type: 'text', name: 'secret', placeholder: 'whsec_…', spellcheck: 'false', autocomplete: 'off',
      'aria-label': 'Signing secret',
    },
  });
  const route = el('input', {
    class: 'mono route', attrs: { type: 'text', name: 'route', spellcheck: 'false', autocomplete: 'off', 'aria-label': 'Route (path prefix)' },
  });
  route.value = guessRoute(e.path);
  const submit = el('button', { class: 'btn primary', text: 'Add key and verify', attrs: { type: 'submit' } });
  const error = el('p', { class: 'error-text', attrs: { role: 'alert' } });
  const form = el('form', { class: `key-form${prominent ? ' prominent' : ''}` },
    el('p', { text: prominent
      ? 'hookpit has no key for this webhook. Paste the endpoint\'s signing secret (Cyberdesk shows it on the webhook endpoint page): every stored event under the route is verified again.'
      : 'Paste another signing secret for this route; every stored event under it is verified again.' }),
    el('div', 'key-row',
      el('label', 'grow', span('label', 'Secret'), secret),
      el('label', null, span('label', 'Route'), route),
      submit),
    error);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.textContent = '';
    const s = secret.value.trim();
    if (!s) { error.textContent = 'Paste a key first (whsec_…).'; return; }
    submit.disabled = true;
    try {
      const r = await api.addKey(s, route.value.trim() || '/');
      secret.value = '';
      ctx.toast(`Key added for ${route.value.trim() || '/'}; ${r && typeof r.reverified === 'number' ? r.reverified : 'the'} stored events verified again`);
      ctx.refresh();
    } catch (err) {
      error.textContent = err instanceof Error ? err.message : String(err);
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}
