/**
 * Creates the database, the three retention policies and the two continuous queries,
 * idempotently: what exists with the right definition is left alone, a changed retention
 * is ALTERed, and a CQ of ours with another definition (other name version) is replaced.
 */
import type { InfluxDB } from 'influx';
import { POINT_FIELDS, RAW, ROLLUP_1H, ROLLUP_1M, fqm, ident } from './schema.ts';

/**
 * Bump when a CQ's text changes, so start-up replaces the old one. v1 rolled up the per-point
 * `telemetry` layout; v2 the per-poll `poll` layout (v1 is dropped at start-up).
 */
const CQ_VERSION = 'v2';
export const CQ_1M = `heatwatch_rollup_1m_${CQ_VERSION}`;
export const CQ_1H = `heatwatch_rollup_1h_${CQ_VERSION}`;
/**
 * The 1-minute CQ recomputes the last 3 minutes every minute (a sample written up to LATE_MS = 1 min
 * after its time lands in a minute the next run still covers; later ones are re-aggregated by the
 * store as dirty minutes). v1 looked back 10 minutes: at 60,000 samples/s that re-read 36 M values a
 * minute, ~40 % of influxd's CPU. The hourly one recomputes the last 2 h every 5 min.
 */
export const CQ_1M_FOR_MS = 3 * 60_000;
export const CQ_1H_FOR_MS = 2 * 3_600_000;

export interface SetupOptions {
  database: string;
  retentionDays: number;
  /** false: policies keep data forever and only applyRetention() deletes (for back-dated data) */
  serverRetention: boolean;
}

/**
 * Per point field: `sum_<p>`, `count_<p>`, ... A bad read has no field, so it is not aggregated;
 * the regex leaves out the `@` marker fields. Ends without WHERE: callers append one or none.
 */
export function rollupSelect1m(db: string): string {
  const f = POINT_FIELDS;
  return `SELECT sum(${f}), count(${f}), min(${f}), max(${f}), last(${f}) INTO ${fqm(db, ROLLUP_1M)} FROM ${fqm(db, RAW)}`;
}

/** From the 1-minute rollup: `sum_sum_<p>`, `sum_count_<p>`, `min_min_<p>`, `max_max_<p>`, `last_last_<p>`. */
export function rollupSelect1h(db: string): string {
  return `SELECT sum(/^sum_/), sum(/^count_/), min(/^min_/), max(/^max_/), last(/^last_/) INTO ${fqm(db, ROLLUP_1H)} FROM ${fqm(db, ROLLUP_1M)}`;
}

function durationOf(days: number, factor: number, server: boolean): string {
  if (!server) return 'INF';
  return `${Math.max(1, Math.round(days * factor * 24))}h`;
}

/** Influx reports durations as `720h0m0s`, INF as `0s`. */
function sameDuration(reported: string, wanted: string): boolean {
  if (wanted === 'INF') return reported === '0s' || reported === '0';
  return reported.startsWith(wanted);
}

export async function ensureSchema(influx: InfluxDB, o: SetupOptions): Promise<void> {
  const db = o.database;
  await influx.queryRaw(`CREATE DATABASE ${ident(db)}`, { method: 'POST' });
  const existing = await influx.showRetentionPolicies(db);
  const policies = [
    { name: RAW.rp, duration: durationOf(o.retentionDays, 1, o.serverRetention), isDefault: true },
    { name: ROLLUP_1M.rp, duration: durationOf(o.retentionDays, 10, o.serverRetention), isDefault: false },
    { name: ROLLUP_1H.rp, duration: durationOf(o.retentionDays, 100, o.serverRetention), isDefault: false },
  ];
  for (const p of policies) {
    const have = existing.find((r) => r.name === p.name);
    const opts = { database: db, duration: p.duration, replication: 1, isDefault: p.isDefault };
    if (!have) await influx.createRetentionPolicy(p.name, opts);
    else if (!sameDuration(have.duration, p.duration) || have.default !== p.isDefault) await influx.alterRetentionPolicy(p.name, opts);
  }
  const cqs = await influx.queryRaw('SHOW CONTINUOUS QUERIES');
  const ours = new Set<string>();
  for (const s of cqs.results?.[0]?.series ?? []) {
    if (s.name !== db) continue;
    for (const row of s.values ?? []) if (String(row[0]).startsWith('heatwatch_rollup_')) ours.add(String(row[0]));
  }
  for (const name of ours) {
    if (name !== CQ_1M && name !== CQ_1H) await influx.queryRaw(`DROP CONTINUOUS QUERY ${ident(name)} ON ${ident(db)}`, { method: 'POST' });
  }
  if (!ours.has(CQ_1M)) {
    await influx.queryRaw(
      `CREATE CONTINUOUS QUERY ${ident(CQ_1M)} ON ${ident(db)} RESAMPLE EVERY 1m FOR 3m BEGIN ${rollupSelect1m(db)} GROUP BY time(1m), * END`,
      { method: 'POST' },
    );
  }
  if (!ours.has(CQ_1H)) {
    await influx.queryRaw(
      `CREATE CONTINUOUS QUERY ${ident(CQ_1H)} ON ${ident(db)} RESAMPLE EVERY 5m FOR 2h BEGIN ${rollupSelect1h(db)} GROUP BY time(1h), * END`,
      { method: 'POST' },
    );
  }
}

