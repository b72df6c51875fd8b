// @ts-check
/** Modal dialogs on the native <dialog> element: edit-and-replay, replay elsewhere, help. */
import { el } from './dom.js';

/**
 * Opens a modal dialog. Resolves with what `onSubmit` returned, or null when cancelled.
 * @template T
 * @param {{title: string, body: Node[], submit?: string, onSubmit?: () => T | Promise<T>, wide?: boolean}} opts
 * @returns {Promise<T | null>}
 */
export function openDialog(opts) {
  return new Promise((resolve) => {
    const error = el('p', { class: 'error-text', attrs: { role: 'alert' } });
    const actions = el('div', 'dialog-actions');
    const cancel = el('button', { class: 'btn', text: opts.submit ? 'Cancel' : 'Close', attrs: { type: 'button' } });
    actions.append(cancel);
    /** @type {HTMLButtonElement | null} */
    let submit = null;
    if (opts.submit) {
      submit = el('button', { class: 'btn primary', text: opts.submit, attrs: { type: 'submit' } });
      actions.append(submit);
    }
    const form = el('form', { attrs: { method: 'dialog' } }, el('h2', { text: opts.title }), ...opts.body, error, actions);
    const dialog = el('dialog', opts.wide ? 'wide' : '', form);
    let done = false;
    /** @param {T | null} v */
    const finish = (v) => {
      if (done) return;
      done = true;
      dialog.close();
      dialog.remove();
      resolve(v);
    };
    cancel.addEventListener('click', () => finish(null));
    dialog.addEventListener('cancel', (e) => { e.preventDefault(); finish(null); });
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (!opts.onSubmit) { finish(null); return; }
      error.textContent = '';
      if (submit) submit.disabled = true;
      try {
        finish(await opts.onSubmit());
      } catch (err) {
        error.textContent = err instanceof Error ? err.message : String(err);
      } finally {
        if (submit) submit.disabled = false;
      }
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

/** Whether a modal dialog is open (keyboard shortcuts stay out of its way). */
export function dialogOpen() {
  return document.querySelector('dialog[open]') !== null;
}
