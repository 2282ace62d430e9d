// Plane geometry of the analytics views (pure, no DOM): stations' locations onto an SVG drawing
// (the network map) and data onto plot axes (the scatter), with round tick values.

/**
 * A location as a point on a flat drawing, x right and y up: site-plan metres as they are;
 * latitude/longitude by an equirectangular projection at the network's mean latitude, which over
 * a city's few tens of kilometres is true to within a fraction of a percent.
 * @param {{ lat: number, lon: number } | { x: number, y: number }} loc
 * @param {number} cosLat cos of the mean latitude (1 for a plan)
 * @returns {[number, number]}
 */
export function planeOf(loc, cosLat) {
  return 'lat' in loc ? [loc.lon * cosLat, loc.lat] : [loc.x, loc.y];
}

/** cos of the mean latitude of the locations that have one (1 when none do). */
export function meanCosLat(/** @type {any[]} */ locations) {
  const lats = locations.filter((l) => l && 'lat' in l).map((l) => l.lat);
  return lats.length ? Math.cos((lats.reduce((a, b) => a + b, 0) / lats.length) * (Math.PI / 180)) : 1;
}

/**
 * The transform of plane points into an SVG box `width` wide, keeping the aspect ratio: the
 * drawing's height follows (at most `maxHeight`, then narrower), with `pad` px all round.
 * @param {Array<[number, number]>} points
 * @param {{ width: number, maxHeight: number, pad: number }} box
 * @returns {{ width: number, height: number, scale: number, at: (p: [number, number]) => [number, number] }} scale: px per plane unit
 */
export function fitPlane(points, box) {
  if (!points.length) return { width: box.width, height: box.maxHeight, scale: 1, at: () => [box.width / 2, box.maxHeight / 2] };
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [x, y] of points) {
    x0 = Math.min(x0, x);
    x1 = Math.max(x1, x);
    y0 = Math.min(y0, y);
    y1 = Math.max(y1, y);
  }
  // one station, or all in a row: give the empty dimension the other's span (or 1) so nothing divides by 0
  const span = Math.max(x1 - x0, y1 - y0) || 1;
  const w = x1 - x0 || span;
  const hgt = y1 - y0 || span;
  const cx = (x0 + x1) / 2;
  const cy = (y0 + y1) / 2;
  const inner = box.width - 2 * box.pad;
  let scale = inner / w;
  if (hgt * scale > box.maxHeight - 2 * box.pad) scale = (box.maxHeight - 2 * box.pad) / hgt;
  const width = box.width;
  const height = Math.round(hgt * scale + 2 * box.pad);
  return { width, height, scale, at: ([x, y]) => [width / 2 + (x - cx) * scale, height / 2 - (y - cy) * scale] };
}

/**
 * About `n` round tick values covering [min, max] (steps 1, 2 or 5 × 10^k).
 * @returns {number[]}
 */
export function niceTicks(/** @type {number} */ min, /** @type {number} */ max, n = 6) {
  if (!(max > min)) return [min];
  const raw = (max - min) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) out.push(Math.round(v / step) * step);
  return out;
}

/** metres per plane unit: a degree of latitude (and of longitude × cos latitude) is 111.32 km */
export const METRES_PER_DEGREE = 111_320;

/**
 * A scale bar of a round length (1, 2 or 5 × 10^k metres) about `targetPx` long.
 * @param {number} pxPerMetre
 * @returns {{ metres: number, px: number, label: string }}
 */
export function scaleBar(pxPerMetre, targetPx = 150) {
  const want = targetPx / pxPerMetre;
  const mag = 10 ** Math.floor(Math.log10(want));
  const metres = [5, 2, 1].map((m) => m * mag).find((m) => m <= want) ?? mag;
  return { metres, px: metres * pxPerMetre, label: metres >= 1000 ? `${metres / 1000} km` : `${metres} m` };
}

/**
 * A linear map of [d0, d1] onto [r0, r1] (an axis).
 * @returns {(v: number) => number}
 */
export function linear(/** @type {number} */ d0, /** @type {number} */ d1, /** @type {number} */ r0, /** @type {number} */ r1) {
  const k = d1 === d0 ? 0 : (r1 - r0) / (d1 - d0);
  return (v) => r0 + (v - d0) * k;
}

/**
 * A weather curve as a polyline over the axis [x0, x1], which covers the curve's points: flat
 * beyond its ends, as the alarm rules read it.
 * @param {Array<[number, number]>} curve sorted by outdoor temperature
 * @returns {Array<[number, number]>}
 */
export function curveLine(curve, /** @type {number} */ x0, /** @type {number} */ x1) {
  return [[x0, curve[0][1]], ...curve, [x1, curve[curve.length - 1][1]]];
}
