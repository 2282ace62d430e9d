// The alarm view (#/alarms/<tab>): tabs for the active list (annunciated alarms with their
// children nested), the suppressed, shelved and out-of-service views with their counts, and the
// flood view; a station / area / class filter over the lists, and bulk acknowledge by that
// filter with one comment (operators).
import { api } from './api.js';
import { renderFlood, renderHistory, classLabel } from './alarm-reports.js';
import { UNACKED, VIEW_LIMIT, stationName } from './alarms.js';
import { alarmTable, viewTable } from './alarm-table.js';
import { formDialog, toast } from './dialog.js';
import { fill, h } from './format.js';
import { t } from './i18n.js';
import { isOperator, state } from './store.js';

export const TABS = ['active', 'suppressed', 'shelved', 'out_of_service', 'flood'];
/** the views each tab needs loaded besides the active list */
const NEEDS = { active: [], suppressed: ['suppressed'], shelved: ['shelved'], out_of_service: ['out_of_service'], flood: [] };
const FLOOD_MINUTES = [10, 30, 60];

export class AlarmView {
  /** @param {HTMLElement} view @param {import('./alarms.js').Alarms} alarms */
  constructor(view, alarms) {
    this.view = view;
    this.alarms = alarms;
    this.tab = 'active';
    this.filter = { station: '', area: '', class: '' };
    /** a stopped station has every rule suppressed; what would alarm is what holds */
    this.onlyHolding = true;
    this.floodMinutes = 10;
  }

  /** Shows a tab; asks the data side for the views that tab needs. */
  show(/** @type {string | undefined} */ tab) {
    this.tab = tab && TABS.includes(tab) ? tab : 'active';
    this.alarms.want = { views: /** @type {any} */ (NEEDS)[this.tab], children: this.tab === 'active', station: '' };
    this.build();
    this.render();
    void this.alarms.refresh();
    if (this.tab === 'active') void renderHistory(this.$('.alarm-kpis'), this.$('.alarm-history'));
    if (this.tab === 'flood') void renderFlood(this.$('.alarm-flood'), this.floodMinutes);
  }

  /** Rebuilds from scratch (language or role changed). */
  reset() {
    this.view.replaceChildren();
    this.show(this.tab);
  }

  $(/** @type {string} */ sel) {
    return /** @type {HTMLElement} */ (this.view.querySelector(sel));
  }

  /** The tab bar, filters and boxes; built once per tab so controls are not replaced under the pointer. */
  build() {
    if (this.view.dataset.tab === this.tab && this.view.firstChild) return;
    this.view.dataset.tab = this.tab;
    const sel = (/** @type {string} */ name) => h('select', { class: `alarm-filter-${name}`, name, onchange: (/** @type {Event} */ e) => this.setFilter(name, /** @type {HTMLSelectElement} */ (e.target).value) });
    const lists = this.tab !== 'flood';
    fill(
      this.view,
      h(
        'div',
        { class: 'alarm-tabs', role: 'tablist' },
        TABS.map((k) => h('a', { href: `#/alarms/${k}`, role: 'tab', class: `alarm-tab${k === this.tab ? ' active' : ''}`, 'data-tab': k, 'aria-selected': String(k === this.tab) }, t(`alarm.tab.${k}`), h('span', { class: 'tab-count' }))),
      ),
      lists
        ? h(
            'div',
            { class: 'toolbar alarm-toolbar' },
            sel('station'),
            sel('area'),
            sel('class'),
            this.tab === 'suppressed'
              ? h('label', { class: 'only-holding' }, h('input', { type: 'checkbox', checked: this.onlyHolding, onchange: (/** @type {Event} */ e) => this.setHolding(/** @type {HTMLInputElement} */ (e.target).checked) }), t('alarm.onlyHolding'))
              : null,
            this.tab === 'active' && isOperator() ? h('button', { type: 'button', class: 'btn-bulk-ack', onclick: () => this.bulkAck() }, t('alarm.bulk')) : null,
            h('span', { class: 'bulk-result', role: 'status' }),
          )
        : h(
            'div',
            { class: 'toolbar' },
            h('label', null, t('flood.window'), h('select', { class: 'flood-minutes', onchange: (/** @type {Event} */ e) => this.setFloodMinutes(Number(/** @type {HTMLSelectElement} */ (e.target).value)) }, FLOOD_MINUTES.map((m) => h('option', { value: m, selected: m === this.floodMinutes }, t('flood.minutes', { m }))))),
          ),
      lists ? h('div', { class: `alarm-list alarm-${this.tab === 'active' ? 'active' : 'view'}` }) : h('div', { class: 'alarm-flood' }),
      this.tab === 'active' ? [h('h2', null, t('alarm.kpis')), h('div', { class: 'alarm-kpis' }), h('h2', null, t('alarm.history')), h('div', { class: 'alarm-history' })] : null,
    );
  }

  /** The lists or the counts changed (after every refresh while the view is shown). */
  render() {
    if (!this.alarms.available) {
      this.view.dataset.tab = '';
      this.view.replaceChildren(h('p', { class: 'notice' }, t('unavailable', { what: t('unavailable.alarms') })));
      return;
    }
    this.build();
    const c = state.counts;
    for (const el of this.view.querySelectorAll('.alarm-tab')) {
      const k = /** @type {HTMLElement} */ (el).dataset.tab ?? '';
      const n = k === 'active' ? (c?.annunciated ?? state.alarms?.length) : c?.[k];
      /** @type {HTMLElement} */ (el.querySelector('.tab-count')).textContent = n === undefined || k === 'flood' ? '' : ` ${n}`;
    }
    if (this.tab === 'flood') return;
    const all = this.tab === 'active' ? (state.alarms ?? []) : (state.views[this.tab] ?? []);
    this.options(all);
    const list = all.filter((a) => this.matches(a));
    const box = this.$('.alarm-list');
    // re-render only on change, so a button is not replaced under the operator's pointer
    const kids = this.tab === 'active' ? state.children : new Map();
    const sig = `${state.role}|${JSON.stringify(this.filter)}|${this.onlyHolding}|${list.map((a) => `${a.id}:${a.state}:${a.ackedBy}:${a.shelvedUntil}`).join(',')}|${[...kids.values()].flat().map((a) => `${a.id}>${a.parent}`).join(',')}`;
    if (box.dataset.sig === sig && box.firstChild) return;
    box.dataset.sig = sig;
    const act = (/** @type {any} */ a, /** @type {any} */ what) => this.alarms.act(a, what);
    const total = this.tab === 'active' ? all.length : (c?.[this.tab] ?? all.length);
    fill(
      box,
      total > all.length ? h('p', { class: 'muted view-limited' }, t('alarm.view.limited', { n: VIEW_LIMIT, total })) : null,
      list.length ? (this.tab === 'active' ? alarmTable(list, act, kids) : viewTable(list, act)) : h('p', { class: 'muted' }, t('alarm.view.none')),
    );
    const bulk = /** @type {HTMLButtonElement | null} */ (this.view.querySelector('.btn-bulk-ack'));
    if (bulk) {
      bulk.disabled = !this.filter.station && !this.filter.area && !this.filter.class;
      bulk.title = bulk.disabled ? t('alarm.bulk.pick') : '';
    }
  }

  matches(/** @type {any} */ a) {
    const f = this.filter;
    return (
      (!f.station || a.station === f.station) &&
      (!f.area || state.byId.get(a.station)?.area === f.area) &&
      (!f.class || a.class === f.class) &&
      (this.tab !== 'suppressed' || !this.onlyHolding || a.active)
    );
  }

  setHolding(/** @type {boolean} */ on) {
    this.onlyHolding = on;
    this.render();
  }

  setFilter(/** @type {string} */ name, /** @type {string} */ value) {
    /** @type {any} */ (this.filter)[name] = value;
    this.$('.bulk-result').textContent = '';
    this.render();
  }

  /** Filter choices: stations and causes among the alarms listed, every area; the current choice stays. */
  options(/** @type {any[]} */ list) {
    const f = this.filter;
    const stations = [...new Set([...list.map((a) => a.station), f.station].filter(Boolean))].sort();
    const areas = [...new Set([...state.stations.map((s) => s.area), f.area].filter(Boolean))].sort();
    const classes = [...new Set([...list.map((a) => a.class), f.class].filter(Boolean))].sort();
    /** @type {Array<[string, string, Array<[string, string]>]>} */
    const sets = [
      ['station', t('alarm.filter.station'), stations.map((s) => [s, stationName(s)])],
      ['area', t('grid.area.all'), areas.map((a) => [a, a])],
      ['class', t('alarm.filter.class'), classes.map((c) => [c, classLabel(c)])],
    ];
    for (const [name, any, opts] of sets) {
      const el = /** @type {HTMLSelectElement} */ (this.view.querySelector(`select.alarm-filter-${name}`));
      const sig = opts.map((o) => o[0]).join('|');
      if (el.dataset.sig === sig) continue;
      el.dataset.sig = sig;
      fill(el, h('option', { value: '' }, any), opts.map(([v, label]) => h('option', { value: v }, label)));
      el.value = /** @type {any} */ (f)[name];
    }
  }

  setFloodMinutes(/** @type {number} */ m) {
    this.floodMinutes = m;
    void renderFlood(this.$('.alarm-flood'), m);
  }

  /** Refreshes the flood view (on the alarm refresh timer while it is shown). */
  refreshFlood() {
    if (this.tab === 'flood' && this.$('.alarm-flood')) void renderFlood(this.$('.alarm-flood'), this.floodMinutes);
  }

  /** Acknowledges every unacknowledged alarm matching the filter, with one comment. */
  async bulkAck() {
    const f = this.filter;
    const n = (state.alarms ?? []).filter((a) => this.matches(a) && UNACKED.has(a.state)).length;
    const any = t('alarm.bulk.any');
    const r = /** @type {any} */ (
      await formDialog({
        title: t('alarm.bulk.title'),
        intro: t('alarm.bulk.match', { n }),
        fields: [
          { name: 'station', label: t('alarm.col.station'), value: f.station ? stationName(f.station) : any, readonly: true },
          { name: 'area', label: t('alarm.col.area'), value: f.area || any, readonly: true },
          { name: 'class', label: t('alarm.col.class'), value: f.class ? classLabel(f.class) : any, readonly: true },
          { name: 'comment', label: t('alarm.comment'), type: 'textarea', required: true },
        ],
        submit: (v) =>
          api('/api/alarms/ack', {
            method: 'POST',
            body: { ...(f.station ? { station: f.station } : {}), ...(f.area ? { area: f.area } : {}), ...(f.class ? { class: f.class } : {}), comment: v.comment },
          }),
      })
    );
    if (!r) return;
    const msg = t('alarm.bulk.done', { n: r.acknowledged });
    this.$('.bulk-result').textContent = msg;
    toast(msg);
    await this.alarms.refresh();
  }
}
