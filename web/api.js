// @ts-check
/** The JSON API of the UI listener (README "The JSON API and live stream"). */

/** An API answer that was not 2xx, with the server's reason. */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} message
   */
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/**
 * Sends one request and parses the JSON answer; throws an ApiError with the server's
 * `{"error"}` message when it is not 2xx.
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body] sent as JSON when given
 * @returns {Promise<any>}
 */
async function request(method, path, body) {
  /** @type {RequestInit} */
  const init = { method, headers: { accept: 'application/json' } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { accept: 'application/json', 'content-type': 'application/json' };
  }
  let resp;
  try {
    resp = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, `hookpit is not reachable (${e instanceof Error ? e.message : e})`);
  }
  const text = await resp.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!resp.ok) {
    const reason = json && typeof json.error === 'string' ? json.error : text.slice(0, 200);
    throw new ApiError(resp.status, reason || `${method} ${path}: ${resp.status}`);
  }
  return json;
}

/**
 * `GET /api/status`: version, capture_url, ui_url, db_path, events, index, forward, relay.
 * @returns {Promise<any>}
 */
export const getStatus = () => request('GET', '/api/status');

/**
 * One page of events, newest first.
 * @param {URLSearchParams} filter the list filters (q, verification, type, path, run_status)
 * @param {number | null} before keyset cursor (`next_before` of the previous page)
 * @param {number} limit page size (server caps at 500)
 * @returns {Promise<{events: any[], next_before: number | null}>}
 */
export function listEvents(filter, before = null, limit = 100) {
  const params = new URLSearchParams(filter);
  params.set('limit', String(limit));
  if (before !== null) params.set('before', String(before));
  return request('GET', `/api/events?${params}`);
}

/**
 * One event with headers, body, full verdict and attempts.
 * @param {number} id
 */
export const getEvent = (id) => request('GET', `/api/events/${id}`);

/**
 * Deletes one event.
 * @param {number} id
 */
export const deleteEvent = (id) => request('DELETE', `/api/events/${id}`);

/** Deletes every event. */
export const deleteAll = () => request('DELETE', '/api/events');

/**
 * Replays one event; answers the Attempt.
 * @param {number} id
 * @param {{mode?: 'resign'|'verbatim', new_id?: boolean, target?: string, body?: string}} [opts]
 */
export const replay = (id, opts = {}) => request('POST', `/api/events/${id}/replay`, opts);

/**
 * `POST /api/events/{id}/transform`: runs a Svix transformation on the event (nothing is sent);
 * without `code`, the route's transformation file.
 * @param {number} id
 * @param {string} [code]
 * @returns {Promise<any>}
 */
export const transform = (id, code) => request('POST', `/api/events/${id}/transform`, code === undefined ? {} : { code });

/**
 * A curl command that sends the event again.
 * @param {number} id
 * @param {'resign'|'verbatim'} mode
 * @returns {Promise<{curl: string}>}
 */
export const curlFor = (id, mode) => request('POST', `/api/events/${id}/curl`, { mode });

/**
 * Re-verifies one event with the keys configured now.
 * @param {number} id
 */
export const reverify = (id) => request('POST', `/api/events/${id}/verify`, {});

/**
 * Adds a key for a route; the server re-verifies the route's stored events.
 * @param {string} secret
 * @param {string} route path prefix
 * @param {string} [label]
 * @param {string} [provider] bind the key to this provider (`shopify`)
 */
export const addKey = (secret, route, label, provider) =>
  request('POST', '/api/keys', {
    secret, route, ...(label ? { label } : {}), ...(provider ? { provider } : {}),
  });

/**
 * Every provider hookpit verifies: `[{name, title, headers, algorithm, tolerance_s, docs, secret}]`.
 * @returns {Promise<any[]>}
 */
export const listProviders = () => request('GET', '/api/providers');

/**
 * Sends a signed test event through the capture pipeline.
 * @param {Record<string, unknown>} body `{template, status?, checks_fail?, path?, secret?}`
 */
export const sendTest = (body) => request('POST', '/api/send', body);

/**
 * Every delivery of one message id, oldest first.
 * @param {string} msgId
 */
export const messageTimeline = (msgId) => request('GET', `/api/messages/${encodeURIComponent(msgId)}`);

/**
 * Every stored webhook of one Cyberdesk run, in time order (`GET /api/runs/{run_id}`).
 * @param {string} runId
 * @returns {Promise<{run_id: string, webhooks: import('./run-webhooks.js').RunWebhook[], truncated: boolean}>}
 */
export const runWebhooks = (runId) => request('GET', `/api/runs/${encodeURIComponent(runId)}`);

/**
 * Starts a doctor run ("Test my endpoint"); answers 202 and the Run (`state: "running"`).
 * Progress follows as `doctor.progress` frames on the live stream.
 * @param {{to: string, secret?: string, only?: string[]}} body
 */
export const startDoctor = (body) => request('POST', '/api/doctor', body);

/**
 * The stored doctor runs, newest first.
 * @returns {Promise<{runs: any[]}>}
 */
export const doctorRuns = () => request('GET', '/api/doctor/runs');

/**
 * One doctor run with `planned`, `scenarios` (results so far, in order) and `diagnoses`.
 * @param {number} id
 */
export const doctorRun = (id) => request('GET', `/api/doctor/runs/${id}`);

/**
 * The exact body of a doctor run's request `n` (the run's requests count from 1), as text.
 * @param {number} id
 * @param {number} n
 * @returns {Promise<string>}
 */
export async function doctorRequestBody(id, n) {
  const path = doctorRequestUrl(id, n);
  let resp;
  try {
    resp = await fetch(path);
  } catch (e) {
    throw new ApiError(0, `hookpit is not reachable (${e instanceof Error ? e.message : e})`);
  }
  const text = await resp.text();
  if (!resp.ok) {
    let reason = text.slice(0, 200);
    try {
      const json = JSON.parse(text);
      if (json && typeof json.error === 'string') reason = json.error;
    } catch {
      // not JSON: the start of the text says it
    }
    throw new ApiError(resp.status, reason || `GET ${path}: ${resp.status}`);
  }
  return text;
}

/**
 * Where a doctor run's request body is served (for "open raw").
 * @param {number} id
 * @param {number} n
 */
export const doctorRequestUrl = (id, n) => `/api/doctor/runs/${id}/requests/${n}`;

/**
 * `GET /api/diff`: how event `b` differs from event `a` (body changes, header changes).
 * @param {number} a
 * @param {number} b
 */
export const getDiff = (a, b) => request('GET', `/api/diff?a=${a}&b=${b}`);

/** `GET /api/schemas`: every learned kind of event. */
export const listSchemas = () => request('GET', '/api/schemas');

/**
 * `GET /api/schemas/{key}`: one kind's fields and JSON Schema.
 * @param {string} key
 */
export const getSchema = (key) => request('GET', `/api/schemas/${encodeURIComponent(key)}`);

/**
 * Starts a bulk replay (or, with `dry_run`, lists what it would send); answers the job, the
 * plan and the options it runs with (the seed included).
 * @param {Record<string, unknown>} body
 */
export const bulkReplay = (body) => request('POST', '/api/replay', body);

/**
 * A bulk replay's state, options and log.
 * @param {number} job
 */
export const replayJob = (job) => request('GET', `/api/replay/${job}`);

/**
 * One Cyberdesk session's timeline.
 * @param {string} sessionId
 */
export const getSession = (sessionId) => request('GET', `/api/sessions/${encodeURIComponent(sessionId)}`);

/**
 * Stores the chain expected for a session (run ids in step order; `[]` forgets it); answers the timeline.
 * @param {string} sessionId
 * @param {string[]} runIds
 */
export const setSessionExpected = (sessionId, runIds) =>
  request('PUT', `/api/sessions/${encodeURIComponent(sessionId)}/expected`, { run_ids: runIds });
