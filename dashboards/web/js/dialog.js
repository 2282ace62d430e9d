// Modal forms and form errors: ask(title, fields) resolves with the values, or null when
// cancelled; formDialog() keeps the dialog open while the server refuses, with its 400 message
// next to the field it names; showErrors() does the same for forms on the page.
import { h } from './format.js';
import { t } from './i18n.js';

/**
 * @typedef {{ name: string, label: string, type?: string, value?: string, required?: boolean, readonly?: boolean, options?: Array<{ value: string, label: string }> }} Field
 * `options` makes a select of them (`value` selected).
 */

/** One labelled input; `data-field` is what a server error's field is matched against. */
function fieldRow(/** @type {Field} */ f) {
  const input = f.options
    ? h('select', { name: f.name, required: f.required }, f.options.map((o) => h('option', { value: o.value, selected: o.value === f.value }, o.label)))
    : f.type === 'textarea'
      ? h('textarea', { name: f.name, rows: 3, required: f.required, readonly: f.readonly }, f.value ?? '')
      : h('input', { name: f.name, type: f.type ?? 'text', value: f.value ?? '', required: f.required, readonly: f.readonly });
  return { input, row: h('label', { 'data-field': f.name }, h('span', null, f.label), input, h('small', { class: 'field-error', role: 'alert' })) };
}

/**
 * A dialog whose submit runs `submit(values)`; it closes when that resolves, and stays open
 * showing the error next to its field when it throws (an ApiError from api.js).
 * @param {{ title: string, intro?: string, fields: Field[], submit: (v: Record<string, string>) => Promise<unknown> }} o
 * @returns {Promise<unknown | null>} what submit resolved to, or null when cancelled
 */
export function formDialog(o) {
  return new Promise((resolve) => {
    const rows = o.fields.map(fieldRow);
    const ok = h('button', { type: 'submit', value: 'ok', class: 'btn-ok primary' }, t('confirm'));
    const form = h(
      'form',
      { method: 'dialog', class: 'dialog-form' },
      h('h3', null, o.title),
      o.intro ? h('p', { class: 'dialog-intro' }, o.intro) : null,
      rows.map((r) => r.row),
      h('p', { class: 'form-error', role: 'alert' }),
      h('div', { class: 'dialog-buttons' }, h('button', { type: 'button', value: 'cancel', class: 'btn-cancel' }, t('cancel')), ok),
    );
    const dlg = /** @type {HTMLDialogElement} */ (h('dialog', { class: 'dialog' }, form));
    document.body.append(dlg);
    const done = (/** @type {unknown} */ v) => {
      dlg.close();
      dlg.remove();
      resolve(v);
    };
    /** @type {HTMLElement} */ (form.querySelector('.btn-cancel')).addEventListener('click', () => done(null));
    dlg.addEventListener('cancel', () => done(null));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      /** @type {Record<string,string>} */
      const out = {};
      o.fields.forEach((f, i) => (out[f.name] = /** @type {HTMLInputElement} */ (rows[i].input).value));
      showErrors(form, null);
      ok.setAttribute('disabled', '');
      try {
        done(await o.submit(out));
      } catch (err) {
        showErrors(form, err);
      } finally {
        ok.removeAttribute('disabled');
      }
    });
    dlg.showModal();
    /** @type {HTMLElement | undefined} */ (rows.find((r) => !r.input.hasAttribute('readonly'))?.input)?.focus();
  });
}

/**
 * Resolves with the values, or null when cancelled.
 * @param {string} title
 * @param {Field[]} fields
 * @returns {Promise<Record<string, string> | null>}
 */
export function ask(title, fields) {
  return /** @type {Promise<Record<string, string> | null>} */ (formDialog({ title, fields, submit: async (v) => v }));
}

/**
 * The form field a server error names: its `field`, or the text before the colon of its
 * message (`stations[1]: unknown station`), without `body.` and without an index.
 */
export function errorField(/** @type {any} */ err) {
  const raw = err?.body?.field ?? /^([\w.[\]]+):/.exec(String(err?.message ?? ''))?.[1] ?? '';
  return String(raw).replace(/^(body|querystring|params)\./, '').split(/[.[]/)[0];
}

/** The whole path a server error names, without `body.` (`entries.3.team`): rows of a form's table name their cells so. */
export function errorPath(/** @type {any} */ err) {
  return String(err?.body?.field ?? '').replace(/^(body|querystring|params)\./, '');
}

/**
 * Shows an error under the form's field it names (`[data-field]`: the whole path first, then
 * its first part), or in the form's `.form-error` line when it names none there; `null` clears
 * them all.
 */
export function showErrors(/** @type {HTMLElement} */ form, /** @type {any} */ err) {
  for (const el of form.querySelectorAll('.field-error, .form-error')) el.textContent = '';
  for (const el of form.querySelectorAll('[data-field].invalid')) el.classList.remove('invalid');
  if (!err) return;
  const msg = err.status === 403 ? t('forbidden') : String(err.message ?? err);
  const name = errorField(err);
  const path = errorPath(err);
  const row = (path ? form.querySelector(`[data-field="${CSS.escape(path)}"]`) : null) ?? (name ? form.querySelector(`[data-field="${CSS.escape(name)}"]`) : null);
  const slot = row?.querySelector('.field-error') ?? form.querySelector('.form-error');
  row?.classList.add('invalid');
  if (slot) slot.textContent = msg;
}

/** A transient message at the bottom of the screen. */
export function toast(/** @type {string} */ text, kind = 'info') {
  const el = h('div', { class: `toast toast-${kind}`, role: 'status' }, text);
  document.body.append(el);
  setTimeout(() => el.remove(), 5000);
}
