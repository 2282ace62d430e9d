/** The embedded series store; its parts live in ./sqlite/ (docs/historian.md). */
export { SqliteSeriesStore, type SqliteSeriesOptions, type StoreWriteCounters } from './sqlite/store.ts';
export { MAX_BUCKETS } from './buckets.ts';
