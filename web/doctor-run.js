// @ts-check
/**
 * One doctor run as the page knows it: built from a stored Run (`POST /api/doctor`,
 * `GET /api/doctor/runs/{id}`) and moved on by `doctor.progress` frames. Frames and refetches may
 * arrive in any order and overlap; applying either twice changes nothing, and a run that ended
 * never goes back to running.
 */

/**
 * @typedef {'running'|'done'|'interrupted'} RunState
 * @typedef {{pass: number, warn: number, fail: number, info: number}} Counts
 */

/**
 * @typedef {Object} RunModel
 * @property {number} id
 * @property {string} target the URL tested
 * @property {string} started_at RFC 3339
 * @property {string | null} finished_at
 * @property {RunState} state
 * @property {string[]} planned scenario names, in order
 * @property {any[]} results ScenarioResult by index (holes until they arrive)
 * @property {number | null} running index of the scenario being delivered
 * @property {Counts | null} counts the stored summary's, once finished
 * @property {boolean | null} ok whether nothing failed, once finished
 * @property {number | null} duration_ms once finished
 * @property {any[] | null} diagnoses once finished
 */

/**
 * A model from a Run, with or without its detail (`planned`, `scenarios`, `diagnoses`).
 * @param {any} run
 * @returns {RunModel}
 */
export function fromRun(run) {
  /** @type {RunModel} */
  const m = {
    id: run.id,
    target: String(run.target || ''),
    started_at: run.started_at,
    finished_at: null,
    state: 'running',
    planned: [],
    results: [],
    running: null,
    counts: null,
    ok: null,
    duration_ms: null,
    diagnoses: null,
  };
  merge(m, run);
  return m;
}

/**
 * Merges a fetched Run (maybe older than frames already applied) into the model.
 * @param {RunModel} m
 * @param {any} run
 */
export function merge(m, run) {
  if (Array.isArray(run.planned) && run.planned.length >= m.planned.length) m.planned = run.planned.map(String);
  if (Array.isArray(run.scenarios)) {
    run.scenarios.forEach((/** @type {any} */ r, /** @type {number} */ i) => { if (r && !m.results[i]) m.results[i] = r; });
  }
  // A Run without `planned` still says how many scenarios there are.
  for (let i = m.planned.length; i < (run.total || 0); i++) m.planned[i] = m.results[i]?.name || '';
  if (m.state === 'running' && run.state !== 'running') {
    m.state = run.state;
    m.finished_at = run.finished_at ?? null;
    m.counts = run.counts ?? null;
    m.ok = typeof run.ok === 'boolean' ? run.ok : null;
    m.duration_ms = typeof run.duration_ms === 'number' ? run.duration_ms : null;
    if (Array.isArray(run.diagnoses)) m.diagnoses = run.diagnoses;
  } else if (m.state !== 'running' && !m.diagnoses && Array.isArray(run.diagnoses)) {
    m.diagnoses = run.diagnoses;
    m.finished_at ??= run.finished_at ?? null;
  }
  if (m.state !== 'running') m.running = null;
  else if (m.running === null) {
    // Scenarios run one after the other: the first without a result is the one in flight.
    const next = firstMissing(m);
    m.running = next < m.planned.length ? next : null;
  }
}

/**
 * Applies one `doctor.progress` frame of this run.
 * @param {RunModel} m
 * @param {any} f `{run_id, phase, …}`
 */
export function applyFrame(m, f) {
  switch (f.phase) {
    case 'started':
      if (Array.isArray(f.scenarios) && f.scenarios.length >= m.planned.length) m.planned = f.scenarios.map(String);
      if (f.target) m.target = String(f.target);
      break;
    case 'running':
      if (m.state !== 'running') break;
      grow(m, f.total);
      if (!m.planned[f.index]) m.planned[f.index] = String(f.name);
      if (!m.results[f.index]) m.running = f.index;
      break;
    case 'result':
      grow(m, f.total);
      m.results[f.index] = f.result;
      if (!m.planned[f.index] && f.result) m.planned[f.index] = String(f.result.name);
      if (m.running === f.index) m.running = null;
      break;
    case 'finished':
      if (m.state !== 'running') break;
      m.state = 'done';
      m.ok = !!f.ok;
      m.counts = f.counts ?? null;
      m.duration_ms = typeof f.duration_ms === 'number' ? f.duration_ms : null;
      m.diagnoses = Array.isArray(f.diagnoses) ? f.diagnoses : [];
      m.finished_at = new Date().toISOString();
      m.running = null;
      break;
    case 'interrupted':
      if (m.state !== 'running') break;
      m.state = 'interrupted';
      m.finished_at = new Date().toISOString();
      m.running = null;
      break;
  }
}

/**
 * Makes room for `total` scenarios.
 * @param {RunModel} m
 * @param {unknown} total
 */
function grow(m, total) {
  const n = typeof total === 'number' ? total : 0;
  for (let i = m.planned.length; i < n; i++) m.planned[i] = '';
}

/**
 * The index of the first scenario without a result.
 * @param {RunModel} m
 */
function firstMissing(m) {
  let i = 0;
  while (m.results[i]) i++;
  return i;
}

/**
 * How many scenarios ended, and each way (from the results, so it is right mid-run too).
 * @param {RunModel} m
 * @returns {Counts & {done: number}}
 */
export function tally(m) {
  const c = { pass: 0, warn: 0, fail: 0, info: 0, done: 0 };
  for (const r of m.results) {
    if (!r) continue;
    c.done++;
    const o = /** @type {'pass'|'warn'|'fail'|'info'} */ (r.outcome);
    if (o in c) c[o]++;
  }
  return c;
}
