// @ts-check
/**
 * The selected event: a header line, the verdict sentence, the actions (Replay ▾, Copy as curl ▾,
 * Raw, Export, Delete) and the tabs Run, Session (a run of a session), Body, Headers, Verification,
 * Attempts and Transform. The tab that
 * answers the obvious question opens first: Verification when a signed webhook did not verify,
 * Run for Cyberdesk events, Body otherwise. Tabs are built when first shown.
 */
import { el, span, button, copyText, flashCopied } from './dom.js';
import { fmtBytes, fmtAbsolute } from './format.js';
import { splitButton } from './menu.js';
import { openDialog } from './dialog.js';
import { parseJson, stringify } from './json.js';
import { renderBody } from './body.js';
import { renderRun, cyberdeskKind } from './run.js';
import { runWebhooks } from './run-webhooks.js';
import { renderSession } from './session.js';
import { renderHeaders } from './headers.js';
import { renderVerification } from './verification.js';
import { renderAttempts } from './attempts.js';
import * as api from './api.js';
import { askCompare } from './compare.js';
import { driftNote } from './drift.js';
import { renderTransform } from './transform.js';

/** Bodies larger than this are not parsed just to find out whether they are a Cyberdesk run. */
const RUN_SNIFF_LIMIT = 8 * 1024 * 1024;

/**
 * @typedef {Object} DetailCallbacks
 * @property {(text: string, kind?: 'info'|'error'|'good') => void} toast
 * @property {(id: number) => void} openEvent select another event
 * @property {(id: number) => void} deleted an event was deleted from here
 */

/** @typedef {'run'|'session'|'body'|'headers'|'verification'|'attempts'|'transform'} TabName */

/**
 * @typedef {Object} EventDetail `GET /api/events/{id}`: the list line's fields and everything stored
 * @property {number} id
 * @property {string} received_at
 * @property {string} method
 * @property {string} path
 * @property {string} query
 * @property {string} source
 * @property {string | null} content_type
 * @property {number} size
 * @property {string | null} msg_id
 * @property {string | null} event_type
 * @property {number | null} duplicate_of
 * @property {{id?: string | null, status?: string | null, session_id?: string | null, release_session_after?: boolean | null} | null} run
 * @property {Array<[string, string]>} headers
 * @property {number[]} headers_non_utf8
 * @property {{encoding: string, data: string}} body
 * @property {{status: string, message: string, reason?: string | null, msg_id?: string | null}} verification
 * @property {import('./attempts.js').Attempt[]} attempts
 * @property {string | null} remote_addr
 * @property {import('./drift.js').Drift[] | null} [drift]
 */

export class Detail {
  /**
   * @param {HTMLElement} root
   * @param {DetailCallbacks} cb
   */
  constructor(root, cb) {
    this.root = root;
    this.cb = cb;
    /** @type {number | null} */
    this.id = null;
    /** @type {EventDetail | null} */
    this.event = null;
    /** @type {TabName} */
    this.tab = 'body';
    this.seq = 0;
    /** @type {Map<TabName, HTMLElement>} */
    this.panels = new Map();
    /** @type {ReturnType<typeof renderAttempts> | null} */
    this.attempts = null;
    /** @type {any} */
    this.parsed = undefined;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.refreshTimer = undefined;
    this.placeholder();
  }

  /** The pane when nothing is selected. */
  placeholder() {
    this.root.replaceChildren(el('div', 'detail-placeholder',
      el('p', { text: 'Select an event to see its run, body, headers, verdict and deliveries.' }),
      el('p', 'muted', span('kbd', 'j'), ' ', span('kbd', 'k'), ' move · ', span('kbd', 'Enter'), ' open · ',
        span('kbd', '/'), ' search · ', span('kbd', '?'), ' all keys')));
  }

  /** Closes the event. */
  close() {
    this.seq++;
    this.id = null;
    this.event = null;
    this.placeholder();
  }

  /**
   * Opens an event (fetches it).
   * @param {number} id
   * @param {{keepTab?: boolean}} [opts] keep the current tab (a refresh of the same event)
   */
  async open(id, opts = {}) {
    const seq = ++this.seq;
    const same = this.id === id;
    this.id = id;
    if (!same) this.root.classList.add('loading');
    let e;
    try {
      e = await api.getEvent(id);
    } catch (err) {
      if (seq !== this.seq) return;
      this.root.classList.remove('loading');
      this.event = null;
      const gone = err instanceof api.ApiError && err.status === 404;
      this.root.replaceChildren(el('div', 'detail-placeholder',
        el('p', { text: gone ? `Event #${id} does not exist (any more).` : `Could not load event #${id}: ${err instanceof Error ? err.message : err}` })));
      return;
    }
    if (seq !== this.seq) return;
    this.root.classList.remove('loading');
    const scroll = same && opts.keepTab ? this.panelScroll() : 0;
    this.event = e;
    this.parsed = undefined;
    this.panels.clear();
    this.attempts = null;
    const tab = same && opts.keepTab ? this.tab : this.obviousTab(e);
    this.render(e, tab);
    if (scroll) this.setPanelScroll(scroll);
  }

  /** Refetches the open event soon (coalesces bursts of updates). */
  refreshSoon() {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => { if (this.id !== null) this.open(this.id, { keepTab: true }); }, 150);
  }

  /** The body parsed as JSON, or null (parsed once, lazily). */
  body() {
    if (this.parsed !== undefined) return this.parsed;
    const e = this.event;
    this.parsed = null;
    if (e && e.body.encoding === 'utf8' && e.body.data.length <= RUN_SNIFF_LIMIT && /^\s*\{/.test(e.body.data)) {
      const p = parseJson(e.body.data);
      if (p.ok) this.parsed = p.value;
    }
    return this.parsed;
  }

  /** @returns {'run' | 'machines' | null} */
  cyberdesk() {
    const e = this.event;
    if (!e) return null;
    if (!(e.run || e.event_type === 'run_complete' || e.event_type === 'downed_machines')) return null;
    return cyberdeskKind(this.body());
  }

  /**
   * Verification when a signed webhook is not valid (even a Cyberdesk run: a run whose
   * signature failed must not be read as if it came from Cyberdesk), then Run for Cyberdesk
   * events, Body otherwise. Unsigned webhooks have no verdict to look into.
   * @param {EventDetail} e
   * @returns {TabName}
   */
  obviousTab(e) {
    const s = e.verification.status;
    if (s === 'invalid' || s === 'unverified') return 'verification';
    if (this.cyberdesk()) return 'run';
    return 'body';
  }

  /** @returns {number} */
  panelScroll() {
    const p = this.root.querySelector('.tab-panel');
    return p ? p.scrollTop : 0;
  }

  /** @param {number} y */
  setPanelScroll(y) {
    const p = this.root.querySelector('.tab-panel');
    if (p) p.scrollTop = y;
  }

  /**
   * Draws the whole pane for the open event.
   * @param {EventDetail} e
   * @param {TabName} tab
   */
  render(e, tab) {
    const target = e.query ? `${e.path}?${e.query}` : e.path;
    const title = el('div', 'd-title',
      span('method', e.method), span('path mono', target, target), span('muted id', `#${e.id}`));
    const meta = [
      fmtBytes(e.size),
      fmtAbsolute(new Date(e.received_at)),
      e.source,
      e.remote_addr ? `from ${e.remote_addr}` : null,
      e.event_type,
    ].filter(Boolean).join(' · ');
    const metaLine = el('div', 'd-meta', span('', meta));
    const first = e.duplicate_of;
    if (first) {
      metaLine.append(' · ', button(`duplicate of #${first}`, () => this.cb.openEvent(first), 'link-button'));
    }
    const v = e.verification;
    const icon = { valid: '✓', invalid: '✗', unsigned: '–', unverified: '?' }[/** @type {'valid'} */ (v.status)] || '–';
    const verdict = el('div', { class: `d-verdict verdict-${v.status}`, attrs: { 'data-test': 'verdict' } }, span('icon', icon), span('sentence', v.message));

    const head = el('header', 'd-head', title, metaLine, verdict, driftNote(e), this.actions(e));
    const tabs = el('nav', { class: 'tabs', attrs: { role: 'tablist' } });
    const kind = this.cyberdesk();
    /** @type {Array<[TabName, string]>} */
    const names = [];
    if (kind) names.push(['run', kind === 'machines' ? 'Machines' : 'Run']);
    if (e.run && e.run.session_id) names.push(['session', 'Session']);
    names.push(['body', 'Body'], ['headers', `Headers (${e.headers.length})`], ['verification', 'Verification'],
      ['attempts', `Attempts (${e.attempts.length})`], ['transform', 'Transform']);
    for (const [name, label] of names) {
      const b = el('button', { class: 'tab', text: label, attrs: { type: 'button', role: 'tab' }, data: { tab: name } });
      b.addEventListener('click', () => this.showTab(name));
      tabs.append(b);
    }
    const panel = el('div', { class: 'tab-panel', attrs: { role: 'tabpanel' } });
    this.root.replaceChildren(head, tabs, panel);
    this.showTab(names.some(([n]) => n === tab) ? tab : names[0][0]);
  }

  /**
   * Shows a tab, building it the first time.
   * @param {TabName} name
   */
  showTab(name) {
    if (!this.event) return;
    const tabs = this.root.querySelector('.tabs');
    if (!tabs || !tabs.querySelector(`[data-tab="${name}"]`)) return;
    this.tab = name;
    for (const b of tabs.children) {
      const on = /** @type {HTMLElement} */ (b).dataset.tab === name;
      b.classList.toggle('on', on);
      b.setAttribute('aria-selected', String(on));
    }
    let panel = this.panels.get(name);
    if (!panel) {
      panel = this.build(name);
      this.panels.set(name, panel);
    }
    const holder = /** @type {HTMLElement} */ (this.root.querySelector('.tab-panel'));
    holder.replaceChildren(panel);
    holder.scrollTop = 0;
  }

  /**
   * The tabs in order, for the 1–7 keys.
   * @returns {TabName[]}
   */
  tabNames() {
    return [...this.root.querySelectorAll('.tabs .tab')].map((b) => /** @type {TabName} */ (/** @type {HTMLElement} */ (b).dataset.tab));
  }

  /**
   * Builds one tab's content.
   * @param {TabName} name
   * @returns {HTMLElement}
   */
  build(name) {
    const e = this.event;
    if (!e) return el('div');
    switch (name) {
      case 'run': {
        const runId = e.run && e.run.id;
        return renderRun(this.body(), runId ? runWebhooks(runId, e.id, this.cb.openEvent) : null);
      }
      case 'session': return e.run && e.run.session_id ? renderSession(e.run.session_id, e.id, { openEvent: this.cb.openEvent }) : el('div');
      case 'body': return renderBody(e);
      case 'headers': return renderHeaders(e.headers, e.headers_non_utf8);
      case 'verification':
        return renderVerification(e, { refresh: () => this.refreshSoon(), toast: this.cb.toast });
      case 'transform': return renderTransform(e.id);
      case 'attempts': {
        this.attempts = renderAttempts(e, { openEvent: this.cb.openEvent, replay: () => this.replay({}), replayTo: (target) => this.replay({ target }) });
        return this.attempts.root;
      }
    }
    return el('div');
  }

  /**
   * The actions row.
   * @param {EventDetail} e
   */
  actions(e) {
    const replay = splitButton('Replay', () => this.replay({}), [
      { label: 'Replay verbatim', hint: 'original headers and signature, untouched', action: () => this.replay({ mode: 'verbatim' }) },
      { label: 'Replay with a new message id', hint: 're-signed, as a new message', action: () => this.replay({ new_id: true }) },
      { label: 'Edit body, then replay…', hint: 'change the body; it is re-signed', action: () => this.editAndReplay() },
      { label: 'Replay to another URL…', hint: 'send it somewhere else', action: () => this.replayElsewhere() },
    ], 'Send it to the forward target again, re-signed with a fresh timestamp (r)');
    const curl = splitButton('Copy as curl', () => this.copyCurl('resign'), [
      { label: 'Re-signed', hint: 'fresh signature, valid for 5 minutes', action: () => this.copyCurl('resign') },
      { label: 'Verbatim', hint: 'the original headers, as received', action: () => this.copyCurl('verbatim') },
    ], 'Copy a curl command that sends it again, re-signed (c)');
    curl.classList.add('curl');
    replay.classList.add('replay');
    const raw = el('a', { class: 'btn', text: 'Raw', title: 'The body bytes as plain text, in a new tab', attrs: { href: `/api/events/${e.id}/raw?view=1`, target: '_blank', rel: 'noopener' } });
    const exp = el('a', { class: 'btn', text: 'Export', title: 'Download the event as JSON', attrs: { href: `/api/events/${e.id}`, download: `hookpit-event-${e.id}.json` } });
    const del = button('Delete', () => this.confirmDelete(del), 'btn danger-quiet', 'Delete this event');
    const cmp = button('Compare with…', () => askCompare(e.id, { toast: this.cb.toast, openEvent: this.cb.openEvent }), 'btn compare',
      'Compare this event with another: body and headers side by side (m marks one, d compares)');
    return el('div', 'd-actions', replay, curl, raw, exp, cmp, el('span', 'grow'), del);
  }

  /**
   * Replays the open event; shows the Attempts tab with the result.
   * @param {{mode?: 'resign'|'verbatim', new_id?: boolean, target?: string, body?: string}} opts
   */
  async replay(opts) {
    const e = this.event;
    if (!e) return;
    const main = /** @type {HTMLButtonElement | null} */ (this.root.querySelector('.replay .split-main'));
    if (main) { main.disabled = true; main.textContent = 'Replaying…'; }
    try {
      const attempt = await api.replay(e.id, opts);
      if (this.event && this.event.id === e.id) {
        this.showTab('attempts');
        this.attempts?.upsert(attempt);
        this.bumpAttemptCount();
      }
      const ok = typeof attempt.status === 'number' && attempt.status >= 200 && attempt.status < 300;
      const what = typeof attempt.status === 'number' ? `${attempt.status}` : attempt.error || 'no answer';
      this.cb.toast(`Replayed #${e.id} → ${what}${attempt.duration_ms != null ? ` in ${attempt.duration_ms} ms` : ''}`, ok ? 'good' : 'error');
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      if (/no target/i.test(msg) && !opts.target) {
        this.replayElsewhere(msg);
      } else {
        this.cb.toast(`Replay failed: ${msg}`, 'error');
      }
    } finally {
      if (main) { main.disabled = false; main.textContent = 'Replay'; }
    }
  }

  /** Keeps the "Attempts (n)" label right after a live attempt. */
  bumpAttemptCount() {
    const b = this.root.querySelector('.tabs [data-tab="attempts"]');
    const list = this.root.querySelectorAll('.attempt-list > .attempt');
    if (b && list.length) b.textContent = `Attempts (${list.length})`;
  }

  /**
   * A live attempt frame: updates the Attempts tab of the open event.
   * @param {import('./attempts.js').Attempt} attempt
   */
  onAttempt(attempt) {
    if (!this.event || attempt.event_id !== this.event.id) return;
    const known = this.event.attempts.findIndex((/** @type {import('./attempts.js').Attempt} */ a) => a.id === attempt.id);
    if (known >= 0) this.event.attempts[known] = attempt; else this.event.attempts.push(attempt);
    if (this.attempts) {
      this.attempts.upsert(attempt);
      this.bumpAttemptCount();
    } else {
      const b = this.root.querySelector('.tabs [data-tab="attempts"]');
      if (b) b.textContent = `Attempts (${this.event.attempts.length})`;
    }
  }

  /**
   * A live new event: a run of the open event's session redraws its Session tab (unless the user
   * is typing the expected chain there).
   * @param {{run?: {id?: string | null, session_id?: string | null} | null}} created
   */
  onCreated(created) {
    const e = this.event;
    const session = e && e.run ? e.run.session_id : null;
    if (!session || !created.run || created.run.session_id !== session || !this.panels.has('session')) return;
    const panel = this.panels.get('session');
    if (panel && document.activeElement && panel.contains(document.activeElement) && document.activeElement.tagName === 'TEXTAREA') return;
    this.panels.delete('session');
    if (this.tab === 'session') this.showTab('session');
  }

  /** Edit the body, then replay it re-signed. */
  async editAndReplay() {
    const e = this.event;
    if (!e) return;
    if (e.body.encoding !== 'utf8') {
      this.cb.toast('This body is binary; only text bodies can be edited here.', 'error');
      return;
    }
    const area = el('textarea', { class: 'mono edit-body', attrs: { spellcheck: 'false', rows: '18' } });
    const p = parseJson(e.body.data);
    area.value = e.body.data;
    const pretty = p.ok && !e.body.data.includes('\n') ? button('Pretty-print', () => {
      const again = parseJson(area.value);
      if (again.ok) area.value = stringify(again.value, 2);
    }, 'link-button') : null;
    const note = el('p', 'muted', 'The edited body is sent to the forward target and signed again with the route\'s key. ', pretty);
    await openDialog({
      title: `Edit and replay #${e.id}`, body: [note, area], submit: 'Replay', wide: true,
      onSubmit: async () => { await this.replay({ body: area.value }); return true; },
    });
  }

  /**
   * Replay to a URL the user gives.
   * @param {string} [why] shown above the field (e.g. there is no forward target)
   */
  async replayElsewhere(why) {
    const e = this.event;
    if (!e) return;
    const url = el('input', { class: 'mono wide-input', attrs: { type: 'url', placeholder: 'http://localhost:3000/webhooks', required: '', spellcheck: 'false', 'aria-label': 'Target URL' } });
    url.value = localStorage.getItem('hookpit.replayTarget') || '';
    const mode = el('select', { attrs: { 'aria-label': 'Mode' } },
      el('option', { text: 're-signed (fresh timestamp)', attrs: { value: 'resign' } }),
      el('option', { text: 'verbatim (original headers)', attrs: { value: 'verbatim' } }));
    const body = [
      why ? el('p', { class: 'note', text: why }) : null,
      el('label', 'field', span('label', 'Target URL'), url),
      el('label', 'field', span('label', 'Mode'), mode),
    ].filter((n) => n !== null);
    await openDialog({
      title: `Replay #${e.id} to…`, body: /** @type {Node[]} */ (body), submit: 'Replay',
      onSubmit: async () => {
        const target = url.value.trim();
        if (!/^https?:\/\//i.test(target)) throw new Error('Give an http:// URL');
        localStorage.setItem('hookpit.replayTarget', target);
        await this.replay({ target, mode: /** @type {'resign'|'verbatim'} */ (mode.value) });
        return true;
      },
    });
  }

  /**
   * Copies a curl command for the open event.
   * @param {'resign'|'verbatim'} mode
   */
  async copyCurl(mode) {
    const e = this.event;
    if (!e) return;
    const main = /** @type {HTMLElement | null} */ (this.root.querySelector('.curl .split-main'));
    try {
      const { curl } = await api.curlFor(e.id, mode);
      const ok = await copyText(curl);
      if (main) flashCopied(main, ok);
      this.cb.toast(ok ? `Copied curl (${mode === 'resign' ? 're-signed, valid for 5 minutes' : 'verbatim'})` : 'Could not copy: your browser refused the clipboard', ok ? 'good' : 'error');
    } catch (err) {
      this.cb.toast(`No curl command: ${err instanceof Error ? err.message : err}`, 'error');
    }
  }

  /**
   * Delete in two clicks: the first one asks.
   * @param {HTMLButtonElement} b
   */
  async confirmDelete(b) {
    const e = this.event;
    if (!e) return;
    if (!b.classList.contains('armed')) {
      b.classList.add('armed');
      b.textContent = 'Click again to delete';
      setTimeout(() => { b.classList.remove('armed'); b.textContent = 'Delete'; }, 3000);
      return;
    }
    try {
      await api.deleteEvent(e.id);
      this.cb.toast(`Deleted #${e.id}`);
      this.cb.deleted(e.id);
    } catch (err) {
      this.cb.toast(`Delete failed: ${err instanceof Error ? err.message : err}`, 'error');
    }
  }
}
