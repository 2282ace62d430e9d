/**
 * The daily table `analytics_daily` in the state database: one row per (local day, station),
 * replaced whenever the job computes the day again. It lives beside the alarms and tickets, so it
 * is the same whichever series store (SQLite or InfluxDB) holds the samples.
 *
 * @example
 * ```ts
 * const daily = new DailyStore(state.db);
 * daily.upsert([{ station: 'hs-001', day: '2026-12-01', heatGJ: 241.7, … }], now);
 * daily.rows('2026-12-01', '2026-12-31', 'hs-001');
 * ```
 */
import type Database from 'better-sqlite3';
import type { DailyRow, PeriodTotals } from './ranking.ts';

const COLUMNS = 'station, day, heat_gj, makeup_m3, hdd, mean_outdoor_c, mean_supply_c, mean_return_c, mean_pri_return_c, mean_flow_sec, curve_deviation_min, samples_ok';

type RawRow = [string, string, ...Array<number | null>];

/** Per database, per day, a number that changes whenever a DailyStore on it writes rows of the day. */
const written = new WeakMap<Database.Database, { writes: number; days: Map<string, number> }>();

export class DailyStore {
  private readonly insert: Database.Statement;
  private readonly byDay: Database.Statement;
  private readonly byStation: Database.Statement;
  private readonly sums: Database.Statement;
  private readonly tx: Database.Transaction<(rows: readonly DailyRow[], at: number) => void>;
  private readonly marks: { writes: number; days: Map<string, number> };

  constructor(private readonly db: Database.Database) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS analytics_daily (
        day TEXT NOT NULL,
        station TEXT NOT NULL,
        heat_gj REAL,
        makeup_m3 REAL,
        hdd REAL,
        mean_outdoor_c REAL,
        mean_supply_c REAL,
        mean_return_c REAL,
        mean_pri_return_c REAL,
        mean_flow_sec REAL,
        curve_deviation_min REAL,
        samples_ok REAL NOT NULL,
        computed_at INTEGER NOT NULL,
        PRIMARY KEY (day, station)
      ) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS analytics_daily_station ON analytics_daily (station, day);
    `);
    let marks = written.get(db);
    if (!marks) written.set(db, (marks = { writes: 0, days: new Map() }));
    this.marks = marks;
    this.insert = db.prepare(`INSERT OR REPLACE INTO analytics_daily (${COLUMNS}, computed_at) VALUES (${'?, '.repeat(12)}?)`);
    this.byDay = db.prepare(`SELECT ${COLUMNS} FROM analytics_daily WHERE day >= ? AND day <= ? ORDER BY day, station`).raw();
    this.byStation = db.prepare(`SELECT ${COLUMNS} FROM analytics_daily WHERE station = ? AND day >= ? AND day <= ? ORDER BY day`).raw();
    // ranking.ts periodTotals in SQL: one pass over the period's rows instead of a JS object per row
    const both = 'heat_gj IS NOT NULL AND hdd IS NOT NULL';
    this.sums = db
      .prepare(
        `SELECT station, SUM(heat_gj), SUM(hdd), SUM(CASE WHEN ${both} THEN heat_gj END), SUM(CASE WHEN ${both} THEN hdd END), AVG(mean_pri_return_c), AVG(mean_flow_sec),
         SUM(makeup_m3), COUNT(makeup_m3), SUM(curve_deviation_min), COUNT(*), AVG(samples_ok) FROM analytics_daily WHERE day >= ? AND day <= ? GROUP BY station`,
      )
      .raw();
    this.tx = db.transaction((rows: readonly DailyRow[], at: number) => {
      for (const r of rows) {
        this.insert.run(r.station, r.day, r.heatGJ, r.makeupM3, r.hdd, r.meanOutdoorC, r.meanSupplyC, r.meanReturnC, r.meanPriReturnC, r.meanFlowSec, r.curveDeviationMin, r.samplesOk, at);
      }
    });
  }

  /** Writes (or replaces) rows in one transaction. */
  upsert(rows: readonly DailyRow[], computedAt: number): void {
    this.tx(rows, computedAt);
    const m = this.marks;
    m.writes++;
    for (const r of rows) m.days.set(r.day, m.writes);
  }

  /** A mark that changes whenever rows of a day in `from`..`to` are written (what answers about those days may be kept by). */
  version(from: string, to: string): number {
    let v = 0;
    for (const [day, w] of this.marks.days) if (day >= from && day <= to && w > v) v = w;
    return v;
  }

  /** Rows of days `from`..`to` (both included), of one station or all, by day then station. */
  rows(from: string, to: string, station?: string): DailyRow[] {
    const raw = (station === undefined ? this.byDay.all(from, to) : this.byStation.all(station, from, to)) as RawRow[];
    return raw.map((r) => ({
      station: r[0],
      day: r[1],
      heatGJ: r[2] as number | null,
      makeupM3: r[3] as number | null,
      hdd: r[4] as number | null,
      meanOutdoorC: r[5] as number | null,
      meanSupplyC: r[6] as number | null,
      meanReturnC: r[7] as number | null,
      meanPriReturnC: r[8] as number | null,
      meanFlowSec: r[9] as number | null,
      curveDeviationMin: r[10] as number | null,
      samplesOk: r[11] as number,
    }));
  }

  /** Per station, the totals of its rows of days `from`..`to` (ranking.ts PeriodTotals). */
  totals(from: string, to: string): Map<string, PeriodTotals> {
    const out = new Map<string, PeriodTotals>();
    for (const r of this.sums.all(from, to) as Array<[string, ...Array<number | null>]>) {
      const [station, heatGJ, hdd, heatWithHdd, hddWithHeat, priReturnC, flowM3h, makeupM3, makeupDays, curveDeviationMin, days, coverage] = r;
      out.set(station, { station, heatGJ, hdd, heatWithHdd, hddWithHeat, priReturnC, flowM3h, makeupM3, makeupDays: makeupDays ?? 0, curveDeviationMin, days: days ?? 0, coverage });
    }
    return out;
  }

  /** The days of `days` that have no row yet (any station). */
  missingDays(days: readonly string[]): string[] {
    if (days.length === 0) return [];
    const have = new Set(this.db.prepare('SELECT DISTINCT day FROM analytics_daily WHERE day >= ? AND day <= ?').pluck().all(days[0], days[days.length - 1]) as string[]);
    return days.filter((d) => !have.has(d));
  }
}
