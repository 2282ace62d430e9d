import type { Sample } from '../../model.ts';
import type { SeriesQuery } from '../port.ts';
import type { SqliteSeriesOptions } from '../sqlite-series.ts';
import type { WireBatch, WireColumns } from './pack.ts';

/**
 * What the worker builds its store from: plain data only (it crosses the thread boundary).
 * `kind` picks the store class inside the worker (worker-main.ts), `options` are its constructor's.
 */
export interface WorkerStoreSpec {
  kind: 'sqlite';
  /** the store's own constructor options (structured-cloned into the worker) */
  options: SqliteSeriesOptions;
}

export type Request =
  | { op: 'init' }
  | { op: 'write'; batch: WireBatch; behind?: boolean }
  | { op: 'beginHistory' }
  | { op: 'writeHistory'; batch: WireColumns; horizon?: number }
  | { op: 'endHistory'; commit: boolean }
  | { op: 'latest'; points: string[] }
  | { op: 'query'; q: SeriesQuery }
  | { op: 'queryJson'; q: SeriesQuery }
  | { op: 'scanOpen'; from: number; to: number }
  | { op: 'scanNext'; scan: number }
  | { op: 'scanClose'; scan: number }
  | { op: 'applyRetention'; now: number }
  /** `gc`: a full GC first, where the process runs with --expose-gc (benchmarks) */
  | { op: 'heap'; gc?: boolean }
  /** the worker's own CPU profile: started, or stopped and returned (benchmarks) */
  | { op: 'profile'; start: boolean }
  | { op: 'close' };

export type Envelope = Request & { id: number };

export interface WireError {
  name: string;
  message: string;
  code?: string;
  stack?: string;
}

export type Reply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: WireError };

/** scanNext's answer */
export type ScanStep = { done: true } | { done: false; samples: Sample[] };
