// @ts-check
/**
 * The event list, newest first. It is virtual: only the rows in view (plus a margin) exist in the
 * DOM, at fixed heights, so 100,000 loaded events scroll as smoothly as 10 and a burst of live
 * events costs one render per animation frame. Older pages load as the user scrolls (keyset
 * paging). New events slide in at the top, unless the user has scrolled or selected something:
 * then the view stays still and a "N new" pill says what arrived above.
 */
import { el, span } from './dom.js';
import { fmtBytes, fmtRelative, fmtAbsolute } from './format.js';
import { verdictBadge, runChip, attemptChip } from './badges.js';
import { driftChip } from './drift.js';
import { providerTitle } from './providers.js';

/** Rows rendered beyond the visible ones, above and below. */
const OVERSCAN = 8;
/** At most this many summaries are kept loaded; the oldest are dropped (and paged in again). */
const MAX_LOADED = 50000;
/** How close to the end of what is loaded (in rows) the next page is asked for. */
const PREFETCH_ROWS = 60;
/** How long a newly arrived row is highlighted, in ms. */
const FRESH_MS = 1500;

/**
 * @typedef {Object} ListCallbacks
 * @property {(id: number) => void} onSelect the user picked a row (click)
 * @property {() => void} onNeedMore the user is near the end of what is loaded
 */

export class EventList {
  /**
   * @param {{scroller: HTMLElement, rows: HTMLElement, pill: HTMLElement, foot: HTMLElement}} els
   * @param {ListCallbacks} cb
   */
  constructor(els, cb) {
    this.scroller = els.scroller;
    this.rows = els.rows;
    this.pill = els.pill;
    this.foot = els.foot;
    this.cb = cb;
    /** Newer events that arrived live, oldest first (ascending ids). @type {any[]} */
    this.head = [];
    /** Pages as fetched, newest first (descending ids). @type {any[]} */
    this.tail = [];
    /** @type {Map<number, any>} */
    this.byId = new Map();
    /** Rendered rows by event id. @type {Map<number, HTMLElement & {__ev?: any, __time?: string}>} */
    this.nodes = new Map();
    /** @type {Map<number, number>} arrival time of live rows, for the highlight */
    this.fresh = new Map();
    /** @type {number | null} */
    this.selected = null;
    this.unseen = 0;
    /** @type {number | null} */
    this.nextBefore = null;
    this.loading = false;
    this.rowH = 48;
    this.renderQueued = false;
    /**
     * Rows are placed relative to the newest page event (tail[0]) inside this wrapper, which
     * is moved down by the live arrivals above it: an arrival moves one wrapper, not every row.
     */
    this.shift = el('div', 'shift');
    this.rows.append(this.shift);
    /** @type {number} */
    this.shiftRows = -1;
    this.shiftH = 0;
    this.measure();

    this.scroller.addEventListener('scroll', () => {
      // New rows scrolled into view are no longer unseen.
      const above = Math.floor(this.scroller.scrollTop / this.rowH + 0.5);
      if (this.unseen > above) {
        this.unseen = above;
        this.updatePill();
      }
      this.queueRender();
    }, { passive: true });
    this.rows.addEventListener('click', (e) => {
      const row = /** @type {HTMLElement | null} */ (/** @type {HTMLElement} */ (e.target).closest('.row'));
      if (row && row.dataset.id) this.cb.onSelect(Number(row.dataset.id));
    });
    this.pill.addEventListener('click', () => this.scrollToTop());
    new ResizeObserver(() => { this.measure(); this.render(); }).observe(this.scroller);
    setInterval(() => this.tickTimes(), 1000);
  }

  /** Reads the row height from CSS (it changes on narrow windows). */
  measure() {
    const h = parseFloat(getComputedStyle(this.scroller).getPropertyValue('--row-h'));
    if (h > 0 && h !== this.rowH) {
      const top = Math.floor(this.scroller.scrollTop / this.rowH);
      this.rowH = h;
      this.rows.style.height = `${this.length * this.rowH}px`;
      this.scroller.scrollTop = top * h;
    }
  }

  /** How many events are loaded. */
  get length() {
    return this.head.length + this.tail.length;
  }

  /**
   * The event at list position `i` (0 is the newest).
   * @param {number} i
   */
  at(i) {
    const h = this.head.length;
    return i < h ? this.head[h - 1 - i] : this.tail[i - h];
  }

  /**
   * The list position of an event, or -1 (binary search: ids are sorted).
   * @param {number} id
   */
  indexOf(id) {
    if (!this.byId.has(id)) return -1;
    const h = this.head.length;
    let lo = 0;
    let hi = h - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = this.head[mid].id;
      if (v === id) return h - 1 - mid;
      if (v < id) lo = mid + 1; else hi = mid - 1;
    }
    lo = 0;
    hi = this.tail.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = this.tail[mid].id;
      if (v === id) return h + mid;
      if (v > id) lo = mid + 1; else hi = mid - 1;
    }
    return -1;
  }

  /**
   * A summary by id, when loaded.
   * @param {number} id
   */
  get(id) {
    return this.byId.get(id);
  }

  /**
   * Replaces everything with a first page.
   * @param {any[]} events newest first
   * @param {number | null} nextBefore
   * @param {boolean} keepScroll keep the scroll position (a refetch), else go to the top
   */
  reset(events, nextBefore, keepScroll = false) {
    this.head = [];
    this.tail = [];
    this.byId.clear();
    for (const node of this.nodes.values()) node.remove();
    this.nodes.clear();
    this.nextBefore = nextBefore;
    this.loading = false;
    this.addPage(events);
    if (!keepScroll) {
      this.scroller.scrollTop = 0;
      this.unseen = 0;
    }
    this.updatePill();
    this.render();
  }

  /**
   * Appends an older page.
   * @param {any[]} events newest first, all older than what is loaded
   * @param {number | null} nextBefore
   */
  appendPage(events, nextBefore) {
    this.nextBefore = nextBefore;
    this.loading = false;
    this.addPage(events);
    this.render();
  }

  /** @param {any[]} events */
  addPage(events) {
    const last = this.tail.length ? this.tail[this.tail.length - 1].id : Infinity;
    for (const e of events) {
      if (this.byId.has(e.id) || e.id >= last) continue;
      this.tail.push(e);
      this.byId.set(e.id, e);
    }
  }

  /**
   * Adds events that arrived live. Keeps the view still when the user has scrolled or
   * selected something, and counts them in the "N new" pill instead.
   * @param {any[]} events in arrival order
   */
  insert(events) {
    let added = 0;
    const now = Date.now();
    for (const e of events) {
      if (this.byId.has(e.id)) {
        this.update(e);
        continue;
      }
      const h = this.head;
      if (!h.length || h[h.length - 1].id < e.id) {
        h.push(e);
      } else {
        let i = h.length;
        while (i > 0 && h[i - 1].id > e.id) i--;
        h.splice(i, 0, e);
      }
      this.byId.set(e.id, e);
      // Highlight arrivals one by one; in a burst the highlight would only cost paint.
      if (events.length <= 5) this.fresh.set(e.id, now);
      added++;
    }
    if (!added) return;
    this.trim();
    const hold = this.scroller.scrollTop > 0 || this.selected !== null;
    this.rows.style.height = `${this.length * this.rowH}px`;
    if (hold) {
      this.scroller.scrollTop += added * this.rowH;
      // Only rows that ended up above the view are unseen (a short list shows them all).
      this.unseen = Math.min(this.unseen + added, Math.round(this.scroller.scrollTop / this.rowH));
      this.updatePill();
    }
    this.render();
    setTimeout(() => this.expireFresh(), FRESH_MS + 50);
  }

  /** Drops the oldest loaded summaries past MAX_LOADED; they page in again on scroll. */
  trim() {
    let extra = this.length - MAX_LOADED;
    if (extra <= 0) return;
    while (extra > 0 && this.tail.length) {
      const e = this.tail.pop();
      this.byId.delete(e.id);
      extra--;
    }
    if (extra > 0) {
      for (const e of this.head.splice(0, extra)) this.byId.delete(e.id);
    }
    const oldest = this.at(this.length - 1);
    this.nextBefore = oldest ? oldest.id : null;
  }

  /**
   * Replaces a summary (re-verified, new attempt) and redraws its row if shown.
   * @param {any} summary
   */
  update(summary) {
    const old = this.byId.get(summary.id);
    if (!old) return;
    const i = this.indexOf(summary.id);
    if (i < 0) return;
    const h = this.head.length;
    if (i < h) this.head[h - 1 - i] = summary; else this.tail[i - h] = summary;
    this.byId.set(summary.id, summary);
    this.queueRender();
  }

  /**
   * Sets the last forward/replay result shown for an event.
   * @param {number} eventId
   * @param {{status: number|null, error: string|null, duration_ms: number|null, next_retry_at?: string|null}} attempt
   */
  setLastAttempt(eventId, attempt) {
    const old = this.byId.get(eventId);
    if (old) this.update({ ...old, last_attempt: attempt });
  }

  /**
   * Removes one event.
   * @param {number} id
   */
  remove(id) {
    const i = this.indexOf(id);
    if (i < 0) return;
    const h = this.head.length;
    if (i < h) this.head.splice(h - 1 - i, 1); else this.tail.splice(i - h, 1);
    this.byId.delete(id);
    const node = this.nodes.get(id);
    if (node) node.remove();
    this.nodes.delete(id);
    this.rows.style.height = `${this.length * this.rowH}px`;
    if (i * this.rowH < this.scroller.scrollTop) this.scroller.scrollTop -= this.rowH;
    this.render();
  }

  /**
   * Marks the selected row.
   * @param {number | null} id
   * @param {boolean} [reveal] scroll it into view
   */
  select(id, reveal = false) {
    if (this.selected !== null) {
      const node = this.nodes.get(this.selected);
      if (node) { node.classList.remove('selected'); node.setAttribute('aria-selected', 'false'); }
    }
    this.selected = id;
    if (id !== null) {
      const node = this.nodes.get(id);
      if (node) { node.classList.add('selected'); node.setAttribute('aria-selected', 'true'); }
      if (reveal) this.reveal(id);
    }
  }

  /**
   * The id `delta` rows away from the selection (or the first row when nothing is selected).
   * @param {number} delta
   * @returns {number | null}
   */
  neighbour(delta) {
    if (!this.length) return null;
    const i = this.selected === null ? -1 : this.indexOf(this.selected);
    const j = i < 0 ? 0 : Math.max(0, Math.min(this.length - 1, i + delta));
    return this.at(j).id;
  }

  /**
   * Scrolls just enough for an event's row to be in view.
   * @param {number} id
   */
  reveal(id) {
    const i = this.indexOf(id);
    if (i < 0) return;
    const top = i * this.rowH;
    const s = this.scroller;
    if (top < s.scrollTop) s.scrollTop = top;
    else if (top + this.rowH > s.scrollTop + s.clientHeight) s.scrollTop = top + this.rowH - s.clientHeight;
    this.render();
  }

  /** Goes to the newest events and clears the pill. */
  scrollToTop() {
    this.scroller.scrollTop = 0;
    this.unseen = 0;
    this.updatePill();
    this.render();
  }

  updatePill() {
    this.pill.hidden = this.unseen === 0;
    this.pill.textContent = `↑ ${this.unseen.toLocaleString('en-US')} new`;
  }

  queueRender() {
    if (this.renderQueued) return;
    this.renderQueued = true;
    requestAnimationFrame(() => { this.renderQueued = false; this.render(); });
  }

  /** Draws the rows in view, reusing the nodes already there. */
  render() {
    const s = this.scroller;
    const n = this.length;
    this.rows.style.height = `${n * this.rowH}px`;
    const first = Math.max(0, Math.floor(s.scrollTop / this.rowH) - OVERSCAN);
    const last = Math.min(n - 1, Math.ceil((s.scrollTop + s.clientHeight) / this.rowH) + OVERSCAN);
    if (this.shiftRows !== this.head.length || this.shiftH !== this.rowH) {
      this.shiftRows = this.head.length;
      this.shiftH = this.rowH;
      this.shift.style.transform = `translateY(${this.head.length * this.rowH}px)`;
    }
    const keep = new Set();
    const now = Date.now();
    for (let i = first; i <= last; i++) {
      const e = this.at(i);
      keep.add(e.id);
      let node = this.nodes.get(e.id);
      if (!node) {
        node = /** @type {HTMLElement & {__ev?: any}} */ (el('div', { class: 'row', attrs: { role: 'option' } }));
        node.dataset.id = String(e.id);
        const arrived = this.fresh.get(e.id);
        if (arrived && now - arrived < FRESH_MS) node.classList.add('fresh');
        this.nodes.set(e.id, node);
        this.shift.append(node);
      }
      if (node.__ev !== e) this.fill(node, e, now);
      const y = `translateY(${(i - this.head.length) * this.rowH}px)`;
      if (node.style.transform !== y) node.style.transform = y;
      const sel = e.id === this.selected;
      if (node.classList.contains('selected') !== sel) {
        node.classList.toggle('selected', sel);
        node.setAttribute('aria-selected', String(sel));
      }
    }
    for (const [id, node] of this.nodes) {
      if (!keep.has(id)) { node.remove(); this.nodes.delete(id); }
    }
    this.updateFoot();
    if (this.nextBefore !== null && !this.loading && last >= n - PREFETCH_ROWS) {
      this.loading = true;
      this.cb.onNeedMore();
    }
  }

  /**
   * Writes one row's content. Every value from the webhook goes in as text.
   * @param {HTMLElement & {__ev?: any, __time?: string}} node
   * @param {any} e
   * @param {number} now
   */
  fill(node, e, now) {
    node.__ev = e;
    const when = Date.parse(e.received_at);
    const time = fmtRelative(when, now);
    node.__time = time;
    const target = e.query ? `${e.path}?${e.query}` : e.path;
    const l1 = el('div', 'l1',
      span('time', time, fmtAbsolute(new Date(when))),
      span('method', e.method),
      span('path', target, target),
      span('size', fmtBytes(e.size)));
    const l2 = el('div', 'l2',
      e.event_type ? span('etype', e.event_type, e.event_type) : span('etype none', e.content_type || 'no type'),
      verdictBadge(e.verification));
    const prov = e.verification && e.verification.provider;
    if (prov) {
      l2.append(el('span', { class: 'provider', text: providerTitle(prov), title: `Signed as ${providerTitle(prov)} signs (provider:${prov})`, attrs: { 'data-provider': prov } }));
    }
    if (e.run && e.run.status) l2.append(runChip(e.run.status));
    if (e.duplicate_of) {
      l2.append(el('span', { class: 'chip dup', title: `Duplicate of #${e.duplicate_of}: same message id ${e.msg_id || ''}` },
        'dup', span('dup-of', `of #${e.duplicate_of}`)));
    }
    const drift = driftChip(e.drift);
    if (drift) l2.append(drift);
    if (e.source === 'replay' || e.source === 'send' || e.source === 'relay' || e.source === 'import') l2.append(span('src', e.source));
    l2.append(span('grow', ''));
    if (e.last_attempt) l2.append(attemptChip(e.last_attempt));
    node.replaceChildren(l1, l2);
  }

  /** Updates the relative times of the rows in view. */
  tickTimes() {
    const now = Date.now();
    for (const node of this.nodes.values()) {
      const e = /** @type {any} */ (node).__ev;
      if (!e) continue;
      const t = fmtRelative(Date.parse(e.received_at), now);
      if (t !== /** @type {any} */ (node).__time) {
        /** @type {any} */ (node).__time = t;
        const timeNode = node.querySelector('.time');
        if (timeNode) timeNode.textContent = t;
      }
    }
  }

  expireFresh() {
    const now = Date.now();
    for (const [id, t] of this.fresh) {
      if (now - t >= FRESH_MS) {
        this.fresh.delete(id);
        const node = this.nodes.get(id);
        if (node) node.classList.remove('fresh');
      }
    }
  }

  updateFoot() {
    const n = this.length;
    let text = `${n.toLocaleString('en-US')} shown`;
    if (this.loading) text += ' · loading more…';
    else if (this.nextBefore !== null) text += ' · scroll for more';
    else if (n) text = n === 1 ? '1 event' : `all ${n.toLocaleString('en-US')} events`;
    if (this.foot.textContent !== text) this.foot.textContent = text;
  }
}
