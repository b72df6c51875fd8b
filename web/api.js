// @ts-check
/** JSON API calls of the hookpit UI. */

/**
 * GET a JSON resource.
 * @param {string} path
 * @returns {Promise<any>}
 */
export async function getJson(path) {
  const resp = await fetch(path, { headers: { accept: 'application/json' } });
  if (!resp.ok) throw new Error(`${path}: ${resp.status}`);
  return resp.json();
}

/** @returns {Promise<any>} the server status (version, URLs, counts). */
export const status = () => getJson('/api/status');

/**
 * One page of events, newest first.
 * @param {number|null} before
 * @returns {Promise<{events: any[], next_before: number|null}>}
 */
export const listEvents = (before = null) =>
  getJson(`/api/events?limit=100${before ? `&before=${before}` : ''}`);

/**
 * One event with headers, body and verdict.
 * @param {number} id
 */
export const getEvent = (id) => getJson(`/api/events/${id}`);
