// @ts-check
/**
 * The bulk replay ("recover") dialog: replays every event since a time, in original, reverse
 * or seeded shuffled order, with a share sent twice under the same message id and several in
 * flight at once; then shows the run's log (each message's position, whether it was a
 * duplicate, when it went out and what the app answered) until the run ends. The seed is shown
 * so the same run can be asked for again.
 */
import * as api from './api.js';
import { el, span } from './dom.js';
import { fmtWhen } from './format.js';

/** How often the log is read while the run goes on, in ms. */
const POLL_MS = 300;

/**
 * A labelled field.
 * @param {string} label
 * @param {HTMLElement} input
 * @param {string} [hint]
 */
function field(label, input, hint) {
  return el('label', 'field', span('field-label', label), input, hint ? span('muted', hint) : null);
}

/**
 * The local time `ms` ago, as a datetime-local input wants it.
 * @param {number} ms
 */
function localAgo(ms) {
  const d = new Date(Date.now() - ms - new Date().getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}

/**
 * One row of the log.
 * @param {any} s a step of `GET /api/replay/{job}`
 */
function stepRow(s) {
  const ok = s.status != null && s.status >= 200 && s.status < 300;
  const answer = s.finished_at == null
    ? (s.started_at == null ? 'waiting' : 'in flight')
    : s.status != null ? `→ ${s.status}` : `✗ ${s.error ?? 'no answer'}`;
  return el('tr', { class: `rl-step${s.duplicate ? ' dup' : ''}`, data: { position: String(s.position) } },
    el('td', { class: 'num', text: String(s.position + 1) }),
    el('td', { text: `#${s.event_id}` }),
    el('td', { text: s.duplicate ? 'duplicate' : '' }),
    el('td', { class: 'mono', text: s.started_at ? fmtWhen(s.started_at) : '' }),
    el('td', { class: ok ? 'good' : s.finished_at ? 'bad' : 'muted', text: answer }));
}

/** Opens the dialog. */
export function openRecover() {
  const since = el('input', { attrs: { type: 'datetime-local', name: 'since', value: localAgo(3_600_000), required: '' } });
  const onlyFailed = el('input', { attrs: { type: 'checkbox', name: 'only_failed' } });
  const order = el('select', { attrs: { name: 'order' } },
    el('option', { text: 'original (oldest first)', attrs: { value: 'original' } }),
    el('option', { text: 'reverse (newest first)', attrs: { value: 'reverse' } }),
    el('option', { text: 'shuffle (seeded)', attrs: { value: 'shuffle' } }));
  const seed = el('input', { attrs: { type: 'number', name: 'seed', min: '0', step: '1', placeholder: 'random' } });
  const duplicates = el('input', { attrs: { type: 'number', name: 'duplicates', min: '0', max: '1', step: '0.05', value: '0' } });
  const concurrency = el('input', { attrs: { type: 'number', name: 'concurrency', min: '1', max: '64', step: '1', value: '1' } });
  const summary = el('p', { class: 'rl-summary', attrs: { role: 'status' } });
  const rows = el('tbody');
  const log = el('table', { class: 'rl-log', attrs: { hidden: '' } },
    el('thead', null, el('tr', null, ...['#', 'event', '', 'sent', 'app'].map((h) => el('th', { text: h })))), rows);
  const error = el('p', { class: 'error-text', attrs: { role: 'alert' } });
  const start = el('button', { class: 'btn primary', text: 'Replay', attrs: { type: 'submit' } });
  const close = el('button', { class: 'btn', text: 'Close', attrs: { type: 'button' } });
  const form = el('form', { class: 'recover', attrs: { method: 'dialog' } },
    el('h2', { text: 'Replay many' }),
    field('Received since', since),
    el('label', 'check', onlyFailed, ' only those the app has not answered 2xx'),
    el('div', 'rl-options',
      field('Order', order),
      field('Seed', seed, 'same seed, same order'),
      field('Duplicates', duplicates, 'share sent twice, same message id'),
      field('Concurrency', concurrency, 'in flight at once')),
    summary, log, error,
    el('div', 'dialog-actions', close, start));
  const dialog = el('dialog', 'wide', form);
  let closed = false;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  const finish = () => { closed = true; clearTimeout(timer); dialog.close(); dialog.remove(); };
  close.addEventListener('click', finish);
  dialog.addEventListener('cancel', (e) => { e.preventDefault(); finish(); });

  /** @param {number} job */
  const follow = async (job) => {
    if (closed) return;
    try {
      const j = await api.replayJob(job);
      rows.replaceChildren(...j.steps.map(stepRow));
      const o = j.options;
      summary.textContent = `Job ${job}: ${j.done} of ${j.total} sent · ${j.state} · order ${o.order}, seed ${o.seed}, duplicates ${o.duplicates}, concurrency ${o.concurrency}`;
      if (j.state === 'running') timer = setTimeout(() => follow(job), POLL_MS);
      else start.disabled = false;
    } catch (err) {
      error.textContent = err instanceof Error ? err.message : String(err);
      start.disabled = false;
    }
  };

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.textContent = '';
    /** @type {Record<string, unknown>} */
    const body = {
      since: new Date(since.value).toISOString(),
      only_failed: onlyFailed.checked,
      order: order.value,
      duplicates: Number(duplicates.value || '0'),
      concurrency: Number(concurrency.value || '1'),
    };
    if (seed.value !== '') body.seed = Number(seed.value);
    start.disabled = true;
    try {
      const r = await api.bulkReplay(body);
      seed.value = String(r.options.seed);
      log.hidden = false;
      await follow(r.job);
    } catch (err) {
      error.textContent = err instanceof Error ? err.message : String(err);
      start.disabled = false;
    }
  });
  document.body.append(dialog);
  dialog.showModal();
}
