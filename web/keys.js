// @ts-check
/**
 * Keyboard shortcuts: j/k or ↑/↓ move, Enter opens, r replays, c copies curl, / searches,
 * Esc clears, ? shows help, 1–7 pick a tab, n goes to the newest, t tests your endpoint, m marks an
 * event and d compares the open one with it, s shows the learned schemas.
 */
import { el, span } from './dom.js';
import { openDialog, dialogOpen } from './dialog.js';
import { closeMenus } from './menu.js';

/**
 * @typedef {Object} KeyActions
 * @property {(delta: number) => void} move
 * @property {() => void} open
 * @property {() => void} replay
 * @property {() => void} copyCurl
 * @property {() => void} focusSearch
 * @property {() => void} escape
 * @property {(n: number) => void} tab
 * @property {() => void} newest
 * @property {() => void} testEndpoint
 * @property {() => void} mark
 * @property {() => void} compare
 * @property {() => void} schemas
 */

/** The shortcuts, for the help dialog. */
const HELP = [
  [['j', '↓'], 'next (older) event'],
  [['k', '↑'], 'previous (newer) event'],
  [['Enter'], 'open the event'],
  [['n'], 'go to the newest events'],
  [['1', '…', '7'], 'switch tab'],
  [['r'], 'replay (re-signed, to the forward target)'],
  [['c'], 'copy as curl (re-signed)'],
  [['m'], 'mark the open event to compare with'],
  [['d'], 'compare the open event with the marked one'],
  [['s'], 'the learned schemas (and JSON Schema export)'],
  [['/'], 'search'],
  [['t'], 'test your endpoint (hookpit doctor); j/k then move between its scenarios'],
  [['Esc'], 'clear: close, leave the search, unselect, then drop the filters'],
  [['?'], 'this help'],
];

/** Shows the shortcuts. */
export function showHelp() {
  if (dialogOpen()) return;
  const table = el('table', 'help');
  for (const [keys, what] of HELP) {
    const cell = el('td', 'keys');
    /** @type {string[]} */ (keys).forEach((k, i) => {
      if (i) cell.append(' ');
      cell.append(k === '…' ? span('muted', '…') : span('kbd', k));
    });
    table.append(el('tr', null, cell, el('td', { text: /** @type {string} */ (what) })));
  }
  openDialog({ title: 'Keyboard', body: [table] });
}

/**
 * Whether a key event happens in a text field.
 * @param {EventTarget | null} t
 */
function inField(t) {
  if (!(t instanceof HTMLElement)) return false;
  return t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName);
}

/**
 * Installs the shortcuts on the document.
 * @param {KeyActions} a
 */
export function installKeys(a) {
  document.addEventListener('keydown', (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return;
    if (dialogOpen()) return;
    if (e.key === 'Escape') {
      if (closeMenus()) { e.preventDefault(); return; }
      a.escape();
      return;
    }
    if (inField(e.target)) return;
    switch (e.key) {
      case 'j': case 'ArrowDown': a.move(1); break;
      case 'k': case 'ArrowUp': a.move(-1); break;
      case 'Enter':
        if (e.target instanceof HTMLButtonElement || e.target instanceof HTMLAnchorElement) return;
        a.open();
        break;
      case 'r': a.replay(); break;
      case 'c': a.copyCurl(); break;
      case 'n': a.newest(); break;
      case 't': a.testEndpoint(); break;
      case 'm': a.mark(); break;
      case 'd': a.compare(); break;
      case 's': a.schemas(); break;
      case '/': a.focusSearch(); break;
      case '?': showHelp(); break;
      case '1': case '2': case '3': case '4': case '5': case '6': case '7': a.tab(Number(e.key)); break;
      default: return;
    }
    e.preventDefault();
  });
}
