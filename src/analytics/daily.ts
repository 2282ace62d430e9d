/**
 * One station's figures of one local day from its per-minute series (pure): heat and make-up
 * from the counters' `increase`, degree-days, mean temperatures and flow, minutes off the
 * curve, and the share of minutes with data. The job reads the series and writes the row;
 * everything here is arithmetic on arrays.
 *
 * A day is summed from windows of minutes (`windowParts`): sums and counts that merge
 * (`mergeParts`), so the job folds each run's settled minutes into what it has and reads only
 * what is new; `finishParts` turns the sums into the row. `dayFigures` is the whole day at once.
 *
 * @example
 * ```ts
 * const f = dayFigures({ minutes: 1440, elapsed: 1440, counterOffset: 1440, heat: [{ values, rolloverAt: null }], … }, { hddBaseC: 18, curveDeviationK: 3 });
 * f.heatGJ; // 241.7
 * ```
 */
import { curveAt } from '../alarms/curve.ts';
import { fromBand } from '../alarms/setback.ts';
import { minuteIncreases } from './increase.ts';

/** A counter's per-minute last values (NaN: none), with the lookaround on both sides of the day. */
export interface CounterWindow {
  values: Float64Array;
  rolloverAt: number | null;
}

/** A station's per-minute inputs other than its counters, common to a day and a window of it. */
interface MinuteInputs {
  /** per-minute means; null when the station has no such point */
  outdoor: Float64Array | null;
  supply: Float64Array | null;
  ret: Float64Array | null;
  priReturn: Float64Array | null;
  /** secondary flow of each zone, m³/h */
  flows: readonly Float64Array[];
  /** the weather-compensation curve; null: no curve, no deviation figure */
  curve: ReadonlyArray<readonly [number, number]> | null;
  /** the expected setback band per minute, K (null: none) */
  band: { lo: Float64Array; hi: Float64Array } | null;
  /** 1 for minutes the station was in service */
  inService: Uint8Array;
}

export interface DayInputs extends MinuteInputs {
  /** minutes in the local day (1440; 1380 or 1500 on a daylight-saving change) */
  minutes: number;
  /** minutes of it that have passed (the day so far for today) */
  elapsed: number;
  /** index of the day's first minute in every counter window (the lookaround before it) */
  counterOffset: number;
  /** heat meters (GJ) and make-up meters (m³), one window per zone */
  heat: readonly CounterWindow[];
  makeup: readonly CounterWindow[];
}

export interface DayFigures {
  heatGJ: number | null;
  makeupM3: number | null;
  hdd: number | null;
  meanOutdoorC: number | null;
  meanSupplyC: number | null;
  meanReturnC: number | null;
  meanPriReturnC: number | null;
  meanFlowSec: number | null;
  curveDeviationMin: number | null;
  /** share of the elapsed minutes with data, 0..1 (mean over the station's inputs) */
  samplesOk: number;
}

/** A counter in a window: its values from some minute on, and which of their increases count. */
export interface CounterSlice extends CounterWindow {
  /** increases at indices [countFrom, window end) count (earlier: another day, or counted before) */
  countFrom: number;
  /** index of the window's first minute in `values` */
  from: number;
}

/** The series of a window of minutes [start, start + minutes) of one station; arrays start at the window. */
export interface WindowInputs extends MinuteInputs {
  minutes: number;
  heat: readonly CounterSlice[];
  makeup: readonly CounterSlice[];
}

/** What a window adds to its day: sums and counts. */
export interface WindowParts {
  minutes: number;
  heat: number | null;
  makeup: number | null;
  /** per mean input (outdoor, supply, return, primary return, then each flow): sum and minutes with a value; null: no such point */
  sum: Array<number | null>;
  n: number[];
  /** minutes off the curve; null without curve, supply or outdoor */
  deviation: number | null;
  /** per input (counters, then the mean inputs present): minutes it reported */
  present: number[];
}

/** Mean of the values present (NaN = missing) among the first `n`; null when none is. */
export function meanOf(values: Float64Array, n = values.length): number | null {
  let sum = 0;
  let count = 0;
  for (let i = 0; i < n && i < values.length; i++) {
    const v = values[i];
    if (v === v) {
      sum += v;
      count++;
    }
  }
  return count ? sum / count : null;
}

/** Heating degree-days of a day: how far its mean outdoor temperature is below the base, never negative. */
export function heatingDegreeDays(meanOutdoorC: number | null, baseC: number): number | null {
  return meanOutdoorC === null ? null : Math.max(0, baseC - meanOutdoorC);
}

/** Σ of a counter's minute increases at indices [from, to); null when none of them is known. */
export function counterSum(c: CounterWindow, from: number, to: number): number | null {
  const inc = minuteIncreases(c.values, c.rolloverAt);
  let total: number | null = null;
  for (let i = Math.max(0, from); i < to && i < inc.length; i++) {
    const a = inc[i];
    if (a === a) total = (total ?? 0) + a;
  }
  return total;
}

/** Sum of the counters' increases over the day's minutes; null when no counter knows any of them. */
export function counterTotal(windows: readonly CounterWindow[], offset: number, minutes: number): number | null {
  let total: number | null = null;
  for (const w of windows) {
    const s = counterSum(w, offset, offset + minutes);
    if (s !== null) total = (total ?? 0) + s;
  }
  return total;
}

/**
 * Minutes in service with both the supply and the outdoor temperature known in which the supply
 * is further than `k` from the curve (widened by the setback band where there is one).
 */
export function curveDeviationMinutes(
  supply: Float64Array,
  outdoor: Float64Array,
  curve: ReadonlyArray<readonly [number, number]>,
  band: { lo: Float64Array; hi: Float64Array } | null,
  inService: Uint8Array,
  k: number,
  n = supply.length,
): number {
  let count = 0;
  for (let i = 0; i < n; i++) {
    if (!inService[i]) continue;
    const s = supply[i];
    const o = outdoor[i];
    if (s !== s || o !== o) continue;
    const off = s - curveAt(curve, o);
    const d = band ? fromBand(off, band.lo[i], band.hi[i]) : off;
    if (Math.abs(d) > k) count++;
  }
  return count;
}

/** Minutes of [from, from + n) with a value. */
function present(values: Float64Array, from: number, n: number): number {
  let c = 0;
  for (let i = from; i < from + n && i < values.length; i++) if (values[i] === values[i]) c++;
  return c;
}

const plus = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : a + b);

/** The sums and counts of one window. */
export function windowParts(x: WindowInputs, o: { curveDeviationK: number }): WindowParts {
  const n = x.minutes;
  const counters = (list: readonly CounterSlice[]) => list.reduce<number | null>((t, c) => plus(t, counterSum(c, c.countFrom, c.from + n)), null);
  const means = [x.outdoor, x.supply, x.ret, x.priReturn, ...x.flows];
  const sum: Array<number | null> = [];
  const count: number[] = [];
  for (const m of means) {
    if (!m) {
      sum.push(null);
      count.push(0);
      continue;
    }
    let s = 0;
    let k = 0;
    for (let i = 0; i < n && i < m.length; i++) {
      if (m[i] === m[i]) {
        s += m[i];
        k++;
      }
    }
    sum.push(s);
    count.push(k);
  }
  const presentCounts = [...x.heat, ...x.makeup].map((c) => present(c.values, c.from, n));
  means.forEach((m, i) => {
    if (m) presentCounts.push(count[i]);
  });
  return {
    minutes: n,
    heat: counters(x.heat),
    makeup: counters(x.makeup),
    sum,
    n: count,
    deviation: x.curve && x.supply && x.outdoor ? curveDeviationMinutes(x.supply, x.outdoor, x.curve, x.band, x.inService, o.curveDeviationK, n) : null,
    present: presentCounts,
  };
}

/** Two windows of one day as one. */
export function mergeParts(a: WindowParts, b: WindowParts): WindowParts {
  return {
    minutes: a.minutes + b.minutes,
    heat: plus(a.heat, b.heat),
    makeup: plus(a.makeup, b.makeup),
    sum: a.sum.map((s, i) => plus(s, b.sum[i])),
    n: a.n.map((k, i) => k + b.n[i]),
    deviation: plus(a.deviation, b.deviation),
    present: a.present.map((k, i) => k + b.present[i]),
  };
}

/** The day's figures from the sums of its elapsed minutes. */
export function finishParts(p: WindowParts, o: { hddBaseC: number }): DayFigures {
  const mean = (i: number) => (p.sum[i] !== null && p.n[i] > 0 ? p.sum[i]! / p.n[i] : null);
  const meanOutdoorC = mean(0);
  const flows = p.sum.slice(4).map((_, k) => mean(4 + k)).filter((v): v is number => v !== null);
  const n = p.minutes;
  return {
    heatGJ: p.heat,
    makeupM3: p.makeup,
    hdd: heatingDegreeDays(meanOutdoorC, o.hddBaseC),
    meanOutdoorC,
    meanSupplyC: mean(1),
    meanReturnC: mean(2),
    meanPriReturnC: mean(3),
    meanFlowSec: flows.length ? flows.reduce((a, b) => a + b, 0) : null,
    curveDeviationMin: p.deviation,
    // coverage: per input, the share of elapsed minutes it reported; their mean
    samplesOk: n > 0 && p.present.length ? p.present.reduce((a, b) => a + b, 0) / (p.present.length * n) : 0,
  };
}

/** A whole day (its elapsed minutes) at once. */
export function dayFigures(x: DayInputs, o: { hddBaseC: number; curveDeviationK: number }): DayFigures {
  const slice = (c: CounterWindow): CounterSlice => ({ ...c, from: x.counterOffset, countFrom: x.counterOffset });
  const parts = windowParts({ ...x, minutes: Math.min(x.elapsed, x.minutes), heat: x.heat.map(slice), makeup: x.makeup.map(slice) }, o);
  return finishParts(parts, o);
}
