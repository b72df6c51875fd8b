// @ts-check
/**
 * The Transform tab: a Svix transformation (`function handler(webhook)`) run on the open event by
 * hookpit's embedded engine (`POST /api/events/{id}/transform`), nothing sent. A code editor
 * (Tab indents, Ctrl/Cmd+Enter runs), then the result beside the original: method, URL and
 * payload; a cancel said plainly; an error with its line marked in the editor.
 */
import { el, span, button } from './dom.js';
import { stringify } from './json.js';
import * as api from './api.js';

/** What the editor starts with when the route has no transformation: the README's example. */
export const EXAMPLE = `// A Svix transformation: hookpit runs it locally on this event.
// webhook = { method, url, payload, eventType, cancel }
function handler(webhook) {
  // Cyberdesk's run_message_history can be very large: drop it.
  if (webhook.payload.run) {
    delete webhook.payload.run.run_message_history;
  }
  return webhook;
}
`;

/** Spaces one Tab key inserts. */
const INDENT = '  ';

/** Drafts kept per event, so a refresh of the open event (a live update) keeps what was typed. */
const drafts = new Map();
/** How many events' drafts are kept (the oldest is dropped). */
const MAX_DRAFTS = 50;

/**
 * @typedef {Object} TransformResult `POST /api/events/{id}/transform`
 * @property {string} method
 * @property {string} url
 * @property {unknown} payload
 * @property {boolean} cancel
 * @property {{message: string, line: number | null}} [error]
 * @property {{method: string, url: string, payload: unknown, eventType: string | null} | null} input
 * @property {{file: string, code: string} | null} transformation
 */

/**
 * Builds the tab for event `id`.
 * @param {number} id
 * @returns {HTMLElement}
 */
export function renderTransform(id) {
  const editor = el('textarea', {
    class: 'tf-code mono',
    attrs: { spellcheck: 'false', rows: '14', 'aria-label': 'Transformation code (Ctrl+Enter runs)', 'data-test': 'transform-code' },
  });
  const gutter = el('div', { class: 'tf-gutter mono', attrs: { 'aria-hidden': 'true' } });
  const source = span('muted tf-source', '');
  const run = button('Run ▸', () => go(), 'btn');
  run.title = 'Run the transformation on this event (Ctrl+Enter); nothing is sent';
  run.dataset.test = 'transform-run';
  const reset = button('Route’s file', () => {
    if (routeCode === null) return;
    editor.value = routeCode;
    drafts.delete(id);
    numberLines();
  }, 'btn small');
  reset.hidden = true;
  const result = el('div', { class: 'tf-result', attrs: { 'aria-live': 'polite', 'data-test': 'transform-result' } });
  const root = el('div', 'tf-tab',
    el('div', 'tf-bar', run, reset, source, span('muted', 'Tab indents · Ctrl+Enter runs · nothing is sent')),
    el('div', 'tf-editor', gutter, editor),
    result);

  /** @type {string | null} the route's transformation file, when it has one */
  let routeCode = null;
  /** @type {number | null} the line the last error named */
  let errorLine = null;

  /** Numbers the gutter's lines, the error's marked. */
  function numberLines() {
    const n = editor.value.split('\n').length;
    const nodes = [];
    for (let i = 1; i <= n; i++) {
      nodes.push(el('div', { class: i === errorLine ? 'tf-line tf-error-line' : 'tf-line', text: String(i), data: { line: String(i) } }));
    }
    gutter.replaceChildren(...nodes);
    gutter.scrollTop = editor.scrollTop;
  }

  editor.addEventListener('input', () => {
    errorLine = null;
    numberLines();
    drafts.delete(id);
    drafts.set(id, editor.value);
    if (drafts.size > MAX_DRAFTS) drafts.delete(drafts.keys().next().value);
  });
  editor.addEventListener('scroll', () => { gutter.scrollTop = editor.scrollTop; });
  editor.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) {
      ev.preventDefault();
      go();
      return;
    }
    if (ev.key === 'Tab' && !ev.shiftKey && !ev.altKey && !ev.ctrlKey && !ev.metaKey) {
      ev.preventDefault();
      const { selectionStart: a, selectionEnd: b, value } = editor;
      editor.value = value.slice(0, a) + INDENT + value.slice(b);
      editor.selectionStart = editor.selectionEnd = a + INDENT.length;
      numberLines();
    }
    // Escape leaves the editor (the page's own Escape handler blurs it), so Tab can too.
  });

  /**
   * Runs the code in the editor (the first time: this event's draft, else the route's file)
   * and shows the result.
   * @param {boolean} [first] the opening run
   */
  async function go(first = false) {
    run.disabled = true;
    /** @type {string | undefined} */
    const draft = first ? drafts.get(id) : undefined;
    try {
      /** @type {TransformResult} */
      const r = await api.transform(id, first ? draft : editor.value);
      if (first) {
        routeCode = r.transformation ? r.transformation.code : null;
        editor.value = draft ?? routeCode ?? EXAMPLE;
        reset.hidden = routeCode === null;
      }
      source.textContent = r.transformation
        ? `route’s transformation: ${r.transformation.file}`
        : 'no transformation on this route: an example to start from';
      show(r);
    } catch (err) {
      const status = err instanceof api.ApiError ? err.status : 0;
      if (first && status === 400) {
        // No route transformation: start from the example, run it once.
        editor.value = EXAMPLE;
        source.textContent = 'no transformation on this route: an example to start from';
        run.disabled = false;
        await go();
        return;
      }
      errorLine = null;
      result.replaceChildren(el('div', { class: 'tf-error', text: `Could not run: ${err instanceof Error ? err.message : err}` }));
    } finally {
      run.disabled = false;
      numberLines();
    }
  }

  /**
   * Shows a result: the error, or the transformed request beside the original.
   * @param {TransformResult} r
   */
  function show(r) {
    errorLine = r.error ? r.error.line : null;
    if (r.error) {
      const where = r.error.line ? `line ${r.error.line}: ` : '';
      const jump = r.error.line
        ? button(`go to line ${r.error.line}`, () => goToLine(/** @type {number} */ (r.error?.line)), 'link-button')
        : null;
      result.replaceChildren(el('div', { class: 'tf-error', attrs: { role: 'alert', 'data-test': 'transform-error' } },
        span('icon', '✗ '), span('', `${where}${r.error.message}`), jump ? ' ' : null, jump));
      return;
    }
    const original = r.input;
    const cancelled = r.cancel
      ? el('div', { class: 'tf-cancel', attrs: { 'data-test': 'transform-cancel' } },
        span('icon', '⊘ '), span('', 'cancel = true: this webhook would not be sent.'))
      : null;
    result.replaceChildren(cancelled ?? '', el('div', 'tf-sides',
      side('Original', original ? original.method : '', original ? original.url : '', original ? original.payload : null, null),
      side(r.cancel ? 'Transformed (not sent)' : 'Transformed', r.method, r.url, r.payload, original)));
  }

  /**
   * Selects line `n` in the editor.
   * @param {number} n
   */
  function goToLine(n) {
    const lines = editor.value.split('\n');
    const start = lines.slice(0, n - 1).reduce((sum, l) => sum + l.length + 1, 0);
    editor.focus();
    editor.setSelectionRange(start, start + (lines[n - 1] ?? '').length);
  }

  numberLines();
  go(true);
  return root;
}

/**
 * One side of the comparison: method, URL and payload; what changed from `before` is marked.
 * @param {string} title
 * @param {string} method
 * @param {string} url
 * @param {unknown} payload
 * @param {{method: string, url: string, payload: unknown} | null} before
 */
function side(title, method, url, payload, before) {
  const changed = (/** @type {boolean} */ c) => (before && c ? ' tf-changed' : '');
  const text = stringify(payload, 2);
  return el('section', { class: 'tf-side', data: { side: before ? 'transformed' : 'original' } },
    el('h3', { text: title }),
    el('div', 'tf-line-item', span('muted', 'method '), span(`mono${changed(!!before && before.method !== method)}`, method)),
    el('div', 'tf-line-item', span('muted', 'url '), span(`mono tf-url${changed(!!before && before.url !== url)}`, url)),
    el('div', 'tf-line-item', span('muted', `payload · ${new Blob([text]).size.toLocaleString('en-US')} bytes`)),
    el('pre', { class: 'tf-payload', text }));
}
