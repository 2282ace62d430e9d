/**
 * Weather-compensation curve: (outdoor °C, supply setpoint °C) pairs sorted by
 * outdoor temperature, linearly interpolated and held flat beyond the ends.
 *
 * @example
 * ```ts
 * curveAt([[-24.2, 75], [5, 39.8]], -24.2); // 75
 * ```
 */
export function curveAt(curve: ReadonlyArray<readonly [number, number]>, x: number): number {
  const n = curve.length;
  if (n === 0 || x !== x) return NaN;
  if (x <= curve[0][0]) return curve[0][1];
  if (x >= curve[n - 1][0]) return curve[n - 1][1];
  for (let i = 1; i < n; i++) {
    const b = curve[i];
    if (x <= b[0]) {
      const a = curve[i - 1];
      return a[1] + ((b[1] - a[1]) * (x - a[0])) / (b[0] - a[0]);
    }
  }
  return curve[n - 1][1];
}

/** Harbin radiator curve of DOMAIN §1 (indoor 18 °C, 75/50), used when a station has none configured. */
export const HARBIN_RADIATOR_CURVE: ReadonlyArray<readonly [number, number]> = [
  [-24.2, 75.0],
  [-20, 70.3],
  [-10, 58.8],
  [0, 46.4],
  [5, 39.8],
];
