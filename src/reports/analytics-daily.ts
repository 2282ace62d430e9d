/**
 * The daily station report (站点运行日报) of one day in the site's time zone (pure): per station
 * the heat delivered, the make-up water, the mean secondary supply and return and the mean
 * outdoor temperature from the analytics daily table, beside the alarms raised and the tickets
 * opened at the station that day. Every configured station has a line, with empty figures when
 * the daily table holds no row for it (a station not reporting is itself news).
 *
 * @example
 *   const r = stationDailyReport({ period, now, stations, rows, alarmsRaised, ticketsOpened });
 *   r.stations[0]; // { station: 'hs-001', heatGJ: 41.235, makeupM3: 0.42, alarmsRaised: 3, ticketsOpened: 1, … }
 */
import type { Period } from './period.ts';

/** What the report reads of a daily-table row (`GET /api/analytics/daily`'s shape). */
export interface DailyFigures {
  station: string;
  day: string;
  heatGJ: number | null;
  makeupM3: number | null;
  meanSupplyC: number | null;
  meanReturnC: number | null;
  meanOutdoorC: number | null;
  /** share of the day's minutes with good data, 0..1 */
  coverage: number | null;
}

/** A configured station as the reports name it. */
export interface ReportStation {
  id: string;
  name: string;
  area?: string | undefined;
}

export interface StationDayLine {
  station: string;
  name: string;
  area: string | null;
  heatGJ: number | null;
  makeupM3: number | null;
  meanSupplyC: number | null;
  meanReturnC: number | null;
  meanOutdoorC: number | null;
  alarmsRaised: number;
  ticketsOpened: number;
  /** good-data coverage of the day in % (one decimal), null without a daily row */
  coveragePct: number | null;
}

export interface StationDailyReport {
  period: { kind: 'day'; date: string; from: number; to: number; timeZone: string; generatedAt: number };
  stations: StationDayLine[];
  totals: {
    /** stations with a daily row */
    reporting: number;
    stations: number;
    heatGJ: number | null;
    makeupM3: number | null;
    /** mean of the stations' mean outdoor temperatures */
    meanOutdoorC: number | null;
    alarmsRaised: number;
    ticketsOpened: number;
  };
}

export interface StationDailyInput {
  period: Period;
  now: number;
  stations: readonly ReportStation[];
  /** the day's rows of the daily table; rows of other days are ignored */
  rows: readonly DailyFigures[];
  /** alarm raises in the period by station */
  alarmsRaised: ReadonlyMap<string, number>;
  /** tickets created in the period by station */
  ticketsOpened: ReadonlyMap<string, number>;
}

/** Rounds to `digits` decimals; null stays null. */
export function round(v: number | null | undefined, digits: number): number | null {
  if (v === null || v === undefined || !Number.isFinite(v)) return null;
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

/** Sum of the numbers present, null when none is. */
export function sumPresent(values: ReadonlyArray<number | null>): number | null {
  const xs = values.filter((v): v is number => v !== null);
  return xs.length ? xs.reduce((a, b) => a + b, 0) : null;
}

function meanPresent(values: ReadonlyArray<number | null>): number | null {
  const xs = values.filter((v): v is number => v !== null);
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null;
}

/** Heat and water to 0.001 (GJ, m³), temperatures to 0.1 °C. */
export const DIGITS = { energy: 3, volume: 3, temperature: 1 } as const;

export function stationDailyReport(input: StationDailyInput): StationDailyReport {
  const { period } = input;
  if (period.kind !== 'day') throw new Error(`a daily report covers a day, not a ${period.kind}`);
  const rows = new Map(input.rows.filter((r) => r.day === period.label).map((r) => [r.station, r]));
  const stations = input.stations.map((s): StationDayLine => {
    const r = rows.get(s.id);
    return {
      station: s.id,
      name: s.name,
      area: s.area ?? null,
      heatGJ: round(r?.heatGJ, DIGITS.energy),
      makeupM3: round(r?.makeupM3, DIGITS.volume),
      meanSupplyC: round(r?.meanSupplyC, DIGITS.temperature),
      meanReturnC: round(r?.meanReturnC, DIGITS.temperature),
      meanOutdoorC: round(r?.meanOutdoorC, DIGITS.temperature),
      alarmsRaised: input.alarmsRaised.get(s.id) ?? 0,
      ticketsOpened: input.ticketsOpened.get(s.id) ?? 0,
      coveragePct: r?.coverage === null || r?.coverage === undefined ? null : round(r.coverage * 100, 1),
    };
  });
  return {
    period: { kind: 'day', date: period.label, from: period.from, to: period.to, timeZone: period.timeZone, generatedAt: input.now },
    stations,
    totals: {
      reporting: stations.filter((s) => rows.has(s.station)).length,
      stations: stations.length,
      // the total of the rounded lines, so the file's total row adds up
      heatGJ: round(sumPresent(stations.map((s) => s.heatGJ)), DIGITS.energy),
      makeupM3: round(sumPresent(stations.map((s) => s.makeupM3)), DIGITS.volume),
      meanOutdoorC: round(meanPresent(stations.map((s) => s.meanOutdoorC)), DIGITS.temperature),
      alarmsRaised: stations.reduce((n, s) => n + s.alarmsRaised, 0),
      ticketsOpened: stations.reduce((n, s) => n + s.ticketsOpened, 0),
    },
  };
}
