// @ts-check
/** Formatting numbers, sizes, times and durations for people. */

/**
 * "512 B", "2.1 KB", "1.0 MB".
 * @param {number} n bytes
 */
export function fmtBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10 * 1024 ? 1 : 0)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/**
 * "3 s ago", "12 min ago", "2 h ago", "3 d ago"; "just now" under a second; "in 5 s" ahead.
 * @param {number} ms time in ms since the epoch
 * @param {number} [now]
 */
export function fmtRelative(ms, now = Date.now()) {
  const d = Math.round((now - ms) / 1000);
  const a = Math.abs(d);
  let text;
  if (a < 1) return 'just now';
  if (a < 60) text = `${a} s`;
  else if (a < 3600) text = `${Math.floor(a / 60)} min`;
  else if (a < 86400) text = `${Math.floor(a / 3600)} h`;
  else text = `${Math.floor(a / 86400)} d`;
  return d >= 0 ? `${text} ago` : `in ${text}`;
}

/** @param {number} n @param {number} [w] */
const pad = (n, w = 2) => String(n).padStart(w, '0');

/**
 * Local "HH:MM:SS".
 * @param {Date} d
 */
export function fmtClock(d) {
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/**
 * Local "YYYY-MM-DD HH:MM:SS.mmm".
 * @param {Date} d
 */
export function fmtAbsolute(d) {
  if (Number.isNaN(d.getTime())) return '?';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${fmtClock(d)}.${pad(d.getMilliseconds(), 3)}`;
}

/**
 * An RFC 3339 string as local "HH:MM:SS.mmm", with the date when it is not today.
 * @param {string | null | undefined} iso
 */
export function fmtWhen(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const today = new Date();
  const sameDay = d.toDateString() === today.toDateString();
  const full = fmtAbsolute(d);
  return sameDay ? full.slice(11) : full;
}

/**
 * "850 ms", "4.2 s", "2 min 8 s", "1 h 3 min".
 * @param {number | null | undefined} ms
 */
export function fmtDuration(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/**
 * A clock skew in seconds the way the verdict says it: "42 s", "12 min", "3 h", "2 d".
 * @param {number} seconds
 */
export function fmtAge(seconds) {
  const s = Math.abs(seconds);
  if (s < 600) return `${s} s`;
  if (s < 7200) return `${Math.floor(s / 60)} min`;
  if (s < 172800) return `${Math.floor(s / 3600)} h`;
  return `${Math.floor(s / 86400)} d`;
}

/**
 * A short age for badges: "40s", "12m", "3h", "2d".
 * @param {number} seconds
 */
export function fmtAgeShort(seconds) {
  const s = Math.abs(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

/**
 * 48213 → "48,213".
 * @param {number} n
 */
export function fmtCount(n) {
  return n.toLocaleString('en-US');
}

/**
 * A long id cut for display: "b7e3c1a2…".
 * @param {string} id
 * @param {number} [keep]
 */
export function shortId(id, keep = 8) {
  return id.length > keep + 1 ? `${id.slice(0, keep)}…` : id;
}
