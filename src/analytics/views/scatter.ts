/**
 * Supply against outdoor temperature for one station (pure): the hourly means of both points
 * paired by hour, and the curve the station is meant to follow. An hour missing either value
 * (comm loss, a bad sensor) is left out rather than paired with a neighbour.
 *
 * @example
 *   scatterPairs([[0, -10], [3_600_000, null]], [[0, 58.1], [3_600_000, 57.9]]); // [[-10, 58.1]]
 */

export type Bucket = readonly [number, number | null];

/** `[outdoorC, supplyC]` of every hour with both values, in time order. */
export function scatterPairs(outdoor: readonly Bucket[], supply: readonly Bucket[]): Array<[number, number]> {
  const byTs = new Map<number, number>();
  for (const [ts, v] of supply) if (v !== null && Number.isFinite(v)) byTs.set(ts, v);
  const out: Array<[number, number]> = [];
  for (const [ts, x] of outdoor) {
    if (x === null || !Number.isFinite(x)) continue;
    const y = byTs.get(ts);
    if (y !== undefined) out.push([round2(x), round2(y)]);
  }
  return out;
}

const round2 = (v: number) => Math.round(v * 100) / 100;

/** The station's curve sorted by outdoor temperature, or null when it has none (nothing is drawn then). */
export function sortedCurve(curve: ReadonlyArray<readonly [number, number]> | undefined): Array<[number, number]> | null {
  if (!curve || curve.length < 2) return null;
  return curve.map(([x, y]) => [x, y] as [number, number]).sort((a, b) => a[0] - b[0]);
}
