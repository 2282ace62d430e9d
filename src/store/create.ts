import type { SeriesStorageConfig } from '../config/schema.ts';
import type { SeriesStore } from './port.ts';
import { SqliteSeriesStore } from './sqlite-series.ts';
import { InfluxSeriesStore } from './influx/store.ts';

/**
 * Builds the series store the configuration names (not yet initialised: call `init()`).
 *
 * @example
 * const store = createSeriesStore({ kind: 'sqlite', path: 'data/series.db' });
 * await store.init();
 */
export function createSeriesStore(cfg: SeriesStorageConfig): SeriesStore {
  switch (cfg.kind) {
    case 'sqlite':
      return new SqliteSeriesStore({ path: cfg.path, retentionDays: cfg.retentionDays });
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
      });
  }
}
