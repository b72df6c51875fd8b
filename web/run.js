// @ts-check
/**
 * The Run tab of Cyberdesk events: a `run_complete` run (status, timings, error, post-run checks
 * with failures highlighted, output, attachments, inputs, sensitive input names) and the small
 * `downed_machines` view. Bodies are parsed tolerantly: any key may be missing or null, and keys
 * this view does not know are shown at the end.
 */
import { el, span, copyButton, facts } from './dom.js';
import { fmtAbsolute, fmtDuration, fmtRelative, fmtCount } from './format.js';
import { runChip, runTone } from './badges.js';
import { jsonTree } from './json.js';

/**
 * What kind of Cyberdesk event a parsed body is, if any.
 * @param {any} body
 * @returns {'run' | 'machines' | null}
 */
export function cyberdeskKind(body) {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return null;
  if (body.run && typeof body.run === 'object' && !Array.isArray(body.run)) return 'run';
  if (body.event_type === 'downed_machines' && Array.isArray(body.machines)) return 'machines';
  return null;
}

/**
 * An id in monospace with a copy button.
 * @param {unknown} id
 */
function idWithCopy(id) {
  const text = String(id);
  return el('span', 'id-copy', span('mono', text), copyButton(() => text));
}

/**
 * A time: absolute with ms, relative in the tooltip.
 * @param {unknown} iso
 */
function when(iso) {
  if (typeof iso !== 'string') return null;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return span('mono', iso);
  return span('when', fmtAbsolute(d), `${iso} (${fmtRelative(d.getTime())})`);
}

/**
 * Milliseconds between two RFC 3339 times, when both parse.
 * @param {unknown} a
 * @param {unknown} b
 */
function between(a, b) {
  if (typeof a !== 'string' || typeof b !== 'string') return null;
  const d = Date.parse(b) - Date.parse(a);
  return Number.isFinite(d) ? d : null;
}

/**
 * A section with a heading.
 * @param {string} title
 * @param {...(Node | string | null)} content
 */
function section(title, ...content) {
  return el('section', 'run-section', el('h3', { text: title }), ...content);
}

/**
 * A key/value table of a flat object; nested values as small JSON trees.
 * @param {Record<string, unknown>} obj
 */
function kvTable(obj) {
  const table = el('table', 'kv');
  for (const [k, v] of Object.entries(obj)) {
    const value = v !== null && typeof v === 'object' ? jsonTree(v, { open: 1 }) : span('mono', v === null ? 'null' : String(v));
    table.append(el('tr', null, el('th', { class: 'mono', text: k }), el('td', null, value)));
  }
  return table;
}

/** The keys of a run the view shows itself. */
const SHOWN_RUN_KEYS = new Set([
  'id', 'status', 'workflow_id', 'machine_id', 'session_id', 'session_alias', 'error', 'output_data',
  'output_attachment_ids', 'input_values', 'sensitive_input_aliases', 'post_run_checks', 'created_at',
  'started_at', 'ended_at', 'usage_metadata', 'run_message_history', 'input_attachment_ids',
  'release_session_after',
]);

/**
 * The Run tab.
 * @param {any} body parsed body
 * @param {HTMLElement | null} [webhooks] the run's webhooks (`run-webhooks.js`), shown after the checks
 * @returns {HTMLElement}
 */
export function renderRun(body, webhooks = null) {
  return cyberdeskKind(body) === 'machines' ? renderMachines(body) : renderRunComplete(body, webhooks);
}

/**
 * A `run_complete` run.
 * @param {any} body
 * @param {HTMLElement | null} webhooks
 */
function renderRunComplete(body, webhooks) {
  const run = body.run || {};
  const root = el('div', 'run-tab');

  // Headline: Run b7e3c1a2…  task_failed  started 12:03:10  ran 2 min 8 s
  const head = el('div', 'run-head');
  head.append(span('run-title', 'Run'));
  if (run.id !== undefined && run.id !== null) head.append(idWithCopy(run.id));
  if (typeof run.status === 'string') head.append(runChip(run.status));
  const ran = between(run.started_at, run.ended_at);
  if (ran !== null) head.append(span('muted', `ran ${fmtDuration(ran)}`));
  const queued = between(run.created_at, run.started_at);
  if (queued !== null) head.append(span('muted', `queued ${fmtDuration(queued)}`));
  root.append(head);

  // Errors first: they answer "why did it fail".
  const errors = Array.isArray(run.error) ? run.error : run.error ? [run.error] : [];
  if (errors.length) {
    root.append(el('div', { class: 'run-error', attrs: { role: 'alert' } },
      span('icon', '✗'),
      el('div', null, ...errors.map((/** @type {unknown} */ m) => el('div', { text: typeof m === 'string' ? m : JSON.stringify(m) })))));
  }

  // Post-run checks, failures highlighted.
  const checks = Array.isArray(run.post_run_checks) ? run.post_run_checks : null;
  if (checks) {
    const failed = checks.filter((/** @type {any} */ c) => c && runTone(c.status) === 'bad').length;
    const table = el('table', 'checks');
    table.append(el('thead', null, el('tr', null,
      el('th', { text: 'Status' }), el('th', { text: 'Check' }), el('th', { text: 'Type' }), el('th', { text: 'Result' }))));
    const tbody = el('tbody');
    for (const c of checks) {
      if (!c || typeof c !== 'object') continue;
      const tone = runTone(c.status);
      const result = el('td', 'check-result');
      if (c.error_message) result.append(el('div', { class: 'check-error', text: String(c.error_message) }));
      for (const m of Array.isArray(c.messages) ? c.messages : []) result.append(el('div', { text: String(m) }));
      const files = Array.isArray(c.matched_filenames) ? c.matched_filenames : [];
      if (files.length) result.append(el('div', 'muted', 'matched: ', ...files.map((/** @type {unknown} */ f) => span('mono file', String(f)))));
      const name = el('td', 'check-name', el('div', { text: String(c.name ?? '(unnamed)') }));
      if (c.description) name.append(el('div', { class: 'muted small', text: String(c.description) }));
      tbody.append(el('tr', { class: `check tone-${tone}` },
        el('td', null, runChip(String(c.status ?? 'unknown'))),
        name,
        el('td', { class: 'mono small', text: String(c.type ?? '') }),
        result));
    }
    table.append(tbody);
    const title = checks.length === 0 ? 'Post-run checks: none'
      : failed ? `Post-run checks: ${failed} of ${checks.length} failed` : `Post-run checks: all ${checks.length} passed`;
    root.append(section(title, checks.length ? table : null));
  }

  if (webhooks) root.append(webhooks);

  // Timings and ids.
  root.append(section('Run', facts([
    ['Status', typeof run.status === 'string' ? runChip(run.status) : null],
    ['Created', when(run.created_at)],
    ['Started', when(run.started_at)],
    ['Ended', when(run.ended_at)],
    ['Occurred', when(body.occurred_at)],
    ['Workflow', run.workflow_id ? idWithCopy(run.workflow_id) : null],
    ['Machine', run.machine_id ? idWithCopy(run.machine_id) : null],
    ['Session', run.session_id ? idWithCopy(run.session_id) : null],
    ['Session alias', run.session_alias ? String(run.session_alias) : null],
    ['Event id', body.event_id ? idWithCopy(body.event_id) : null],
  ])));

  // Output.
  if ('output_data' in run) {
    root.append(section('Output data', run.output_data === null || run.output_data === undefined
      ? el('p', { class: 'muted', text: 'null — the run produced no output data' })
      : jsonTree(run.output_data, { open: 3 })));
  }
  const outIds = Array.isArray(run.output_attachment_ids) ? run.output_attachment_ids : null;
  if (outIds) {
    root.append(section(`Output attachments (${outIds.length})`, outIds.length
      ? el('ul', 'ids', ...outIds.map((/** @type {unknown} */ id) => el('li', null, idWithCopy(id))))
      : el('p', { class: 'muted', text: 'none' })));
  }

  // Inputs; sensitive ones by name only.
  if (run.input_values && typeof run.input_values === 'object') {
    root.append(section('Input values', Object.keys(run.input_values).length ? kvTable(run.input_values) : el('p', { class: 'muted', text: 'none' })));
  }
  if (run.sensitive_input_aliases && typeof run.sensitive_input_aliases === 'object') {
    const names = Object.keys(run.sensitive_input_aliases);
    root.append(section('Sensitive inputs', names.length
      ? el('p', null, ...names.map((n) => span('chip secret', `🔒 ${n}`, 'Value kept in Cyberdesk; only the name is shown')))
      : el('p', { class: 'muted', text: 'none' })));
  }

  const usage = run.usage_metadata;
  if (usage && typeof usage === 'object') {
    const parts = Object.entries(usage).map(([k, v]) =>
      `${typeof v === 'number' ? fmtCount(v) : String(v)} ${k.replaceAll('_', ' ')}`);
    root.append(section('Usage', el('p', { class: 'muted', text: parts.join(' · ') })));
  }

  // Everything else, so nothing the sender put in is hidden.
  /** @type {Record<string, unknown>} */
  const rest = {};
  for (const [k, v] of Object.entries(run)) if (!SHOWN_RUN_KEYS.has(k) && v !== null) rest[k] = v;
  if (Object.keys(rest).length) root.append(section('Other run fields', jsonTree(rest, { open: 1 })));
  return root;
}

/**
 * A `downed_machines` event.
 * @param {any} body
 */
function renderMachines(body) {
  const root = el('div', 'run-tab');
  const machines = body.machines;
  root.append(el('div', 'run-head',
    span('run-title', 'Downed machines'),
    span(`chip tone-${machines.length ? 'bad' : 'good'}`, `${machines.length ? '✗' : '✓'} ${machines.length} down`)));
  const table = el('table', 'checks');
  table.append(el('thead', null, el('tr', null,
    el('th', { text: 'Machine' }), el('th', { text: 'Status' }), el('th', { text: 'Last seen' }), el('th', { text: 'Reason' }))));
  const tbody = el('tbody');
  for (const m of machines) {
    if (!m || typeof m !== 'object') continue;
    const status = String(m.status ?? 'unknown');
    const name = el('td', 'check-name', el('div', { text: String(m.name ?? '(unnamed)') }));
    if (m.machine_id) name.append(el('div', 'small', idWithCopy(m.machine_id)));
    tbody.append(el('tr', { class: `check tone-${status === 'connected' ? 'good' : 'bad'}` },
      name,
      el('td', null, span(`chip tone-${status === 'connected' ? 'good' : 'bad'}`, `${status === 'connected' ? '✓' : '✗'} ${status}`)),
      el('td', null, when(m.last_seen)),
      el('td', { text: String(m.reason ?? '') })));
  }
  table.append(tbody);
  root.append(section('Machines', table));
  root.append(section('Event', facts([
    ['Organization', body.organization_id ? idWithCopy(body.organization_id) : null],
    ['Occurred', when(body.occurred_at)],
    ['Event id', body.event_id ? idWithCopy(body.event_id) : null],
  ])));
  return root;
}
