// @ts-check
/** The live stream: a WebSocket that reconnects with backoff and asks for a refetch after an outage. */

/**
 * Connects to /api/live and keeps reconnecting.
 * @param {(msg: {type: string, data?: any}) => void} onMessage every frame
 * @param {(state: 'live'|'reconnecting') => void} onState connection state changes
 * @param {() => void} onResync called after a reconnect or a `resync`: refetch everything
 */
export function connectLive(onMessage, onState, onResync) {
  let delay = 500;
  let opened = false;
  const open = () => {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const ws = new WebSocket(`${scheme}://${location.host}/api/live`);
    ws.onopen = () => {
      delay = 500;
      onState('live');
      if (opened) onResync();
      opened = true;
    };
    ws.onmessage = (e) => {
      const msg = JSON.parse(e.data);
      if (msg.type === 'resync') onResync();
      else onMessage(msg);
    };
    ws.onclose = () => {
      onState('reconnecting');
      setTimeout(open, delay);
      delay = Math.min(delay * 2, 10000);
    };
  };
  open();
}
