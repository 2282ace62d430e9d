/**
 * Night setback and morning boost for curve deviation without a PLC setpoint point (DOMAIN §2:
 * setback 23:00–05:00 −3…−6 K, then boost +3…+5 K for 1–2 h). The PLC follows its own schedule,
 * which heatwatch only knows as configured, so the expected supply is a band around the curve:
 * the offset of the window at that minute, widened near a boundary to span the offsets on both
 * sides, since the PLC ramps its setpoint, the water follows with a lag and the PLC clock may be
 * off. Pure; the schedule comes from `operations.setback` or `stations[].setback`
 * (src/modes/setback-config.ts).
 *
 * @example
 * ```ts
 * const s = { windows: [{ from: 23 * 60, to: 5 * 60, offsetK: -5 }, { from: 5 * 60, to: 7 * 60, offsetK: 4 }], rampMin: 30, clockMin: 10 };
 * setbackBand(s, 2 * 60); // [-5, -5]
 * setbackBand(s, 5 * 60 + 15); // [-5, 4]: ramping from setback to boost
 * setbackBand(s, 12 * 60); // [0, 0]
 * ```
 */
import { localClock, type LocalTime } from '../modes/clock.ts';

export const DAY_MIN = 1440;

export interface SetbackWindow {
  /** minutes of the local day, [from, to); `to < from` wraps past midnight */
  from: number;
  to: number;
  /** added to the curve setpoint inside the window, K (negative: setback) */
  offsetK: number;
}

/** A resolved schedule: windows do not overlap. */
export interface SetbackSchedule {
  windows: readonly SetbackWindow[];
  /** minutes after a boundary the band still spans the offsets before and after it (setpoint ramp, water lag) */
  rampMin: number;
  /** how far the PLC clock may be off, minutes: the band widens this much on both sides of a boundary */
  clockMin: number;
}

/** The configured offset at a minute of the day (0 outside every window). */
export function offsetAt(s: SetbackSchedule, minute: number): number {
  const m = ((minute % DAY_MIN) + DAY_MIN) % DAY_MIN;
  for (const w of s.windows) {
    if (w.from <= w.to ? m >= w.from && m < w.to : m >= w.from || m < w.to) return w.offsetK;
  }
  return 0;
}

/**
 * The expected setpoint offset at a local minute of the day as a band [lo, hi]: the lowest and
 * highest offset the PLC may be at, i.e. over the minutes from `rampMin + clockMin` before to
 * `clockMin` after. Inside a window, away from its edges, lo = hi = its offset.
 */
export function setbackBand(s: SetbackSchedule, minute: number): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let x = minute - s.rampMin - s.clockMin; x <= minute + s.clockMin; x++) {
    const o = offsetAt(s, x);
    if (o < lo) lo = o;
    if (o > hi) hi = o;
  }
  return [lo, hi];
}

/** The band of every minute of the day, `[lo₀, hi₀, lo₁, hi₁, …]`: a lookup on the per-sample path. */
export function setbackTable(s: SetbackSchedule): Float64Array {
  const t = new Float64Array(2 * DAY_MIN);
  for (let m = 0; m < DAY_MIN; m++) [t[2 * m], t[2 * m + 1]] = setbackBand(s, m);
  return t;
}

/** Signed distance of `x` from the band [lo, hi]: 0 inside, negative below, positive above. */
export function fromBand(x: number, lo: number, hi: number): number {
  return x < lo ? x - lo : x > hi ? x - hi : 0;
}

/**
 * Minute of the local day of a time, allocation-free: the site clock (localClock, whose Date and
 * result objects would be garbage per sample) is read once per UTC hour, within which the zone's
 * offset is constant.
 */
export class MinuteOfDay {
  private readonly clock: (ms: number) => LocalTime;
  private hour = NaN;
  private base = 0;

  constructor(timeZone = 'UTC') {
    this.clock = localClock(timeZone);
  }

  at(ms: number): number {
    const h = Math.floor(ms / 3_600_000);
    if (h !== this.hour) {
      this.hour = h;
      this.base = this.clock(h * 3_600_000).minute;
    }
    return (this.base + Math.floor((ms - h * 3_600_000) / 60_000)) % DAY_MIN;
  }
}
