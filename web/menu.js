// @ts-check
/**
 * A split button: a default action, and a ▾ that opens a small menu of the others. The menu
 * closes on a choice, a click elsewhere or Esc; ↑/↓ move within it.
 */
import { el, span } from './dom.js';

/**
 * @typedef {Object} MenuItem
 * @property {string} label
 * @property {string} [hint] a second line saying what it does
 * @property {() => void} action
 */

/** The open menu's closer, so only one is open at a time. @type {(() => void) | null} */
let openMenu = null;

/** Closes the open menu, if any; returns whether one was open. */
export function closeMenus() {
  if (!openMenu) return false;
  openMenu();
  return true;
}

/**
 * @param {string} label the default action's label
 * @param {() => void} onDefault
 * @param {MenuItem[]} items
 * @param {string} [title] tooltip of the default action
 * @returns {HTMLElement}
 */
export function splitButton(label, onDefault, items, title) {
  const main = el('button', { class: 'btn split-main', text: label, title, attrs: { type: 'button' } });
  main.addEventListener('click', onDefault);
  const caret = el('button', {
    class: 'btn split-caret', text: '▾', title: `More ways: ${items.map((i) => i.label).join(', ')}`,
    attrs: { type: 'button', 'aria-haspopup': 'menu', 'aria-expanded': 'false' },
  });
  const wrap = el('span', 'split', main, caret);
  caret.addEventListener('click', (e) => {
    e.stopPropagation();
    if (openMenu) { closeMenus(); return; }
    const menu = el('div', { class: 'menu', attrs: { role: 'menu' } });
    for (const item of items) {
      const b = el('button', { class: 'menu-item', attrs: { type: 'button', role: 'menuitem' } },
        span('menu-label', item.label), item.hint ? span('menu-hint', item.hint) : null);
      b.addEventListener('click', () => { close(); item.action(); });
      menu.append(b);
    }
    const close = () => {
      menu.remove();
      caret.setAttribute('aria-expanded', 'false');
      document.removeEventListener('click', outside, true);
      openMenu = null;
    };
    /** @param {MouseEvent} ev */
    const outside = (ev) => { if (!menu.contains(/** @type {Node} */ (ev.target))) close(); };
    menu.addEventListener('keydown', (ev) => {
      const buttons = /** @type {HTMLElement[]} */ ([...menu.querySelectorAll('.menu-item')]);
      const i = buttons.indexOf(/** @type {HTMLElement} */ (document.activeElement));
      if (ev.key === 'ArrowDown') { ev.preventDefault(); buttons[(i + 1) % buttons.length].focus(); }
      if (ev.key === 'ArrowUp') { ev.preventDefault(); buttons[(i - 1 + buttons.length) % buttons.length].focus(); }
      if (ev.key === 'Escape') { ev.stopPropagation(); close(); caret.focus(); }
    });
    wrap.append(menu);
    caret.setAttribute('aria-expanded', 'true');
    openMenu = close;
    setTimeout(() => document.addEventListener('click', outside, true));
    /** @type {HTMLElement | null} */ (menu.querySelector('.menu-item'))?.focus();
  });
  return wrap;
}
