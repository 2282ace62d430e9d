import type { SeriesStorageConfig } from '../config/schema.ts';
import type { SeriesStore } from './port.ts';
import { SqliteSeriesStore } from './sqlite-series.ts';

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
      throw new Error(`storage.series.kind: influxdb is not yet supported (url ${cfg.url}); use kind: sqlite`);
  }
}
