import type { SeriesStorageConfig } from '../config/schema.ts';
import type { SeriesStore } from './port.ts';
import { SqliteSeriesStore } from './sqlite-series.ts';
import { InfluxSeriesStore } from './influx/store.ts';
import { WorkerSeriesStore } from './worker/worker-store.ts';
import { pointEncodings } from './codec/from-config.ts';

export interface CreateStoreOptions {
  /**
   * SQLite only: run the store in this thread instead of a worker thread. For tests and tools
   * that reach the store's internals; an in-memory database (`:memory:`) always runs in-process.
   */
  inProcess?: boolean;
  /**
   * Their devices' point definitions set how each point is kept (src/store/codec/from-config.ts):
   * compressed by SQLite, written at its resolution to InfluxDB. InfluxDB: also each line's
   * station area tag.
   */
  stations?: ReadonlyArray<Parameters<typeof pointEncodings>[0][number] & { area?: string }>;
}

/**
 * Builds the series store the configuration names (not yet initialised: call `init()`).
 * SQLite runs in a worker thread (src/store/worker) so its transactions, retention and heavy
 * queries never delay a poll; InfluxDB is I/O already and stays in this thread.
 *
 * @example
 * const store = createSeriesStore({ kind: 'sqlite', path: 'data/series.db' });
 * await store.init();
 */
export function createSeriesStore(cfg: SeriesStorageConfig, opts: CreateStoreOptions = {}): SeriesStore {
  switch (cfg.kind) {
    case 'sqlite': {
      const options = {
        path: cfg.path,
        ...(cfg.retentionDays !== undefined ? { retentionDays: cfg.retentionDays } : {}),
        encodings: pointEncodings(opts.stations ?? []),
      };
      if (opts.inProcess || cfg.path === ':memory:') return new SqliteSeriesStore(options);
      return new WorkerSeriesStore({ kind: 'sqlite', options });
    }
    case 'influxdb':
      return new InfluxSeriesStore({
        url: cfg.url,
        database: cfg.database,
        ...(cfg.username !== undefined ? { username: cfg.username } : {}),
        ...(cfg.password !== undefined ? { password: cfg.password } : {}),
        ...(cfg.retentionDays !== undefined ? { retentionDays: cfg.retentionDays } : {}),
        ...(cfg.serverRetention !== undefined ? { serverRetention: cfg.serverRetention } : {}),
        ...(cfg.writeBatch !== undefined ? { writeBatch: cfg.writeBatch } : {}),
        ...(cfg.writeConcurrency !== undefined ? { writeConcurrency: cfg.writeConcurrency } : {}),
        ...(cfg.timeoutMs !== undefined ? { timeoutMs: cfg.timeoutMs } : {}),
        areas: Object.fromEntries((opts.stations ?? []).flatMap((s) => (s.area ? [[s.id, s.area]] : []))),
        encodings: pointEncodings(opts.stations ?? []),
      });
  }
}
