/**
 * What engineers compare stations by (pure): heat per heated m² and degree-day (GJ/(m²·HDD)),
 * flow per 1000 m², make-up as a share of the system volume, and the network ranking over a
 * period with each station's outliers against the network median.
 *
 * Outlier rule: a value more than `factor` × IQR (the spread between the network's first and
 * third quartile) above or below the network median is `high` or `low`. With fewer than four
 * stations, or no spread at all, nothing is an outlier.
 *
 * @example
 * ```ts
 * intensity(240, 100_000, 30); // 0.00008 GJ/(m²·HDD)
 * outlierFlags([1, 1.1, 0.9, 1, 3], 1.5); // { median: 1, flags: [, , , , 'high'] }
 * ```
 */
import type { DayFigures } from './daily.ts';
import type { StationFacts } from './facts.ts';

export interface DailyRow extends DayFigures {
  station: string;
  day: string;
}

/** A daily row as the API gives it: the stored figures and what follows from the station's facts. */
export interface DailyView extends Omit<DayFigures, 'samplesOk'> {
  station: string;
  day: string;
  /** GJ/(m²·HDD); null without a heated area or on a day without degree-days */
  intensity: number | null;
  /** m³/h per 1000 m² */
  flowPerM2: number | null;
  /** % of systemVolumeM3 */
  makeupPct: number | null;
  /** share of the day's minutes with data, 0..1 */
  coverage: number;
}

export type Flag = 'high' | 'low';
export const RANK_METRICS = ['intensity', 'priReturnC', 'flowPerM2', 'makeupPct', 'heatGJ', 'curveDeviationMin'] as const;
export type RankMetric = (typeof RANK_METRICS)[number];
/** the metrics outliers are judged on (the ranking's `median`) */
export const OUTLIER_METRICS = ['intensity', 'priReturnC', 'flowPerM2', 'makeupPct'] as const;
export type OutlierMetric = (typeof OUTLIER_METRICS)[number];

export interface RankedStation {
  station: string;
  name: string;
  area: string | null;
  heatedAreaM2: number | null;
  heatGJ: number | null;
  hdd: number | null;
  intensity: number | null;
  priReturnC: number | null;
  flowPerM2: number | null;
  makeupM3: number | null;
  /** make-up per day as % of the system volume, averaged over the days with a figure */
  makeupPct: number | null;
  curveDeviationMin: number | null;
  /** days with a row, and their mean coverage */
  days: number;
  coverage: number | null;
  outliers: Partial<Record<OutlierMetric, Flag>>;
}

export interface Ranking {
  from: string;
  to: string;
  sort: RankMetric;
  median: Record<OutlierMetric, number | null>;
  stations: RankedStation[];
}

export interface RankStation extends StationFacts {
  id: string;
  name: string;
  area?: string | undefined;
}

export function intensity(heatGJ: number | null, heatedAreaM2: number | undefined, hdd: number | null): number | null {
  if (heatGJ === null || hdd === null || !heatedAreaM2 || !(hdd > 0)) return null;
  return heatGJ / (heatedAreaM2 * hdd);
}

export function flowPerM2(flowM3h: number | null, heatedAreaM2: number | undefined): number | null {
  return flowM3h === null || !heatedAreaM2 ? null : (flowM3h / heatedAreaM2) * 1000;
}

export function makeupPct(makeupM3: number | null, systemVolumeM3: number | undefined): number | null {
  return makeupM3 === null || !systemVolumeM3 ? null : (makeupM3 / systemVolumeM3) * 100;
}

export function dailyView(r: DailyRow, facts: StationFacts | undefined): DailyView {
  return {
    station: r.station,
    day: r.day,
    heatGJ: r.heatGJ,
    makeupM3: r.makeupM3,
    hdd: r.hdd,
    meanOutdoorC: r.meanOutdoorC,
    meanSupplyC: r.meanSupplyC,
    meanReturnC: r.meanReturnC,
    meanPriReturnC: r.meanPriReturnC,
    meanFlowSec: r.meanFlowSec,
    curveDeviationMin: r.curveDeviationMin,
    intensity: intensity(r.heatGJ, facts?.heatedAreaM2, r.hdd),
    flowPerM2: flowPerM2(r.meanFlowSec, facts?.heatedAreaM2),
    makeupPct: makeupPct(r.makeupM3, facts?.systemVolumeM3),
    coverage: r.samplesOk,
  };
}

/** The q-quantile (0..1) of sorted numbers, linearly interpolated. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** The median of the values present and each value's outlier flag (see the rule above). */
export function outlierFlags(values: ReadonlyArray<number | null>, factor: number): { median: number | null; flags: Array<Flag | undefined> } {
  const xs = values.filter((v): v is number => v !== null && Number.isFinite(v)).sort((a, b) => a - b);
  const flags = new Array<Flag | undefined>(values.length).fill(undefined);
  if (xs.length === 0) return { median: null, flags };
  const median = quantile(xs, 0.5);
  const iqr = quantile(xs, 0.75) - quantile(xs, 0.25);
  if (xs.length >= 4 && iqr > 0) {
    values.forEach((v, i) => {
      if (v === null) return;
      if (v > median + factor * iqr) flags[i] = 'high';
      else if (v < median - factor * iqr) flags[i] = 'low';
    });
  }
  return { median, flags };
}

/**
 * Sums and means of a station's daily rows over a period: what its period figures are made of.
 * The daily store computes the same in SQL (store.ts `totals`); this is the reference.
 */
export interface PeriodTotals {
  station: string;
  heatGJ: number | null;
  hdd: number | null;
  /** heat and degree-days of the days that have both */
  heatWithHdd: number | null;
  hddWithHeat: number | null;
  priReturnC: number | null;
  flowM3h: number | null;
  makeupM3: number | null;
  /** days with a make-up figure */
  makeupDays: number;
  curveDeviationMin: number | null;
  days: number;
  coverage: number | null;
}

const add = (a: number | null, b: number | null) => (b === null ? a : (a ?? 0) + b);

/** The totals of daily rows, per station. */
export function periodTotals(rows: readonly DailyRow[]): Map<string, PeriodTotals> {
  const out = new Map<string, PeriodTotals & { n: { pri: number; flow: number }; sums: { pri: number; flow: number; cov: number } }>();
  for (const r of rows) {
    let t = out.get(r.station);
    if (!t) {
      t = { station: r.station, heatGJ: null, hdd: null, heatWithHdd: null, hddWithHeat: null, priReturnC: null, flowM3h: null, makeupM3: null, makeupDays: 0, curveDeviationMin: null, days: 0, coverage: null, n: { pri: 0, flow: 0 }, sums: { pri: 0, flow: 0, cov: 0 } };
      out.set(r.station, t);
    }
    t.heatGJ = add(t.heatGJ, r.heatGJ);
    t.hdd = add(t.hdd, r.hdd);
    if (r.heatGJ !== null && r.hdd !== null) {
      t.heatWithHdd = add(t.heatWithHdd, r.heatGJ);
      t.hddWithHeat = add(t.hddWithHeat, r.hdd);
    }
    if (r.meanPriReturnC !== null) {
      t.n.pri++;
      t.sums.pri += r.meanPriReturnC;
    }
    if (r.meanFlowSec !== null) {
      t.n.flow++;
      t.sums.flow += r.meanFlowSec;
    }
    if (r.makeupM3 !== null) t.makeupDays++;
    t.makeupM3 = add(t.makeupM3, r.makeupM3);
    t.curveDeviationMin = add(t.curveDeviationMin, r.curveDeviationMin);
    t.days++;
    t.sums.cov += r.samplesOk;
  }
  const totals = new Map<string, PeriodTotals>();
  for (const [id, { n, sums, ...t }] of out) {
    totals.set(id, { ...t, priReturnC: n.pri ? sums.pri / n.pri : null, flowM3h: n.flow ? sums.flow / n.flow : null, coverage: t.days ? sums.cov / t.days : null });
  }
  return totals;
}

/** One station's figures over a period from its totals (none: no rows). */
export function periodFigures(s: RankStation, t: PeriodTotals | undefined): Omit<RankedStation, 'outliers'> {
  return {
    station: s.id,
    name: s.name,
    area: s.area ?? null,
    heatedAreaM2: s.heatedAreaM2 ?? null,
    heatGJ: t?.heatGJ ?? null,
    hdd: t?.hdd ?? null,
    intensity: intensity(t?.heatWithHdd ?? null, s.heatedAreaM2, t?.hddWithHeat ?? null),
    priReturnC: t?.priReturnC ?? null,
    flowPerM2: flowPerM2(t?.flowM3h ?? null, s.heatedAreaM2),
    makeupM3: t?.makeupM3 ?? null,
    makeupPct: t && t.makeupM3 !== null && t.makeupDays > 0 ? makeupPct(t.makeupM3 / t.makeupDays, s.systemVolumeM3) : null,
    curveDeviationMin: t?.curveDeviationMin ?? null,
    days: t?.days ?? 0,
    coverage: t?.coverage ?? null,
  };
}

/**
 * The network ranking of a period from its totals (periodTotals, or the store's): every station
 * (those without rows with empty figures),
 * sorted by `sort` descending (stations without the figure last, then by id), with outliers.
 */
export function rankStations(
  stations: readonly RankStation[],
  totals: ReadonlyMap<string, PeriodTotals>,
  o: { from: string; to: string; outlierFactor: number; sort?: RankMetric },
): Ranking {
  const figures = stations.map((s) => periodFigures(s, totals.get(s.id)));
  const median = {} as Record<OutlierMetric, number | null>;
  const flags = figures.map(() => ({}) as Partial<Record<OutlierMetric, Flag>>);
  for (const m of OUTLIER_METRICS) {
    const r = outlierFlags(figures.map((f) => f[m]), o.outlierFactor);
    median[m] = r.median;
    r.flags.forEach((f, i) => {
      if (f) flags[i][m] = f;
    });
  }
  const sort = o.sort ?? 'intensity';
  const ranked: RankedStation[] = figures.map((f, i) => ({ ...f, outliers: flags[i] }));
  ranked.sort((a, b) => {
    const x = a[sort];
    const y = b[sort];
    if (x === null || y === null) return x === y ? a.station.localeCompare(b.station) : x === null ? 1 : -1;
    return y - x || a.station.localeCompare(b.station);
  });
  return { from: o.from, to: o.to, sort, median, stations: ranked };
}
