// @ts-check
/**
 * The scenarios `hookpit doctor` runs, for the "which scenarios" picker of the Test my endpoint
 * form. This mirrors `BATTERY` in src/doctor/scenarios.rs (the browser test checks that the names
 * match); the server checks every name it is sent, and a run shows the titles the server gives.
 */

/**
 * @typedef {Object} ScenarioInfo
 * @property {string} name as `only` takes it
 * @property {string} title what it sends
 * @property {'2xx'|'4xx'|'info'} expect what a correct app answers
 */

/** Every scenario, in the order they run. @type {ScenarioInfo[]} */
export const SCENARIOS = [
  { name: 'compact', title: 'valid compact run_complete', expect: '2xx' },
  { name: 'pretty', title: 'the same event pretty-printed', expect: '2xx' },
  { name: 'unicode', title: 'non-ASCII text (é, emoji, U+2028), raw and \\u-escaped', expect: '2xx' },
  { name: 'status_success', title: 'run.status success', expect: '2xx' },
  { name: 'status_error', title: 'run.status error', expect: '2xx' },
  { name: 'status_task_failed', title: 'run.status task_failed', expect: '2xx' },
  { name: 'status_cancelled', title: 'run.status cancelled', expect: '2xx' },
  { name: 'check_failed', title: 'task_failed with a failed post-run check', expect: '2xx' },
  { name: 'tampered_body', title: 'one byte of the body changed after signing', expect: '4xx' },
  { name: 'wrong_secret', title: 'signed with the wrong secret', expect: '4xx' },
  { name: 'missing_signature', title: 'no svix-signature header', expect: '4xx' },
  { name: 'malformed_signature', title: 'malformed svix-signature (v1,<hex>)', expect: '4xx' },
  { name: 'old_timestamp', title: 'correctly signed, 10 minutes old', expect: '4xx' },
  { name: 'future_timestamp', title: 'correctly signed, 10 minutes in the future', expect: '4xx' },
  { name: 'rotation', title: 'two signatures, only the second matches', expect: '2xx' },
  { name: 'duplicate', title: 'the same svix-id twice, freshly signed', expect: '2xx' },
  { name: 'retried_run', title: 'a run\'s webhook, then the run retried (same run.id, new svix-id <run_id>_<ms>)', expect: '2xx' },
  { name: 'large_body', title: 'a 1 MiB body', expect: '2xx' },
  { name: 'webhook_headers', title: 'webhook-* headers instead of svix-*', expect: 'info' },
];

/** The picker's groups: what a correct app answers, in words. */
export const GROUPS = /** @type {const} */ ([
  ['2xx', 'Deliveries Svix makes — must be acknowledged with a 2xx'],
  ['4xx', 'Forgeries and replays — must be refused with a 4xx'],
  ['info', 'Only reported'],
]);
