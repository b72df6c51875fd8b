// @ts-check
/**
 * The "Test my endpoint" view (`hookpit doctor` in the browser): the form and the past runs on
 * the left, the open run on the right, following `doctor.progress` frames live. A run's frames
 * can arrive before `POST /api/doctor` answers with its id, so frames of runs the page does not
 * show yet are kept a little while; after a `resync` or a reconnect the open run is fetched
 * again. `?doctor` (or `?doctor=12` for a run) in the URL opens the view.
 */
import { el, span, copyButton } from './dom.js';
import { fmtDuration, fmtRelative } from './format.js';
import * as api from './api.js';
import { fromRun, merge, applyFrame, tally } from './doctor-run.js';
import { RunReport } from './doctor-report.js';
import { DoctorForm } from './doctor-form.js';

/** How long frames of a run the page does not show are kept, in ms. */
const BUFFER_MS = 15000;
/** How often the past runs' ages are redrawn, in ms. */
const AGES_EVERY_MS = 30000;
/** The URL parameter that opens the view. */
const PARAM = 'doctor';

/**
 * @typedef {import('./doctor-run.js').RunModel} RunModel
 * @typedef {Object} PanelCallbacks
 * @property {(text: string, kind?: 'info'|'error'|'good') => void} toast
 * @property {(open: boolean) => void} onToggle the view opened or closed
 */

/**
 * Writes the view's state into the page URL, keeping the rest of it.
 * @param {string | null} value null: the view is closed
 */
function writeParam(value) {
  const params = new URLSearchParams(location.search);
  if (value === null) params.delete(PARAM); else params.set(PARAM, value);
  const search = params.toString().replace(/(^|&)doctor=(?=&|$)/, '$1doctor');
  history.replaceState(null, '', `${location.pathname}${search ? `?${search}` : ''}${location.hash}`);
}

/**
 * What the URL asks of the view: closed (null), open (0), or open on a run.
 * @returns {number | null}
 */
export function doctorParam() {
  const v = new URLSearchParams(location.search).get(PARAM);
  if (v === null) return null;
  const id = Number(v);
  return Number.isInteger(id) && id > 0 ? id : 0;
}

export class DoctorPanel {
  /**
   * @param {HTMLElement} root
   * @param {PanelCallbacks} cb
   */
  constructor(root, cb) {
    this.root = root;
    this.cb = cb;
    this.isOpen = false;
    /** @type {RunModel | null} */
    this.model = null;
    /** @type {Map<number, {at: number, frames: any[]}>} */
    this.buffer = new Map();
    /** Stored runs, newest first; null until loaded. @type {any[] | null} */
    this.runs = null;
    this.seq = 0;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.listTimer = undefined;
    this.form = new DoctorForm((body) => this.start(body));
    this.main = el('div', { class: 'dr-main', attrs: { tabindex: '-1' } });
    this.reportRoot = el('div', 'dr-report');
    this.report = new RunReport(this.reportRoot, {
      runAgain: (m) => { this.form.fill(m.target, m.planned); this.form.run(); },
    });
    this.pastList = el('div', 'dr-past-list');
    const side = el('aside', 'dr-side',
      el('div', 'dr-side-head',
        el('h2', { text: 'Test my endpoint' }),
        el('button', { class: 'link-button', text: '← events', title: 'Back to the events (Esc)', attrs: { type: 'button' }, on: { click: () => this.close() } })),
      el('p', { class: 'muted dr-lede', text: 'Sends your app the deliveries Svix will make, and the forgeries it must refuse, then says what it gets wrong.' }),
      this.form.root,
      el('section', 'dr-past', el('h3', { text: 'Past runs' }), this.pastList));
    this.root.replaceChildren(side, this.main);
    this.placeholder();
    // "3 min ago" in the past runs keeps up while the view is open.
    setInterval(() => { if (this.isOpen && !document.hidden) this.drawRuns(); }, AGES_EVERY_MS);
  }

  /** The right side before any run is open. */
  placeholder() {
    const cli = 'hookpit doctor --to http://localhost:3000/webhooks --secret whsec_…';
    this.main.replaceChildren(el('div', 'dr-intro',
      el('h2', { text: 'Will your app take Cyberdesk webhooks the way Svix delivers them?' }),
      el('p', { text: 'hookpit sends your endpoint a valid run_complete in every run status, pretty-printed and non-ASCII bodies, a 1 MiB body, a repeated svix-id and a key rotation, which it must acknowledge; and tampered, unsigned, wrongly signed and stale ones, which it must refuse. Each scenario passes or fails the way Svix judges the answer, and every mistake comes with its likely cause and the fix.' }),
      el('p', { class: 'muted', text: 'The same from a terminal or CI (add --json for a report):' }),
      el('div', 'capture-box', el('code', { class: 'mono', text: cli }), copyButton(() => cli))));
  }

  /**
   * Opens the view, on a run when given.
   * @param {{runId?: number | null, focus?: boolean}} [opts]
   */
  open(opts = {}) {
    const was = this.isOpen;
    this.isOpen = true;
    this.root.hidden = false;
    document.body.classList.add('doctor-open');
    if (opts.runId) this.openRun(opts.runId);
    else writeParam(this.model ? String(this.model.id) : '');
    if (!was) {
      this.loadRuns();
      this.cb.onToggle(true);
    }
    if (opts.focus !== false) {
      if (this.model && !opts.runId) this.main.focus();
      else this.form.focus();
    }
  }

  /** Closes the view (a run in progress goes on, and its end is announced). */
  close() {
    if (!this.isOpen) return;
    this.isOpen = false;
    this.root.hidden = true;
    document.body.classList.remove('doctor-open');
    writeParam(null);
    this.cb.onToggle(false);
  }

  /**
   * Starts a run from the form; throws the server's refusal for the form to show.
   * @param {import('./doctor-form.js').DoctorRequest} body
   */
  async start(body) {
    const run = await api.startDoctor(body);
    this.seq++;
    this.show(fromRun(run));
    if (this.runs && !this.runs.some((r) => r.id === run.id)) this.runs.unshift(run);
    this.drawRuns();
    this.main.focus();
  }

  /**
   * Opens a stored run.
   * @param {number} id
   */
  async openRun(id) {
    const seq = ++this.seq;
    if (this.isOpen) writeParam(String(id));
    if (!this.model || this.model.id !== id) {
      this.main.replaceChildren(el('p', { class: 'muted dr-loading', text: `Loading run #${id}…` }));
    }
    let run;
    try {
      run = await api.doctorRun(id);
    } catch (err) {
      if (seq !== this.seq) return;
      const gone = err instanceof api.ApiError && err.status === 404;
      this.model = null;
      this.main.replaceChildren(el('p', { class: 'muted dr-loading', text: gone ? `Run #${id} does not exist (any more).` : `Could not load run #${id}: ${err instanceof Error ? err.message : err}` }));
      this.drawRuns();
      return;
    }
    if (seq !== this.seq) return;
    if (this.model && this.model.id === id) {
      merge(this.model, run);
      this.report.update();
    } else {
      this.show(fromRun(run));
    }
  }

  /**
   * Shows a run, with the frames that arrived for it before.
   * @param {RunModel} m
   */
  show(m) {
    this.model = m;
    const early = this.buffer.get(m.id);
    this.buffer.delete(m.id);
    for (const f of early ? early.frames : []) applyFrame(m, f);
    this.report.show(m);
    this.main.replaceChildren(this.reportRoot);
    this.main.scrollTop = 0;
    if (this.isOpen) writeParam(String(m.id));
    this.drawRuns();
  }

  /**
   * A `doctor.progress` frame from the live stream.
   * @param {any} f
   */
  onFrame(f) {
    const id = Number(f && f.run_id);
    if (!Number.isInteger(id)) return;
    this.noteInList(id, f);
    const m = this.model;
    if (m && m.id === id) {
      const wasRunning = m.state === 'running';
      applyFrame(m, f);
      this.report.update();
      if (wasRunning && m.state !== 'running') {
        if (!this.isOpen) this.announce(m);
        // A result that never came (a frame lost without a resync) is in the store.
        if (tally(m).done < m.planned.length && m.state === 'done') this.openRun(m.id);
      }
      return;
    }
    const now = Date.now();
    for (const [k, v] of this.buffer) if (now - v.at > BUFFER_MS) this.buffer.delete(k);
    const kept = this.buffer.get(id) || { at: now, frames: [] };
    kept.frames.push(f);
    this.buffer.set(id, kept);
  }

  /**
   * Says that the open run ended while the view was closed.
   * @param {RunModel} m
   */
  announce(m) {
    const fails = m.counts ? m.counts.fail : 0;
    if (m.state === 'interrupted') this.cb.toast(`Endpoint test #${m.id} was interrupted`, 'error');
    else if (fails) this.cb.toast(`Endpoint test: ${fails} scenario${fails === 1 ? '' : 's'} failed (press t to see why)`, 'error');
    else this.cb.toast('Endpoint test passed', 'good');
  }

  /** After an outage or a `resync`: fetch the open run and the list again. */
  resync() {
    if (this.model) this.openRun(this.model.id);
    if (this.runs) this.loadRunsSoon();
  }

  /** Loads the past runs. */
  async loadRuns() {
    try {
      const r = await api.doctorRuns();
      this.runs = Array.isArray(r.runs) ? r.runs : [];
    } catch {
      if (!this.runs) this.runs = [];
    }
    this.drawRuns();
  }

  /** Loads the past runs soon (coalesces bursts). */
  loadRunsSoon() {
    clearTimeout(this.listTimer);
    this.listTimer = setTimeout(() => this.loadRuns(), 300);
  }

  /**
   * Keeps a past run's line current from a frame.
   * @param {number} id
   * @param {any} f
   */
  noteInList(id, f) {
    if (!this.runs) return;
    const r = this.runs.find((x) => x.id === id);
    if (!r) {
      if (f.phase === 'started') this.loadRunsSoon();
      return;
    }
    if (f.phase === 'result') r.done = Math.max(r.done || 0, f.index + 1);
    else if (f.phase === 'finished' && r.state === 'running') Object.assign(r, { state: 'done', ok: f.ok, counts: f.counts, duration_ms: f.duration_ms, done: r.total });
    else if (f.phase === 'interrupted') r.state = 'interrupted';
    else return;
    this.drawRuns();
  }

  /** Draws the past runs. */
  drawRuns() {
    if (!this.runs) return;
    if (!this.runs.length) {
      this.pastList.replaceChildren(el('p', { class: 'muted small', text: 'None yet.' }));
      return;
    }
    const focused = /** @type {HTMLElement | null} */ (this.pastList.querySelector('.dr-past-item:focus'));
    this.pastList.replaceChildren(...this.runs.map((r) => {
      const item = el('button', {
        class: `dr-past-item${this.model && this.model.id === r.id ? ' selected' : ''}`,
        attrs: { type: 'button' }, data: { run: String(r.id) }, title: `Open run #${r.id}`,
      },
      el('span', 'l1', runChip(r), span('mono target', r.target)),
      el('span', 'l2 muted', `#${r.id} · ${fmtRelative(Date.parse(r.started_at))}${typeof r.duration_ms === 'number' ? ` · ${fmtDuration(r.duration_ms)}` : ''}`));
      item.addEventListener('click', () => this.openRun(r.id));
      return item;
    }));
    if (focused) /** @type {HTMLElement | null} */ (this.pastList.querySelector(`[data-run="${focused.dataset.run}"]`))?.focus();
  }

  /**
   * j/k in the view: the next or previous scenario.
   * @param {number} delta
   */
  move(delta) {
    if (this.model) this.report.move(delta);
  }
}

/**
 * A stored run's state in a chip: … 7/18, ✓ passed, ! 2 warn, ✗ 2 failed, ⊘ interrupted.
 * @param {any} r Run
 */
function runChip(r) {
  /** @type {[string, string, string]} */
  let v;
  if (r.state === 'running') v = ['busy', '…', `${r.done || 0}/${r.total}`];
  else if (r.state === 'interrupted') v = ['grey', '⊘', 'interrupted'];
  else if (r.counts && r.counts.fail) v = ['bad', '✗', `${r.counts.fail} failed`];
  else if (r.counts && r.counts.warn) v = ['pending', '!', `${r.counts.warn} warn`];
  else v = ['good', '✓', 'passed'];
  return el('span', { class: `chip tone-${v[0]}` }, span('icon', v[1]), v[2]);
}
