// @ts-check
/**
 * A doctor run drawn like `hookpit doctor` prints it: a verdict line and progress, one row per
 * scenario (PASS/FAIL/WARN/INFO, name, expected and actual status, latency, what it sent and
 * what went wrong) that opens to its deliveries, then the diagnoses as cards (title, scenarios,
 * cause, fix). `update` redraws only the rows that changed, so open rows stay open mid-run.
 */
import { el, span, button, copyButton } from './dom.js';
import { fmtAbsolute, fmtDuration, fmtRelative } from './format.js';
import { outcomeChip, outcomeTone } from './badges.js';
import { tally } from './doctor-run.js';
import { renderExchanges } from './doctor-exchange.js';
import { SCENARIOS } from './doctor-scenarios.js';

/**
 * @typedef {import('./doctor-run.js').RunModel} RunModel
 * @typedef {{runAgain: (m: RunModel) => void}} ReportContext
 */

/** Column headings of the scenario table. */
const COLUMNS = ['', 'result', 'scenario', 'expects', 'got', 'time', 'what was sent'];

export class RunReport {
  /**
   * @param {HTMLElement} root
   * @param {ReportContext} ctx
   */
  constructor(root, ctx) {
    this.root = root;
    this.ctx = ctx;
    /** @type {RunModel | null} */
    this.model = null;
    this.head = el('header', 'dr-head');
    this.rows = el('div', { class: 'dr-rows', attrs: { role: 'list', 'aria-label': 'Scenarios' } });
    this.diag = el('section', { class: 'dr-diagnoses', attrs: { 'aria-label': 'Diagnoses' } });
    /** Drawn rows by index, with the key of what they show. @type {Array<{node: HTMLElement, key: string} | undefined>} */
    this.drawn = [];
    /** Names of the rows the user opened. @type {Set<string>} */
    this.expanded = new Set();
    /** The diagnoses drawn, and the run state they were drawn for. @type {[any[] | null, string] | null} */
    this.drawnDiagnoses = null;
  }

  /**
   * Shows a run from scratch.
   * @param {RunModel} m
   */
  show(m) {
    const same = this.model && this.model.id === m.id;
    this.model = m;
    this.drawn = [];
    if (!same) this.expanded.clear();
    this.drawnDiagnoses = null;
    this.rows.replaceChildren();
    const table = el('div', 'dr-table',
      el('div', { class: 'dr-cols', attrs: { 'aria-hidden': 'true' } }, ...COLUMNS.map((c) => span('', c))),
      this.rows);
    const body = el('div', 'dr-body',
      el('section', 'run-section', el('h3', { text: 'Scenarios' }), table),
      this.diag);
    this.root.replaceChildren(this.head, body);
    this.update();
  }

  /** Redraws what changed in the model. */
  update() {
    const m = this.model;
    if (!m) return;
    this.root.dataset.state = m.state;
    this.root.dataset.run = String(m.id);
    this.drawHead(m);
    m.planned.forEach((name, i) => {
      const result = m.results[i];
      const phase = result ? 'result' : m.running === i ? 'running' : m.state === 'running' ? 'waiting' : 'skipped';
      const key = result ? `${result.outcome}|${result.status}|${result.latency_ms}|${result.exchanges?.length}|${result.detail}` : `${phase}|${name}`;
      const old = this.drawn[i];
      if (old && old.key === key) return;
      const node = this.row(m, i, name, result, phase);
      const hadFocus = !!old && old.node.contains(document.activeElement);
      if (old) old.node.replaceWith(node); else this.rows.append(node);
      if (hadFocus) /** @type {HTMLElement | null} */ (node.querySelector('.dr-line'))?.focus({ preventScroll: true });
      this.drawn[i] = { node, key };
    });
    const drawn = this.drawnDiagnoses;
    if (!drawn || drawn[0] !== m.diagnoses || drawn[1] !== m.state) {
      this.drawnDiagnoses = [m.diagnoses, m.state];
      this.drawDiagnoses(m);
    }
  }

  /**
   * The header: target, facts, the verdict line, progress and counts.
   * @param {RunModel} m
   */
  drawHead(m) {
    const c = tally(m);
    const total = m.planned.length;
    const title = el('div', 'd-title',
      span('muted', 'Test of'), span('path mono', m.target, m.target), copyButton(() => m.target, 'copy', 'Copy the URL'),
      span('muted id', `run #${m.id}`));
    const started = new Date(m.started_at);
    const meta = [
      `started ${fmtAbsolute(started)} (${fmtRelative(started.getTime())})`,
      m.duration_ms !== null ? `took ${fmtDuration(m.duration_ms)}` : null,
      `${total} scenario${total === 1 ? '' : 's'}`,
    ].filter(Boolean).join(' · ');
    /** @type {[string, string, string]} tone, icon, sentence */
    let verdict;
    if (m.state === 'running') {
      const now = m.running !== null ? m.planned[m.running] : '';
      verdict = ['busy', '…', `Running ${Math.min(c.done + 1, total)} of ${total}${now ? `: ${now}` : ''}`];
    } else if (m.state === 'interrupted') {
      verdict = ['grey', '⊘', `Interrupted: hookpit stopped before the run ended; ${c.done} of ${total} scenarios ran.`];
    } else if (m.ok === false || c.fail > 0) {
      const problems = (m.diagnoses || []).length;
      verdict = ['bad', '✗', `${c.fail} of ${total} scenarios failed${problems ? ` — ${problems} ${problems === 1 ? 'problem' : 'problems'} to fix` : ''}.`];
    } else if (c.warn > 0) {
      verdict = ['pending', '!', `Nothing failed, but ${c.warn} ${c.warn === 1 ? 'scenario warns' : 'scenarios warn'}.`];
    } else {
      verdict = ['good', '✓', 'The endpoint handles deliveries the way Svix needs.'];
    }
    const line = el('div', { class: `dr-verdict tone-${verdict[0]}`, attrs: { role: 'status' } }, span('icon', verdict[1]), span('sentence', verdict[2]));
    if (m.state === 'done' && (m.diagnoses || []).length) {
      line.append(button('see the diagnosis ↓', () => this.diag.scrollIntoView({ block: 'start', behavior: 'smooth' }), 'link-button dr-jump'));
    }
    const counts = el('div', 'dr-counts');
    for (const [o, n, word] of /** @type {Array<[string, number, string]>} */ ([
      ['fail', c.fail, 'failed'], ['warn', c.warn, c.warn === 1 ? 'warning' : 'warnings'], ['pass', c.pass, 'passed'], ['info', c.info, 'info']])) {
      if (n) counts.append(el('span', { class: `dr-count tone-${outcomeTone(o)}` }, span('n', String(n)), ` ${word}`));
    }
    if (m.state === 'running') {
      counts.prepend(el('progress', { class: 'dr-progress', attrs: { max: String(total || 1), value: String(c.done), 'aria-label': `${c.done} of ${total} scenarios done` } }));
    }
    const again = button('Run again', () => this.ctx.runAgain(m), 'btn small', 'Run the same scenarios against this URL again (with the secret in the form)');
    again.disabled = m.state === 'running';
    counts.append(span('grow', ''), again);
    this.head.replaceChildren(title, el('div', 'd-meta', span('', meta)), line, counts);
  }

  /**
   * One scenario row: a button line that opens to the deliveries.
   * @param {RunModel} m
   * @param {number} i
   * @param {string} name
   * @param {any} r its result, when it ended
   * @param {string} phase result | running | waiting | skipped
   */
  row(m, i, name, r, phase) {
    const known = SCENARIOS.find((s) => s.name === name);
    const expect = r ? r.expect : known?.expect || '';
    let verdict;
    if (r) verdict = outcomeChip(r.outcome);
    else if (phase === 'running') verdict = el('span', { class: 'chip outcome tone-busy' }, el('span', { class: 'icon spin', text: '◌' }), 'RUN');
    else verdict = el('span', { class: 'chip outcome tone-quiet' }, el('span', { class: 'icon', text: '·' }), phase === 'skipped' ? 'NOT RUN' : 'WAIT');
    const what = el('span', 'dr-what', span('dr-title', r ? r.title : known?.title || ''));
    if (r && r.detail) what.append(span('dr-sep', ': '), span(`dr-detail tone-${outcomeTone(r.outcome)}`, r.detail));
    const line = el('button', {
      class: 'dr-line',
      attrs: { type: 'button', 'aria-expanded': 'false', ...(r ? {} : { disabled: '' }) },
      title: r ? 'Show the requests and answers' : '',
    },
    span('dr-caret', r ? '▸' : ''),
    verdict,
    span('dr-name mono', name),
    span('dr-expect mono muted', expect),
    span('dr-status mono', r ? (typeof r.status === 'number' ? String(r.status) : '---') : ''),
    span('dr-latency', r ? fmtDuration(r.latency_ms) : ''),
    what);
    const node = el('div', { class: `dr-row phase-${phase}${r ? ` tone-${outcomeTone(r.outcome)}` : ''}`, attrs: { role: 'listitem' }, data: { name, index: String(i), outcome: r ? r.outcome : phase } }, line);
    if (r) {
      line.addEventListener('click', () => this.toggle(node, m, r));
      if (this.expanded.has(name)) this.open(node, m, r);
    }
    return node;
  }

  /**
   * Opens or closes a row.
   * @param {HTMLElement} node
   * @param {RunModel} m
   * @param {any} r
   */
  toggle(node, m, r) {
    const body = node.querySelector('.dx-list');
    if (body) {
      body.remove();
      node.classList.remove('open');
      node.querySelector('.dr-line')?.setAttribute('aria-expanded', 'false');
      this.expanded.delete(r.name);
    } else {
      this.open(node, m, r);
    }
  }

  /**
   * Opens a row.
   * @param {HTMLElement} node
   * @param {RunModel} m
   * @param {any} r
   */
  open(node, m, r) {
    if (node.querySelector('.dx-list')) return;
    node.append(renderExchanges(m.id, r));
    node.classList.add('open');
    node.querySelector('.dr-line')?.setAttribute('aria-expanded', 'true');
    this.expanded.add(r.name);
  }

  /**
   * Opens a scenario's row and scrolls to it (from a diagnosis).
   * @param {string} name
   */
  reveal(name) {
    const m = this.model;
    const node = /** @type {HTMLElement | null} */ (this.rows.querySelector(`.dr-row[data-name="${CSS.escape(name)}"]`));
    if (!m || !node) return;
    const r = m.results[Number(node.dataset.index)];
    if (r) this.open(node, m, r);
    node.scrollIntoView({ block: 'start', behavior: 'smooth' });
    /** @type {HTMLElement | null} */ (node.querySelector('.dr-line'))?.focus({ preventScroll: true });
  }

  /**
   * The diagnoses, or why there are none (yet).
   * @param {RunModel} m
   */
  drawDiagnoses(m) {
    const h = el('h3', { text: 'Diagnoses' });
    if (m.state === 'running') {
      this.diag.replaceChildren(h, el('p', { class: 'muted', text: 'What the app gets wrong, and how to fix it, appears here when the run ends.' }));
      return;
    }
    const list = m.diagnoses || [];
    if (!list.length) {
      const clean = m.state === 'done' && m.ok !== false;
      this.diag.replaceChildren(h, el('p', { class: clean ? 'dr-clean' : 'muted', text: clean
        ? '✓ No problems found.'
        : m.state === 'interrupted' ? 'The run did not end, so there is no diagnosis.' : 'No diagnosis explains the failures; open their rows to see the answers.' }));
      return;
    }
    this.diag.replaceChildren(h, ...list.map((d) => this.card(d)));
  }

  /**
   * One diagnosis card.
   * @param {any} d `{code, severity, scenarios, title, cause, fix}`
   */
  card(d) {
    const names = el('div', 'dg-scenarios', span('dg-label', 'Scenarios'));
    for (const n of d.scenarios || []) {
      names.append(button(String(n), () => this.reveal(String(n)), 'link-button mono', 'Show this scenario\'s requests and answers'));
    }
    return el('article', { class: `diagnosis tone-${outcomeTone(d.severity)}`, data: { code: String(d.code) } },
      el('div', 'dg-head', outcomeChip(d.severity), el('h4', { class: 'dg-title', text: d.title })),
      names,
      el('div', 'dg-part', span('dg-label', 'Cause'), el('p', { text: d.cause })),
      el('div', 'dg-part dg-fix', span('dg-label', 'Fix'), el('p', { text: d.fix })));
  }

  /**
   * Moves the focus to the next or previous scenario row (j/k).
   * @param {number} delta
   */
  move(delta) {
    const lines = /** @type {HTMLElement[]} */ ([...this.rows.querySelectorAll('.dr-line:not([disabled])')]);
    if (!lines.length) return;
    const i = lines.indexOf(/** @type {HTMLElement} */ (document.activeElement));
    const next = lines[i < 0 ? (delta > 0 ? 0 : lines.length - 1) : Math.max(0, Math.min(lines.length - 1, i + delta))];
    next.focus();
    next.scrollIntoView({ block: 'nearest' });
  }
}
