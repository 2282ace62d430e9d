// The planned-stops view (停热计划, #/stops): the stops from the config and those entered here,
// a form where an operator enters one (stations or an area, from, to, reason), cancelling one
// entered by a user, and the stations not in service now. The server checks everything; its
// 400 message is shown next to the field it names.
import { ApiError, api } from './api.js';
import { ask, showErrors, toast } from './dialog.js';
import { fill, fmtTime, h } from './format.js';
import { t } from './i18n.js';
import { field, isoOf, loadModes, localInput, modeDetail } from './modes.js';
import { isOperator, state } from './store.js';
import { stationName } from './alarms.js';

const DEFAULT_HOURS = 8;

export class PlannedStops {
  /** @param {HTMLElement} view */
  constructor(view) {
    this.view = view;
    /** @type {any[]} */
    this.stops = [];
    this.list = h('div', { class: 'stops-list' });
    this.off = h('div', { class: 'modes-list' });
  }

  /** Builds the view (the form only on first show, so what is typed survives a reload). */
  async show() {
    if (!this.view.querySelector('.stops-list')) {
      fill(
        this.view,
        h('h2', null, t('stops.title')),
        isOperator() ? this.form() : null,
        this.list,
        h('h2', null, t('mode.notInService')),
        this.off,
      );
    }
    this.renderModes();
    await this.load();
  }

  /** Rebuilds everything (language or role changed). */
  reset() {
    this.view.replaceChildren();
    this.list.dataset.sig = '';
  }

  async load() {
    try {
      this.stops = (await api('/api/planned-stops')) ?? [];
    } catch (err) {
      this.list.replaceChildren(h('p', { class: 'notice' }, t('error', { msg: String(/** @type {Error} */ (err).message) })));
      return;
    }
    this.renderList();
  }

  renderList() {
    const now = Date.now();
    const op = isOperator();
    const status = (/** @type {any} */ s) => (now < s.from ? 'planned' : now < s.to ? 'active' : 'over');
    // redraw only on change, so a cancel button is not replaced under the operator's pointer
    const sig = `${op}|${this.stops.map((s) => `${s.id}:${status(s)}`).join(',')}`;
    if (this.list.dataset.sig === sig && this.list.firstChild) return;
    this.list.dataset.sig = sig;
    this.list.replaceChildren(
      this.stops.length
        ? h(
            'table',
            { class: 'table stops-table' },
            h('thead', null, h('tr', null, ['stops.scope', 'stops.from', 'stops.to', 'stops.reason', 'stops.by', 'stops.status', 'alarm.col.actions'].map((k) => h('th', null, t(k))))),
            h(
              'tbody',
              null,
              [...this.stops]
                .sort((a, b) => a.from - b.from)
                .map((s) =>
                  h(
                    'tr',
                    { 'data-stop': s.id, class: `stop-${status(s)}` },
                    h('td', { class: 'stop-scope' }, s.area ? t('stops.areaLabel', { area: s.area }) : (s.stations ?? []).map(stationName).join('、')),
                    h('td', null, fmtTime(s.from)),
                    h('td', null, fmtTime(s.to)),
                    h('td', null, s.reason),
                    h('td', null, s.by === 'config' ? t('stops.config') : s.by),
                    h('td', null, t(`stops.status.${status(s)}`)),
                    h('td', null, op && s.by !== 'config' ? h('button', { class: 'btn-cancel-stop', onclick: () => this.cancel(s) }, t('stops.cancel')) : null),
                  ),
                ),
            ),
          )
        : h('p', { class: 'muted' }, t('stops.none')),
    );
  }

  /** Stations whose mode is not in service now, with where it comes from. */
  renderModes() {
    const off = [...state.modes.values()].filter((m) => m.mode !== 'in_service');
    this.off.replaceChildren(
      off.length
        ? h(
            'table',
            { class: 'table modes-table' },
            h('thead', null, h('tr', null, ['alarm.col.station', 'mode.field.mode', 'mode.col.detail'].map((k) => h('th', null, t(k))))),
            h(
              'tbody',
              null,
              off.map((m) =>
                h(
                  'tr',
                  { 'data-station': m.station },
                  h('td', null, h('a', { href: `#/station/${m.station}` }, stationName(m.station))),
                  h('td', null, h('span', { class: `mode-badge mode-${m.mode}` }, t(`mode.${m.mode}`))),
                  h('td', null, modeDetail(m)),
                ),
              ),
            ),
          )
        : h('p', { class: 'muted' }, t('mode.none')),
    );
  }

  form() {
    const now = Date.now();
    const areas = [...new Set(state.stations.map((s) => s.area).filter(Boolean))].sort();
    const target = (/** @type {string} */ v) => h('label', { class: 'radio' }, h('input', { type: 'radio', name: 'target', value: v, checked: v === 'stations' }), t(`stops.target.${v}`));
    const stations = /** @type {HTMLInputElement} */ (h('input', { name: 'stations', autocomplete: 'off', list: 'stops-stations', placeholder: t('stops.stations.hint') }));
    const area = /** @type {HTMLSelectElement} */ (h('select', { name: 'area' }, areas.map((a) => h('option', { value: a }, a))));
    const from = /** @type {HTMLInputElement} */ (h('input', { name: 'from', type: 'datetime-local', required: true, value: localInput(now) }));
    const to = /** @type {HTMLInputElement} */ (h('input', { name: 'to', type: 'datetime-local', required: true, value: localInput(now + DEFAULT_HOURS * 3_600_000) }));
    const reason = /** @type {HTMLInputElement} */ (h('input', { name: 'reason', required: true, maxlength: 500 }));
    const stationsRow = field('stations', t('stops.stations'), stations);
    const areaRow = field('area', t('stops.area'), area);
    const form = /** @type {HTMLFormElement} */ (
      h(
        'form',
        { class: 'stops-form inline-form' },
        h('h3', null, t('stops.new')),
        h('div', { class: 'radio-row', 'data-field': 'target' }, h('span', null, t('stops.scope')), target('stations'), target('area')),
        stationsRow,
        areaRow,
        field('from', t('stops.from'), from),
        field('to', t('stops.to'), to),
        field('reason', t('stops.reason'), reason),
        h('datalist', { id: 'stops-stations' }, state.stations.map((s) => h('option', { value: s.id }, s.name))),
        h('div', { class: 'form-buttons' }, h('button', { type: 'submit', class: 'primary' }, t('stops.submit'))),
        h('p', { class: 'form-error', role: 'alert' }),
      )
    );
    const byArea = () => /** @type {HTMLInputElement | null} */ (form.querySelector('input[name="target"]:checked'))?.value === 'area';
    const sync = () => {
      areaRow.hidden = !byArea();
      stationsRow.hidden = byArea();
    };
    form.addEventListener('change', sync);
    sync();
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      showErrors(form, null);
      /** @type {Record<string, unknown>} */
      const body = { from: isoOf(from.value), to: isoOf(to.value), reason: reason.value };
      if (byArea()) body.area = area.value;
      else body.stations = stationIds(stations.value);
      try {
        const stop = await api('/api/planned-stops', { method: 'POST', body });
        toast(t('stops.saved', { id: stop.id }));
        stations.value = '';
        reason.value = '';
        await Promise.all([this.load(), loadModes()]);
      } catch (err) {
        showErrors(form, err);
      }
    });
    return form;
  }

  async cancel(/** @type {any} */ s) {
    const v = await ask(t('stops.cancelConfirm', { reason: s.reason }), []);
    if (!v) return;
    try {
      await api(`/api/planned-stops/${encodeURIComponent(s.id)}`, { method: 'DELETE' });
      toast(t('stops.cancelled'));
    } catch (err) {
      toast(err instanceof ApiError && err.status === 403 ? t('forbidden') : t('error', { msg: String(/** @type {Error} */ (err).message) }), 'error');
    }
    await Promise.all([this.load(), loadModes()]);
  }
}

/** Station ids from what was typed: ids or names, separated by commas, 、 or spaces; unknown words go as typed (the server names them). */
export function stationIds(/** @type {string} */ text) {
  const byName = new Map(state.stations.map((s) => [s.name, s.id]));
  return text
    .split(/[,，、;；\s]+/)
    .map((w) => w.trim())
    .filter(Boolean)
    .map((w) => byName.get(w) ?? w);
}
