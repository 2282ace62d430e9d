/**
 * Weather-compensation curves (DOMAIN §1): (outdoor °C, secondary supply setpoint °C) pairs,
 * outdoor ascending, linearly interpolated and clamped at the ends.
 */
export type Curve = Array<[number, number]>;

/** Harbin, radiators 75/50, indoor 18 °C, exponent 0.3 (DOMAIN §1). */
export const HARBIN_RADIATOR: Curve = [
  [-24.2, 75.0],
  [-20, 70.3],
  [-10, 58.8],
  [0, 46.4],
  [5, 39.8],
];

/** Harbin, floor heating (DOMAIN §1): 26.3 at +5, 35.9 at −10, 45 at −24.2 (supply). */
export const HARBIN_FLOOR: Curve = [
  [-24.2, 45.0],
  [-10, 35.9],
  [5, 26.3],
];

/** Setpoint for an outdoor temperature; clamps outside the table. */
export function curveSetpoint(curve: Curve, outdoor: number): number {
  const n = curve.length;
  if (outdoor <= curve[0][0]) return curve[0][1];
  if (outdoor >= curve[n - 1][0]) return curve[n - 1][1];
  for (let i = 1; i < n; i++) {
    const [x1, y1] = curve[i];
    if (outdoor <= x1) {
      const [x0, y0] = curve[i - 1];
      return y0 + ((outdoor - x0) * (y1 - y0)) / (x1 - x0);
    }
  }
  return curve[n - 1][1];
}

/** The curve shifted by `offset` K (a station that runs a little warmer or cooler). */
export function shiftCurve(curve: Curve, offset: number): Curve {
  return curve.map(([x, y]) => [x, Math.round((y + offset) * 10) / 10]);
}

/** The curve shifted by `offset` K and capped at `max` °C (a floor-heating limit). */
export function shiftCurveCapped(curve: Curve, offset: number, max: number): Curve {
  return curve.map(([x, y]) => [x, Math.min(max, Math.round((y + offset) * 10) / 10)]);
}
