// @ts-check
/** Short notices in a corner: what an action did, or why it failed. */
import { byId, el, span } from './dom.js';

/**
 * Shows a notice for a few seconds (errors longer).
 * @param {string} text
 * @param {'info'|'error'|'good'} [kind]
 */
export function toast(text, kind = 'info') {
  const box = byId('toasts');
  const icon = { info: 'ℹ', error: '✗', good: '✓' }[kind];
  const node = el('div', { class: `toast ${kind}`, attrs: { role: kind === 'error' ? 'alert' : 'status' } }, span('icon', icon), span('text', text));
  node.addEventListener('click', () => node.remove());
  box.append(node);
  while (box.children.length > 4) box.firstElementChild?.remove();
  setTimeout(() => node.remove(), kind === 'error' ? 8000 : 3500);
}
