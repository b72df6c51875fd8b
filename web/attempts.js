// @ts-check
/**
 * The Attempts tab: every forward and replay of the event, newest first — kind, mode, the app's
 * status (2xx green; 3xx, 4xx, 5xx red; pending amber), latency, error, and the response headers
 * and body — updated live. A replay with a new message id says so. Below, the timeline of the
 * message id: every delivery of the same webhook (the sender's retries) with its own attempts,
 * and the new message ids replays went out under, each with its own tries.
 */
import { el, span, button, copyButton } from './dom.js';
import { fmtDuration, fmtWhen, fmtRelative, fmtBytes } from './format.js';
import { statusChip, verdictBadge, attemptChip } from './badges.js';
import { fromBase64, hexDump } from './body.js';
import { parseJson, jsonTree } from './json.js';
import * as api from './api.js';
import { renderTargets, skippedCard } from './targets.js';

/** Response bodies longer than this are cut, with "show all". */
const BODY_CUT = 16 * 1024;

/**
 * @typedef {Object} Attempt one forward, replay or retry, as the API and the live stream carry it
 * @property {number} id
 * @property {number} event_id
 * @property {string} kind forward, replay or retry
 * @property {string} target
 * @property {string} mode proxy, ack, resign or verbatim
 * @property {string} started_at
 * @property {Array<[string, string]>} request_headers
 * @property {number | null} status
 * @property {Array<[string, string]>} response_headers
 * @property {{encoding: string, data: string}} response_body
 * @property {number | null} duration_ms
 * @property {string | null} error
 * @property {string | null} [next_retry_at]
 * @property {string | null} [msg_id] the message id this try carried
 * @property {boolean} [duplicate_delivery] the app had already been sent this message id
 * @property {string | null} [skipped] the route's rule that kept this forward from its target, or the transformation that cancelled it
 * @property {{method: string, url: string, body: {encoding: string, data: string}} | null} [transformed] what the route's transformation sent instead of the stored webhook
 */

/**
 * @typedef {Object} AttemptsContext
 * @property {(id: number) => void} openEvent select another event (from the timeline)
 * @property {() => void} replay replay with the default
 * @property {(target: string) => void} [replayTo] replay to one target (re-signed)
 */

/**
 * A headers table.
 * @param {Array<[string, string]>} headers
 */
export function headerTable(headers) {
  if (!headers.length) return el('p', { class: 'muted', text: 'none' });
  const table = el('table', 'headers mono');
  for (const [n, v] of headers) table.append(el('tr', null, el('th', { text: n }), el('td', { text: v })));
  return table;
}

/**
 * The message id an attempt sent (`svix-id` or `webhook-id`), or null when it sent none.
 * @param {Pick<Attempt, 'msg_id' | 'request_headers'>} a
 * @returns {string | null}
 */
export function sentMsgId(a) {
  if (typeof a.msg_id === 'string') return a.msg_id;
  const found = (a.request_headers || []).find(([n]) => /^(svix|webhook)-id$/i.test(n));
  return found ? found[1] : null;
}

/**
 * The message id an attempt went out under when it is not the event's own: a replay with a new
 * id is, for the app, another webhook — not a retry of this one.
 * @param {Pick<Attempt, 'msg_id' | 'request_headers'>} a
 * @param {string | null} msgId the event's message id
 * @returns {string | null}
 */
export function newMsgId(a, msgId) {
  const sent = sentMsgId(a);
  return sent !== null && msgId && sent !== msgId ? sent : null;
}

/**
 * A response body: JSON as a small tree, text as text, binary as hex.
 * @param {{encoding: string, data: string}} body
 */
function responseBody(body) {
  if (!body || !body.data) return el('p', { class: 'muted', text: 'empty' });
  if (body.encoding !== 'utf8') {
    const bytes = fromBase64(body.data);
    return el('pre', { class: 'hex mono', text: hexDump(bytes, 0, Math.min(bytes.length, 4096)) });
  }
  const text = body.data;
  if (/^\s*[[{]/.test(text)) {
    const p = parseJson(text);
    if (p.ok) return jsonTree(p.value, { open: 2, budget: 100 });
  }
  const pre = el('pre', { class: 'raw mono', text: text.length > BODY_CUT ? text.slice(0, BODY_CUT) : text });
  if (text.length <= BODY_CUT) return pre;
  const more = button(`show all ${fmtBytes(text.length)}`, () => { pre.textContent = text; more.remove(); }, 'link-button more');
  return el('div', null, pre, more);
}

/**
 * One attempt as a card.
 * @param {Attempt} a
 * @param {boolean} open whether its response is shown
 * @param {string | null} msgId the event's message id, to tell a replay with a new id
 */
function card(a, open, msgId) {
  if (a.skipped) return skippedCard(a);
  const fresh = newMsgId(a, msgId);
  const head = el('div', 'attempt-head',
    statusChip(a),
    span('kind', a.kind),
    span('mode', a.mode),
    fresh ? span('chip new-id tone-busy', 'new id', 'Sent with a new message id') : null,
    a.duplicate_delivery ? span('chip dup-delivery tone-grey', 'duplicate', 'The app had already been sent this message id: this try tests its duplicate handling') : null,
    typeof a.duration_ms === 'number' ? span('latency', fmtDuration(a.duration_ms)) : span('latency muted', a.status === null && !a.error ? 'in flight…' : ''),
    span('when muted', fmtWhen(a.started_at), a.started_at),
    span('target mono', a.target, a.target));
  const c = el('article', { class: `attempt tone-${typeof a.status === 'number' ? (a.status >= 200 && a.status < 300 ? 'good' : 'bad') : a.error ? 'bad' : 'pending'}`, data: { id: String(a.id) } }, head);
  if (fresh) {
    c.append(el('p', 'new-id-text', 'Sent as a new message ', span('mono', fresh),
      ': the app sees another webhook, not a retry of ', span('mono', String(msgId)), '.'));
  }
  if (a.error) c.append(el('p', { class: 'error-text', text: a.error }));
  if (a.next_retry_at) {
    c.append(el('p', { class: 'pending-text', text: `… next retry ${fmtWhen(a.next_retry_at)} (${fmtRelative(Date.parse(a.next_retry_at))})` }));
  }
  const resp = el('details', 'attempt-part', el('summary', { text: `Response${typeof a.status === 'number' ? ` ${a.status}` : ''} · ${a.response_headers.length} headers` }),
    el('h4', { text: 'Headers' }), headerTable(a.response_headers),
    el('h4', { text: 'Body' }), responseBody(a.response_body));
  resp.open = open && (typeof a.status === 'number');
  if (resp.open) resp.dataset.auto = '1';
  resp.addEventListener('toggle', () => { if (resp.dataset.auto && !resp.open) delete resp.dataset.auto; });
  resp.querySelector('summary')?.addEventListener('click', () => { delete resp.dataset.auto; });
  const req = el('details', 'attempt-part', el('summary', { text: `Request headers sent · ${a.request_headers.length}` }),
    headerTable(a.request_headers));
  c.append(resp, req);
  if (a.transformed) {
    const t = a.transformed;
    const sent = el('details', { class: 'attempt-part transformed', attrs: { 'data-test': 'attempt-transformed' } },
      el('summary', { text: `Transformed request sent · ${t.method} ${t.url}` }),
      responseBody(t.body));
    c.append(sent);
  }
  return c;
}

/**
 * The Attempts tab; `upsert` adds or replaces an attempt that arrived live.
 * @param {any} e the event detail
 * @param {AttemptsContext} ctx
 * @returns {{root: HTMLElement, upsert: (a: Attempt) => void}}
 */
export function renderAttempts(e, ctx) {
  const root = el('div', 'attempts-tab');
  /** @type {string | null} */
  const msgId = e.msg_id || null;
  const list = el('div', 'attempt-list');
  const empty = el('div', 'muted empty-note',
    el('p', { text: 'No forward or replay yet.' }),
    el('p', null, 'Start hookpit with ', span('mono', '--forward URL'), ' to pass webhooks on to your app, or replay this one: ', button('Replay', () => ctx.replay(), 'btn small')));
  /** @type {Map<number, Attempt>} */
  const attempts = new Map();
  for (const a of e.attempts || []) attempts.set(a.id, a);
  const targets = el('section', 'targets');
  const drawTargets = () => targets.replaceChildren(...renderTargets([...attempts.values()], ctx));
  const draw = () => {
    const sorted = [...attempts.values()].sort((x, y) => y.id - x.id);
    list.replaceChildren(...sorted.map((a, i) => card(a, i === 0, msgId)));
    empty.hidden = sorted.length > 0;
    drawTargets();
  };
  draw();
  root.append(empty, targets, list);
  const deliveries = msgId ? timeline(e, msgId, ctx) : null;
  if (deliveries) root.append(deliveries.root);
  return {
    root,
    upsert: (a) => {
      // A finished try changes the counts of the timeline (under this id or a new one).
      if (deliveries && (typeof a.status === 'number' || a.error)) deliveries.reload();
      const had = attempts.has(a.id);
      attempts.set(a.id, a);
      empty.hidden = true;
      drawTargets();
      const old = list.querySelector(`:scope > [data-id="${Number(a.id)}"]`);
      const newest = Math.max(...attempts.keys()) === a.id;
      if (had && old) {
        const wasOpen = /** @type {HTMLDetailsElement | null} */ (old.querySelector('details'))?.open;
        old.replaceWith(card(a, newest || !!wasOpen, msgId));
      } else if (newest) {
        // The newest shows its response; ones opened only because they were newest close.
        for (const d of list.querySelectorAll('details[data-auto]')) /** @type {HTMLDetailsElement} */ (d).open = false;
        list.prepend(card(a, true, msgId));
      } else {
        draw();
      }
    },
  };
}

/**
 * The message id's timeline, fetched when shown and again on `reload`: every delivery of the
 * id with the tries the app saw under it, then each new message id a replay of them went out
 * under, with its own tries — a replay with a new id counts there, not as a retry of this one.
 * @param {any} e
 * @param {string} msgId
 * @param {AttemptsContext} ctx
 * @returns {{root: HTMLElement, reload: () => void}}
 */
function timeline(e, msgId, ctx) {
  const heading = el('h3', null, 'Deliveries of ', span('mono', msgId), ' ', copyButton(() => msgId));
  const box = el('section', 'timeline', heading, el('p', { class: 'muted', text: 'Loading…' }));
  let seq = 0;
  const reload = () => {
    const mine = ++seq;
    api.messageTimeline(msgId).then((t) => {
      if (mine !== seq) return;
      const rows = el('ol', 'timeline-list');
      /** @type {Map<string, {from: number[], tries: Attempt[]}>} */
      const others = new Map();
      for (const d of t.deliveries || []) {
        /** @type {Attempt[]} */
        const tries = [];
        for (const a of /** @type {Attempt[]} */ (d.attempts || [])) {
          if (a.skipped) continue; // nothing was sent
          const fresh = newMsgId(a, msgId);
          if (!fresh) { tries.push(a); continue; }
          const o = others.get(fresh) || { from: [], tries: [] };
          if (!o.from.includes(d.id)) o.from.push(d.id);
          o.tries.push(a);
          others.set(fresh, o);
        }
        const last = tries.length ? tries[tries.length - 1] : null;
        rows.append(el('li', { class: d.id === e.id ? 'current' : '', data: { id: String(d.id) } },
          span('when mono', fmtWhen(d.received_at), d.received_at),
          button(`#${d.id}`, () => ctx.openEvent(d.id), 'link-button mono', 'Open this delivery'),
          span('muted', d.source),
          verdictBadge(d.verification),
          d.duplicate_of ? span('chip dup', `dup of #${d.duplicate_of}`) : span('chip first', 'first'),
          span('muted tries', plural(tries.length, 'try', 'tries')),
          last ? attemptChip(last) : null,
          d.id === e.id ? span('muted', '← this one') : null));
      }
      const parts = [heading, rows];
      if (others.size) {
        const list = el('ol', 'timeline-list new-ids');
        for (const [id, o] of others) {
          const last = o.tries.reduce((x, y) => (y.id > x.id ? y : x));
          list.append(el('li', { class: 'new-id', data: { msgId: id } },
            span('chip new-id tone-busy', 'new id'),
            span('mono', id),
            span('muted', `replayed from ${o.from.map((n) => `#${n}`).join(', ')}`),
            span('muted tries', plural(o.tries.length, 'try', 'tries')),
            attemptChip(last)));
        }
        parts.push(el('h3', { text: 'Replays sent as new messages' }), list);
      }
      box.replaceChildren(...parts);
    }).catch((err) => {
      if (mine !== seq) return;
      box.replaceChildren(heading, el('p', { class: 'muted', text: `Timeline unavailable: ${err instanceof Error ? err.message : err}` }));
    });
  };
  reload();
  return { root: box, reload };
}

/**
 * "1 try", "3 tries".
 * @param {number} n
 * @param {string} one
 * @param {string} many
 */
function plural(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}
