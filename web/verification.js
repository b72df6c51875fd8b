// @ts-check
/**
 * The Verification tab: the verdict sentence, then signature and timestamp judged apart, skew,
 * provider, scheme, message id and the key that matched. When hookpit has no key for a signed
 * webhook it offers a field to paste one for the route, bound to the provider chosen; the
 * server then re-verifies the route's events.
 */
import { el, span, button, copyButton, facts } from './dom.js';
import { fmtAge, fmtAbsolute } from './format.js';
import { verdictBadge } from './badges.js';
import { loadProviders, loadedProviders, provider, providerTitle } from './providers.js';
import * as api from './api.js';

/** How the schemes read. */
const SCHEMES = {
  'hmac-sha256': 'HMAC-SHA256', 'hmac-sha1': 'HMAC-SHA1', ed25519: 'ed25519', 'ecdsa-p256': 'ECDSA P-256',
  token: 'shared token', basic: 'basic auth',
};

/**
 * A tolerance for people: "5 min", "5 s".
 * @param {number} s
 */
const fmtLimit = (s) => (s % 60 === 0 ? `${s / 60} min` : `${s} s`);

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
  const p = provider(v.provider);
  const limit = p && typeof p.tolerance_s === 'number' ? fmtLimit(p.tolerance_s) : '5 min';
  /** @type {Node | null} */
  let tsOk = null;
  if (v.timestamp_ok === true) tsOk = span('ok', `✓ within the ${limit} tolerance`);
  else if (v.timestamp_ok === false) {
    const age = typeof v.skew_s === 'number' ? `${fmtAge(v.skew_s)} ${v.skew_s >= 0 ? 'old' : 'in the future'}: ` : '';
    tsOk = span('bad', `✗ ${age}outside the ${limit} tolerance`);
  }
  else if (typeof v.timestamp === 'number' && p && p.tolerance_s === null) {
    tsOk = span('muted', `— ${p.title} sets no limit on its age`);
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
    ['Provider', v.provider ? providerFact(v.provider) : 'none'],
    ['Scheme', v.scheme ? (SCHEMES[/** @type {'token'} */ (v.scheme)] || v.scheme) : 'none'],
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
 * What to paste for a webhook of provider `name`, in its terms.
 * @param {string} name
 */
function whose(name) {
  const p = provider(name);
  if (!p || p.name === 'standard') return 'the endpoint\'s signing secret (Cyberdesk shows it on the webhook endpoint page)';
  return `${p.title}'s key: ${p.secret}`;
}

/**
 * The provider's title, linked to its page on verifying its webhooks.
 * @param {string} name
 */
function providerFact(name) {
  const p = provider(name);
  if (!p) return span('mono', name);
  return el('span', null, span('provider-title', p.title), ' ',
    el('a', { text: 'docs', attrs: { href: p.docs, target: '_blank', rel: 'noopener noreferrer' } }));
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
  const detected = (e.verification && e.verification.provider) || '';
  const choose = /** @type {HTMLSelectElement} */ (el('select', {
    class: 'provider-select', attrs: { name: 'provider', 'aria-label': 'Provider' },
  }));
  choose.append(el('option', { text: 'any provider', attrs: { value: '' } }));
  /** Fills the choice once the providers are known, the detected one chosen. */
  const fill = () => {
    for (const p of choose.options.length > 1 ? [] : loadedProviders()) {
      choose.append(el('option', { text: p.title, attrs: { value: p.name } }));
    }
    choose.value = detected && detected !== 'standard' ? detected : '';
    hint();
  };
  /** The placeholder says what the chosen provider's secret is. */
  const hint = () => {
    const p = provider(choose.value);
    secret.setAttribute('placeholder', p ? p.secret : 'whsec_…');
  };
  choose.addEventListener('change', hint);
  loadProviders().then(fill);
  const submit = el('button', { class: 'btn primary', text: 'Add key and verify', attrs: { type: 'submit' } });
  const error = el('p', { class: 'error-text', attrs: { role: 'alert' } });
  const form = el('form', { class: `key-form${prominent ? ' prominent' : ''}` },
    el('p', { text: prominent
      ? `hookpit has no key for this webhook. Paste ${whose(detected)}: every stored event under the route is verified again.`
      : 'Paste another signing secret for this route; every stored event under it is verified again.' }),
    el('div', 'key-row',
      el('label', null, span('label', 'Provider'), choose),
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
      const r = await api.addKey(s, route.value.trim() || '/', undefined, choose.value || undefined);
      secret.value = '';
      const bound = choose.value ? ` (${providerTitle(choose.value)})` : '';
      ctx.toast(`Key added for ${route.value.trim() || '/'}${bound}; ${r && typeof r.reverified === 'number' ? r.reverified : 'the'} stored events verified again`);
      ctx.refresh();
    } catch (err) {
      error.textContent = err instanceof Error ? err.message : String(err);
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}
