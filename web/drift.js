// @ts-check
/**
 * Schema drift in the UI: the chip of an event whose shape differs from what its kind (route
 * and event type) had before, the list of those differences in the detail view (worded for a
 * test event as "this template differs from real events"), and the Schema view: every learned
 * kind, its fields (types, how often present, an example) and its JSON Schema to copy.
 */
import { el, span, button, copyText, flashCopied } from './dom.js';
import { openDialog } from './dialog.js';
import * as api from './api.js';

/** @typedef {{path: string, op: 'missing'|'new'|'type', was?: string, now?: string}} Drift */

/**
 * One difference in words.
 * @param {Drift} d
 */
export function driftWords(d) {
  const path = d.path || '(the body)';
  switch (d.op) {
    case 'missing': return `${path} is missing (always there before, ${d.was || '?'})`;
    case 'new': return `${path} is new (${d.now || '?'})`;
    case 'type': return `${path} changed type: was ${d.was || '?'}, now ${d.now || '?'}`;
  }
  return path;
}

/**
 * The list row's chip, or null when the event did not drift.
 * @param {Drift[] | null | undefined} drift
 */
export function driftChip(drift) {
  if (!drift || !drift.length) return null;
  return el('span', { class: 'chip drift', title: `Shape changed:\n${drift.map(driftWords).join('\n')}` },
    span('icon', '△'), ' drift');
}

/** The key of an event's kind, as the server names it: route, a space, the event type. @param {{path: string, event_type: string | null}} e */
export function kindKey(e) {
  return e.event_type ? `${e.path} ${e.event_type}` : e.path;
}

/** What `hookpit send`'s User-Agent carries: an event with it is a test, whatever carried it. */
const HOOKPIT_MARK = '(hookpit/';

/**
 * Whether an event is a test the learner only checks: sent from the UI or the API, a replay,
 * or `hookpit send` to the capture URL (its User-Agent).
 * @param {{source: string, headers?: Array<[string, string]>}} e
 */
function isTest(e) {
  if (e.source === 'send' || e.source === 'replay') return true;
  return (e.headers || []).some(([name, value]) => name.toLowerCase() === 'user-agent' && value.includes(HOOKPIT_MARK));
}

/**
 * The detail view's note: what differs, and a way to the learned schema.
 * @param {{path: string, event_type: string | null, source: string, headers?: Array<[string, string]>, drift?: Drift[] | null}} e
 */
export function driftNote(e) {
  if (!e.drift || !e.drift.length) return null;
  const kind = e.event_type ? `${e.event_type} events on ${e.path}` : `events on ${e.path}`;
  const test = isTest(e);
  const head = test
    ? `This test event differs from the real ${kind} hookpit captured:`
    : `The shape changed: this event differs from the ${kind} before it:`;
  const list = el('ul', 'drift-list');
  for (const d of e.drift) list.append(el('li', { class: `drift-${d.op}`, data: { path: d.path, op: d.op } }, driftWords(d)));
  return el('div', { class: 'd-drift', attrs: { 'data-test': 'drift' } },
    el('p', null, span('icon', '△'), ' ', head), list,
    button('See the learned schema', () => openSchemas(kindKey(e)), 'link-button'));
}

/**
 * The Schema view: the learned kinds; one of them opened (its fields and JSON Schema).
 * @param {string} [key] the kind to open first
 */
export async function openSchemas(key) {
  const side = el('div', 'schema-kinds');
  const main = el('div', 'schema-main', el('p', 'muted', 'Pick a kind of event.'));
  /** @type {any[]} */
  let kinds = [];
  try {
    kinds = await api.listSchemas();
  } catch (err) {
    main.replaceChildren(el('p', 'error-text', `Could not load schemas: ${err instanceof Error ? err.message : err}`));
  }
  if (!kinds.length) {
    main.replaceChildren(el('p', 'muted', 'Nothing learned yet: hookpit learns the shape of each kind of event (route and event type) from the JSON webhooks it captures.'));
  }
  /** @param {string} k */
  const show = async (k) => {
    for (const b of side.querySelectorAll('button')) b.classList.toggle('on', /** @type {HTMLElement} */ (b).dataset.key === k);
    try {
      main.replaceChildren(renderKind(await api.getSchema(k)));
    } catch (err) {
      main.replaceChildren(el('p', 'error-text', `Could not load ${k}: ${err instanceof Error ? err.message : err}`));
    }
  };
  for (const k of kinds) {
    const label = el('span', null, span('mono', k.route), ' ', span('etype', k.event_type || 'no type'));
    const meta = span('muted', `${k.events} events · ${k.fields} fields${k.last_drift_id ? ` · drift #${k.last_drift_id}` : ''}`);
    side.append(el('button', { class: 'schema-kind', attrs: { type: 'button' }, data: { key: k.key }, on: { click: () => show(k.key) } }, label, meta));
  }
  const first = kinds.find((k) => k.key === key) || kinds[0];
  if (first) show(first.key);
  await openDialog({ title: 'Learned schemas', body: [el('div', 'schema-view', side, main)], wide: true });
}

/**
 * One kind: the fields table and its JSON Schema.
 * @param {{key: string, fields: Array<{path: string, types: string[], seen: number, of: number, example: any}>, json_schema: any}} s
 */
function renderKind(s) {
  const table = el('table', 'schema-fields',
    el('thead', null, el('tr', null, el('th', { text: 'Field' }), el('th', { text: 'Types' }), el('th', { text: 'Present' }), el('th', { text: 'Example' }))));
  const body = el('tbody');
  for (const f of s.fields) {
    if (f.path === '') continue;
    const always = f.seen === f.of;
    body.append(el('tr', { data: { path: f.path } },
      el('td', 'mono', f.path),
      el('td', 'mono', f.types.join(' | ')),
      el('td', { class: always ? 'always' : 'sometimes', text: always ? `always (${f.of})` : `${f.seen} of ${f.of}` }),
      el('td', 'mono example', f.example === null ? '' : JSON.stringify(f.example))));
  }
  table.append(body);
  const text = JSON.stringify(s.json_schema, null, 2);
  const copy = button('Copy JSON Schema', async () => flashCopied(copy, await copyText(text)), 'btn small copy-schema',
    'JSON Schema (2020-12) of this kind, for code generators');
  const pre = el('details', 'schema-json', el('summary', { text: 'JSON Schema (2020-12)' }), el('pre', { class: 'mono', text }));
  return el('div', { class: 'schema-kind-view', data: { key: s.key } }, el('div', 'schema-actions', copy), table, pre);
}
