// Station detail: the mimic with live values, the station's mode (set by operators), its alarms
// (children nested under their first-out alarm) and tickets, small trends of its key points with
// its alarm raises and ticket events marked, a link to its scatter and season comparison, and
// the full point table. It opens its own /ws subscription for the station.
import { api } from './api.js';
import { alarmTable } from './alarm-table.js';
import { drawChart } from './chart.js';
import { fmtTime, fmtValue, h, unitLabel } from './format.js';
import { t } from './i18n.js';
import { LiveFeed } from './live.js';
import { Mimic } from './mimic.js';
import { modeBadge, modePanel } from './modes.js';
import { leafOf, state } from './store.js';
import { ticketTable } from './tickets.js';
import { loadMarkers } from './trend-markers.js';

export class StationDetail {
  /** @param {HTMLElement} view @param {{ alarms: import('./alarms.js').Alarms, tickets: import('./tickets.js').Tickets }} parts */
  constructor(view, parts) {
    this.view = view;
    this.parts = parts;
    /** @type {LiveFeed | null} */
    this.feed = null;
    /** @type {string | null} */
    this.id = null;
    /** @type {Map<string, { value: any, quality: string, ts: number }>} short id → latest */
    this.values = new Map();
    /** @type {Map<string, HTMLElement>} full id → value cell */
    this.cells = new Map();
    /** @type {Mimic | null} */
    this.mimic = null;
    /** @type {{ el: HTMLElement, update: () => void } | null} */
    this.mode = null;
    this.badge = h('span', { class: 'detail-mode' });
  }

  async open(/** @type {string} */ id) {
    this.close();
    this.id = id;
    this.view.replaceChildren(h('p', { class: 'muted' }, '…'));
    let st;
    try {
      st = await api(`/api/stations/${encodeURIComponent(id)}`);
    } catch (err) {
      this.view.replaceChildren(h('p', { class: 'notice' }, t('error', { msg: String(/** @type {Error} */ (err).message) })));
      return;
    }
    if (this.id !== id) return;
    /** @type {Map<string, { name: string, unit: string | null }>} */
    const meta = new Map();
    const points = st.devices.flatMap((/** @type {any} */ d) => d.points);
    for (const p of points) {
      const short = leafOf(p.id);
      meta.set(short, { name: p.name, unit: p.unit });
      if (p.latest) this.values.set(short, p.latest);
    }
    const mimicHost = h('div', { class: 'mimic-host' });
    const table = h(
      'table',
      { class: 'table points-table' },
      h('tbody', null, points.map((/** @type {any} */ p) => {
        const cell = h('td', { class: 'num', 'data-unit': p.unit ?? '' }, fmtValue(p.latest?.value, p.unit));
        this.cells.set(p.id, cell);
        return h('tr', null, h('td', null, p.name), h('td', { class: 'muted' }, leafOf(p.id)), cell, h('td', null, unitLabel(p.unit)));
      })),
    );
    this.alarmBox = h('div', { class: 'detail-alarms' });
    this.ticketBox = h('div', { class: 'detail-tickets' });
    const trendT = h('div', { class: 'mini-chart', 'data-chart': 'temps' });
    const trendP = h('div', { class: 'mini-chart', 'data-chart': 'pressures' });
    this.mode = modePanel(id);
    this.modesChanged();
    this.view.replaceChildren(
      h('div', { class: 'detail-head' }, h('a', { href: '#/grid' }, `← ${t('detail.back')}`), h('h2', null, t('detail.title', { name: st.name, id: st.id })), h('span', { class: `comm-pill comm-${st.comm}` }, t(`comm.${st.comm}`)), this.badge, h('a', { class: 'detail-analytics', href: `#/analytics/scatter/${encodeURIComponent(id)}` }, t('detail.analytics'))),
      this.mode.el,
      h('div', { class: 'detail-grid' }, h('section', { class: 'detail-mimic' }, mimicHost), h('section', null, h('h3', null, t('detail.alarms')), this.alarmBox, h('h3', null, t('detail.tickets')), this.ticketBox)),
      h('h3', null, t('detail.trends')),
      h('div', { class: 'mini-charts' }, trendT, trendP),
      h('details', null, h('summary', null, t('detail.points')), table),
    );
    this.mimic = new Mimic(mimicHost, meta);
    this.mimic.update(this.values);
    this.lists();
    this.feed = new LiveFeed({
      subscribe: { stations: [id] },
      onSamples: (batch) => this.samples(batch),
    }).start();
    const base = `${id}.${st.devices[0]?.id ?? 'plc'}`;
    const has = (/** @type {string} */ p) => meta.has(p);
    const temps = ['t_pri_supply', 't_pri_return', 't_sec_supply', 't_sec_return'].filter(has).map((p) => `${base}.${p}`);
    const press = ['p_pri_supply', 'p_pri_return', 'p_sec_supply', 'p_sec_return'].filter(has).map((p) => `${base}.${p}`);
    const label = (/** @type {string} */ p) => meta.get(leafOf(p))?.name ?? p;
    const markers = loadMarkers([id], 'now-1h');
    for (const [el, pts] of /** @type {Array<[HTMLElement, string[]]>} */ ([[trendT, temps], [trendP, press]])) {
      if (!pts.length) continue;
      Promise.all([api(`/api/series?points=${pts.join(',')}&from=now-1h&to=now&agg=mean`), markers])
        .then(([body, m]) => this.id === id && drawChart(el, body.series, { height: 220, labels: label, markers: m }))
        .catch((err) => el.replaceChildren(t('error', { msg: String(err.message) })));
    }
  }

  /** Station modes were reloaded: the badge and the panel's current mode (not its form). */
  modesChanged() {
    if (!this.id) return;
    this.badge.replaceChildren(modeBadge(this.id) ?? '');
    this.mode?.update();
  }

  /** Alarm or ticket lists changed. */
  lists() {
    if (!this.id || !this.alarmBox || !this.ticketBox) return;
    const id = this.id;
    const alarms = (state.alarms ?? []).filter((a) => a.station === id);
    this.alarmBox.replaceChildren(state.alarms === null ? h('p', { class: 'notice' }, t('unavailable', { what: t('unavailable.alarms') })) : alarms.length ? alarmTable(alarms, (a, what) => this.parts.alarms.act(a, what), state.children) : h('p', { class: 'muted' }, t('alarm.banner.none')));
    const tickets = (state.tickets ?? []).filter((x) => x.station === id);
    this.ticketBox.replaceChildren(state.tickets === null ? h('p', { class: 'notice' }, t('unavailable', { what: t('unavailable.tickets') })) : tickets.length ? ticketTable(tickets, (x, to) => this.parts.tickets.transition(x, to)) : h('p', { class: 'muted' }, t('ticket.none')));
  }

  /** @param {Map<string, any>} batch */
  samples(batch) {
    for (const [point, s] of batch) {
      this.values.set(leafOf(point), s);
      const cell = this.cells.get(point);
      if (cell) {
        cell.textContent = fmtValue(s.value, cell.dataset.unit || null);
        cell.title = fmtTime(s.ts);
        cell.classList.toggle('bad', s.quality !== 'good');
      }
    }
    this.mimic?.update(this.values);
  }

  close() {
    this.feed?.stop();
    this.feed = null;
    this.id = null;
    this.values = new Map();
    this.cells = new Map();
    this.mimic = null;
    this.mode = null;
  }
}
