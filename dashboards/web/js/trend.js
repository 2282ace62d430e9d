// Trend explorer: points across stations, a range from the last hour to a heating season,
// aggregation and step (auto: the API picks ≤ ~600 buckets for the range), uPlot drawing with
// gaps kept as gaps, the stations' alarm raises and ticket events as markers, and a CSV export
// link to the same query.
import { api, withToken } from './api.js';
import { drawChart } from './chart.js';
import { fill, h } from './format.js';
import { t } from './i18n.js';
import { state } from './store.js';
import { loadMarkers } from './trend-markers.js';

const RANGES = { '1h': 'now-1h', '6h': 'now-6h', '24h': 'now-24h', '7d': 'now-7d', '30d': 'now-30d', season: 'now-180d' };
const STEPS = { '1h': ['10s', '1m', '5m'], '6h': ['1m', '5m', '15m'], '24h': ['1m', '5m', '15m', '1h'], '7d': ['15m', '1h', '6h'], '30d': ['1h', '6h', '1d'], season: ['6h', '1d'] };
const AGGS = ['mean', 'min', 'max', 'last', 'count'];

export class TrendExplorer {
  /** @param {HTMLElement} view */
  constructor(view) {
    this.view = view;
    /** @type {Array<{ id: string, label: string }>} */
    this.points = [];
    /** @type {Map<string, any[]>} station id → its points (from /api/stations/:id) */
    this.pointCache = new Map();
    this.built = false;
  }

  /** Adds a point by full id (used by links and tests). */
  add(/** @type {string} */ id, /** @type {string} */ label = id) {
    if (!this.points.some((p) => p.id === id)) this.points.push({ id, label });
    this.renderChips();
  }

  build() {
    this.station = /** @type {HTMLSelectElement} */ (h('select', { class: 'trend-station', onchange: () => this.loadPoints() }, state.stations.map((s) => h('option', { value: s.id }, `${s.name} (${s.id})`))));
    this.point = /** @type {HTMLSelectElement} */ (h('select', { class: 'trend-point' }));
    this.range = /** @type {HTMLSelectElement} */ (h('select', { class: 'trend-range', onchange: () => this.fillSteps() }, Object.keys(RANGES).map((r) => h('option', { value: r }, t(`range.${r}`)))));
    this.agg = /** @type {HTMLSelectElement} */ (h('select', { class: 'trend-agg' }, AGGS.map((a) => h('option', { value: a }, t(`agg.${a}`)))));
    this.step = /** @type {HTMLSelectElement} */ (h('select', { class: 'trend-step' }));
    this.chips = h('div', { class: 'chips' });
    this.chart = h('div', { class: 'trend-chart' });
    this.csv = /** @type {HTMLAnchorElement} */ (h('a', { class: 'trend-csv', download: 'heatwatch.csv', hidden: true }, t('trend.csv')));
    this.msg = h('p', { class: 'muted trend-msg' });
    this.view.replaceChildren(
      h('div', { class: 'toolbar' },
        h('label', null, t('trend.station'), this.station),
        h('label', null, t('trend.point'), this.point),
        h('button', { class: 'trend-add', onclick: () => this.addSelected() }, t('trend.add')),
      ),
      this.chips,
      h('div', { class: 'toolbar' },
        h('label', null, t('trend.range'), this.range),
        h('label', null, t('trend.agg'), this.agg),
        h('label', null, t('trend.step'), this.step),
        h('button', { class: 'trend-draw primary', onclick: () => this.draw() }, t('trend.draw')),
        this.csv,
      ),
      this.msg,
      this.chart,
    );
    this.fillSteps();
    this.renderChips();
    this.built = true;
    void this.loadPoints();
  }

  show() {
    if (!this.built) this.build();
  }

  /** Rebuilds after a language switch, keeping the chosen points. */
  relabel() {
    if (this.built) this.build();
  }

  fillSteps() {
    if (!this.step || !this.range) return;
    const steps = /** @type {Record<string,string[]>} */ (STEPS)[this.range.value] ?? [];
    fill(this.step, h('option', { value: '' }, t('trend.step.auto')), steps.map((s) => h('option', { value: s }, s)));
  }

  async loadPoints() {
    if (!this.station || !this.point) return;
    const id = this.station.value;
    if (!id) return;
    let pts = this.pointCache.get(id);
    if (!pts) {
      const st = await api(`/api/stations/${encodeURIComponent(id)}`);
      pts = st.devices.flatMap((/** @type {any} */ d) => d.points).filter((/** @type {any} */ p) => p.unit !== null || typeof p.latest?.value === 'number');
      this.pointCache.set(id, /** @type {any[]} */ (pts));
    }
    this.point.replaceChildren(.../** @type {any[]} */ (pts).map((p) => h('option', { value: p.id }, `${p.name} (${p.id.split('.').pop()})`)));
  }

  addSelected() {
    if (!this.point?.value || !this.station) return;
    const s = state.byId.get(this.station.value);
    const opt = this.point.selectedOptions[0];
    this.add(this.point.value, `${s?.name ?? ''} ${opt?.textContent ?? this.point.value}`);
  }

  renderChips() {
    if (!this.chips) return;
    fill(
      this.chips,
      this.points.length
        ? this.points.map((p) => h('span', { class: 'chip', 'data-point': p.id }, p.label, h('button', { class: 'chip-x', title: t('trend.remove'), onclick: () => { this.points = this.points.filter((x) => x !== p); this.renderChips(); } }, '×')))
        : h('span', { class: 'muted' }, t('trend.empty')),
    );
  }

  query() {
    const q = new URLSearchParams({ points: this.points.map((p) => p.id).join(','), from: /** @type {Record<string,string>} */ (RANGES)[this.range?.value ?? '1h'], to: 'now', agg: this.agg?.value ?? 'mean' });
    if (this.step?.value) q.set('step', this.step.value);
    return `/api/series?${q.toString().replace(/%2C/g, ',')}`;
  }

  async draw() {
    if (!this.chart || !this.msg || !this.csv) return;
    if (!this.points.length) {
      this.msg.textContent = t('trend.empty');
      return;
    }
    const url = this.query();
    this.csv.href = withToken(`${url}&format=csv`);
    this.csv.hidden = false;
    try {
      // the alarm raises and ticket events of the points' stations, drawn over the values
      const stations = [...new Set(this.points.map((p) => p.id.split('.')[0]))].slice(0, 5);
      const [body, markers] = await Promise.all([api(url), loadMarkers(stations, /** @type {Record<string,string>} */ (RANGES)[this.range?.value ?? '1h'])]);
      const any = body.series.some((/** @type {any} */ s) => s.points.some((/** @type {any} */ p) => p[1] !== null));
      this.msg.textContent = any ? '' : t('trend.nodata');
      const labels = new Map(this.points.map((p) => [p.id, p.label]));
      drawChart(this.chart, body.series, { labels: (p) => labels.get(p) ?? p, height: 420, markers });
      this.chart.dataset.points = String(body.series.reduce((n, /** @type {any} */ s) => n + s.points.filter((/** @type {any} */ p) => p[1] !== null).length, 0));
    } catch (err) {
      this.msg.textContent = t('error', { msg: String(/** @type {Error} */ (err).message) });
    }
  }
}
