// @ts-check
/**
 * Forwarding per target, above the Attempts tab's cards: for each target the event was
 * forwarded to (a route may fan out to several), its latest outcome, how many tries it took and
 * when the next retry is due; or, when a route's rule (`events`, `match`, `--events`) kept the
 * event back, that it was skipped and by which rule. Built from the event's attempts, so live
 * attempt frames update it.
 */
import { el, span, button } from './dom.js';
import { fmtWhen, fmtRelative } from './format.js';
import { statusChip } from './badges.js';

/**
 * Each forward target with its tries (forwards and retries) or its skipped record, in the order
 * each was first seen.
 * @param {import('./attempts.js').Attempt[]} attempts
 * @returns {Map<string, import('./attempts.js').Attempt[]>}
 */
export function byTarget(attempts) {
  /** @type {Map<string, import('./attempts.js').Attempt[]>} */
  const targets = new Map();
  for (const a of [...attempts].sort((x, y) => x.id - y.id)) {
    if (a.kind !== 'forward' && a.kind !== 'retry') continue;
    const tries = targets.get(a.target) || [];
    tries.push(a);
    targets.set(a.target, tries);
  }
  return targets;
}

/**
 * "1 try", "3 tries".
 * @param {number} n
 */
function tries(n) {
  return `${n} ${n === 1 ? 'try' : 'tries'}`;
}

/**
 * The per-target rows; nothing when the event was never forwarded.
 * @param {import('./attempts.js').Attempt[]} attempts
 * @param {import('./attempts.js').AttemptsContext} ctx
 * @returns {HTMLElement[]}
 */
export function renderTargets(attempts, ctx) {
  const targets = byTarget(attempts);
  if (!targets.size) return [];
  const rows = el('ul', 'target-list');
  for (const [target, list] of targets) {
    const last = list[list.length - 1];
    const skipped = list.find((a) => a.skipped);
    const row = el('li', { class: `target-row tone-${skipped ? 'grey' : toneOf(last)}`, data: { target } });
    if (skipped) {
      row.append(
        span('chip skipped tone-grey', '– skipped', 'Not forwarded: a rule of the route kept this event back'),
        span('target mono', target, target),
        el('span', 'rule', 'by ', span('mono', String(skipped.skipped))));
    } else {
      const sent = list.filter((a) => !a.skipped);
      row.append(
        statusChip(last),
        span('target mono', target, target),
        span('muted tries', tries(sent.length)));
      if (last.next_retry_at) {
        row.append(span('pending-text', `next retry ${fmtRelative(Date.parse(last.next_retry_at))}`, fmtWhen(last.next_retry_at)));
      }
    }
    if (ctx.replayTo) {
      const replayTo = ctx.replayTo;
      row.append(button('Replay here', () => replayTo(target), 'link-button', `Replay this event to ${target}, re-signed`));
    }
    rows.append(row);
  }
  return [el('h3', { text: targets.size === 1 ? 'Forward target' : `Forward targets (${targets.size})` }), rows];
}

/**
 * The tone of a try: 2xx good, any other answer or an error bad, else pending.
 * @param {import('./attempts.js').Attempt} a
 */
function toneOf(a) {
  if (typeof a.status === 'number') return a.status >= 200 && a.status < 300 ? 'good' : 'bad';
  return a.error ? 'bad' : 'pending';
}

/**
 * A skipped forward as a card among the attempts: the target and the rule, nothing sent.
 * @param {import('./attempts.js').Attempt} a
 */
export function skippedCard(a) {
  return el('article', { class: 'attempt skipped tone-grey', data: { id: String(a.id) } },
    el('div', 'attempt-head',
      span('chip status tone-grey', '– skipped'),
      span('kind', a.kind),
      span('when muted', fmtWhen(a.started_at), a.started_at),
      span('target mono', a.target, a.target)),
    String(a.skipped).startsWith('transformation ')
      ? el('p', 'skip-text', 'Not sent: ', span('mono', String(a.skipped)), ' (the route\'s Svix transformation cancelled it).')
      : el('p', 'skip-text', 'Not forwarded: the route\'s rule ', span('mono', String(a.skipped)), ' kept this event back.'));
}
