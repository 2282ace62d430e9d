// Daily-table rows for the analytics report tests, made by rule: each station uses heat in
// proportion to its heated area and the day's degree-days (its own factor; the `over` station
// half as much again), make-up by its index, last season colder and a little thirstier. The
// tests total these rows themselves to know what the reports must say.
import { addDays } from '../../src/reports/analytics-season.ts';
import type { DailyRow } from '../../src/analytics/ranking.ts';

export interface SeedStation {
  id: string;
  heatedAreaM2?: number | undefined;
  systemVolumeM3?: number | undefined;
}

/** GJ per m² and degree-day of the `i`-th station; the over-supplied one uses 1.6 × as much. */
export const factorOf = (i: number, over: boolean) => 0.00002 * (1 + 0.05 * i) * (over ? 1.6 : 1);

/** One station's row of a day; `lastSeason` rows are 2 K colder and use 5 % more heat per degree-day. */
export function seedRow(s: SeedStation, i: number, day: string, o: { over?: string; lastSeason?: boolean } = {}): DailyRow {
  const over = s.id === o.over;
  const n = Number(day.slice(8, 10));
  const outdoor = -4 - (n % 9) - (o.lastSeason ? 2 : 0);
  const hdd = 18 - outdoor;
  const area = s.heatedAreaM2 ?? 10_000;
  return {
    station: s.id,
    day,
    heatGJ: area * hdd * factorOf(i, over) * (o.lastSeason ? 1.05 : 1),
    makeupM3: 0.2 + 0.1 * i + (o.lastSeason ? 0.05 : 0),
    hdd,
    meanOutdoorC: outdoor,
    meanSupplyC: 50 + i + 0.04,
    meanReturnC: 38 + i,
    meanPriReturnC: 42 + 2 * i + (over ? 8 : 0),
    meanFlowSec: (area / 1000) * (over ? 1.5 : 1),
    curveDeviationMin: 10 * i,
    samplesOk: 1,
  };
}

/** Rows of every station for the days `from`..`to`. */
export function seedRows(stations: readonly SeedStation[], from: string, to: string, o: { over?: string; lastSeason?: boolean } = {}): DailyRow[] {
  const rows: DailyRow[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) stations.forEach((s, i) => rows.push(seedRow(s, i, d, o)));
  return rows;
}

/** Σ of a figure over rows, by station. */
export function totalBy(rows: readonly DailyRow[], k: 'heatGJ' | 'makeupM3' | 'hdd'): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of rows) out.set(r.station, (out.get(r.station) ?? 0) + (r[k] ?? 0));
  return out;
}
