/**
 * Creates the database and the three retention policies, idempotently: what exists with the
 * right definition is left alone, a changed retention is ALTERed, and the rollup CQs of earlier
 * versions are dropped.
 */
import type { InfluxDB } from 'influx';
import { POINT_FIELDS, RAW, ROLLUP_1H, ROLLUP_1M, fqm, ident } from './schema.ts';

/**
 * The continuous queries earlier versions created (`heatwatch_rollup_1m_v1`, `…_v2`, the hourly
 * ones): start-up drops them. The store folds the rollups of live data as it writes them
 * (live-rollups.ts); a CQ re-read every point field of every device on each run, which at city
 * scale cost influxd more than the writes (README "Performance").
 */
const OLD_CQ_PREFIX = 'heatwatch_rollup_';

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
  for (const series of cqs.results?.[0]?.series ?? []) {
    if (series.name !== db) continue;
    for (const row of series.values ?? []) {
      const name = String(row[0]);
      if (name.startsWith(OLD_CQ_PREFIX)) await influx.queryRaw(`DROP CONTINUOUS QUERY ${ident(name)} ON ${ident(db)}`, { method: 'POST' });
    }
  }
}

