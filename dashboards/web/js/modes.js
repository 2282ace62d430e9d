// Station operating modes (运行方式): GET /api/modes into state.modes, the badge a station shows
// when it is not in service (tile, detail), and the detail's form where an operator sets the
// mode with a comment and an optional end (PUT /api/stations/:id/mode).
import { api } from './api.js';
import { showErrors, toast } from './dialog.js';
import { fill, fmtTime, h } from './format.js';
import { t } from './i18n.js';
import { emit, isOperator, state } from './store.js';

export const MODES = ['in_service', 'commissioning', 'stopped', 'maintenance'];

export async function loadModes() {
  const list = await api('/api/modes', { optional: true }).catch(() => null);
  if (!Array.isArray(list)) return;
  state.modes = new Map(list.map((m) => [m.station, m]));
  emit('modes');
}

/** The station's effective mode, or undefined before the first load. */
export function modeOf(/** @type {string} */ station) {
  return state.modes.get(station);
}

/** 停运 / 检修 / 调试 as a badge; null while the station is in service. */
export function modeBadge(/** @type {string} */ station) {
  const m = modeOf(station);
  if (!m || m.mode === 'in_service') return null;
  return h('span', { class: `mode-badge mode-${m.mode}`, 'data-mode': m.mode, title: modeDetail(m) }, t(`mode.${m.mode}`));
}

/** Where the mode comes from and until when, in words. */
export function modeDetail(/** @type {any} */ m) {
  const parts = [t(`mode.source.${m.source}`)];
  if (m.operator) parts.push(t('mode.by', { user: m.operator.user, comment: m.operator.comment }));
  if (m.stop) parts.push(m.stop.reason);
  if (m.until) parts.push(t('mode.until', { time: fmtTime(m.until) }));
  return parts.join(' · ');
}

/** `YYYY-MM-DDTHH:MM` in the browser's zone, for a datetime-local input. */
export function localInput(/** @type {number} */ ms) {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}

/** A datetime-local value as ISO 8601 with a zone (what the API takes), or undefined when empty. */
export function isoOf(/** @type {string} */ local) {
  if (!local) return undefined;
  const ms = new Date(local).getTime();
  return Number.isNaN(ms) ? local : new Date(ms).toISOString();
}

/** A labelled form field with room for the server's message about it. */
export function field(/** @type {string} */ name, /** @type {string} */ label, /** @type {HTMLElement} */ input) {
  const error = h('small', { class: 'field-error', role: 'alert' });
  const row = h('label', { 'data-field': name }, h('span', null, label), input, error);
  // the message is about what was there; once edited it no longer applies
  input.addEventListener('input', () => {
    error.textContent = '';
    row.classList.remove('invalid');
  });
  return row;
}

/**
 * The mode part of the station detail: the current mode and, for operators, a form to set it.
 * `update()` redraws only the current mode, so a periodic reload never clears what is typed.
 */
export function modePanel(/** @type {string} */ station) {
  const status = h('span', { class: 'mode-status' });
  const update = () => {
    const m = modeOf(station);
    fill(
      status,
      m ? h('span', { class: `mode-current mode-${m.mode}`, 'data-mode': m.mode }, t(`mode.${m.mode}`)) : h('span', { class: 'muted' }, '—'),
      m && m.source !== 'default' ? h('span', { class: 'muted mode-detail' }, ` ${modeDetail(m)}`) : null,
    );
  };
  update();
  const box = h('div', { class: 'mode-panel', 'data-station': station }, h('b', null, `${t('mode.title')}：`), status);
  const m = modeOf(station);
  if (!isOperator()) return { el: box, update };
  const mode = /** @type {HTMLSelectElement} */ (h('select', { name: 'mode' }, MODES.map((x) => h('option', { value: x }, t(`mode.${x}`)))));
  mode.value = m?.mode === 'in_service' || !m ? 'maintenance' : m.mode;
  const comment = h('input', { name: 'comment', required: true, maxlength: 500, placeholder: t('mode.comment.hint') });
  const until = h('input', { name: 'until', type: 'datetime-local' });
  const form = h(
    'form',
    { class: 'mode-form inline-form', hidden: true },
    field('mode', t('mode.field.mode'), mode),
    field('comment', t('mode.field.comment'), comment),
    field('until', t('mode.field.until'), until),
    h('div', { class: 'form-buttons' }, h('button', { type: 'submit', class: 'primary' }, t('mode.save')), h('button', { type: 'button', class: 'btn-cancel', onclick: () => (form.hidden = true) }, t('cancel'))),
    h('p', { class: 'form-error', role: 'alert' }),
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    showErrors(form, null);
    const body = { mode: mode.value, comment: /** @type {HTMLInputElement} */ (comment).value, until: isoOf(/** @type {HTMLInputElement} */ (until).value) };
    try {
      const r = await api(`/api/stations/${encodeURIComponent(station)}/mode`, { method: 'PUT', body });
      toast(t('mode.saved', { mode: t(`mode.${r.mode}`) }));
      form.hidden = true;
      await loadModes();
    } catch (err) {
      showErrors(form, err);
    }
  });
  box.append(h('button', { type: 'button', class: 'btn-set-mode', onclick: () => (form.hidden = !form.hidden) }, t('mode.set')), form);
  return { el: box, update };
}
