// @ts-check
/**
 * Comparing two events (`GET /api/diff`): mark one (m, or "Mark for compare"), then press d on
 * another, or pick "Compare with…" in the detail view. The result opens in a dialog: the body's
 * changes (JSON Pointer paths, or line numbers for text) and the headers that differ, each with
 * its value in A and in B side by side, and the kind of change in words, not colour alone.
 */
import { el, span, button } from './dom.js';
import { openDialog } from './dialog.js';
import * as api from './api.js';

/** Values longer than this are cut in the table; the full value is the cell's tooltip. */
const CUT = 400;

/** The event marked as A, kept across page loads of this tab. @type {number | null} */
let marked = readMark();

function readMark() {
  const v = Number(sessionStorage.getItem('hookpit.compareMark'));
  return Number.isSafeInteger(v) && v > 0 ? v : null;
}

/** The marked event, or null. */
export function markedEvent() {
  return marked;
}

/**
 * Marks an event as the A side of the next comparison.
 * @param {number} id
 */
export function markForCompare(id) {
  marked = id;
  sessionStorage.setItem('hookpit.compareMark', String(id));
}

/** @typedef {{path: string, op: 'add'|'remove'|'change', a?: any, b?: any}} BodyChange */
/** @typedef {{name: string, op: 'add'|'remove'|'change', a?: string, b?: string}} HeaderChange */
/** @typedef {{body: {kind: 'json'|'text', changes: BodyChange[]}, headers: HeaderChange[]}} Diff */

const OP_WORD = { add: 'added', remove: 'removed', change: 'changed' };
const OP_ICON = { add: '+', remove: '−', change: '~' };

/**
 * A value for a cell: JSON text for a JSON body's values, the line itself for text.
 * @param {any} v
 * @param {boolean} present
 * @param {boolean} json
 */
function cell(v, present, json) {
  if (!present) return el('td', 'cmp-none', span('muted', '—'));
  const text = json ? JSON.stringify(v) : String(v);
  const shown = text.length > CUT ? `${text.slice(0, CUT)}…` : text;
  return el('td', { class: 'mono cmp-value', title: text.length > CUT ? text : undefined }, shown);
}

/**
 * One table of changes.
 * @param {string} first the first column's heading (Path, Line, Header)
 * @param {Array<{key: string, op: 'add'|'remove'|'change', a?: any, b?: any}>} rows
 * @param {boolean} json values are JSON
 * @param {number} a
 * @param {number} b
 */
function table(first, rows, json, a, b) {
  const head = el('tr', null, el('th', { text: first }), el('th', { text: 'change' }),
    el('th', { text: `A #${a}` }), el('th', { text: `B #${b}` }));
  const t = el('table', 'cmp-table', el('thead', null, head));
  const body = el('tbody');
  for (const r of rows) {
    body.append(el('tr', { class: `cmp-${r.op}`, data: { path: r.key, op: r.op } },
      el('td', 'mono cmp-path', r.key || '(whole body)'),
      el('td', 'cmp-op', span('icon', OP_ICON[r.op]), ' ', OP_WORD[r.op]),
      cell(r.a, 'a' in r && r.op !== 'add', json),
      cell(r.b, 'b' in r && r.op !== 'remove', json)));
  }
  t.append(body);
  return t;
}

/**
 * The comparison as DOM (exported for the dialog and kept apart for clarity).
 * @param {Diff} d
 * @param {number} a
 * @param {number} b
 */
export function renderDiff(d, a, b) {
  const json = d.body.kind === 'json';
  const n = d.body.changes.length;
  const bodyTitle = `Body (${json ? 'JSON, by path' : 'text, by line'}): ${n === 0 ? 'the same' : `${n} ${n === 1 ? 'difference' : 'differences'}`}`;
  const h = d.headers.length;
  const headTitle = `Headers: ${h === 0 ? 'the same' : `${h} differ`}`;
  return el('div', { class: 'cmp', attrs: { 'data-test': 'compare' } },
    el('h3', { text: bodyTitle }),
    n ? table(json ? 'Path' : 'Line', d.body.changes.map((c) => ({ key: c.path, ...c })), json, a, b) : null,
    el('h3', { text: headTitle }),
    h ? table('Header', d.headers.map((c) => ({ key: c.name, ...c })), false, a, b) : null);
}

/**
 * Fetches and shows the comparison of two events.
 * @param {number} a
 * @param {number} b
 * @param {{toast: (text: string, kind?: 'info'|'error'|'good') => void, openEvent: (id: number) => void}} cb
 */
export async function showCompare(a, b, cb) {
  let d;
  try {
    d = /** @type {Diff} */ (await api.getDiff(a, b));
  } catch (err) {
    cb.toast(`Could not compare #${a} with #${b}: ${err instanceof Error ? err.message : err}`, 'error');
    return;
  }
  const swap = button('Swap A and B', () => { close(); showCompare(b, a, cb); }, 'link-button');
  const links = el('p', 'muted cmp-sides',
    'A ', button(`#${a}`, () => { close(); cb.openEvent(a); }, 'link-button'),
    ' · B ', button(`#${b}`, () => { close(); cb.openEvent(b); }, 'link-button'), ' · ', swap);
  const view = renderDiff(d, a, b);
  /** Closes the dialog through its own Close button, so its promise settles. */
  const close = () => {
    const b = /** @type {HTMLButtonElement | null | undefined} */ (view.closest('dialog')?.querySelector('.dialog-actions .btn'));
    b?.click();
  };
  await openDialog({ title: `Compare #${a} with #${b}`, body: [links, view], wide: true });
}

/**
 * Asks which event to compare the open one with (the marked one is offered), then shows it.
 * @param {number} current the open event (B)
 * @param {{toast: (text: string, kind?: 'info'|'error'|'good') => void, openEvent: (id: number) => void}} cb
 */
export async function askCompare(current, cb) {
  const input = el('input', { class: 'mono wide-input', attrs: { type: 'number', min: '1', required: '', 'aria-label': 'Event id', placeholder: 'event id, e.g. 12' } });
  if (marked !== null && marked !== current) input.value = String(marked);
  const hint = el('p', 'muted', 'Or: press ', span('kbd', 'm'), ' on one event and ', span('kbd', 'd'), ' on another.');
  const other = await openDialog({
    title: `Compare #${current} with…`,
    body: [el('label', 'field', span('label', 'The other event (A)'), input), hint],
    submit: 'Compare',
    onSubmit: () => {
      const id = Number(input.value);
      if (!Number.isSafeInteger(id) || id <= 0) throw new Error('Give an event id (a number)');
      return id;
    },
  });
  if (other !== null) await showCompare(other, current, cb);
}
