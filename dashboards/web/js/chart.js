// uPlot drawing shared by the trend explorer and the station detail. Gaps (null) stay gaps:
// every series has spanGaps: false, so a comm loss is never drawn as a straight line.
import uPlot from '/vendor/uplot/uPlot.esm.js';
import { fmtTime, unitLabel } from './format.js';

const COLOURS = ['#e4572e', '#3b82f6', '#f2a541', '#17bebb', '#a855f7', '#76b041', '#ef476f', '#8d99ae'];

/**
 * Aligns API series on one time axis (union of bucket times; missing → null).
 * @param {Array<{ point: string, unit?: string | null, points: Array<[number, number | null]> }>} series
 * @returns {[number[], ...(Array<number | null>)[]]}
 */
export function align(series) {
  const times = new Set();
  for (const s of series) for (const [ts] of s.points) times.add(ts);
  const xs = [...times].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const ys = series.map((s) => {
    /** @type {(number | null)[]} */
    const col = new Array(xs.length).fill(null);
    for (const [ts, v] of s.points) col[/** @type {number} */ (index.get(ts))] = typeof v === 'number' ? v : v === null ? null : Number(v);
    return col;
  });
  return [xs.map((x) => x / 1000), ...ys];
}

/**
 * Draws series into el (replacing what was there); units get their own axis (first left, second right).
 * @param {HTMLElement} el
 * @param {Array<{ point: string, unit?: string | null, points: Array<[number, number | null]> }>} series
 * @param {{ height?: number, labels?: (point: string) => string, markers?: Marker[] }} [opts] markers: alarm raises and ticket events drawn over the plot
 */
export function drawChart(el, series, opts = {}) {
  el.replaceChildren();
  const units = [...new Set(series.map((s) => s.unit ?? ''))];
  const data = align(series);
  const width = Math.max(320, el.clientWidth || 800);
  /** @type {any} */
  const options = {
    width,
    height: opts.height ?? 360,
    scales: { x: markerRange(opts.markers) },
    series: [
      {},
      ...series.map((s, i) => ({
        label: `${opts.labels ? opts.labels(s.point) : s.point}${s.unit ? ` (${unitLabel(s.unit)})` : ''}`,
        stroke: COLOURS[i % COLOURS.length],
        width: 1.5,
        scale: s.unit ?? '',
        spanGaps: false,
        points: { show: false },
      })),
    ],
    axes: [{}, ...units.slice(0, 2).map((u, i) => ({ scale: u, side: i === 0 ? 3 : 1, label: unitLabel(u), grid: { show: i === 0 } }))],
    plugins: opts.markers?.length ? [markerPlugin(opts.markers)] : [],
  };
  const plot = new uPlot(options, data, el);
  /** @type {any} */ (el)._plot = plot;
  return plot;
}

/** @typedef {{ ts: number, kind: 'alarm' | 'ticket', label: string, priority: number }} Marker */

/**
 * The time axis, widened to the markers: one raised since the last bucket began (a ticket just
 * dispatched) is still drawn, at the right edge.
 * @param {Marker[] | undefined} markers
 */
function markerRange(markers) {
  if (!markers?.length) return { time: true };
  const ts = markers.map((m) => m.ts / 1000);
  const [lo, hi] = [Math.min(...ts), Math.max(...ts)];
  return { time: true, range: (/** @type {any} */ _u, /** @type {number} */ min, /** @type {number} */ max) => [Math.min(min ?? lo, lo), Math.max(max ?? hi, hi)] };
}

/**
 * Markers as vertical lines over the plot (uPlot's over layer), placed again at every redraw;
 * those outside the x range are left out. The chart's root says how many it shows (data-markers).
 * @param {Marker[]} markers
 */
function markerPlugin(markers) {
  return {
    hooks: {
      draw: [
        (/** @type {any} */ u) => {
          for (const el of u.over.querySelectorAll('.chart-marker')) el.remove();
          const { min, max } = u.scales.x;
          let shown = 0;
          for (const m of markers) {
            const x = m.ts / 1000;
            if (x < min || x > max) continue;
            const el = document.createElement('div');
            el.className = `chart-marker marker-${m.kind} prio-${m.priority}`;
            el.dataset.kind = m.kind;
            el.style.left = `${u.valToPos(x, 'x')}px`;
            el.title = `${fmtTime(m.ts)} ${m.label}`;
            u.over.append(el);
            shown++;
          }
          u.root.dataset.markers = String(shown);
        },
      ],
    },
  };
}
