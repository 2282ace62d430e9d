/**
 * Baselines learned from a station's own stored history (pure). Input is hourly means, one
 * entry per whole hour, `NaN` where the hour has no good data or the station was not in service
 * (a refill in maintenance, filling in commissioning, a planned stop are not the station's
 * normal). Two methods (rule-schema.ts `baseline`):
 * - `daily`: the median of the daily means of the learning days. A median, because one day
 *   with a riser refill or a burst in the learning week must not raise the station's normal.
 * - `atLoad`: the clean level of a value per load band, the low tenth of the value in that band.
 *   An exchanger's approach grows with its load, so a cold snap is no fouling; fouling only
 *   raises the approach, so its low tenth over the season stays at the clean level.
 */

const HOURS_PER_DAY = 24;
/** a day (or the recent window) counts when at least half of its hours are known */
const MIN_SHARE = 0.5;
/** fewer learnt days than this and a daily baseline is unknown */
export const MIN_LEARNT_DAYS = 3;
/** hours of one load band needed before its clean level is known */
export const MIN_BAND_HOURS = 6;
/** below this share of the station's high load the station is idle, not at a lower load */
const IDLE_LOAD = 0.1;

export interface BaselineFigures {
  /** what is compared: the recent mean (daily) or its mean excess over the clean level (atLoad) */
  value: number;
  /** the alarm threshold for `value` */
  limit: number;
}

export interface ThresholdParams {
  factor: number;
  offset: number;
  minimum: number | null;
}

export type Learnt = { method: 'daily'; base: number } | { method: 'atLoad'; high: number; clean: Float64Array };

function mean(xs: ArrayLike<number>, from: number, to: number): { sum: number; n: number } {
  let sum = 0;
  let n = 0;
  for (let i = from; i < to; i++) {
    const x = xs[i];
    if (x === x) {
      sum += x;
      n++;
    }
  }
  return { sum, n };
}

/** The q-quantile (0..1) of the known values, by the nearest rank; NaN when none. */
export function quantile(xs: readonly number[], q: number): number {
  const v = xs.filter((x) => x === x).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  return v[Math.min(v.length - 1, Math.max(0, Math.ceil(q * v.length) - 1))];
}

/**
 * The median daily mean of hourly means (oldest first, whole days counted back from the end,
 * so the last day ends where the recent window starts); null with fewer than 3 known days.
 */
export function learnDaily(hourly: ArrayLike<number>): Learnt | null {
  const days: number[] = [];
  for (let end = hourly.length; end - HOURS_PER_DAY >= 0; end -= HOURS_PER_DAY) {
    const { sum, n } = mean(hourly, end - HOURS_PER_DAY, end);
    if (n >= HOURS_PER_DAY * MIN_SHARE) days.push(sum / n);
  }
  if (days.length < MIN_LEARNT_DAYS) return null;
  return { method: 'daily', base: quantile(days, 0.5) };
}

/** The load band of a load: -1 while idle (or unknown), else 0..bands-1 between 10 % and 100 % of `high`. */
export function loadBand(load: number, high: number, bands: number): number {
  if (!(load === load) || !(high > 0) || load < IDLE_LOAD * high) return -1;
  return Math.min(bands - 1, Math.floor(((load / high - IDLE_LOAD) / (1 - IDLE_LOAD)) * bands));
}

/**
 * Clean level per load band: the station's high load is the 95th percentile of its hourly load,
 * and each band's clean level the 10th percentile of the value in it (NaN for a band with fewer
 * than 6 hours). Null when no band is known.
 */
export function learnAtLoad(value: ArrayLike<number>, load: ArrayLike<number>, bands: number): Learnt | null {
  const loads: number[] = [];
  for (let i = 0; i < value.length; i++) if (value[i] === value[i] && load[i] === load[i]) loads.push(load[i]);
  const high = quantile(loads, 0.95);
  if (!(high > 0)) return null;
  const per: number[][] = Array.from({ length: bands }, () => []);
  for (let i = 0; i < value.length; i++) {
    if (!(value[i] === value[i])) continue;
    const b = loadBand(load[i], high, bands);
    if (b >= 0) per[b].push(value[i]);
  }
  const clean = new Float64Array(bands).fill(NaN);
  let known = 0;
  per.forEach((xs, b) => {
    if (xs.length < MIN_BAND_HOURS) return;
    clean[b] = quantile(xs, 0.1);
    known++;
  });
  return known > 0 ? { method: 'atLoad', high, clean } : null;
}

/** the highest quarter of the recent hours is left out: a leak repaired, a refill, are hours, a slow leak is all day */
const TRIM = 0.25;

/** The mean of the known values without their highest quarter; NaN with fewer than `need` known. */
export function trimmedMean(xs: ArrayLike<number>, need: number): number {
  const v: number[] = [];
  for (let i = 0; i < xs.length; i++) if (xs[i] === xs[i]) v.push(xs[i]);
  if (v.length < need) return NaN;
  v.sort((a, b) => a - b);
  const keep = Math.max(1, v.length - Math.floor(v.length * TRIM));
  let sum = 0;
  for (let i = 0; i < keep; i++) sum += v[i];
  return sum / keep;
}

function threshold(p: ThresholdParams, x: number): number {
  const t = x + p.offset;
  return p.minimum !== null && t < p.minimum ? p.minimum : t;
}

/**
 * The recent window against what was learnt: null while less than half of its hours are known
 * (or, at load, have a learnt band), so a station back from a stop is not judged on an hour.
 */
export function compare(p: ThresholdParams, learnt: Learnt, recent: ArrayLike<number>, recentLoad?: ArrayLike<number>): BaselineFigures | null {
  const need = Math.max(1, Math.ceil(recent.length * MIN_SHARE));
  if (learnt.method === 'daily') {
    const v = trimmedMean(recent, need);
    return v === v ? { value: v, limit: threshold(p, p.factor * learnt.base) } : null;
  }
  let sum = 0;
  let n = 0;
  for (let i = 0; i < recent.length; i++) {
    const x = recent[i];
    if (!(x === x) || !recentLoad) continue;
    const b = loadBand(recentLoad[i], learnt.high, learnt.clean.length);
    const c = b >= 0 ? learnt.clean[b] : NaN;
    if (!(c === c)) continue;
    sum += x - c;
    n++;
  }
  return n >= need ? { value: sum / n, limit: threshold(p, 0) } : null;
}
