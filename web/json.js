// @ts-check
/**
 * JSON: parsing that keeps numbers exactly as written (a 19-digit id must not be rounded), and
 * a collapsible tree that renders lazily — children are built when a node is first opened and
 * long arrays in chunks — so a 1 MiB body opens at once. Hover a line to copy its value or its
 * path. Long strings are cut with "show all".
 */
import { el, span, copyText, flashCopied } from './dom.js';

/** A number whose text JSON.parse would change (too many digits, 1.0, 1e3): kept as written. */
export class RawNumber {
  /** @param {string} text */
  constructor(text) {
    this.text = text;
  }
  toJSON() {
    return this.text;
  }
}

/**
 * JSON.parse as recent engines have it: the reviver gets a third argument with the source text
 * of primitive values (TypeScript's lib does not describe it yet; older engines pass nothing).
 * @type {(text: string, reviver: (key: string, value: unknown, ctx?: {source?: unknown}) => unknown) => any}
 */
const parseWithSource = JSON.parse;

/** Whether JSON.parse hands the reviver the source text (recent engines). */
const HAS_SOURCE = (() => {
  try {
    return parseWithSource('1', (_k, v, ctx) => (ctx && typeof ctx.source === 'string' ? 'ok' : v)) === 'ok';
  } catch {
    return false;
  }
})();

/**
 * Parses JSON text, keeping numbers that would lose precision as RawNumber.
 * @param {string} text
 * @returns {{ok: true, value: any} | {ok: false, error: string}}
 */
export function parseJson(text) {
  try {
    const value = HAS_SOURCE
      ? parseWithSource(text, (_k, v, ctx) =>
        typeof v === 'number' && typeof ctx?.source === 'string' && ctx.source !== String(v) ? new RawNumber(ctx.source) : v)
      : JSON.parse(text);
    return { ok: true, value };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
}

/**
 * Serializes a parsed value back to JSON text, RawNumbers as written.
 * @param {any} value
 * @param {number} [indent]
 */
export function stringify(value, indent = 2) {
  // The replacer sees what toJSON made of a RawNumber (its text as a string), so it looks at the
  // holder's own property to mark it.
  const marked = JSON.stringify(value, function mark(k, v) {
    const own = /** @type {Record<string, unknown>} */ (this)[k];
    return own instanceof RawNumber ? `\u0000${own.text}\u0000` : v;
  }, indent);
  // JSON.stringify writes the NUL marks as the six characters `\u0000`; a number's text has
  // neither quotes nor backslashes, so the marked strings are found exactly.
  return marked.replace(/"\\u0000([^"\\]*)\\u0000"/g, '$1');
}

/**
 * The path of a child in JavaScript notation: `run.post_run_checks[0].name`, `["odd key"]`.
 * @param {string} parent
 * @param {string | number} key
 */
export function childPath(parent, key) {
  if (typeof key === 'number') return `${parent}[${key}]`;
  if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key)) return parent ? `${parent}.${key}` : key;
  return `${parent}[${JSON.stringify(key)}]`;
}

/** Strings longer than this are cut, with "show all". */
const STRING_CUT = 240;
/** Children shown per chunk of a large object or array. */
const CHUNK = 200;

/**
 * @typedef {Object} TreeOptions
 * @property {number} [open] depth opened at first (0: only the root line)
 * @property {number} [budget] at most this many lines opened automatically
 */

/**
 * A collapsible tree of a parsed JSON value.
 * @param {any} value
 * @param {TreeOptions} [opts]
 * @returns {HTMLElement}
 */
export function jsonTree(value, opts = {}) {
  const root = el('div', { class: 'jtree mono', attrs: { role: 'tree' } });
  const state = { budget: opts.budget ?? 400 };
  root.append(node(value, null, '', opts.open ?? 2, state));
  return root;
}

/**
 * One line of the tree, with its children when it is a container.
 * @param {any} value
 * @param {string | number | null} key
 * @param {string} path
 * @param {number} open depth still to open automatically
 * @param {{budget: number}} state
 * @returns {HTMLElement}
 */
function node(value, key, path, open, state) {
  const isContainer = value !== null && typeof value === 'object' && !(value instanceof RawNumber);
  const wrap = el('div', { class: 'jnode', attrs: { role: 'treeitem' } });
  const line = el('div', 'jline');
  const toggle = el('button', { class: 'jtoggle', attrs: { type: 'button', 'aria-label': 'expand' } });
  line.append(toggle);
  if (key !== null) {
    line.append(span(typeof key === 'number' ? 'jindex' : 'jkey', typeof key === 'number' ? String(key) : JSON.stringify(key)), span('jcolon', ': '));
  }
  if (!isContainer) {
    toggle.disabled = true;
    toggle.classList.add('leaf');
    line.append(scalar(value));
  } else {
    const isArray = Array.isArray(value);
    const keys = isArray ? null : Object.keys(value);
    const count = isArray ? value.length : /** @type {string[]} */ (keys).length;
    const summary = span('jsummary', isArray ? `[${count} ${count === 1 ? 'item' : 'items'}]` : `{${count} ${count === 1 ? 'key' : 'keys'}}`);
    line.append(summary);
    const children = el('div', { class: 'jchildren', attrs: { role: 'group' } });
    children.hidden = true;
    let built = 0;
    const buildMore = () => {
      const end = Math.min(count, built + CHUNK);
      const frag = document.createDocumentFragment();
      for (let i = built; i < end; i++) {
        const k = isArray ? i : /** @type {string[]} */ (keys)[i];
        const childOpen = state.budget > 0 ? open - 1 : 0;
        frag.append(node(value[/** @type {any} */ (k)], k, childPath(path, k), childOpen, state));
      }
      built = end;
      children.querySelector(':scope > .jmore')?.remove();
      children.append(frag);
      if (built < count) {
        children.append(el('button', {
          class: 'jmore link-button', text: `show ${Math.min(CHUNK, count - built)} more of ${count - built}`,
          attrs: { type: 'button' }, on: { click: buildMore },
        }));
      }
    };
    /** @param {boolean} show */
    const setOpen = (show) => {
      if (show && built === 0 && count) buildMore();
      children.hidden = !show;
      wrap.classList.toggle('open', show);
      toggle.setAttribute('aria-label', show ? 'collapse' : 'expand');
      wrap.setAttribute('aria-expanded', String(show));
    };
    toggle.addEventListener('click', () => setOpen(children.hidden));
    summary.addEventListener('click', () => setOpen(children.hidden));
    if (count === 0) {
      toggle.disabled = true;
      toggle.classList.add('leaf');
    }
    wrap.append(line, children);
    const autoOpen = open > 0 && count > 0 && state.budget > 0;
    if (autoOpen) {
      state.budget -= Math.min(count, CHUNK);
      setOpen(true);
    } else {
      wrap.setAttribute('aria-expanded', 'false');
    }
  }
  line.append(hoverActions(value, path));
  if (isContainer) return wrap;
  wrap.append(line);
  return wrap;
}

/**
 * A scalar value, coloured by type; long strings cut with "show all".
 * @param {any} value
 * @returns {HTMLElement}
 */
function scalar(value) {
  if (value instanceof RawNumber) return span('jnum', value.text, 'kept exactly as written');
  if (value === null) return span('jnull', 'null');
  if (typeof value === 'boolean') return span('jbool', String(value));
  if (typeof value === 'number') return span('jnum', String(value));
  const text = JSON.stringify(String(value));
  if (text.length <= STRING_CUT) return span('jstr', text);
  const holder = el('span', 'jstr-wrap');
  const shown = span('jstr', `${text.slice(0, STRING_CUT)}…`);
  const more = el('button', {
    class: 'link-button jshow', text: `show all ${value.length.toLocaleString('en-US')} chars`,
    attrs: { type: 'button' },
    on: {
      click: () => {
        shown.textContent = text;
        more.remove();
      },
    },
  });
  holder.append(shown, ' ', more);
  return holder;
}

/**
 * "copy value" and "copy path" buttons shown on hover.
 * @param {any} value
 * @param {string} path
 */
function hoverActions(value, path) {
  const actions = el('span', 'jactions');
  const copyVal = el('button', { class: 'mini', text: 'copy value', attrs: { type: 'button' } });
  copyVal.addEventListener('click', async (e) => {
    e.stopPropagation();
    const text = typeof value === 'string' ? value : stringify(value, 2);
    flashCopied(copyVal, await copyText(text));
  });
  actions.append(copyVal);
  if (path) {
    const copyPath = el('button', { class: 'mini', text: 'copy path', title: path, attrs: { type: 'button' } });
    copyPath.addEventListener('click', async (e) => {
      e.stopPropagation();
      flashCopied(copyPath, await copyText(path));
    });
    actions.append(copyPath);
  }
  return actions;
}
