// One station in the engineers' view (#/analytics/scatter/<id>): its hourly secondary supply
// against the outdoor temperature with the configured weather curve drawn in and the band
// (analytics.curveDeviationK) the curve deviation counts outside of (GET /api/analytics/scatter,
// drawn in SVG), and this heating season against the last on the same day of the season
// (GET /api/analytics/season, drawn with uPlot).
import uPlot from '/vendor/uplot/uPlot.esm.js';
import { api } from './api.js';
import { curveLine, linear, niceTicks } from './analytics-geom.js';
import { fill, h } from './format.js';
import { t } from './i18n.js';
import { s as svg } from './mimic.js';
import { state } from './store.js';

export const SEASON_METRICS = ['heatGJ', 'intensity', 'meanSupplyC'];
/** GJ/(m²·HDD) is drawn as kJ/(m²·HDD), as the ranking shows it */
const SCALE = /** @type {Record<string, number>} */ ({ intensity: 1e6 });
const W = 760;
const H = 440;
const M = { left: 52, right: 16, top: 14, bottom: 42 };

/**
 * The scatter as an SVG: points, the curve, its band, axes with round ticks.
 * @param {{ pairs: Array<[number, number]>, curve: Array<[number, number]> | null, bandK: number }} body bandK: how far
 *   from the curve a supply counts as off it (the daily table's curve deviation)
 */
export function scatterSvg(body) {
  const band = body.bandK;
  const xs = body.pairs.map((p) => p[0]).concat(body.curve ? body.curve.map((p) => p[0]) : []);
  const ys = body.pairs.map((p) => p[1]).concat(body.curve ? body.curve.flatMap((p) => [p[1] - band, p[1] + band]) : []);
  const [x0, x1] = xs.length ? [Math.floor(Math.min(...xs)) - 1, Math.ceil(Math.max(...xs)) + 1] : [-25, 10];
  const [y0, y1] = ys.length ? [Math.floor(Math.min(...ys)) - 2, Math.ceil(Math.max(...ys)) + 2] : [30, 80];
  const X = linear(x0, x1, M.left, W - M.right);
  const Y = linear(y0, y1, H - M.bottom, M.top);
  const root = svg('svg', { class: 'scatter', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': t('ascatter.title') });
  root.append(svg('rect', { class: 'plot-bg', x: M.left, y: M.top, width: W - M.left - M.right, height: H - M.top - M.bottom }));
  for (const v of niceTicks(x0, x1, 8)) {
    root.append(svg('line', { class: 'plot-grid', x1: X(v), x2: X(v), y1: M.top, y2: H - M.bottom }));
    root.append(svg('text', { class: 'plot-tick', x: X(v), y: H - M.bottom + 16, 'text-anchor': 'middle' }, String(v)));
  }
  for (const v of niceTicks(y0, y1, 6)) {
    root.append(svg('line', { class: 'plot-grid', x1: M.left, x2: W - M.right, y1: Y(v), y2: Y(v) }));
    root.append(svg('text', { class: 'plot-tick', x: M.left - 6, y: Y(v) + 4, 'text-anchor': 'end' }, String(v)));
  }
  root.append(svg('text', { class: 'plot-axis', x: (M.left + W - M.right) / 2, y: H - 6, 'text-anchor': 'middle' }, t('ascatter.x')));
  root.append(svg('text', { class: 'plot-axis', x: 14, y: (M.top + H - M.bottom) / 2, 'text-anchor': 'middle', transform: `rotate(-90 14 ${(M.top + H - M.bottom) / 2})` }, t('ascatter.y')));
  const line = (/** @type {Array<[number, number]>} */ pts) => pts.map(([x, y]) => `${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join(' ');
  if (body.curve) {
    const c = curveLine(body.curve, x0, x1);
    for (const k of [-band, band]) root.append(svg('polyline', { class: 'scatter-band', points: line(c.map(([x, y]) => [x, y + k])) }));
  }
  const dots = svg('g', { class: 'scatter-points' });
  for (const [x, y] of body.pairs) dots.append(svg('circle', { class: 'scatter-point', cx: X(x).toFixed(1), cy: Y(y).toFixed(1), r: 3 }));
  root.append(dots);
  if (body.curve) root.append(svg('polyline', { class: 'scatter-curve', points: line(curveLine(body.curve, x0, x1)) }));
  return root;
}

export class StationAnalytics {
  /** @param {HTMLElement} el */
  constructor(el) {
    this.el = el;
    /** @type {string | null} */
    this.id = null;
    this.metric = 'heatGJ';
    /** @type {{ from?: string, to?: string }} */
    this.range = {};
  }

  /** Shows `id` (or the first station when none is given). */
  async show(/** @type {string | null} */ id) {
    this.id = id ?? this.id ?? state.stations[0]?.id ?? null;
    this.build();
    await Promise.all([this.loadScatter(), this.loadSeason()]);
  }

  build() {
    const pick = /** @type {HTMLSelectElement} */ (
      h('select', { class: 'ascatter-station', onchange: () => (location.hash = `#/analytics/scatter/${encodeURIComponent(pick.value)}`) }, state.stations.map((st) => h('option', { value: st.id, selected: st.id === this.id }, `${st.name} (${st.id})`)))
    );
    const from = /** @type {HTMLInputElement} */ (h('input', { type: 'date', class: 'ascatter-from', value: this.range.from ?? '' }));
    const to = /** @type {HTMLInputElement} */ (h('input', { type: 'date', class: 'ascatter-to', value: this.range.to ?? '' }));
    const apply = () => {
      this.range = { ...(from.value ? { from: from.value } : {}), ...(to.value ? { to: to.value } : {}) };
      void this.loadScatter();
    };
    from.addEventListener('change', apply);
    to.addEventListener('change', apply);
    const metric = /** @type {HTMLSelectElement} */ (h('select', { class: 'aseason-metric' }, SEASON_METRICS.map((m) => h('option', { value: m, selected: m === this.metric }, t(`aseason.metric.${m}`)))));
    metric.addEventListener('change', () => {
      this.metric = metric.value;
      void this.loadSeason();
    });
    this.scatter = h('div', { class: 'ascatter-plot' });
    this.scatterMsg = h('p', { class: 'muted ascatter-msg' });
    this.season = h('div', { class: 'aseason-chart' });
    this.seasonMsg = h('p', { class: 'muted aseason-msg' });
    fill(
      this.el,
      h(
        'div',
        { class: 'toolbar' },
        h('label', null, t('trend.station'), pick),
        h('label', null, t('ascatter.from'), from),
        h('label', null, t('ascatter.to'), to),
        this.id ? h('a', { href: `#/station/${encodeURIComponent(this.id)}` }, t('arank.openStation')) : null,
      ),
      h('h3', null, t('ascatter.title')),
      this.scatterMsg,
      this.scatter,
      h('div', { class: 'toolbar' }, h('h3', null, t('aseason.title')), h('label', null, t('aseason.metric'), metric)),
      this.seasonMsg,
      this.season,
    );
  }

  async loadScatter() {
    if (!this.id || !this.scatter || !this.scatterMsg) return;
    const id = this.id;
    const q = new URLSearchParams({ station: id, ...this.range });
    try {
      const body = await api(`/api/analytics/scatter?${q}`);
      if (this.id !== id) return;
      this.scatter.replaceChildren(scatterSvg(body));
      this.scatter.dataset.points = String(body.pairs.length);
      this.scatter.dataset.station = id;
      const from = /** @type {HTMLInputElement | null} */ (this.el.querySelector('.ascatter-from'));
      const to = /** @type {HTMLInputElement | null} */ (this.el.querySelector('.ascatter-to'));
      if (from && !from.value) from.value = body.from;
      if (to && !to.value) to.value = body.to;
      this.scatterMsg.textContent = [t('ascatter.range', { from: body.from, to: body.to, n: body.pairs.length }), body.curve ? t('ascatter.legend', { k: body.bandK }) : t('ascatter.nocurve')].join(' · ');
    } catch (err) {
      this.scatterMsg.textContent = t('error', { msg: String(/** @type {Error} */ (err).message) });
    }
  }

  async loadSeason() {
    if (!this.id || !this.season || !this.seasonMsg) return;
    const id = this.id;
    try {
      const body = await api(`/api/analytics/season?station=${encodeURIComponent(id)}&metric=${this.metric}`);
      if (this.id !== id) return;
      const any = body.days.some((/** @type {any} */ d) => d.value !== null || d.lastValue !== null);
      this.seasonMsg.textContent = `${t('aseason.this')} ${body.current.from} – ${body.current.to} · ${t('aseason.last')} ${body.last.from} – ${body.last.to}${any ? '' : ` · ${t('trend.nodata')}`}`;
      this.season.replaceChildren();
      this.season.dataset.days = String(body.days.length);
      const k = SCALE[this.metric] ?? 1;
      new uPlot(
        {
          width: Math.max(480, this.season.clientWidth || 760),
          height: 280,
          scales: { x: { time: false } },
          series: [
            { label: t('aseason.day') },
            { label: t('aseason.this'), stroke: '#e4572e', width: 2, spanGaps: false, points: { show: false } },
            { label: t('aseason.last'), stroke: '#8d99ae', width: 1.5, dash: [6, 4], spanGaps: false, points: { show: false } },
          ],
          axes: [
            { label: t('aseason.day'), stroke: '#8b98a5', grid: { stroke: '#1e2833' } },
            { label: t(`aseason.metric.${this.metric}`), stroke: '#8b98a5', grid: { stroke: '#1e2833' } },
          ],
        },
        [
          body.days.map((/** @type {any} */ d) => d.index),
          body.days.map((/** @type {any} */ d) => (d.value === null ? null : d.value * k)),
          body.days.map((/** @type {any} */ d) => (d.lastValue === null ? null : d.lastValue * k)),
        ],
        this.season,
      );
    } catch (err) {
      this.seasonMsg.textContent = t('error', { msg: String(/** @type {Error} */ (err).message) });
    }
  }
}
