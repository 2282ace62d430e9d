import type { SeriesStorageConfig } from '../config/schema.ts';

/** Samples per store write for SQLite: one transaction of ~5,000 interleaved rows takes ~40 ms here. */
export const SQLITE_BATCH = 5000;

/** Samples per store write for InfluxDB: ~167 polls of 120 points, which the store sends as writeConcurrency (4) requests of lines. */
export const INFLUX_BATCH = 20_000;

/**
 * The default `ingest.batchSize` for a series store: a batch big enough to use every write the
 * store keeps in flight. The pipeline writes one batch at a time (so per point, samples are
 * stored in push order and a failed batch is retried before anything newer); the InfluxDB store
 * splits one batch into at least `writeConcurrency` HTTP writes of lines (one line per device
 * poll), so 20,000 samples keep all four busy where a 5,000 batch left one in flight. SQLite
 * writes one transaction: 5,000.
 *
 * @example
 * defaultIngestBatch({ kind: 'influxdb', url, database: 'heat' }) // 20000
 */
export function defaultIngestBatch(series: SeriesStorageConfig): number {
  return series.kind === 'influxdb' ? INFLUX_BATCH : SQLITE_BATCH;
}
