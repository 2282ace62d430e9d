// The network map (#/analytics/map): every station at its configured location on a plain drawn
// background (SVG, no map tiles: the control room is often offline), coloured by its state now
// (GET /api/analytics/map: alarm, comm loss, stopped, maintenance, ok), district outlines when
// configured, a legend with counts; a click opens the station. Reloaded while shown.
import { api } from './api.js';
import { fitPlane, meanCosLat, METRES_PER_DEGREE, planeOf, scaleBar } from './analytics-geom.js';
import { fill, h } from './format.js';
import { t } from './i18n.js';
import { s as svg } from './mimic.js';

export const MAP_STATES = ['alarm', 'comm_loss', 'stopped', 'maintenance', 'ok'];
const RELOAD_MS = 15_000;
/** above this many stations names would cover each other: they show on hover only */
const LABELS_UP_TO = 60;

export class NetworkMap {
  /** @param {HTMLElement} el */
  constructor(el) {
    this.el = el;
    /** @type {ReturnType<typeof setInterval> | null} */
    this.timer = null;
    /** @type {any} */
    this.last = null;
  }

  async show() {
    this.hide();
    await this.load();
    this.timer = setInterval(() => void this.load().catch((err) => console.warn(err)), RELOAD_MS);
  }

  hide() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async load() {
    try {
      this.last = await api('/api/analytics/map');
    } catch (err) {
      fill(this.el, h('p', { class: 'notice' }, t('error', { msg: String(/** @type {Error} */ (err).message) })));
      return;
    }
    this.render(this.last);
  }

  /** @param {{ kind: 'geo' | 'plan' | null, stations: any[], districts: Array<{ area: string, outline: Array<[number, number]> }> }} body */
  render(body) {
    const located = body.stations.filter((st) => st.location);
    const missing = body.stations.filter((st) => !st.location);
    const counts = Object.fromEntries(MAP_STATES.map((k) => [k, body.stations.filter((st) => st.state === k).length]));
    const legend = h(
      'div',
      { class: 'map-legend' },
      MAP_STATES.map((k) => h('span', { class: `map-legend-item state-${k}`, 'data-state': k }, h('i', { class: 'map-dot' }), `${t(`amap.state.${k}`)} ${counts[k]}`)),
    );
    if (!located.length) {
      fill(this.el, legend, h('p', { class: 'muted map-empty' }, t('amap.nolocation')));
      return;
    }
    const cosLat = meanCosLat(located.map((st) => st.location));
    // outlines are in the stations' kind: [lon, lat] or [x, y]
    const outlineOf = (/** @type {[number, number]} */ [a, b]) => planeOf(body.kind === 'geo' ? { lon: a, lat: b } : { x: a, y: b }, cosLat);
    const districts = body.districts.map((d) => ({ area: d.area, points: d.outline.map(outlineOf) }));
    const plane = fitPlane([...located.map((st) => planeOf(st.location, cosLat)), ...districts.flatMap((d) => d.points)], { width: 1000, maxHeight: 640, pad: 40 });
    const root = svg('svg', { class: 'network-map', viewBox: `0 0 ${plane.width} ${plane.height}`, role: 'img', 'aria-label': t('amap.title') });
    root.append(svg('rect', { class: 'map-bg', x: 0, y: 0, width: plane.width, height: plane.height, rx: 6 }));
    for (const d of districts) {
      const pts = d.points.map((p) => plane.at(p));
      root.append(svg('polygon', { class: 'map-district', 'data-area': d.area, points: pts.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ') }));
      // the name in the outline's top left corner, where a station is least likely to be
      const [x0, y0] = [Math.min(...pts.map((p) => p[0])), Math.min(...pts.map((p) => p[1]))];
      root.append(svg('text', { class: 'map-district-label', x: (x0 + 8).toFixed(1), y: (y0 + 24).toFixed(1) }, d.area));
    }
    const bar = scaleBar(plane.scale / (body.kind === 'geo' ? METRES_PER_DEGREE : 1));
    const by = plane.height - 16;
    root.append(svg('path', { class: 'map-scale', d: `M 20 ${by - 5} V ${by} H ${(20 + bar.px).toFixed(1)} V ${by - 5}` }));
    root.append(svg('text', { class: 'map-scale-label', x: (20 + bar.px / 2).toFixed(1), y: by - 8, 'text-anchor': 'middle' }, bar.label));
    const labels = located.length <= LABELS_UP_TO;
    for (const st of located) {
      const [x, y] = plane.at(planeOf(st.location, cosLat));
      const g = svg('g', { class: `map-station state-${st.state}`, 'data-station': st.station, 'data-state': st.state, tabindex: 0, role: 'link' });
      g.append(svg('title', {}, `${st.name} (${st.station})${st.area ? ` · ${st.area}` : ''} — ${t(`amap.state.${st.state}`)}`));
      g.append(svg('circle', { cx: x.toFixed(1), cy: y.toFixed(1), r: located.length > 500 ? 4 : 8 }));
      if (labels) g.append(svg('text', { class: 'map-station-label', x: (x + 11).toFixed(1), y: (y + 4).toFixed(1) }, st.name));
      const open = () => (location.hash = `#/station/${encodeURIComponent(st.station)}`);
      g.addEventListener('click', open);
      g.addEventListener('keydown', (e) => /** @type {KeyboardEvent} */ (e).key === 'Enter' && open());
      root.append(g);
    }
    fill(this.el, legend, h('div', { class: 'map-frame' }, root), missing.length ? h('p', { class: 'muted map-missing' }, t('amap.missing', { n: missing.length, list: missing.slice(0, 20).map((st) => st.name).join('、') })) : null);
  }
}
