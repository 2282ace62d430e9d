// A small modal form: ask(title, fields) resolves with the values, or null when cancelled.
import { h } from './format.js';
import { t } from './i18n.js';

/**
 * @param {string} title
 * @param {Array<{ name: string, label: string, type?: string, value?: string, required?: boolean }>} fields
 * @returns {Promise<Record<string, string> | null>}
 */
export function ask(title, fields) {
  return new Promise((resolve) => {
    const inputs = fields.map((f) =>
      f.type === 'textarea'
        ? h('textarea', { name: f.name, rows: 3, required: f.required }, f.value ?? '')
        : h('input', { name: f.name, type: f.type ?? 'text', value: f.value ?? '', required: f.required }),
    );
    const form = h(
      'form',
      { method: 'dialog', class: 'dialog-form' },
      h('h3', null, title),
      fields.map((f, i) => h('label', null, h('span', null, f.label), inputs[i])),
      h('div', { class: 'dialog-buttons' }, h('button', { type: 'button', value: 'cancel', class: 'btn-cancel' }, t('cancel')), h('button', { type: 'submit', value: 'ok', class: 'btn-ok primary' }, t('confirm'))),
    );
    const dlg = /** @type {HTMLDialogElement} */ (h('dialog', { class: 'dialog' }, form));
    document.body.append(dlg);
    const done = (/** @type {Record<string,string> | null} */ v) => {
      dlg.close();
      dlg.remove();
      resolve(v);
    };
    /** @type {HTMLElement} */ (form.querySelector('.btn-cancel')).addEventListener('click', () => done(null));
    dlg.addEventListener('cancel', () => done(null));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      /** @type {Record<string,string>} */
      const out = {};
      fields.forEach((f, i) => (out[f.name] = /** @type {HTMLInputElement} */ (inputs[i]).value));
      done(out);
    });
    dlg.showModal();
    /** @type {HTMLElement | undefined} */ (inputs[0])?.focus();
  });
}

/** A transient message at the bottom of the screen. */
export function toast(/** @type {string} */ text, kind = 'info') {
  const el = h('div', { class: `toast toast-${kind}`, role: 'status' }, text);
  document.body.append(el);
  setTimeout(() => el.remove(), 5000);
}
