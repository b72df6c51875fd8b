// @ts-check
/**
 * The "Test my endpoint" form: the app's webhook URL, who sends (Svix, or one of the providers
 * hookpit knows, as `hookpit doctor --provider`), an optional secret (else the key configured
 * for `/` signs) and, for Svix, which scenarios to run (all by default; a provider runs the
 * scenarios that apply to it). A refusal from the server is shown in plain words next to the
 * field it is about.
 */
import { el, span } from './dom.js';
import { SCENARIOS, GROUPS } from './doctor-scenarios.js';
import { loadProviders, provider } from './providers.js';

/**
 * @typedef {{to: string, secret?: string, only?: string[], provider?: string}} DoctorRequest
 */

/** The secret field's hint while Svix sends. */
const SVIX_SECRET = 'whsec_… (empty: the key for / is used)';

/** Where the last URL typed is kept, so the form remembers the app between visits. */
const LAST_URL = 'hookpit.doctor.to';

export class DoctorForm {
  /**
   * @param {(body: DoctorRequest) => Promise<void>} onSubmit throws to show an error
   */
  constructor(onSubmit) {
    this.to = el('input', {
      class: 'mono', attrs: {
        id: 'doctor-to', name: 'to', type: 'url', required: '', spellcheck: 'false', autocomplete: 'url',
        placeholder: 'http://localhost:3000/webhooks',
      },
    });
    this.to.value = localStorage.getItem(LAST_URL) || '';
    this.secret = el('input', {
      class: 'mono', attrs: {
        id: 'doctor-secret', name: 'secret', type: 'text', spellcheck: 'false', autocomplete: 'off',
        placeholder: SVIX_SECRET,
      },
    });
    this.sender = el('select', { attrs: { id: 'doctor-provider', name: 'provider' } },
      el('option', { text: 'Svix (Cyberdesk)', attrs: { value: '' } }));
    loadProviders().then((list) => {
      // Standard Webhooks is what Svix sends: the first choice already.
      for (const p of list.filter((x) => x.name !== 'standard')) {
        this.sender.append(el('option', { text: p.title, attrs: { value: p.name } }));
      }
    });
    this.sender.addEventListener('change', () => this.senderChanged());
    /** @type {Map<string, HTMLInputElement>} */
    this.boxes = new Map();
    this.summary = el('summary', null);
    const picker = el('details', 'dr-only', this.summary);
    this.picker = picker;
    const bulk = el('div', 'dr-bulk',
      el('button', { class: 'link-button', text: 'all', attrs: { type: 'button' }, on: { click: () => this.pick(null) } }),
      el('button', { class: 'link-button', text: 'none', attrs: { type: 'button' }, on: { click: () => this.pick([]) } }));
    picker.append(bulk);
    for (const [expect, label] of GROUPS) {
      const set = el('fieldset', 'dr-group', el('legend', { text: label }));
      for (const s of SCENARIOS.filter((x) => x.expect === expect)) {
        const box = el('input', { attrs: { type: 'checkbox', name: 'only', value: s.name }, data: { expect: s.expect, title: s.title } });
        box.checked = true;
        box.addEventListener('change', () => this.count());
        this.boxes.set(s.name, box);
        set.append(el('label', 'dr-pick', box, span('mono', s.name), span('muted', s.title)));
      }
      picker.append(set);
    }
    this.error = el('p', { class: 'error-text', attrs: { role: 'alert', id: 'doctor-error' } });
    this.submit = el('button', { class: 'btn primary', text: 'Run the test', attrs: { type: 'submit', id: 'doctor-run' } });
    this.hint = span('muted small', '');
    this.root = el('form', { class: 'dr-form', attrs: { novalidate: '', autocomplete: 'off', 'aria-label': 'Test my endpoint' } },
      el('label', 'field', span('label', 'Endpoint URL'), this.to),
      el('label', 'field', span('label', 'Sent as'), this.sender),
      el('label', 'field', el('span', 'label', 'Signing secret ', span('optional', 'optional')), this.secret),
      this.error,
      picker,
      el('div', 'dr-submit', this.submit, this.hint));
    for (const f of [this.to, this.secret]) f.addEventListener('input', () => { if (f.hasAttribute('aria-invalid')) this.showError(''); });
    this.root.addEventListener('submit', async (e) => {
      e.preventDefault();
      await this.send(onSubmit);
    });
    this.count();
  }

  /**
   * Validates, sends, and shows why it failed.
   * @param {(body: DoctorRequest) => Promise<void>} onSubmit
   */
  async send(onSubmit) {
    this.showError('');
    const to = this.to.value.trim();
    if (!to) { this.showError('Enter the URL your app receives webhooks on, e.g. http://localhost:3000/webhooks.', this.to); return; }
    const sender = this.sender.value;
    // A provider runs the scenarios that apply to it; the picker lists Svix's.
    const only = sender ? null : this.only();
    if (only && !only.length) { this.showError('Pick at least one scenario.'); return; }
    /** @type {DoctorRequest} */
    const body = { to };
    const secret = this.secret.value.trim();
    if (secret) body.secret = secret;
    if (only) body.only = only;
    if (sender) body.provider = sender;
    localStorage.setItem(LAST_URL, to);
    this.submit.disabled = true;
    this.submit.textContent = 'Starting…';
    try {
      await onSubmit(body);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.showError(...this.explain(message));
    } finally {
      this.submit.disabled = false;
      this.submit.textContent = 'Run the test';
    }
  }

  /**
   * The server's refusal in plain words, and the field it is about.
   * @param {string} message
   * @returns {[string, HTMLInputElement | null]}
   */
  explain(message) {
    const to = message.match(/^"to":\s*(.*)$/s);
    if (to) return [`The endpoint URL does not work: ${to[1]}`, this.to];
    const secret = message.match(/^"secret":\s*(.*)$/s);
    if (secret) return [`The secret does not work: ${secret[1]}`, this.secret];
    if (/no key/i.test(message)) return [`${message[0].toUpperCase()}${message.slice(1)}.`.replace(/\.\.$/, '.'), this.secret];
    return [message, null];
  }

  /**
   * Shows (or clears) an error, marking the field it is about.
   * @param {string} message
   * @param {HTMLInputElement | null} [field]
   */
  showError(message, field = null) {
    this.error.textContent = message;
    for (const f of [this.to, this.secret]) {
      if (f === field) f.setAttribute('aria-invalid', 'true'); else f.removeAttribute('aria-invalid');
    }
    if (field) field.focus();
    else if (message) this.error.scrollIntoView({ block: 'nearest' });
  }

  /** The picked scenarios, or null for all of them. */
  only() {
    const picked = [...this.boxes.values()].filter((b) => b.checked).map((b) => b.value);
    return picked.length === this.boxes.size ? null : picked;
  }

  /**
   * Picks scenarios: null for all.
   * @param {string[] | null} names
   */
  pick(names) {
    for (const [name, box] of this.boxes) box.checked = names === null || names.includes(name);
    this.count();
  }

  /** Follows the sender: a provider's secret hint, and Svix's scenario picker only for Svix. */
  senderChanged() {
    const p = provider(this.sender.value);
    this.secret.placeholder = p ? `${p.secret} (empty: the key for / is used)` : SVIX_SECRET;
    this.picker.hidden = Boolean(p);
    this.count();
  }

  /** Says how many scenarios are picked. */
  count() {
    const p = provider(this.sender.value);
    if (p) {
      this.hint.textContent = `Your app gets real requests signed as ${p.title} signs them: point it at a dev instance.`;
      return;
    }
    const only = this.only();
    const n = only ? only.length : this.boxes.size;
    this.summary.textContent = only ? `Scenarios: ${n} of ${this.boxes.size}` : `Scenarios: all ${n}`;
    // `duplicate` delivers its message twice.
    const requests = n + ((only ? only.includes('duplicate') : true) ? 1 : 0);
    this.hint.textContent = n ? `Your app gets ${requests} real, signed request${requests === 1 ? '' : 's'}: point it at a dev instance.` : '';
  }

  /**
   * Fills the form from a run (for "Run again").
   * @param {string} to
   * @param {string[]} planned
   */
  fill(to, planned) {
    this.to.value = to;
    const known = planned.filter((n) => this.boxes.has(n));
    this.pick(known.length === this.boxes.size || !known.length ? null : known);
  }

  /** Focuses the first field that needs something. */
  focus() {
    (this.to.value ? this.submit : this.to).focus();
  }

  /** Submits as if the button was pressed. */
  run() {
    this.root.requestSubmit();
  }
}
