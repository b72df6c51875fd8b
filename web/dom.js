// @ts-check
/**
 * Building DOM nodes safely. Every value that came with a webhook goes through `textContent` or
 * an attribute here, never through HTML parsing: there is no `innerHTML` anywhere in the UI.
 */

/**
 * @typedef {Object} Props
 * @property {string} [class] class names
 * @property {string} [text] text content
 * @property {string} [title] tooltip
 * @property {Record<string, string>} [data] data-* attributes
 * @property {Record<string, string>} [attrs] other attributes (never `on*`, never `href` from data)
 * @property {Record<string, (e: any) => void>} [on] event listeners
 */

/**
 * Creates an element.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Props | string | null} [props] props, or just a class name
 * @param {...(Node | string | null | undefined | false)} children nodes or text (falsy ones skipped)
 * @returns {HTMLElementTagNameMap[K]}
 */
export function el(tag, props, ...children) {
  const node = document.createElement(tag);
  if (typeof props === 'string') {
    node.className = props;
  } else if (props) {
    if (props.class) node.className = props.class;
    if (props.text !== undefined) node.textContent = props.text;
    if (props.title) node.title = props.title;
    if (props.data) for (const [k, v] of Object.entries(props.data)) node.dataset[k] = v;
    if (props.attrs) {
      for (const [k, v] of Object.entries(props.attrs)) {
        if (k.toLowerCase().startsWith('on')) throw new Error(`refusing to set ${k}`);
        node.setAttribute(k, v);
      }
    }
    if (props.on) for (const [k, f] of Object.entries(props.on)) node.addEventListener(k, f);
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child);
  }
  return node;
}

/**
 * A text span with a class: the most common node of the UI.
 * @param {string} cls
 * @param {string} text
 * @param {string} [title]
 */
export function span(cls, text, title) {
  return el('span', { class: cls, text, title });
}

/**
 * Gets an element by id, failing loudly when the page does not have it.
 * @param {string} id
 * @returns {HTMLElement}
 */
export function byId(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`#${id} is missing from index.html`);
  return node;
}

/**
 * Copies text to the clipboard; falls back to a hidden textarea where the Clipboard API is not
 * available (a non-secure origin).
 * @param {string} text
 * @returns {Promise<boolean>} whether it worked
 */
export async function copyText(text) {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // fall through to the old way
  }
  const area = el('textarea', { class: 'offscreen', attrs: { readonly: '' } });
  area.value = text;
  document.body.append(area);
  area.select();
  let ok = false;
  try {
    ok = document.execCommand('copy');
  } catch {
    ok = false;
  }
  area.remove();
  return ok;
}

/**
 * Shows "copied" (or "copy failed") on a button for a moment, then its label again.
 * @param {HTMLElement} button
 * @param {boolean} ok
 */
export function flashCopied(button, ok) {
  const label = button.dataset.label ?? button.textContent ?? '';
  button.dataset.label = label;
  button.textContent = ok ? 'copied' : 'copy failed';
  button.classList.add(ok ? 'copied' : 'copy-failed');
  clearTimeout(Number(button.dataset.timer || 0));
  button.dataset.timer = String(
    setTimeout(() => {
      button.textContent = label;
      button.classList.remove('copied', 'copy-failed');
    }, 1200),
  );
}

/**
 * A small button that copies text, confirming with a brief "copied".
 * @param {() => string | Promise<string>} getText what to copy, computed on click
 * @param {string} [label]
 * @param {string} [title]
 * @returns {HTMLButtonElement}
 */
export function copyButton(getText, label = 'copy', title = 'Copy to the clipboard') {
  const button = el('button', { class: 'copy', text: label, title, attrs: { type: 'button' } });
  button.addEventListener('click', async (e) => {
    e.stopPropagation();
    let ok = false;
    try {
      ok = await copyText(await getText());
    } catch {
      ok = false;
    }
    flashCopied(button, ok);
  });
  return button;
}

/**
 * A plain button.
 * @param {string} label
 * @param {(e: MouseEvent) => void} onClick
 * @param {string} [cls]
 * @param {string} [title]
 * @returns {HTMLButtonElement}
 */
export function button(label, onClick, cls = 'btn', title) {
  return el('button', { class: cls, text: label, title, attrs: { type: 'button' }, on: { click: onClick } });
}

/**
 * A definition list from label/value pairs; values may be nodes. Pairs with a null value are
 * left out.
 * @param {Array<[string, Node | string | null | undefined]>} pairs
 * @param {string} [cls]
 */
export function facts(pairs, cls = 'facts') {
  const dl = el('dl', cls);
  for (const [k, v] of pairs) {
    if (v === null || v === undefined || v === '') continue;
    dl.append(el('dt', { text: k }), el('dd', null, v));
  }
  return dl;
}
