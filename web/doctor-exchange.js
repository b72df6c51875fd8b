// @ts-check
/**
 * A doctor scenario opened up: every delivery it made, each with the request as sent (headers,
 * the exact body, the signed timestamp) and the app's answer (status, latency, headers, body).
 * A body cut for the report loads in full from the store on demand.
 */
import { el, span, button, copyButton } from './dom.js';
import { fmtBytes, fmtDuration, fmtWhen, fmtAge } from './format.js';
import { headerTable } from './attempts.js';
import { parseJson, jsonTree } from './json.js';
import * as api from './api.js';

/**
 * How an answer looks against what the scenario expects: a 400 is good for a forgery.
 * @param {string} expect 2xx | 4xx | info
 * @param {number | null} status
 * @returns {'good'|'bad'|'pending'|'grey'}
 */
export function answerTone(expect, status) {
  if (typeof status !== 'number') return 'bad';
  const cls = Math.floor(status / 100);
  if (expect === 'info') return 'grey';
  if (expect === '4xx') return cls === 4 ? 'good' : cls === 5 ? 'pending' : 'bad';
  return cls === 2 ? 'good' : 'bad';
}

/**
 * The status chip of one delivery.
 * @param {string} expect
 * @param {any} x an exchange
 */
function answerChip(expect, x) {
  const tone = answerTone(expect, x.status);
  const icon = { good: '✓', bad: '✗', pending: '!', grey: 'i' }[tone];
  const words = typeof x.status === 'number' ? String(x.status) : 'no answer';
  return el('span', { class: `chip status tone-${tone}`, title: `A correct app answers ${expect === 'info' ? 'anything (only reported)' : expect}` },
    el('span', { class: 'icon', text: icon }), words);
}

/**
 * The signed timestamp, when it is not the time of sending (the timestamp scenarios).
 * @param {any} x
 */
function timestampNote(x) {
  const sent = Math.floor(Date.parse(x.started_at) / 1000);
  if (!Number.isFinite(sent) || typeof x.timestamp !== 'number') return null;
  const off = x.timestamp - sent;
  if (Math.abs(off) < 60) return null;
  return el('p', { class: 'note', text: `Signed with svix-timestamp ${x.timestamp}: ${fmtAge(off)} ${off < 0 ? 'before' : 'after'} it was sent.` });
}

/**
 * A body as the exact text (bytes matter here: compact, pretty, escaped), with a JSON tree on
 * demand and a copy button.
 * @param {string} text what is shown first
 * @param {{size: number, extra?: Node[], whole?: () => Promise<string>}} opts the full size;
 *   more bar items; how to get the whole text when `text` is only its start
 */
function bodyView(text, opts) {
  if (!text && !opts.whole) return el('p', { class: 'muted', text: 'empty' });
  const pre = el('pre', { class: 'raw mono dx-pre', text });
  const view = el('div', 'dx-body', pre);
  const bar = el('div', 'dx-bar', span('muted', fmtBytes(opts.size)));
  if (!opts.whole) {
    const parsed = /^\s*[[{]/.test(text) ? parseJson(text) : null;
    if (parsed && parsed.ok) {
      const value = parsed.value;
      let tree = false;
      const toggle = button('tree', () => {
        tree = !tree;
        toggle.textContent = tree ? 'raw' : 'tree';
        view.replaceChildren(tree ? jsonTree(value, { open: 2, budget: 150 }) : pre);
      }, 'link-button', 'Switch between the exact text and a JSON tree');
      bar.append(toggle);
    }
  }
  bar.append(copyButton(async () => (opts.whole ? opts.whole() : text), 'copy', 'Copy the whole body'), ...(opts.extra || []));
  return el('div', null, bar, view);
}

/**
 * The request body; a body cut for the report loads in full on demand.
 * @param {number} runId
 * @param {any} x
 */
function requestBody(runId, x) {
  const n = Number(x.attempt);
  const shown = String(x.request_body || '');
  const raw = el('a', { class: 'btn small', text: 'open raw ↗', attrs: { href: api.doctorRequestUrl(runId, n), target: '_blank', rel: 'noopener' } });
  if (!x.request_truncated) return bodyView(shown, { size: Number(x.request_size) || 0, extra: [raw] });
  /** @type {string | null} */
  let full = null;
  const whole = async () => (full ??= await api.doctorRequestBody(runId, n));
  const more = button('load all', async () => {
    more.disabled = true;
    try {
      const text = await whole();
      const pre = view.querySelector('pre');
      if (pre) pre.textContent = text;
      note.remove();
      more.remove();
    } catch (err) {
      more.disabled = false;
      more.textContent = `load all (failed: ${err instanceof Error ? err.message : err})`;
    }
  }, 'link-button');
  const note = span('note', `first ${fmtBytes(shown.length)} shown`);
  const view = bodyView(shown, { size: Number(x.request_size) || 0, whole, extra: [note, more, raw] });
  return view;
}

/**
 * One delivery as a card.
 * @param {number} runId
 * @param {any} result ScenarioResult
 * @param {any} x Exchange
 * @param {number} i its position in the scenario
 */
function exchangeCard(runId, result, x, i) {
  const many = result.exchanges.length > 1;
  const tone = answerTone(result.expect, x.status);
  const head = el('div', 'attempt-head',
    answerChip(result.expect, x),
    span('kind', many ? `Delivery ${i + 1} of ${result.exchanges.length}` : 'Delivery'),
    span('latency', fmtDuration(x.duration_ms)),
    span('when muted', `sent ${fmtWhen(x.started_at)}`, x.started_at),
    span('muted', `request #${x.attempt} of the run`));
  const card = el('article', { class: `attempt dx tone-${tone}`, data: { attempt: String(x.attempt) } }, head);
  if (x.error) card.append(el('p', { class: 'error-text', text: x.error }));
  card.append(timestampNote(x) || '');
  const req = el('section', 'dx-part',
    el('h4', { text: `Request · POST · ${x.request_headers.length} headers` }),
    headerTable(x.request_headers),
    el('h4', { text: 'Body sent' }),
    requestBody(runId, x));
  const resp = el('section', 'dx-part',
    el('h4', { text: typeof x.status === 'number' ? `Response · ${x.status} · ${x.response_headers.length} headers` : 'Response · none' }));
  if (typeof x.status === 'number') {
    const text = String(x.response_body || '');
    resp.append(headerTable(x.response_headers), el('h4', { text: 'Body' }),
      bodyView(text, { size: new TextEncoder().encode(text).length }));
    if (x.response_truncated) resp.append(el('p', { class: 'note', text: 'The answer was longer; only its start was kept.' }));
  } else {
    resp.append(el('p', { class: 'muted', text: x.error ? 'No answer: see the error above.' : 'No answer.' }));
  }
  card.append(el('div', 'dx-parts', req, resp));
  return card;
}

/**
 * Every delivery of a scenario.
 * @param {number} runId
 * @param {any} result ScenarioResult
 * @returns {HTMLElement}
 */
export function renderExchanges(runId, result) {
  const box = el('div', 'dx-list');
  const expect = { '2xx': 'A correct app acknowledges this with a 2xx.', '4xx': 'A correct app refuses this with a 4xx.', info: 'Any answer is only reported.' }[
    /** @type {'2xx'} */ (result.expect)] || '';
  box.append(el('p', { class: 'dx-expect muted', text: `${result.title}. ${expect}` }));
  if (!result.exchanges || result.exchanges.length === 0) {
    box.append(el('p', { class: 'error-text', text: result.detail || 'Nothing was sent.' }));
    return box;
  }
  result.exchanges.forEach((/** @type {any} */ x, /** @type {number} */ i) => box.append(exchangeCard(runId, result, x, i)));
  return box;
}
