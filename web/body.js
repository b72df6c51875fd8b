// @ts-check
/**
 * The Body tab: JSON as a tree (or raw text), forms as a table, other text as text, binary as a
 * hex dump (gzip can be decompressed on demand). Large bodies show a first part at once and the
 * rest on demand, so a 1 MiB body never freezes the tab.
 */
import { el, span, button, copyButton } from './dom.js';
import { fmtBytes } from './format.js';
import { parseJson, jsonTree, stringify } from './json.js';

/** Raw text past this many characters is shown in parts. */
const TEXT_PART = 256 * 1024;
/** Bytes per hex-dump part. */
const HEX_PART = 16 * 1024;

/**
 * Decodes base64 into bytes.
 * @param {string} b64
 * @returns {Uint8Array<ArrayBuffer>}
 */
export function fromBase64(b64) {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * A hex dump: offset, 16 bytes in hex, and their printable ASCII.
 * @param {Uint8Array} bytes
 * @param {number} from
 * @param {number} to
 */
export function hexDump(bytes, from, to) {
  const lines = [];
  for (let off = from; off < to; off += 16) {
    let hex = '';
    let ascii = '';
    for (let i = 0; i < 16; i++) {
      const at = off + i;
      if (at < to) {
        const b = bytes[at];
        hex += b.toString(16).padStart(2, '0') + (i === 7 ? '  ' : ' ');
        ascii += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '·';
      } else {
        hex += i === 7 ? '    ' : '   ';
      }
    }
    lines.push(`${off.toString(16).padStart(8, '0')}  ${hex} ${ascii}`);
  }
  return lines.join('\n');
}

/**
 * Text shown in parts: the first TEXT_PART characters, then "show all".
 * @param {string} text
 * @param {string} [cls]
 */
function longText(text, cls = 'raw') {
  const pre = el('pre', { class: `${cls} mono`, text: text.length > TEXT_PART ? text.slice(0, TEXT_PART) : text });
  if (text.length <= TEXT_PART) return pre;
  const more = button(`show all ${text.length.toLocaleString('en-US')} characters`, () => {
    pre.textContent = text;
    more.remove();
  }, 'link-button more');
  return el('div', null, pre, more);
}

/**
 * A hex view that grows on demand.
 * @param {Uint8Array} bytes
 */
function hexView(bytes) {
  const pre = el('pre', { class: 'hex mono' });
  let shown = 0;
  const wrap = el('div', null, pre);
  /** @type {HTMLButtonElement | null} */
  let more = null;
  const grow = () => {
    const to = Math.min(bytes.length, shown + HEX_PART);
    pre.append(document.createTextNode((shown ? '\n' : '') + hexDump(bytes, shown, to)));
    shown = to;
    more?.remove();
    if (shown < bytes.length) {
      more = button(`show next ${fmtBytes(Math.min(HEX_PART, bytes.length - shown))} of ${fmtBytes(bytes.length - shown)} more`, grow, 'link-button more');
      wrap.append(more);
    }
  };
  grow();
  return wrap;
}

/**
 * A table of a form-encoded body.
 * @param {string} text
 */
function formTable(text) {
  const table = el('table', 'kv mono');
  for (const [k, v] of new URLSearchParams(text)) {
    table.append(el('tr', null, el('th', { text: k }), el('td', { text: v })));
  }
  return table;
}

/**
 * The Body tab for one event.
 * @param {{body: {encoding: string, data: string}, content_type?: string|null, size: number, id: number}} e
 * @returns {HTMLElement}
 */
export function renderBody(e) {
  const root = el('div', 'body-tab');
  const bar = el('div', 'tab-bar');
  const view = el('div', 'body-view');
  root.append(bar, view);
  const ct = (e.content_type || '').toLowerCase();

  /** @type {Array<[string, () => Node]>} */
  const modes = [];
  let note = '';
  if (e.size === 0) {
    view.append(el('p', { class: 'muted', text: 'Empty body.' }));
    return root;
  }
  if (e.body.encoding === 'utf8') {
    const text = e.body.data;
    const looksJson = ct.includes('json') || /^\s*[[{]/.test(text);
    /** @type {ReturnType<typeof parseJson> | null} */
    let parsed = null;
    const getParsed = () => (parsed ??= parseJson(text));
    if (looksJson && getParsed().ok) {
      const value = /** @type {{ok: true, value: any}} */ (getParsed()).value;
      modes.push(['Tree', () => jsonTree(value, { open: 3 })]);
      modes.push(['Pretty', () => longText(stringify(value, 2))]);
    } else if (looksJson) {
      const p = /** @type {{ok: false, error: string}} */ (getParsed());
      note = `Not valid JSON: ${p.error}`;
    }
    if (ct.includes('x-www-form-urlencoded')) modes.push(['Form', () => formTable(text)]);
    modes.push(['Raw', () => longText(text)]);
    bar.append(copyButton(() => text, 'copy body'));
  } else {
    const bytes = fromBase64(e.body.data);
    const gzip = bytes.length > 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
    note = gzip ? 'gzip-compressed binary body' : 'Binary body (not UTF-8)';
    modes.push(['Hex', () => hexView(bytes)]);
    if (gzip && typeof DecompressionStream === 'function') {
      modes.push(['Decompressed', () => decompressed(bytes)]);
    }
  }

  const switcher = el('div', { class: 'segmented', attrs: { role: 'tablist', 'aria-label': 'Body view' } });
  /** @type {Map<string, Node>} */
  const built = new Map();
  /** @param {string} name */
  const show = (name) => {
    for (const b of switcher.children) b.classList.toggle('on', /** @type {HTMLElement} */ (b).dataset.mode === name);
    let node = built.get(name);
    if (!node) {
      const make = modes.find(([n]) => n === name);
      node = make ? make[1]() : el('p');
      built.set(name, node);
    }
    view.replaceChildren(node);
  };
  for (const [name] of modes) {
    const b = button(name, () => show(name), 'seg');
    b.dataset.mode = name;
    switcher.append(b);
  }
  bar.prepend(switcher);
  bar.append(span('muted size-note', `${fmtBytes(e.size)}${e.content_type ? ` · ${e.content_type}` : ''}`));
  if (note) bar.append(span('note', note));
  bar.append(el('a', { class: 'btn small', text: 'open raw ↗', attrs: { href: `/api/events/${e.id}/raw?view=1`, target: '_blank', rel: 'noopener' } }));
  show(modes[0][0]);
  return root;
}

/**
 * The decompressed text of a gzip body (as JSON tree when it is JSON), or why it failed.
 * @param {Uint8Array<ArrayBuffer>} bytes
 */
function decompressed(bytes) {
  const holder = el('div', null, el('p', { class: 'muted', text: 'Decompressing…' }));
  (async () => {
    try {
      const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
      const text = await new Response(stream).text();
      const p = /^\s*[[{]/.test(text) ? parseJson(text) : null;
      holder.replaceChildren(
        el('p', { class: 'muted', text: `${fmtBytes(text.length)} after decompression` }),
        p && p.ok ? jsonTree(p.value, { open: 3 }) : longText(text),
      );
    } catch (err) {
      holder.replaceChildren(el('p', { class: 'error-text', text: `Could not decompress: ${err}` }));
    }
  })();
  return holder;
}
