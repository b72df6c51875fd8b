// @ts-check
/**
 * hookpit's first page: events listed live, newest first, and the selected one's headers,
 * body and verdict. Every value from a webhook is set with textContent, never as HTML.
 */
import { status, listEvents, getEvent } from './api.js';
import { connectLive } from './live.js';

const list = /** @type {HTMLOListElement} */ (document.getElementById('events'));
const detail = /** @type {HTMLElement} */ (document.getElementById('detail'));
const empty = /** @type {HTMLElement} */ (document.getElementById('empty'));
/** @type {number|null} */
let selected = null;

/**
 * Creates an element with a class and text.
 * @param {string} tag
 * @param {string} [cls]
 * @param {string} [text]
 */
function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** @param {{status: string, reason: string|null}} v */
function badge(v) {
  const icon = { valid: '✓', invalid: '✗', unsigned: '–', unverified: '?' }[v.status] || '';
  const words = v.reason ? `${v.status} · ${v.reason.replaceAll('_', ' ')}` : v.status;
  return el('span', `badge ${v.status}`, `${icon} ${words}`);
}

/** @param {any} e an event summary */
function row(e) {
  const li = el('li', 'event');
  li.dataset.id = String(e.id);
  const first = el('div', 'line');
  first.append(el('time', 'muted', new Date(e.received_at).toLocaleTimeString()),
    el('span', 'method', e.method), el('span', 'path', e.path));
  const second = el('div', 'line');
  second.append(el('span', 'type', e.event_type || e.content_type || ''), badge(e.verification));
  if (e.run && e.run.status) second.append(el('span', `run ${e.run.status}`, e.run.status));
  if (e.duplicate_of) second.append(el('span', 'muted', `duplicate of #${e.duplicate_of}`));
  li.append(first, second);
  li.addEventListener('click', () => select(e.id));
  if (e.id === selected) li.classList.add('selected');
  return li;
}

/** @param {number} id */
async function select(id) {
  selected = id;
  for (const li of list.children) li.classList.toggle('selected', li instanceof HTMLElement && li.dataset.id === String(id));
  const e = await getEvent(id);
  detail.replaceChildren(
    el('h2', 'mono', `${e.method} ${e.path}${e.query ? `?${e.query}` : ''}`),
    el('p', 'muted', `#${e.id} · ${e.size} bytes · ${e.received_at} · ${e.source} · from ${e.remote_addr || '?'}`),
    el('p', `verdict ${e.verification.status}`, e.verification.message),
    el('h3', '', 'Headers'),
  );
  const table = el('table', 'headers');
  for (const [name, value] of e.headers) {
    const tr = el('tr');
    tr.append(el('th', 'mono', name), el('td', 'mono', value));
    table.append(tr);
  }
  detail.append(table, el('h3', '', `Body (${e.body.encoding})`), el('pre', 'body mono', pretty(e.body)));
}

/** @param {{encoding: string, data: string}} body */
function pretty(body) {
  if (body.encoding !== 'utf8') return body.data;
  try { return JSON.stringify(JSON.parse(body.data), null, 2); } catch { return body.data; }
}

/** Refetches the newest page and redraws the list. */
async function refresh() {
  const page = await listEvents();
  list.replaceChildren(...page.events.map(row));
  empty.hidden = page.events.length > 0;
}

/** @param {{type: string, data?: any}} msg */
function onMessage(msg) {
  if (msg.type === 'event.created') {
    list.prepend(row(msg.data));
    empty.hidden = true;
  } else if (msg.type === 'event.updated') {
    const old = list.querySelector(`[data-id="${msg.data.id}"]`);
    if (old) old.replaceWith(row(msg.data));
  } else if (msg.type === 'event.deleted') {
    list.querySelector(`[data-id="${msg.data.id}"]`)?.remove();
  } else if (msg.type === 'events.cleared') {
    list.replaceChildren();
    empty.hidden = false;
  }
}

const state = /** @type {HTMLElement} */ (document.getElementById('live-state'));
connectLive(onMessage, (s) => { state.textContent = s === 'live' ? '● live' : '○ reconnecting'; state.className = `state ${s}`; }, refresh);
status().then((s) => {
  /** @type {HTMLElement} */ (document.getElementById('capture-url')).textContent = s.capture_url;
  /** @type {HTMLElement} */ (document.getElementById('empty-curl')).textContent =
    `curl -X POST ${s.capture_url}/test -H 'content-type: application/json' -d '{"event_type":"ping"}'`;
});
refresh();
