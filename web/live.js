// @ts-check
/**
 * The live stream: one WebSocket to /api/live that reconnects with backoff (and at once when the
 * network or the tab comes back), batches frames so a burst of thousands per second costs one
 * DOM update per animation frame, and asks the app to refetch after an outage or a `resync`.
 */

/** @typedef {'connecting'|'live'|'reconnecting'|'offline'} LiveState */

/**
 * @typedef {Object} LiveHandlers
 * @property {(frames: Array<{type: string, data?: any}>) => void} onFrames a batch of frames, in order
 * @property {(state: LiveState, retryInMs?: number) => void} onState connection state changes
 * @property {(first: boolean) => void} onOpen connected (again): refetch what may have been missed
 * @property {() => void} onResync the server says frames were missed: refetch
 */

/** First reconnect delay and the cap of the backoff, in ms. */
const BACKOFF_START = 500;
const BACKOFF_MAX = 8000;
/** Failed tries in a row after which the state says "offline" rather than "reconnecting". */
const OFFLINE_AFTER = 4;
/** Frames queued beyond this between two flushes are dropped for a refetch instead. */
const MAX_QUEUE = 20000;
/**
 * During a burst (a flush carried at least BURST_BATCH frames) the page is updated at most every
 * BURST_INTERVAL ms: no one reads a thousand rows a second, and the tab stays responsive.
 */
const BURST_BATCH = 10;
const BURST_INTERVAL = 100;
/**
 * A frame arriving this long (ms) after the last flush is not part of a burst: it is shown at
 * once instead of at the next animation frame (up to 16 ms later), so a lone webhook's row
 * appears as soon as it is stored.
 */
const QUIET_MS = 50;

/**
 * Connects and keeps connecting until the page goes away.
 * @param {LiveHandlers} h
 * @returns {{reconnectNow: () => void}}
 */
export function connectLive(h) {
  let delay = BACKOFF_START;
  let failures = 0;
  let everOpened = false;
  /** @type {WebSocket | null} */
  let ws = null;
  /** @type {ReturnType<typeof setTimeout> | null} */
  let retryTimer = null;
  /** @type {Array<{type: string, data?: any}>} */
  let queue = [];
  let flushScheduled = false;
  let overflowed = false;
  let lastFlush = 0;
  let lastBatch = 0;

  const flush = () => {
    flushScheduled = false;
    lastFlush = performance.now();
    lastBatch = queue.length;
    if (overflowed) {
      overflowed = false;
      queue = [];
      h.onResync();
      return;
    }
    const batch = queue;
    queue = [];
    if (batch.length) h.onFrames(batch);
  };

  const scheduleFlush = () => {
    if (flushScheduled) return;
    flushScheduled = true;
    // Animation frames do not run in a hidden tab; a timer still does, less often.
    if (document.hidden) {
      setTimeout(flush, 250);
      return;
    }
    const now = performance.now();
    // A timer of 0 still runs after the frames already received, so they share the flush.
    if (now - lastFlush > QUIET_MS) {
      setTimeout(flush, 0);
      return;
    }
    const wait = lastBatch >= BURST_BATCH ? lastFlush + BURST_INTERVAL - now : 0;
    if (wait > 0) setTimeout(() => requestAnimationFrame(flush), wait);
    else requestAnimationFrame(flush);
  };

  const open = () => {
    retryTimer = null;
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const socket = new WebSocket(`${scheme}://${location.host}/api/live`);
    ws = socket;
    socket.onopen = () => {
      delay = BACKOFF_START;
      failures = 0;
      h.onState('live');
      const first = !everOpened;
      everOpened = true;
      h.onOpen(first);
    };
    socket.onmessage = (e) => {
      let msg;
      try {
        msg = JSON.parse(e.data);
      } catch {
        return;
      }
      if (msg.type === 'resync') {
        overflowed = true;
      } else if (queue.length >= MAX_QUEUE) {
        overflowed = true;
      } else {
        queue.push(msg);
      }
      scheduleFlush();
    };
    socket.onclose = () => {
      if (ws !== socket) return;
      ws = null;
      failures += 1;
      const wait = Math.round(delay * (0.8 + Math.random() * 0.4));
      delay = Math.min(delay * 2, BACKOFF_MAX);
      h.onState(failures >= OFFLINE_AFTER || !navigator.onLine ? 'offline' : 'reconnecting', wait);
      retryTimer = setTimeout(open, wait);
    };
  };

  const reconnectNow = () => {
    if (ws || retryTimer === null) return;
    clearTimeout(retryTimer);
    delay = BACKOFF_START;
    h.onState('reconnecting');
    open();
  };

  window.addEventListener('online', reconnectNow);
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) reconnectNow();
  });
  h.onState('connecting');
  open();
  return { reconnectNow };
}
