/**
 * The daily table `analytics_daily` in the state database: one row per (local day, station),
 * replaced whenever the job computes the day again. It lives beside the alarms and tickets, so it
 * is the same whichever series store (SQLite or InfluxDB) holds the samples.
 *
 * @example
 * ```ts
 * const daily = await DailyStore.open(stateDb);
 * await daily.upsert([{ station: 'hs-001', day: '2026-12-01', heatGJ: 241.7, … }], now);
 * await daily.rows('2026-12-01', '2026-12-31', 'hs-001');
 * ```
 */
import { ddlFor, type StateDb } from '../state/db.ts';
import { migrate, type Migration } from '../state/migrate.ts';
import type { DailyRow, PeriodTotals } from './ranking.ts';

const TABLE = `CREATE TABLE IF NOT EXISTS analytics_daily (
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
)`;

export const analyticsMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'daily table',
    // WITHOUT ROWID is SQLite's (the key is the row); PostgreSQL has no such clause
    up: async (db) => {
      await db.exec(ddlFor(db.dialect, db.dialect === 'sqlite' ? `${TABLE} WITHOUT ROWID` : TABLE));
      await db.exec('CREATE INDEX IF NOT EXISTS analytics_daily_station ON analytics_daily (station, day)');
    },
  },
];

const FIELDS = ['station', 'day', 'heat_gj', 'makeup_m3', 'hdd', 'mean_outdoor_c', 'mean_supply_c', 'mean_return_c', 'mean_pri_return_c', 'mean_flow_sec', 'curve_deviation_min', 'samples_ok'] as const;
const SELECT = `SELECT station, day, heat_gj AS "heatGJ", makeup_m3 AS "makeupM3", hdd, mean_outdoor_c AS "meanOutdoorC", mean_supply_c AS "meanSupplyC", mean_return_c AS "meanReturnC",
  mean_pri_return_c AS "meanPriReturnC", mean_flow_sec AS "meanFlowSec", curve_deviation_min AS "curveDeviationMin", samples_ok AS "samplesOk" FROM analytics_daily`;
/** rows per INSERT: 13 parameters each, well under either engine's limit */
const BATCH = 200;

type SumRow = { station: string } & Record<'heatGJ' | 'hdd' | 'heatWithHdd' | 'hddWithHeat' | 'priReturnC' | 'flowM3h' | 'makeupM3' | 'makeupDays' | 'curveDeviationMin' | 'days' | 'coverage', number | null>;

/** Per database, per day, a number that changes whenever a DailyStore on it writes rows of the day. */
const written = new WeakMap<StateDb, { writes: number; days: Map<string, number> }>();

function insertOf(n: number): string {
  const row = `(${'?, '.repeat(FIELDS.length)}?)`;
  const set = FIELDS.slice(2).map((f) => `${f} = excluded.${f}`).join(', ');
  return `INSERT INTO analytics_daily (${FIELDS.join(', ')}, computed_at) VALUES ${Array(n).fill(row).join(', ')}
    ON CONFLICT (day, station) DO UPDATE SET ${set}, computed_at = excluded.computed_at`;
}

export class DailyStore {
  private readonly marks: { writes: number; days: Map<string, number> };

  private constructor(private readonly db: StateDb) {
    let marks = written.get(db);
    if (!marks) written.set(db, (marks = { writes: 0, days: new Map() }));
    this.marks = marks;
  }

  /** The store on `db`, its table made or brought up to date first. */
  static async open(db: StateDb): Promise<DailyStore> {
    await migrate(db, 'analytics', analyticsMigrations);
    return new DailyStore(db);
  }

  /** Writes (or replaces) rows in one transaction. */
  async upsert(rows: readonly DailyRow[], computedAt: number): Promise<void> {
    await this.db.tx(async () => {
      for (let i = 0; i < rows.length; i += BATCH) {
        const part = rows.slice(i, i + BATCH);
        const params = part.flatMap((r) => [r.station, r.day, r.heatGJ, r.makeupM3, r.hdd, r.meanOutdoorC, r.meanSupplyC, r.meanReturnC, r.meanPriReturnC, r.meanFlowSec, r.curveDeviationMin, r.samplesOk, computedAt]);
        await this.db.run(insertOf(part.length), params);
      }
    });
    const days = [...new Set(rows.map((r) => r.day))];
    this.noteWritten(days);
    for (const l of this.writeListeners) l(days);
  }

  private readonly writeListeners = new Set<(days: string[]) => void>();

  /** Called with the days this process wrote (another instance of a cluster marks them: {@link noteWritten}). */
  onWrite(listener: (days: string[]) => void): () => void {
    this.writeListeners.add(listener);
    return () => this.writeListeners.delete(listener);
  }

  /** Marks days as written (here, or by another instance sharing the database), so answers kept about them are not used again. */
  noteWritten(days: readonly string[]): void {
    const m = this.marks;
    m.writes++;
    for (const d of days) m.days.set(d, m.writes);
  }

  /**
   * A mark that changes whenever rows of a day in `from`..`to` are written through this process
   * or, in a cluster, by the instance running the analytics job (what answers about those days
   * may be kept by).
   */
  version(from: string, to: string): number {
    let v = 0;
    for (const [day, w] of this.marks.days) if (day >= from && day <= to && w > v) v = w;
    return v;
  }

  /** Rows of days `from`..`to` (both included), of one station or all, by day then station. */
  async rows(from: string, to: string, station?: string): Promise<DailyRow[]> {
    return station === undefined
      ? this.db.all<DailyRow>(`${SELECT} WHERE day >= ? AND day <= ? ORDER BY day, station`, [from, to])
      : this.db.all<DailyRow>(`${SELECT} WHERE station = ? AND day >= ? AND day <= ? ORDER BY day`, [station, from, to]);
  }

  /** Per station, the totals of its rows of days `from`..`to` (ranking.ts PeriodTotals), summed in SQL: one pass, no object per row. */
  async totals(from: string, to: string): Promise<Map<string, PeriodTotals>> {
    const both = 'heat_gj IS NOT NULL AND hdd IS NOT NULL';
    const rows = await this.db.all<SumRow>(
      `SELECT station, SUM(heat_gj) AS "heatGJ", SUM(hdd) AS hdd, SUM(CASE WHEN ${both} THEN heat_gj END) AS "heatWithHdd", SUM(CASE WHEN ${both} THEN hdd END) AS "hddWithHeat",
         AVG(mean_pri_return_c) AS "priReturnC", AVG(mean_flow_sec) AS "flowM3h", SUM(makeup_m3) AS "makeupM3", COUNT(makeup_m3) AS "makeupDays",
         SUM(curve_deviation_min) AS "curveDeviationMin", COUNT(*) AS days, AVG(samples_ok) AS coverage
       FROM analytics_daily WHERE day >= ? AND day <= ? GROUP BY station`,
      [from, to],
    );
    const out = new Map<string, PeriodTotals>();
    for (const r of rows) out.set(r.station, { ...r, makeupDays: r.makeupDays ?? 0, days: r.days ?? 0 });
    return out;
  }

  /** The days of `days` that have no row yet (any station). */
  async missingDays(days: readonly string[]): Promise<string[]> {
    if (days.length === 0) return [];
    const rows = await this.db.all<{ day: string }>('SELECT DISTINCT day FROM analytics_daily WHERE day >= ? AND day <= ?', [days[0], days[days.length - 1]]);
    const have = new Set(rows.map((r) => r.day));
    return days.filter((d) => !have.has(d));
  }
}
