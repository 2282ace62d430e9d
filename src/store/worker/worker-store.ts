/**
 * A series store run in a worker thread behind the {@link SeriesStore} port, so its
 * synchronous work (better-sqlite3 transactions, a long query, retention's deletes, a WAL
 * checkpoint) never holds the event loop that polls the devices and serves the API.
 *
 * - The store is built inside the worker from plain options ({@link WorkerStoreSpec}).
 * - Write batches cross as typed columns with a mirrored point table (pack.ts), never as
 *   cloned Sample objects; the ingest queue hands over its columns as they are (`writeColumns`).
 * - The worker handles one request at a time in order: writes commit in the order they were
 *   sent, and a read sees every write sent before it. `write` resolves when committed.
 * - If the worker dies, every pending call rejects (the pipeline keeps the batch and
 *   retries) and the next call starts a new worker, re-running `init` if it had run.
 *
 * @example
 * const store = new WorkerSeriesStore({ kind: 'sqlite', options: { path: 'data/series.db' } });
 * await store.init();
 * await store.write(samples);
 * await store.close();
 */
import { Worker } from 'node:worker_threads';
import type { Sample } from '../../model.ts';
import { resultsOf, type SeriesJson, type SeriesQuery, type SeriesResult, type SeriesStore, type SeriesValues } from '../port.ts';
import { columnsOf, PointTable, type ColumnWriter, type HistoryWriter, type SampleColumns } from '../../ingest/columns.ts';
import { wireColumns, wireTransfer, type WireBatch } from './pack.ts';
import type { Reply, Request, ScanStep, WireError, WorkerStoreSpec } from './protocol.ts';

export type { WorkerStoreSpec } from './protocol.ts';

const ENTRY = new URL('./entry.js', import.meta.url);

interface Live {
  worker: Worker;
  /** per point table id, how many of its ids this worker has been sent */
  sent: Map<number, number>;
  pending: Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>;
  exited: boolean;
}

export class WorkerSeriesStore implements SeriesStore, ColumnWriter, HistoryWriter {
  /** point ids of batches given as Sample objects */
  private readonly points = new PointTable();
  private live: Live | null = null;
  private nextId = 1;
  /** what the worker's store answered to the last write: its head's start */
  private head: number | null = null;
  private initialised = false;
  private closed = false;
  /** the worker holding the open import (beginHistory … endHistory) */
  private historyLive: Live | null = null;

  constructor(readonly spec: WorkerStoreSpec) {}

  async init(): Promise<void> {
    this.closed = false;
    const live = this.live && !this.live.exited ? this.live : this.spawn();
    await this.send(live, { op: 'init' }, []);
    this.initialised = true;
  }

  async write(samples: Sample[]): Promise<void> {
    if (samples.length === 0) return;
    const live = await this.ensure();
    const cols = columnsOf(samples, this.points);
    // fresh columns: their buffers can be given away instead of copied
    const batch: WireBatch = cols ? wireColumns(cols, live.sent) : { plain: samples.slice() };
    this.head = (await this.send(live, { op: 'write', batch }, wireTransfer(batch))) as number | null;
  }

  /** The head's start as of the last write's answer (null: none yet). */
  headFrom(): number | null {
    return this.head;
  }

  /** {@link write} for columns (the ingest queue's form); the caller keeps them (for a retry), so they are copied. */
  async writeColumns(c: SampleColumns, behind = false): Promise<void> {
    if (c.length === 0) return;
    const live = await this.ensure();
    this.head = (await this.send(live, { op: 'write', batch: wireColumns(c, live.sent), behind }, [])) as number | null;
  }

  async beginHistory(): Promise<void> {
    const live = await this.ensure();
    await this.send(live, { op: 'beginHistory' }, []);
    this.historyLive = live;
  }

  /**
   * History into the store's history path (SqliteSeriesStore.writeHistorySync); the columns'
   * buffers are given away. Inside an import only to its worker: a new one would commit alone.
   */
  async writeHistory(c: SampleColumns, horizon?: number): Promise<void> {
    if (c.length === 0) return;
    const live = this.historyLive ?? (await this.ensure());
    const batch = wireColumns(c, live.sent);
    await this.send(live, { op: 'writeHistory', batch, ...(horizon !== undefined ? { horizon } : {}) }, wireTransfer(batch));
  }

  /** A worker that died took the open import with it (SQLite rolls it back): nothing to end then. */
  async endHistory(commit: boolean): Promise<void> {
    const live = this.historyLive;
    this.historyLive = null;
    if (!live || live.exited) {
      if (commit) throw new Error(`series store ${this.spec.options.path} (worker): the import was lost with its worker`);
      return;
    }
    await this.send(live, { op: 'endHistory', commit }, []);
  }

  async latest(points: string[]): Promise<Map<string, Sample>> {
    const list = (await this.call({ op: 'latest', points })) as Sample[];
    return new Map(list.map((s) => [s.point, s]));
  }

  async query(q: SeriesQuery): Promise<SeriesResult[]> {
    return resultsOf(await this.queryValues(q));
  }

  /** {@link query} as the worker sends it: one Float64Array per series. */
  queryValues(q: SeriesQuery): Promise<SeriesValues[]> {
    return this.call({ op: 'query', q }) as Promise<SeriesValues[]>;
  }

  /** {@link query} with each series' JSON written by the worker (its bytes transferred, not copied). */
  queryJson(q: SeriesQuery): Promise<SeriesJson[]> {
    return this.call({ op: 'queryJson', q }) as Promise<SeriesJson[]>;
  }

  async *scan(from: number, to: number): AsyncGenerator<Sample[]> {
    const scan = (await this.call({ op: 'scanOpen', from, to })) as number;
    let done = false;
    try {
      for (;;) {
        const step = (await this.call({ op: 'scanNext', scan })) as ScanStep;
        if (step.done) {
          done = true;
          return;
        }
        yield step.samples;
      }
    } finally {
      // a consumer that stops early releases the worker's iterator
      if (!done && this.live && !this.live.exited) await this.call({ op: 'scanClose', scan }).catch(() => undefined);
    }
  }

  /**
   * The worker thread's V8 heap in bytes (its own; process-wide RSS includes it): in use, and
   * reserved; with `gc`, after a full GC where the process runs with --expose-gc (benchmarks).
   */
  heap(opts: { gc?: boolean } = {}): Promise<{ used: number; total: number }> {
    return this.call({ op: 'heap', ...(opts.gc ? { gc: true } : {}) }) as Promise<{ used: number; total: number }>;
  }

  /** Starts the worker thread's CPU profiler; {@link stopProfile} gives the profile. */
  async startProfile(): Promise<void> {
    await this.call({ op: 'profile', start: true });
  }

  /** Stops the worker's CPU profiler: its profile, or null when none was running. */
  stopProfile(): Promise<object | null> {
    return this.call({ op: 'profile', start: false }) as Promise<object | null>;
  }

  applyRetention(now: number): Promise<number> {
    return this.call({ op: 'applyRetention', now }) as Promise<number>;
  }

  async close(): Promise<void> {
    const live = this.live;
    this.closed = true;
    this.initialised = false;
    if (!live || live.exited) return;
    try {
      await this.send(live, { op: 'close' }, []);
    } finally {
      this.live = null;
      await live.worker.terminate();
    }
  }

  private async call(req: Request): Promise<unknown> {
    return this.send(await this.ensure(), req, []);
  }

  /** The running worker, or a new one (initialised again if the store had been). */
  private async ensure(): Promise<Live> {
    if (this.closed) throw new Error(`series store ${this.spec.options.path} (worker): closed`);
    if (this.live && !this.live.exited) return this.live;
    const live = this.spawn();
    if (this.initialised) await this.send(live, { op: 'init' }, []);
    return live;
  }

  private spawn(): Live {
    const worker = new Worker(ENTRY, { workerData: this.spec });
    const live: Live = { worker, sent: new Map(), pending: new Map(), exited: false };
    this.live = live;
    worker.on('message', (r: Reply) => {
      const p = live.pending.get(r.id);
      if (!p) return;
      live.pending.delete(r.id);
      if (r.ok) p.resolve(r.result);
      else p.reject(toError(r.error));
    });
    const fail = (err: Error) => {
      live.exited = true;
      for (const p of live.pending.values()) p.reject(err);
      live.pending.clear();
    };
    worker.on('error', (err) => fail(new Error(`series store worker failed: ${err.message}`, { cause: err })));
    worker.on('exit', (code) => fail(new Error(`series store worker exited (code ${code})`)));
    return live;
  }

  private send(live: Live, req: Request, transfer: ArrayBuffer[]): Promise<unknown> {
    if (live.exited) return Promise.reject(new Error('series store worker is not running'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      live.pending.set(id, { resolve, reject });
      live.worker.postMessage({ ...req, id }, transfer);
    });
  }
}

/** Built-in error classes a store throws on purpose (RangeError for an over-long query): callers test them with instanceof. */
const CLASSES: Record<string, ErrorConstructor> = { RangeError, TypeError, SyntaxError };

function toError(w: WireError): Error {
  const e = new (CLASSES[w.name] ?? Error)(w.message) as Error & { code?: string };
  e.name = w.name;
  if (w.code) e.code = w.code;
  if (w.stack) e.stack = w.stack;
  return e;
}
