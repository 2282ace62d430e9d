/**
 * The monthly network report (管网月报) of one month in the site's time zone (pure): the network
 * ranking of the month (heat per m² and degree-day, primary return, flow per m², make-up, with
 * the outliers the ranking marks against the network median), and the season to date against
 * last season to the same day of season — heat, weather-normalised intensity and make-up, for the
 * network and per station. The rankings come from the analytics service; this only arranges,
 * totals and rounds them, so the JSON, the CSV and the XLSX carry the same numbers.
 *
 * Network intensity is Σ heat / Σ (heated area × degree-days) over the stations with all three:
 * each station weighted by its area and its own weather.
 *
 * @example
 *   const r = networkMonthlyReport({ period, now, days, ranking, season: { window, current, previous } });
 *   r.season.change.intensity; // -4.2 (% against last season to the same day)
 */
import { OUTLIER_METRICS, type Flag, type OutlierMetric, type RankedStation as AnalyticsRankedStation } from '../analytics/ranking.ts';
import { round, sumPresent } from './analytics-daily.ts';
import type { SeasonWindow } from './analytics-season.ts';
import type { Period } from './period.ts';

export type OutlierSide = Flag;
export type RankingMetric = OutlierMetric;
export const RANKING_METRICS: readonly RankingMetric[] = OUTLIER_METRICS;

/** One station of a ranking, as `GET /api/analytics/ranking` gives it (without its day count and coverage). */
export type RankingLine = Omit<AnalyticsRankedStation, 'days' | 'coverage'>;

export interface RankingFigures {
  median: Record<RankingMetric, number | null>;
  stations: readonly RankingLine[];
}

export interface RankedStation extends RankingLine {
  /** 1 = the highest intensity */
  rank: number;
}

export interface SeasonTotals {
  from: string;
  to: string;
  days: number;
  heatGJ: number | null;
  makeupM3: number | null;
  /** area-weighted mean degree-days of the stations counted in the intensity */
  hdd: number | null;
  intensity: number | null;
}

export interface SeasonFigures {
  heatGJ: number | null;
  intensity: number | null;
  makeupM3: number | null;
}

export interface SeasonStationLine {
  station: string;
  name: string;
  area: string | null;
  current: SeasonFigures;
  previous: SeasonFigures;
  /** change against last season in % (one decimal), null where last season had nothing */
  change: SeasonFigures;
}

export interface NetworkMonthlyReport {
  period: { kind: 'month'; month: string; from: number; to: number; timeZone: string; generatedAt: number; days: { from: string; to: string } };
  ranking: { median: Record<RankingMetric, number | null>; stations: RankedStation[] };
  season: { current: SeasonTotals; previous: SeasonTotals; change: SeasonFigures; stations: SeasonStationLine[] };
}

export interface NetworkMonthlyInput {
  period: Period;
  now: number;
  /** the local days the month's ranking covers (the month, or its days so far) */
  days: { from: string; to: string };
  ranking: RankingFigures;
  season: { window: SeasonWindow; current: RankingFigures; previous: RankingFigures };
}

/** `n` significant digits: intensities are small numbers (GJ per m² and degree-day). */
export function significant(v: number | null | undefined, n: number): number | null {
  if (v === null || v === undefined || !Number.isFinite(v)) return null;
  return v === 0 ? 0 : Number(v.toPrecision(n));
}

/** The change from `prev` to `cur` in %, one decimal; null without both or when prev is 0. */
export function changePct(cur: number | null, prev: number | null): number | null {
  if (cur === null || prev === null || prev === 0) return null;
  return round(((cur - prev) / Math.abs(prev)) * 100, 1);
}

const INTENSITY_DIGITS = 4;

function rankedLine(s: RankingLine, i: number): RankedStation {
  return {
    rank: i + 1,
    station: s.station,
    name: s.name,
    area: s.area ?? null,
    heatedAreaM2: s.heatedAreaM2 ?? null,
    heatGJ: round(s.heatGJ, 3),
    hdd: round(s.hdd, 1),
    intensity: significant(s.intensity, INTENSITY_DIGITS),
    priReturnC: round(s.priReturnC, 1),
    flowPerM2: round(s.flowPerM2, 3),
    makeupM3: round(s.makeupM3, 3),
    makeupPct: round(s.makeupPct, 2),
    curveDeviationMin: round(s.curveDeviationMin, 0),
    outliers: { ...s.outliers },
  };
}

function medianOf(m: Record<RankingMetric, number | null>): Record<RankingMetric, number | null> {
  return { intensity: significant(m.intensity, INTENSITY_DIGITS), priReturnC: round(m.priReturnC, 1), flowPerM2: round(m.flowPerM2, 3), makeupPct: round(m.makeupPct, 2) };
}

/** Σ heat / Σ (area × hdd) over the stations with all three, and the area-weighted hdd. */
function seasonTotals(r: RankingFigures, from: string, to: string, days: number): SeasonTotals {
  let heat = 0;
  let areaHdd = 0;
  let area = 0;
  for (const s of r.stations) {
    if (s.heatGJ === null || s.heatedAreaM2 === null || s.hdd === null || s.hdd <= 0) continue;
    heat += s.heatGJ;
    areaHdd += s.heatedAreaM2 * s.hdd;
    area += s.heatedAreaM2;
  }
  return {
    from,
    to,
    days,
    heatGJ: round(sumPresent(r.stations.map((s) => s.heatGJ)), 3),
    makeupM3: round(sumPresent(r.stations.map((s) => s.makeupM3)), 3),
    hdd: area > 0 ? round(areaHdd / area, 1) : null,
    intensity: areaHdd > 0 ? significant(heat / areaHdd, INTENSITY_DIGITS) : null,
  };
}

const figures = (s: RankingLine | undefined): SeasonFigures => ({
  heatGJ: round(s?.heatGJ, 3),
  intensity: significant(s?.intensity, INTENSITY_DIGITS),
  makeupM3: round(s?.makeupM3, 3),
});

const change = (cur: SeasonFigures, prev: SeasonFigures): SeasonFigures => ({
  heatGJ: changePct(cur.heatGJ, prev.heatGJ),
  intensity: changePct(cur.intensity, prev.intensity),
  makeupM3: changePct(cur.makeupM3, prev.makeupM3),
});

export function networkMonthlyReport(input: NetworkMonthlyInput): NetworkMonthlyReport {
  const { period, season } = input;
  if (period.kind !== 'month') throw new Error(`a monthly report covers a month, not a ${period.kind}`);
  const w = season.window;
  const current = seasonTotals(season.current, w.start, w.to, w.days);
  const previous = seasonTotals(season.previous, w.last.start, w.last.to, w.days);
  const prevBy = new Map(season.previous.stations.map((s) => [s.station, s]));
  // this season's stations in ranking order, then any that only last season had
  const names = [...season.current.stations, ...season.previous.stations.filter((s) => !season.current.stations.some((c) => c.station === s.station))];
  const curBy = new Map(season.current.stations.map((s) => [s.station, s]));
  return {
    period: { kind: 'month', month: period.label, from: period.from, to: period.to, timeZone: period.timeZone, generatedAt: input.now, days: { ...input.days } },
    ranking: { median: medianOf(input.ranking.median), stations: input.ranking.stations.map(rankedLine) },
    season: {
      current,
      previous,
      change: change(current, previous),
      stations: names.map((s) => {
        const cur = figures(curBy.get(s.station));
        const prev = figures(prevBy.get(s.station));
        return { station: s.station, name: s.name, area: s.area ?? null, current: cur, previous: prev, change: change(cur, prev) };
      }),
    },
  };
}
