// @ts-check
/**
 * The coloured chips of the list and the detail. Colour never stands alone: each chip has an
 * icon and a word too (UI.md "Meaning of colour").
 */
import { el } from './dom.js';
import { fmtAge, fmtAgeShort, fmtDuration, fmtWhen } from './format.js';

/** Words for why a verdict is invalid, short enough for a list line. */
const REASON_WORDS = {
  signature_mismatch: 'bad signature',
  timestamp_too_old: 'stale',
  timestamp_too_new: 'from the future',
  bad_timestamp: 'bad timestamp',
  missing_header: 'missing header',
  malformed_signature: 'malformed signature',
};

/** Longer explanations, for tooltips. */
const REASON_TITLES = {
  signature_mismatch: 'The signature matches no configured key: the body, id or timestamp changed, or the key is wrong.',
  timestamp_too_old: 'The signature timestamp is more than 5 min older than the arrival: a Svix verifier would reject it.',
  timestamp_too_new: 'The signature timestamp is more than 5 min in the future: a Svix verifier would reject it.',
  bad_timestamp: 'The timestamp header is not a whole number of unix seconds.',
  missing_header: 'A header the signature scheme needs is missing.',
  malformed_signature: 'The signature header has no entry of a known form.',
};

/**
 * The verdict badge: ✓ valid, ✗ stale 12m, – unsigned, ? add a key. How stale (or how far in the
 * future) comes from `skew_s`, arrival minus the signed timestamp: positive is old.
 * @param {{status: string, reason?: string|null, skew_s?: number|null}} v
 * @returns {HTMLSpanElement}
 */
export function verdictBadge(v) {
  const status = v && v.status ? v.status : 'unsigned';
  let icon = '–';
  let words = status;
  let title = '';
  switch (status) {
    case 'valid':
      icon = '✓';
      title = 'Signature and timestamp pass';
      break;
    case 'invalid': {
      icon = '✗';
      const reason = v.reason || '';
      words = REASON_WORDS[/** @type {keyof typeof REASON_WORDS} */ (reason)] || 'invalid';
      title = `invalid: ${REASON_TITLES[/** @type {keyof typeof REASON_TITLES} */ (reason)] || reason}`;
      if ((reason === 'timestamp_too_old' || reason === 'timestamp_too_new') && typeof v.skew_s === 'number') {
        const old = v.skew_s >= 0;
        words = `${old ? 'stale' : 'future'} ${fmtAgeShort(v.skew_s)}`;
        title += ` It was signed ${fmtAge(v.skew_s)} ${old ? 'before' : 'after'} it arrived.`;
      }
      break;
    }
    case 'unverified':
      icon = '?';
      words = 'add a key';
      title = 'unverified: signed, but hookpit has no key to check it. Add one in the Verification tab.';
      break;
    case 'unsigned':
      icon = '–';
      title = 'No signature headers';
      break;
  }
  return el('span', { class: `chip verdict-${status}`, title }, el('span', { class: 'icon', text: icon }), words);
}

/**
 * The Cyberdesk run status chip: success green, task_failed/error red, cancelled grey.
 * @param {string} status
 * @returns {HTMLSpanElement}
 */
export function runChip(status) {
  const tone = runTone(status);
  const icon = { good: '✓', bad: '✗', grey: '⊘', busy: '…' }[tone];
  return el('span', { class: `chip run tone-${tone}`, title: `Cyberdesk run ${status}` },
    el('span', { class: 'icon', text: icon }), status);
}

/**
 * The tone of a run or post-run-check status.
 * @param {string | null | undefined} status
 * @returns {'good'|'bad'|'grey'|'busy'}
 */
export function runTone(status) {
  switch (status) {
    case 'success': return 'good';
    case 'task_failed': case 'error': case 'failed': case 'infra_error': return 'bad';
    case 'cancelled': return 'grey';
    default: return 'busy';
  }
}

/**
 * The tone of an app's answer: 2xx good; 3xx, 4xx and 5xx bad (Svix counts a 3xx as a failure);
 * no answer yet pending; no answer at all bad.
 * @param {{status?: number|null, error?: string|null, duration_ms?: number|null, next_retry_at?: string|null}} a
 * @returns {'good'|'bad'|'pending'}
 */
export function attemptTone(a) {
  if (typeof a.status === 'number') return a.status >= 200 && a.status < 300 ? 'good' : 'bad';
  if (a.error) return 'bad';
  return 'pending';
}

/**
 * The last forward/replay chip of a list line: "→ 200 · 12 ms", "→ 500", "→ ✗ refused", "→ … pending".
 * @param {{status?: number|null, error?: string|null, duration_ms?: number|null, next_retry_at?: string|null}} a
 * @returns {HTMLSpanElement}
 */
export function attemptChip(a) {
  const tone = attemptTone(a);
  const icon = { good: '✓', bad: '✗', pending: '…' }[tone];
  let words;
  if (typeof a.status === 'number') words = String(a.status);
  else if (a.error) words = shortError(a.error);
  else words = 'pending';
  let title = `Last delivery to the app: ${typeof a.status === 'number' ? `HTTP ${a.status}` : a.error || 'in flight'}`;
  if (a.next_retry_at) title += `; next retry ${fmtWhen(a.next_retry_at)}`;
  return el('span', { class: `chip last-try tone-${tone}`, title },
    el('span', { class: 'icon', text: `→${icon}` }),
    el('span', { class: 'lt-app', text: 'app' }), words,
    typeof a.duration_ms === 'number' && tone !== 'pending'
      ? el('span', { class: 'lt-ms', text: `· ${fmtDuration(a.duration_ms)}` }) : null);
}

/**
 * A few words for a delivery error ("connection refused", "timeout").
 * @param {string} error
 */
export function shortError(error) {
  const e = error.toLowerCase();
  if (e.includes('refused')) return 'refused';
  if (e.includes('timed out') || e.includes('timeout')) return 'timeout';
  if (e.includes('dns') || e.includes('resolve')) return 'dns error';
  return 'error';
}

/**
 * An HTTP status chip for the Attempts tab: 2xx green, others red, none amber.
 * @param {{status?: number|null, error?: string|null, next_retry_at?: string|null}} a
 */
export function statusChip(a) {
  const tone = attemptTone(a);
  const icon = { good: '✓', bad: '✗', pending: '…' }[tone];
  const words = typeof a.status === 'number' ? String(a.status) : a.error ? 'no answer' : 'pending';
  return el('span', { class: `chip status tone-${tone}` }, el('span', { class: 'icon', text: icon }), words);
}

/** Each doctor outcome's tone, icon and word: like the CLI, never colour alone. */
const OUTCOMES = {
  pass: { tone: 'good', icon: '✓', word: 'PASS', title: 'The app answered as Svix needs' },
  fail: { tone: 'bad', icon: '✗', word: 'FAIL', title: 'Breaks with Svix, or lets forgeries in' },
  warn: { tone: 'pending', icon: '!', word: 'WARN', title: 'Works with Svix, but should be better' },
  info: { tone: 'grey', icon: 'i', word: 'INFO', title: 'Only reported: any answer is fine' },
};

/**
 * A doctor scenario's (or diagnosis') verdict: ✓ PASS, ✗ FAIL, ! WARN, i INFO.
 * @param {string} outcome pass | fail | warn | info
 * @returns {HTMLSpanElement}
 */
export function outcomeChip(outcome) {
  const o = OUTCOMES[/** @type {keyof typeof OUTCOMES} */ (outcome)] || { tone: 'grey', icon: '?', word: String(outcome).toUpperCase(), title: '' };
  return el('span', { class: `chip outcome tone-${o.tone}`, title: o.title, data: { outcome: String(outcome) } },
    el('span', { class: 'icon', text: o.icon }), o.word);
}

/**
 * The tone of a doctor outcome.
 * @param {string} outcome
 * @returns {string}
 */
export function outcomeTone(outcome) {
  return OUTCOMES[/** @type {keyof typeof OUTCOMES} */ (outcome)]?.tone || 'grey';
}
