// @ts-check
/**
 * The run's webhooks, a section of the Run tab: every stored webhook of the open event's run
 * (`GET /api/runs/{run_id}`) in time order — the first delivery, Svix's retries of a message,
 * the run retried under a new message id `<run_id>_<ms>` — each with its run status, verdict
 * and what the app answered. The webhook on view is marked; any other is a button that opens it
 * (Tab to it, Enter).
 */
import { el, span, button } from './dom.js';
import { fmtWhen, fmtAbsolute } from './format.js';
import { runChip, verdictBadge, attemptChip } from './badges.js';
import * as api from './api.js';

/**
 * @typedef {Object} RunWebhook one webhook of a run, as `GET /api/runs/{run_id}` lists it
 * @property {number} event_id
 * @property {string} received_at
 * @property {string | null} msg_id
 * @property {'run_id' | 'msg_id'} found_by
 * @property {'first' | 'svix_retry' | 'run_retry'} delivery
 * @property {number | null} svix_retry
 * @property {number | null} duplicate_of
 * @property {string | null} retried_at
 * @property {string | null} run_status
 * @property {{status: string, reason?: string | null, skew_s?: number | null}} verification
 * @property {{status: number | null, error: string | null, duration_ms: number | null, tries: number} | null} forward
 */

/**
 * What a webhook is to its run, in words: "first delivery", "Svix retry #2", "run retried at
 * 2023-12-11 17:00:00.000" (local time), "run retried (new message id)".
 * @param {RunWebhook} w
 * @returns {string}
 */
export function deliveryLabel(w) {
  switch (w.delivery) {
    case 'first': return 'first delivery';
    case 'svix_retry': return `Svix retry #${w.svix_retry ?? 1}`;
    case 'run_retry': return w.retried_at ? `run retried at ${fmtAbsolute(new Date(w.retried_at))}` : 'run retried (new message id)';
  }
  return w.delivery;
}

/** Tooltips of the labels. */
const LABEL_TITLES = {
  first: 'The run\'s first webhook',
  svix_retry: 'Svix delivered this message again (same message id): the app should answer 2xx and not do the work twice',
  run_retry: 'The run was retried: a new webhook under a new message id, with the run\'s new outcome — new work for the app',
};

/**
 * One row: a button that opens the webhook, or the marked one on view.
 * @param {RunWebhook} w
 * @param {number} currentId
 * @param {(id: number) => void} openEvent
 */
function row(w, currentId, openEvent) {
  const current = w.event_id === currentId;
  const parts = [
    span('when mono', fmtWhen(w.received_at), w.received_at),
    span(`chip delivery ${w.delivery}`, deliveryLabel(w), LABEL_TITLES[w.delivery]),
    w.run_status ? runChip(w.run_status) : span('muted', 'no run.id', 'Its body has no run.id; its message id names this run'),
    verdictBadge(w.verification),
    w.forward ? attemptChip(w.forward) : span('muted not-forwarded', 'not forwarded'),
    w.forward ? span('muted tries', w.forward.tries === 1 ? '1 try' : `${w.forward.tries} tries`) : null,
    span('mono msg-id', w.msg_id || '(no message id)', 'Message id'),
    span('muted id', `#${w.event_id}`),
  ];
  const li = el('li', { class: current ? 'current' : '', data: { id: String(w.event_id), delivery: w.delivery } });
  if (current) {
    li.setAttribute('aria-current', 'true');
    li.append(el('div', 'rw-line', ...parts, span('viewing', '← viewing')));
  } else {
    const open = button('', () => openEvent(w.event_id), 'rw-line', `Open #${w.event_id}`);
    open.append(...parts.filter((p) => p !== null));
    li.append(open);
  }
  return li;
}

/**
 * The section, filled once the run's webhooks are fetched.
 * @param {string} runId
 * @param {number} currentId the event on view
 * @param {(id: number) => void} openEvent
 * @returns {HTMLElement}
 */
export function runWebhooks(runId, currentId, openEvent) {
  const heading = el('h3', { text: 'Webhooks of this run' });
  const box = el('section', 'run-section run-webhooks', heading, el('p', { class: 'muted', text: 'Loading…' }));
  api.runWebhooks(runId).then((run) => {
    /** @type {RunWebhook[]} */
    const list = run.webhooks || [];
    const retried = list.filter((w) => w.delivery === 'run_retry').length;
    const svix = list.filter((w) => w.delivery === 'svix_retry').length;
    heading.textContent = `Webhooks of this run (${list.length})`;
    const summary = [
      svix ? `${svix} Svix ${svix === 1 ? 'retry' : 'retries'}` : null,
      retried ? `retried ${retried === 1 ? 'once' : `${retried} times`}` : null,
    ].filter(Boolean).join(' · ');
    const parts = [heading,
      summary ? el('p', { class: 'muted rw-summary', text: summary }) : null,
      el('ol', 'run-webhook-list', ...list.map((w) => row(w, currentId, openEvent))),
      run.truncated ? el('p', { class: 'muted', text: `Only the first ${list.length} are listed.` }) : null];
    box.replaceChildren(.../** @type {HTMLElement[]} */ (parts.filter((p) => p !== null)));
  }).catch((err) => {
    box.replaceChildren(heading, el('p', { class: 'muted', text: `Unavailable: ${err instanceof Error ? err.message : err}` }));
  });
  return box;
}
