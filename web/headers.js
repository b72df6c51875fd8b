// @ts-check
/**
 * The Headers tab: every header in its original order and case, duplicates kept, values that were
 * not UTF-8 marked (they are shown as ISO-8859-1, one character per byte).
 */
import { el, span, copyButton } from './dom.js';

/**
 * @param {Array<[string, string]>} headers
 * @param {number[]} nonUtf8 indexes of values that were not UTF-8
 * @returns {HTMLElement}
 */
export function renderHeaders(headers, nonUtf8 = []) {
  const root = el('div', 'headers-tab');
  const counts = new Map();
  for (const [name] of headers) counts.set(name.toLowerCase(), (counts.get(name.toLowerCase()) || 0) + 1);
  const bar = el('div', 'tab-bar',
    span('muted', `${headers.length} header${headers.length === 1 ? '' : 's'}, in the order and case they arrived`),
    copyButton(() => headers.map(([n, v]) => `${n}: ${v}`).join('\n'), 'copy all'));
  const table = el('table', 'headers mono');
  const binary = new Set(nonUtf8);
  headers.forEach(([name, value], i) => {
    const th = el('th', null, span('hname', name));
    if (counts.get(name.toLowerCase()) > 1) th.append(span('tag', `×${counts.get(name.toLowerCase())}`, 'This header name appears more than once; each is kept'));
    const td = el('td', null, span('hvalue', value));
    if (binary.has(i)) td.append(span('tag warn', 'not UTF-8', 'The raw bytes were not UTF-8; shown as ISO-8859-1 (one character per byte)'));
    td.append(el('span', 'row-actions', copyButton(() => value)));
    table.append(el('tr', binary.has(i) ? 'non-utf8' : null, th, td));
  });
  root.append(bar, table);
  return root;
}
