// @ts-check
/**
 * hookpit's page: wires the filter bar, the live list, the detail pane, the live stream and the
 * keyboard together. State that matters for sharing (filter, open event) lives in the URL.
 * Every value from a webhook is rendered as text (see dom.js); there is no innerHTML.
 */
import { byId } from './dom.js';
import * as api from './api.js';
import { connectLive } from './live.js';
import { readUrl, writeUrl, toParams, isEmpty, matchLocally, bindFilterBar, emptyFilter } from './filters.js';
import { EventList } from './list.js';
import { Detail } from './detail.js';
import { renderEmpty } from './empty.js';
import { setCapture, setRelay, setStorage, setIndex, setLiveState, bindTheme } from './topbar.js';
import { setPublic } from './tunnel.js';
import { installKeys, showHelp } from './keys.js';
import { toast } from './toast.js';
import { DoctorPanel, doctorParam } from './doctor.js';
import { markForCompare, markedEvent, showCompare } from './compare.js';
import { openSchemas, kindKey } from './drift.js';
import { loadProviders } from './providers.js';
import { openRecover } from './recover.js';

/** Page size of the list. */
const PAGE = 200;

const initial = readUrl();
let filter = initial.filter;
/** @type {number | null} */
let selected = initial.eventId;
/** Server version and UI build at load; a different one after a reconnect reloads the page. @type {string | null} */
let version = null;
let captureUrl = `http://${location.hostname}:8700`;
/** Whether the store holds any event at all (for the first-run screen). */
let storeEmpty = false;
/** Newest attempt id seen per event, so an older frame never overwrites a newer result. @type {Map<number, number>} */
const lastAttemptId = new Map();
let listSeq = 0;
/** Events that arrived while the tab was in the background, shown in its title. */
let unseenWhileHidden = 0;
document.addEventListener('visibilitychange', () => {
  if (!document.hidden) {
    unseenWhileHidden = 0;
    document.title = 'hookpit';
  }
});

const list = new EventList({
  scroller: byId('scroller'), rows: byId('rows'), pill: byId('new-pill'), foot: byId('list-count'),
}, {
  onSelect: (id) => select(id, { reveal: false }),
  onNeedMore: () => loadMore(),
});

const detail = new Detail(byId('detail'), {
  toast,
  openEvent: (id) => select(id, { reveal: true }),
  deleted: (id) => {
    const next = list.neighbour(1) === id ? list.neighbour(-1) : list.neighbour(1);
    list.remove(id);
    if (next !== null && next !== id) select(next, { reveal: true }); else unselect();
  },
});

const doctorButton = byId('doctor-button');
const doctor = new DoctorPanel(byId('doctor'), {
  toast,
  onToggle: (open) => {
    doctorButton.setAttribute('aria-pressed', String(open));
    if (!open) updateEmpty();
  },
});
doctorButton.addEventListener('click', () => { if (doctor.isOpen) doctor.close(); else doctor.open(); });
byId('schema-button').addEventListener('click', () => openSchemas(detail.event ? kindKey(detail.event) : undefined));
byId('recover-button').addEventListener('click', () => openRecover());

const filterBar = bindFilterBar(/** @type {HTMLFormElement} */ (byId('filters')), filter, (f) => {
  filter = f;
  writeUrl(filter, selected);
  loadFirstPage();
});

/**
 * Opens an event.
 * @param {number} id
 * @param {{reveal?: boolean, defer?: boolean}} [opts] scroll the list to it; wait a moment (key repeat)
 */
function select(id, opts = {}) {
  selected = id;
  list.select(id, !!opts.reveal);
  writeUrl(filter, selected);
  clearTimeout(openTimer);
  if (opts.defer) openTimer = setTimeout(() => detail.open(id), 120);
  else if (detail.id !== id || !detail.event) detail.open(id);
}
/** @type {ReturnType<typeof setTimeout> | undefined} */
let openTimer;

/** Closes the open event. */
function unselect() {
  selected = null;
  list.select(null);
  detail.close();
  writeUrl(filter, null);
}

/** Drops every filter. */
function clearFilter() {
  filter = emptyFilter();
  filterBar.set(filter);
  writeUrl(filter, selected);
  loadFirstPage();
}

/** Shows the first-run screen, the "nothing matches" note, or the list. */
function updateEmpty() {
  const first = storeEmpty && list.length === 0 && isEmpty(filter) && selected === null;
  byId('empty').hidden = !first;
  byId('main').hidden = first;
  document.body.classList.toggle('first-run', first);
  const none = byId('list-empty');
  none.hidden = first || list.length > 0 || list.loading;
  if (!none.hidden) {
    none.replaceChildren();
    const p = document.createElement('p');
    p.textContent = isEmpty(filter) ? 'No events yet.' : 'No events match this filter.';
    none.append(p);
    if (!isEmpty(filter)) {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'link-button';
      b.textContent = 'clear the filter';
      b.addEventListener('click', clearFilter);
      none.append(b);
    }
  }
}

/** Loads the newest page for the current filter (a new filter, or a refetch after an outage). */
async function loadFirstPage() {
  const seq = ++listSeq;
  list.loading = true;
  try {
    // The rows name each webhook's provider by its title, so the list of providers comes first.
    const [page] = await Promise.all([api.listEvents(toParams(filter), null, PAGE), loadProviders()]);
    if (seq !== listSeq) return;
    list.reset(page.events, page.next_before);
    filterBar.addOptions(page.events);
    if (isEmpty(filter)) storeEmpty = page.events.length === 0;
    if (selected !== null) list.select(selected, true);
  } catch (err) {
    if (seq !== listSeq) return;
    list.loading = false;
    toast(`Could not load events: ${err instanceof Error ? err.message : err}`, 'error');
  }
  updateEmpty();
}

/** Loads the next older page. */
async function loadMore() {
  const seq = listSeq;
  const before = list.nextBefore;
  if (before === null) { list.loading = false; return; }
  try {
    const page = await api.listEvents(toParams(filter), before, PAGE);
    if (seq !== listSeq) return;
    list.appendPage(page.events, page.next_before);
    filterBar.addOptions(page.events);
  } catch {
    if (seq !== listSeq) return;
    // Try again on the next scroll.
    setTimeout(() => { list.loading = false; }, 2000);
  }
}

/** @type {ReturnType<typeof setTimeout> | undefined} */
let catchUpTimer;
/**
 * Asks the server which new events match a filter the page cannot judge alone (free words search
 * bodies), at most a few times a second.
 */
function catchUpSoon() {
  if (catchUpTimer) return;
  catchUpTimer = setTimeout(async () => {
    catchUpTimer = undefined;
    const seq = listSeq;
    try {
      const page = await api.listEvents(toParams(filter), null, PAGE);
      if (seq !== listSeq) return;
      const newest = list.length ? list.at(0).id : 0;
      list.insert(page.events.filter((e) => e.id > newest).reverse());
      updateEmpty();
    } catch {
      // The next frame or reconnect tries again.
    }
  }, 400);
}

/**
 * Applies a batch of live frames.
 * @param {Array<{type: string, data?: any}>} frames
 */
function onFrames(frames) {
  /** @type {any[]} */
  const created = [];
  let unknown = false;
  for (const f of frames) {
    const d = f.data;
    switch (f.type) {
      case 'event.created': {
        storeEmpty = false;
        // Another webhook of the open event's run: its Run tab lists it.
        if (detail.event && detail.event.run && detail.event.run.id && d.run && d.run.id === detail.event.run.id) detail.refreshSoon();
        // Another run of the open event's session: its Session tab shows it.
        detail.onCreated(d);
        const m = matchLocally(d, filter);
        if (m === true) created.push(d);
        else if (m === null) unknown = true;
        break;
      }
      case 'event.updated':
        if (created.length && created.some((c) => c.id === d.id)) {
          created[created.findIndex((c) => c.id === d.id)] = d;
        } else if (matchLocally(d, filter) === false) {
          list.remove(d.id); // no longer matches the filter (e.g. verified after a key was added)
        } else {
          list.update(d);
        }
        if (detail.id === d.id) detail.refreshSoon();
        // Drift is learned just after the commit: under `is:drift` the event comes in now.
        if (d.drift && /(^|\s)is:drift(\s|$)/i.test(filter.q)) catchUpSoon();
        break;
      case 'event.deleted':
        list.remove(d.id);
        if (detail.id === d.id) detail.open(d.id);
        break;
      case 'events.cleared':
        created.length = 0;
        list.reset([], null);
        storeEmpty = true;
        if (selected !== null) unselect();
        break;
      case 'attempt.created':
      case 'attempt.updated': {
        const prev = lastAttemptId.get(d.event_id) ?? -1;
        // A forward a rule skipped sent nothing: it is no delivery's outcome for the list.
        if (d.id >= prev && !d.skipped) {
          lastAttemptId.set(d.event_id, d.id);
          const summary = { status: d.status, error: d.error, duration_ms: d.duration_ms, next_retry_at: d.next_retry_at };
          const pending = created.find((c) => c.id === d.event_id);
          if (pending) pending.last_attempt = summary; else list.setLastAttempt(d.event_id, summary);
        }
        detail.onAttempt(d);
        break;
      }
      case 'replay.progress':
        if (d && d.done === d.total) toast(`Bulk replay done: ${d.total} replayed`, 'good');
        break;
      case 'relay.status':
        setRelay(d);
        break;
      case 'tunnel.status':
        setPublic(d);
        break;
      case 'doctor.progress':
        doctor.onFrame(d);
        break;
    }
  }
  if (created.length) {
    list.insert(created);
    filterBar.addOptions(created);
    if (document.hidden) {
      unseenWhileHidden += created.length;
      document.title = `(${unseenWhileHidden.toLocaleString('en-US')}) hookpit`;
    }
  }
  if (unknown) catchUpSoon();
  updateEmpty();
}

/**
 * Reads /api/status: capture URL, relay; reloads the page when the server was upgraded.
 */
async function loadStatus() {
  try {
    const s = await api.getStatus();
    if (version !== null && `${s.version}+${s.build}` !== version) {
      location.reload();
      return;
    }
    version = `${s.version}+${s.build}`;
    captureUrl = s.capture_url || captureUrl;
    setCapture(captureUrl);
    setRelay(s.relay);
    setPublic(s);
    setStorage(s.storage);
    followIndex(s.index);
    if (typeof s.events === 'number' && isEmpty(filter)) storeEmpty = s.events === 0 && list.length === 0;
    renderEmpty(byId('empty'), captureUrl, (id, note) => {
      if (note) toast(note);
      else toast('Test event sent', 'good');
      if (id !== null) select(id, { reveal: true });
    }, () => doctor.open());
    updateEmpty();
  } catch {
    // Unreachable: the live stream reconnects and calls this again.
  }
}

/** How often the top bar rechecks storage and relay health between live frames. */
const HEALTH_EVERY_MS = 15000;

/** How often the top bar rereads the status while the search index catches up. */
const INDEX_EVERY_MS = 2000;
/** @type {ReturnType<typeof setTimeout> | undefined} */
let indexTimer;

/**
 * Shows the search index's progress and, while it is behind, rereads it soon.
 * @param {any} index
 */
function followIndex(index) {
  if (setIndex(index) && indexTimer === undefined) {
    indexTimer = setTimeout(() => {
      indexTimer = undefined;
      refreshHealth();
    }, INDEX_EVERY_MS);
  }
}

/** Rechecks storage and relay health (a full disk shows up here, not on the live stream). */
async function refreshHealth() {
  try {
    const s = await api.getStatus();
    setRelay(s.relay);
    setPublic(s);
    setStorage(s.storage);
    followIndex(s.index);
  } catch {
    // Offline: the live stream's reconnect reloads the status.
  }
}
setInterval(refreshHealth, HEALTH_EVERY_MS);

connectLive({
  onFrames,
  onState: setLiveState,
  onOpen: (first) => {
    if (first) {
      // Events may have arrived between the first page and the stream: merge them.
      catchUpSoon();
      return;
    }
    loadStatus();
    loadFirstPage();
    if (detail.id !== null) detail.refreshSoon();
    doctor.resync();
  },
  onResync: () => {
    loadFirstPage();
    if (detail.id !== null) detail.refreshSoon();
    doctor.resync();
  },
});

installKeys({
  move: (delta) => {
    if (doctor.isOpen) { doctor.move(delta); return; }
    const id = list.neighbour(delta);
    if (id !== null) select(id, { reveal: true, defer: true });
  },
  open: () => {
    if (doctor.isOpen) return;
    const id = selected ?? list.neighbour(1);
    if (id !== null) { clearTimeout(openTimer); select(id, { reveal: true }); }
  },
  replay: () => { if (detail.event && !doctor.isOpen) detail.replay({}); },
  copyCurl: () => { if (detail.event && !doctor.isOpen) detail.copyCurl('resign'); },
  focusSearch: () => {
    doctor.close();
    const q = /** @type {HTMLInputElement} */ (byId('q'));
    q.focus();
    q.select();
  },
  escape: () => {
    const q = /** @type {HTMLInputElement} */ (byId('q'));
    const active = document.activeElement;
    if (active instanceof HTMLInputElement || active instanceof HTMLTextAreaElement || active instanceof HTMLSelectElement) {
      if (active === q && q.value) {
        q.value = '';
        q.dispatchEvent(new Event('input'));
      } else {
        active.blur();
      }
      return;
    }
    if (doctor.isOpen) { doctor.close(); return; }
    if (selected !== null) { unselect(); return; }
    if (!isEmpty(filter)) clearFilter();
  },
  tab: (n) => {
    if (doctor.isOpen) return;
    const names = detail.tabNames();
    if (names[n - 1]) detail.showTab(names[n - 1]);
  },
  newest: () => { if (!doctor.isOpen) list.scrollToTop(); },
  testEndpoint: () => doctor.open(),
  mark: () => {
    if (doctor.isOpen || selected === null) return;
    markForCompare(selected);
    toast(`Marked #${selected}: open another event and press d to compare`, 'good');
  },
  compare: () => {
    if (doctor.isOpen || selected === null) return;
    const a = markedEvent();
    if (a === null || a === selected) { toast('Press m on one event first, then d on another', 'info'); return; }
    showCompare(a, selected, { toast, openEvent: (id) => select(id, { reveal: true }) });
  },
  schemas: () => { if (!doctor.isOpen) openSchemas(detail.event ? kindKey(detail.event) : undefined); },
});

byId('help-button').addEventListener('click', showHelp);
bindClearAll(/** @type {HTMLButtonElement} */ (byId('clear-all')));

/**
 * "clear all" deletes every stored event, on a second click within a few seconds.
 * @param {HTMLButtonElement} b
 */
function bindClearAll(b) {
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let disarm;
  b.addEventListener('click', async () => {
    if (!b.classList.contains('armed')) {
      b.classList.add('armed');
      b.textContent = 'click again to delete every event';
      disarm = setTimeout(() => { b.classList.remove('armed'); b.textContent = 'clear all'; }, 3000);
      return;
    }
    clearTimeout(disarm);
    b.classList.remove('armed');
    b.textContent = 'clear all';
    try {
      const r = await api.deleteAll();
      toast(`Deleted ${r && typeof r.deleted === 'number' ? r.deleted.toLocaleString('en-US') : 'all'} events`);
    } catch (err) {
      toast(`Could not delete: ${err instanceof Error ? err.message : err}`, 'error');
    }
  });
}
bindTheme();
setCapture(captureUrl);
loadStatus();
loadFirstPage();
if (selected !== null) select(selected, { reveal: true });
const askedDoctor = doctorParam();
if (askedDoctor !== null) doctor.open({ runId: askedDoctor || null });
