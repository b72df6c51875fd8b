// @ts-check
/**
 * The Session tab of a Cyberdesk run that names a `run.session_id`: the session's timeline from
 * `GET /api/sessions/{id}` (each run once, in the order the runs ran, with its status, duration,
 * the gap since the previous run and its failed post-run checks), where the chain stopped early,
 * whether the session was released, and the expected runs that never reported. The user pastes
 * the chain's run ids here (`PUT /api/sessions/{id}/expected`).
 */
import { el, span, button, copyButton } from './dom.js';
import { fmtDuration, fmtWhen, shortId } from './format.js';
import { runChip } from './badges.js';
import * as api from './api.js';

/**
 * @typedef {Object} FailedCheck
 * @property {string | null} name
 * @property {string | null} type
 * @property {string | null} status
 * @property {string | null} error_message
 */

/**
 * @typedef {Object} TimelineRun
 * @property {string} run_id
 * @property {number} event_id
 * @property {string | null} status
 * @property {string | null} started_at
 * @property {string | null} ended_at
 * @property {number | null} duration_ms
 * @property {FailedCheck[]} failed_checks
 * @property {boolean | null} release_session_after
 */

/**
 * @typedef {Object} Timeline `GET /api/sessions/{id}`
 * @property {string} session_id
 * @property {TimelineRun[]} runs
 * @property {string[]} [expected]
 * @property {string[]} missing
 * @property {string} [stopped_early_at]
 * @property {boolean} released
 * @property {number} runs_left_out
 */

/**
 * Run ids pasted as a JSON array, or one per line, or separated by commas or spaces.
 * @param {string} text
 * @returns {string[]}
 */
export function parseRunIds(text) {
  const t = text.trim();
  if (t.startsWith('[')) {
    try {
      const v = JSON.parse(t);
      if (Array.isArray(v)) return v.map((x) => String(x).trim()).filter(Boolean);
    } catch { /* not JSON after all: read it as a list of words */ }
  }
  return t.split(/[\s,;[\]"']+/).filter(Boolean);
}

/**
 * Milliseconds from one time to another, when both parse.
 * @param {string | null} from
 * @param {string | null} to
 */
function gap(from, to) {
  if (!from || !to) return null;
  const d = Date.parse(to) - Date.parse(from);
  return Number.isFinite(d) ? d : null;
}

/**
 * The Session tab; filled once the timeline has loaded.
 * @param {string} sessionId
 * @param {number} eventId the open event (its run is marked)
 * @param {{openEvent: (id: number) => void}} cb
 * @returns {HTMLElement}
 */
export function renderSession(sessionId, eventId, cb) {
  const root = el('div', { class: 'run-tab session-tab', attrs: { 'aria-busy': 'true' } },
    el('p', { class: 'muted', text: `Loading session ${sessionId}…` }));
  api.getSession(sessionId)
    .then((t) => fill(root, t, eventId, cb))
    .catch((err) => {
      root.removeAttribute('aria-busy');
      root.replaceChildren(el('p', { class: 'run-error', attrs: { role: 'alert' }, text: `Could not load session ${sessionId}: ${err instanceof Error ? err.message : err}` }));
    });
  return root;
}

/**
 * Draws a loaded timeline into the tab.
 * @param {HTMLElement} root
 * @param {Timeline} t
 * @param {number} eventId
 * @param {{openEvent: (id: number) => void}} cb
 */
function fill(root, t, eventId, cb) {
  root.removeAttribute('aria-busy');
  const expected = t.expected || null;
  /** The step a run is at: its place in the expected chain, else in the timeline. */
  const stepOf = (/** @type {string} */ runId, /** @type {number} */ index) => {
    const at = expected ? expected.indexOf(runId) : -1;
    return at >= 0 ? at + 1 : expected ? null : index + 1;
  };

  const head = el('div', 'run-head',
    span('run-title', 'Session'),
    el('span', 'id-copy', span('mono', t.session_id), copyButton(() => t.session_id)),
    span('muted', `${t.runs.length} run${t.runs.length === 1 ? '' : 's'} reported${expected ? ` of ${expected.length} expected` : ''}`));
  root.replaceChildren(head);

  // The two answers a user looks for first: did the chain stop early, is the session released.
  const markers = el('div', 'session-markers');
  const stopIndex = t.stopped_early_at ? t.runs.findIndex((r) => r.run_id === t.stopped_early_at) : -1;
  if (stopIndex >= 0) {
    const stop = t.runs[stopIndex];
    const step = stepOf(stop.run_id, stopIndex);
    markers.append(el('div', { class: 'session-marker tone-bad', attrs: { 'data-test': 'stopped' } },
      span('icon', '✗'),
      `Chain stopped early at step ${step ?? '?'} (${stop.status ?? 'no status'})`,
      span('muted', ' — later runs may never send a webhook')));
  } else if (t.runs.length) {
    markers.append(el('div', { class: 'session-marker tone-good', attrs: { 'data-test': 'stopped' } },
      span('icon', '✓'), 'No early stop'));
  }
  const releaser = t.runs.find((r) => r.release_session_after === true);
  markers.append(t.released && releaser
    ? el('div', { class: 'session-marker tone-good', attrs: { 'data-test': 'released' } },
      span('icon', '✓'), `Session released after run ${shortId(releaser.run_id)}`)
    : el('div', { class: 'session-marker tone-warn', attrs: { 'data-test': 'released' } },
      span('icon', '!'), 'Session not released',
      span('muted', ' — no run with release_session_after: true has reported; its local locks may still be held')));
  root.append(markers);

  // The timeline.
  const table = el('table', 'checks session-runs');
  table.append(el('thead', null, el('tr', null,
    el('th', { text: 'Step' }), el('th', { text: 'Run' }), el('th', { text: 'Status' }), el('th', { text: 'Started' }),
    el('th', { text: 'Duration' }), el('th', { text: 'Gap since previous' }), el('th', { text: 'Failed checks' }))));
  const body = el('tbody');
  t.runs.forEach((r, i) => {
    const prev = i > 0 ? t.runs[i - 1] : null;
    const wait = prev ? gap(prev.ended_at, r.started_at) : null;
    const step = stepOf(r.run_id, i);
    const open = button(shortId(r.run_id, 13), () => cb.openEvent(r.event_id), 'link-button mono', `Open event #${r.event_id} (run ${r.run_id})`);
    const runCell = el('td', null, open);
    if (r.event_id === eventId) runCell.append(span('chip this-run', 'this event'));
    if (r.release_session_after === true) runCell.append(span('chip tone-good', 'releases session'));
    const checks = el('td', 'check-result');
    for (const c of r.failed_checks) {
      checks.append(el('div', { class: 'check-error', text: `✗ ${c.name ?? c.type ?? 'check'}${c.error_message ? ` — ${c.error_message}` : ''}` }));
    }
    const stopped = r.run_id === t.stopped_early_at;
    const row = el('tr', { class: `check session-run${stopped ? ' tone-bad' : ''}`, data: { run: r.run_id } },
      el('td', { text: step === null ? 'not expected' : String(step) }),
      runCell,
      el('td', null, r.status ? runChip(r.status) : span('muted', 'no status'), stopped ? span('stop-here', 'chain stopped here') : null),
      el('td', { class: 'mono small', text: fmtWhen(r.started_at) || '—' }),
      el('td', { text: r.duration_ms === null ? '—' : fmtDuration(r.duration_ms) }),
      el('td', { text: wait === null ? '—' : wait < 0 ? `overlaps by ${fmtDuration(-wait)}` : fmtDuration(wait) }),
      checks);
    body.append(row);
  });
  table.append(body);
  root.append(el('section', 'run-section', el('h3', { text: 'Timeline' }),
    t.runs.length ? table : el('p', { class: 'muted', text: 'No run of this session has reported yet.' }),
    t.runs_left_out ? el('p', { class: 'note', text: `${t.runs_left_out} more runs are not shown (a timeline shows at most ${t.runs.length}).` }) : null));

  // What the user said should have run, and did not report.
  if (expected) {
    const missing = el('section', { class: 'run-section session-missing', attrs: { 'data-test': 'missing' } },
      el('h3', { text: `Never reported (${t.missing.length})` }));
    if (t.missing.length) {
      missing.append(el('ul', 'ids', ...t.missing.map((id) =>
        el('li', null, span('muted', `step ${expected.indexOf(id) + 1} `), span('mono', id), copyButton(() => id)))));
    } else {
      missing.append(el('p', { class: 'muted', text: 'Every expected run reported.' }));
    }
    root.append(missing);
  }
  root.append(expectedForm(t, (next) => fill(root, next, eventId, cb)));
}

/**
 * The field where the user pastes the expected chain.
 * @param {Timeline} t
 * @param {(next: Timeline) => void} redraw
 */
function expectedForm(t, redraw) {
  const area = el('textarea', {
    class: 'mono session-expected',
    attrs: { rows: '4', spellcheck: 'false', 'aria-label': 'Expected run ids, in step order', placeholder: 'Paste the run ids client.runs.chain(...) returned, in step order: one per line, or a JSON array' },
  });
  area.value = (t.expected || []).join('\n');
  const error = el('p', { class: 'run-error', attrs: { role: 'alert' } });
  error.hidden = true;
  const save = async (/** @type {string[]} */ ids) => {
    error.hidden = true;
    try {
      redraw(await api.setSessionExpected(t.session_id, ids));
    } catch (err) {
      error.textContent = err instanceof Error ? err.message : String(err);
      error.hidden = false;
    }
  };
  const saveButton = button('Save expected chain', () => save(parseRunIds(area.value)), 'btn primary save-expected',
    'Store these run ids as the chain this session should run; runs that never report are then listed');
  const clear = t.expected ? button('Forget it', () => save([]), 'btn', 'Forget the expected chain') : null;
  return el('section', 'run-section',
    el('h3', { text: 'Expected chain' }),
    el('p', { class: 'muted', text: 'The run ids in step order. hookpit then lists the runs that never reported, and judges an early stop against the chain\'s last step.' }),
    area, el('div', 'session-actions', saveButton, clear), error);
}
