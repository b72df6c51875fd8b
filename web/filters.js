// @ts-check
/**
 * The list filter: the search box and the dropdowns, kept in the page's query string so a view
 * can be shared and survives a reload (`?q=…&verification=…&type=…&path=…&run_status=…&event=12`).
 */

/**
 * @typedef {Object} Filter
 * @property {string} q free text with `type:`, `status:`, `path:`, `is:`, … terms (parsed by the server)
 * @property {string} verification valid | invalid | unsigned | unverified
 * @property {string} type exact event type
 * @property {string} path path prefix
 * @property {string} run_status exact Cyberdesk run status
 */

/** The filter keys, in the order they appear in URLs. */
export const FILTER_KEYS = /** @type {const} */ (['q', 'verification', 'type', 'path', 'run_status']);

/** @returns {Filter} a filter that keeps everything */
export function emptyFilter() {
  return { q: '', verification: '', type: '', path: '', run_status: '' };
}

/**
 * Reads the filter and the deep-linked event from the page URL.
 * @returns {{filter: Filter, eventId: number | null}}
 */
export function readUrl() {
  const params = new URLSearchParams(location.search);
  const filter = emptyFilter();
  for (const k of FILTER_KEYS) filter[k] = params.get(k) ?? '';
  const ev = Number(params.get('event'));
  return { filter, eventId: Number.isInteger(ev) && ev > 0 ? ev : null };
}

/**
 * Writes the filter and the open event into the page URL without reloading or adding history.
 * @param {Filter} filter
 * @param {number | null} eventId
 */
export function writeUrl(filter, eventId) {
  const params = new URLSearchParams();
  for (const k of FILTER_KEYS) if (filter[k]) params.set(k, filter[k]);
  if (eventId !== null) params.set('event', String(eventId));
  // The Test my endpoint view keeps its own parameter (doctor.js).
  const doctor = new URLSearchParams(location.search).get('doctor');
  if (doctor !== null) params.set('doctor', doctor);
  const search = params.toString().replace(/(^|&)doctor=(?=&|$)/, '$1doctor');
  const url = `${location.pathname}${search ? `?${search}` : ''}${location.hash}`;
  if (url !== `${location.pathname}${location.search}${location.hash}`) history.replaceState(null, '', url);
}

/**
 * The filter as API query parameters.
 * @param {Filter} filter
 */
export function toParams(filter) {
  const params = new URLSearchParams();
  for (const k of FILTER_KEYS) if (filter[k].trim()) params.set(k, filter[k].trim());
  return params;
}

/**
 * Whether the filter keeps everything.
 * @param {Filter} filter
 */
export function isEmpty(filter) {
  return FILTER_KEYS.every((k) => !filter[k].trim());
}

/**
 * Splits a search box the way the server does: whitespace-separated terms, a double-quoted run
 * is one term (quotes dropped).
 * @param {string} q
 * @returns {string[]}
 */
export function searchTerms(q) {
  const terms = [];
  let current = '';
  let quoted = false;
  for (const c of q) {
    if (c === '"') quoted = !quoted;
    else if (/\s/.test(c) && !quoted) {
      if (current) terms.push(current);
      current = '';
    } else current += c;
  }
  if (current) terms.push(current);
  return terms;
}

/**
 * Whether a live event belongs in the filtered list, judged from its summary alone: true, false,
 * or null when it cannot be told here (free words search the body; the server must say).
 * @param {any} e an event summary
 * @param {Filter} filter
 * @returns {boolean | null}
 */
export function matchLocally(e, filter) {
  /** @type {Array<[string, string]>} */
  const checks = [];
  if (filter.verification) checks.push(['is', filter.verification]);
  if (filter.type) checks.push(['type', filter.type]);
  if (filter.path) checks.push(['path', filter.path]);
  if (filter.run_status) checks.push(['status', filter.run_status]);
  let unknown = false;
  for (const term of searchTerms(filter.q)) {
    const i = term.indexOf(':');
    const key = i >= 0 ? term.slice(0, i).toLowerCase() : '';
    const value = i >= 0 ? term.slice(i + 1) : term;
    if (['type', 'status', 'run', 'path', 'method', 'source', 'is', 'verification', 'id', 'msg', 'provider', 'session'].includes(key)) {
      checks.push([key, value]);
    } else {
      unknown = true;
    }
  }
  for (const [key, value] of checks) {
    let ok = true;
    switch (key) {
      case 'type': ok = e.event_type === value; break;
      case 'status': ok = (e.run && e.run.status) === value; break;
      case 'run': ok = inRun(e, value); break;
      case 'path': ok = typeof e.path === 'string' && e.path.startsWith(value); break;
      case 'method': ok = e.method === value.toUpperCase(); break;
      case 'source': ok = e.source === value; break;
      case 'is': case 'verification':
        ok = value.toLowerCase() === 'drift' ? Array.isArray(e.drift) && e.drift.length > 0 : e.verification && e.verification.status === value;
        break;
      case 'id': case 'msg': ok = e.msg_id === value; break;
      case 'provider': ok = e.verification && e.verification.provider === value.toLowerCase(); break;
      case 'session': ok = !!(e.run && e.run.id && e.run.session_id === value); break;
    }
    if (!ok) return false;
  }
  return unknown ? null : true;
}

/**
 * Whether an event belongs to run `id`, by the server's rule (src/store/runs.rs): its `run.id`
 * is `id`, or, with no `run.id`, its message id is `id` or `id_<digits>` (a retried run's).
 * @param {any} e an event summary
 * @param {string} id
 * @returns {boolean}
 */
export function inRun(e, id) {
  const runId = e.run ? e.run.id : null;
  if (runId !== null && runId !== undefined) return runId === id;
  const m = e.msg_id;
  if (typeof m !== 'string') return false;
  return m === id || (m.startsWith(`${id}_`) && /^[0-9]+$/.test(m.slice(id.length + 1)));
}

/**
 * Binds the filter bar: fills it from `filter`, calls `onChange` with a new filter when the user
 * changes it (typing is debounced).
 * @param {HTMLFormElement} form
 * @param {Filter} filter
 * @param {(f: Filter) => void} onChange
 * @returns {{set: (f: Filter) => void, addOptions: (summaries: any[]) => void}}
 */
export function bindFilterBar(form, filter, onChange) {
  const q = /** @type {HTMLInputElement} */ (form.elements.namedItem('q'));
  /** @type {Record<string, HTMLSelectElement>} */
  const selects = {};
  for (const k of ['verification', 'type', 'path', 'run_status']) {
    selects[k] = /** @type {HTMLSelectElement} */ (form.elements.namedItem(k));
  }
  const clear = /** @type {HTMLButtonElement} */ (form.querySelector('#clear-filters'));
  /** Option values already present, per select. */
  /** @type {Record<string, Set<string>>} */
  const known = { type: new Set(), path: new Set(), run_status: new Set(), verification: new Set() };
  for (const k of Object.keys(selects)) for (const o of selects[k].options) known[k].add(o.value);

  /**
   * @param {string} k
   * @param {string} value
   */
  const ensureOption = (k, value) => {
    if (!value || known[k].has(value)) return;
    known[k].add(value);
    const opt = document.createElement('option');
    opt.value = value;
    opt.textContent = value;
    selects[k].append(opt);
  };
  ensureOption('type', 'run_complete');
  ensureOption('type', 'downed_machines');

  /** @returns {Filter} */
  const read = () => ({
    q: q.value,
    verification: selects.verification.value,
    type: selects.type.value,
    path: selects.path.value,
    run_status: selects.run_status.value,
  });

  const mark = () => {
    const f = read();
    clear.hidden = isEmpty(f);
    for (const s of Object.values(selects)) s.classList.toggle('active', s.value !== '');
  };

  /** @param {Filter} f */
  const set = (f) => {
    q.value = f.q;
    for (const k of /** @type {const} */ (['verification', 'type', 'path', 'run_status'])) {
      ensureOption(k, f[k]);
      selects[k].value = f[k];
    }
    mark();
  };

  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let typing;
  q.addEventListener('input', () => {
    clearTimeout(typing);
    typing = setTimeout(() => { mark(); onChange(read()); }, 250);
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    clearTimeout(typing);
    mark();
    onChange(read());
  });
  for (const s of Object.values(selects)) s.addEventListener('change', () => { mark(); onChange(read()); });
  clear.addEventListener('click', () => { set(emptyFilter()); onChange(read()); });

  /** @param {any[]} summaries */
  const addOptions = (summaries) => {
    for (const e of summaries) {
      if (e.event_type && known.type.size < 60) ensureOption('type', e.event_type);
      if (e.run && e.run.status && known.run_status.size < 20) ensureOption('run_status', e.run.status);
      const seg = typeof e.path === 'string' ? e.path.match(/^\/[^/?]*/) : null;
      if (seg && seg[0].length > 1 && known.path.size < 40) ensureOption('path', seg[0]);
    }
  };

  set(filter);
  return { set, addOptions };
}
