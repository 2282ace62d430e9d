import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type Database from 'better-sqlite3';
import { storableSamples, type Sample } from '../../model.ts';
import type { SeriesJson, SeriesQuery, SeriesResult, SeriesStore, SeriesValues } from '../port.ts';
import type { PointEncodings } from '../codec/spec.ts';
import { Compactor, type CompactStep } from './compact.ts';
import { CompactionPace } from './compact-pace.ts';
import { Core } from './core.ts';
import * as read from './read.ts';
import { HourTexts, queryJson } from './read-json.ts';
import { applyRetention } from './retention.ts';
import { Rollups } from './rollups.ts';
import { CHUNK, MINUTE, openDatabase } from './schema.ts';
import { TableSlots, writeColumnsInTx, writeInTx } from './write.ts';
import { type HistoryResult, writeHistoryInTx } from './history.ts';
import { storableRows, type ColumnRows, type HistoryWriter, type SampleColumns } from '../../ingest/columns.ts';

/** Plain, structured-cloneable options (the store may be built inside a worker_thread). */
export interface SqliteSeriesOptions {
  /** database file, or `:memory:`; parent directories are created */
  path: string;
  /** days of raw samples kept (default 30); 1-minute rollups are kept 10×, rollup_1h 100× as long */
  retentionDays?: number;
  /** how each point's values are coded in blocks (src/store/codec/spec.ts); others: lossless */
  encodings?: PointEncodings;
  /**
   * Compaction (docs/historian.md): steps after each write (default true), `compactRatio`
   * samples moved for each sample written (default 2, compact-pace.ts); head minutes are due
   * `compactGraceMs` after they end (default 5 min), taken at least `compactWindowMs` at a time
   * (default 30 min) or to the end of their hour; `compactBatch` series per step (default 400,
   * rounded to whole groups of 64 ids: a head row holds one group).
   */
  autoCompact?: boolean;
  compactRatio?: number;
  compactGraceMs?: number;
  compactWindowMs?: number;
  compactBatch?: number;
}

/** Cumulative write-path counters, read by /metrics. */
export interface StoreWriteCounters {
  /** write() calls that committed */
  batches: number;
  /** samples in committed batches (replays included) */
  rowsWritten: number;
  /** wall time spent inside committed write() calls, ms */
  writeMs: number;
  /** samples left out of their batch by the sample rule (model.ts `sampleProblem`), never stored */
  refused: number;
  /** samples moved from the head into blocks, and the time it took, ms */
  compacted: number;
  compactMs: number;
}

/** A far-future ts that slipped past the sample rule must not make every hour due at once. */
const MAX_AHEAD_MS = 5 * MINUTE;
const GRACE_MS = 5 * MINUTE;

/**
 * The embedded series store, a small historian (docs/historian.md): recent samples in a
 * write-optimised head table (`head`, a row per poll of a group of 64 series in a second), older ones
 * in compressed per-series-hour blocks; 1-minute and 1-hour rollups beside them.
 *
 * @example
 * const store = new SqliteSeriesStore({ path: 'data/series.db', encodings: { 'hs-001.plc.p': { kind: 'int', scale: 0.001 } } });
 * await store.init();
 * await store.write([{ point: 'hs-001.plc.t_sec_supply', ts: Date.now(), value: 71.5, quality: 'good' }]);
 */
export class SqliteSeriesStore implements SeriesStore, HistoryWriter {
  readonly path: string;
  readonly retentionDays: number;
  private readonly opts: SqliteSeriesOptions;
  private db: Database.Database | null = null;
  private core!: Core;
  private rollups!: Rollups;
  private compactor!: Compactor;
  private readonly pace: CompactionPace;
  private readonly ctr: StoreWriteCounters = { batches: 0, rowsWritten: 0, writeMs: 0, refused: 0, compacted: 0, compactMs: 0 };
  private writeTx!: Database.Transaction<(samples: Sample[]) => void>;
  private columnsTx!: Database.Transaction<(rows: ColumnRows, ids: readonly string[], slots: TableSlots) => void>;
  private historyTx!: Database.Transaction<(rows: ColumnRows, ids: readonly string[], dueBefore: number) => HistoryResult>;
  /** the open import (beginHistory … endHistory): one transaction across its batches */
  private session: { t0: number; newest: number; written: number; refused: number; cacheSize: number } | null = null;
  /** formatted compacted hours of recent JSON answers (read-json.ts) */
  private readonly hourTexts = new HourTexts();

  constructor(opts: SqliteSeriesOptions) {
    this.opts = opts;
    this.path = opts.path;
    this.retentionDays = opts.retentionDays ?? 30;
    if (!(this.retentionDays > 0)) throw new RangeError(`retentionDays must be > 0, got ${opts.retentionDays}`);
    this.pace = new CompactionPace(opts.compactRatio ?? 2);
  }

  async init(): Promise<void> {
    if (this.db) return;
    if (this.path !== ':memory:' && !this.path.startsWith('file:')) mkdirSync(dirname(this.path), { recursive: true });
    const db = openDatabase(this.path);
    this.db = db;
    this.core = new Core(db, this.opts.encodings ?? {});
    this.rollups = new Rollups(this.core);
    this.compactor = new Compactor(this.core, this.rollups, {
      graceMs: this.opts.compactGraceMs ?? GRACE_MS,
      // a pass re-encodes its hour's blocks so far: passes of 10 minutes encoded each sample 3.5
      // times over an hour (10 + 20 + … + 60 minutes), of 30 minutes 1.5 times; 23 % less CPU
      // per stored sample, compaction included, for a head ~2× as long (docs/historian.md)
      windowMs: this.opts.compactWindowMs ?? 30 * MINUTE,
      // a step is one transaction the worker's reads wait behind: 400 series of a 30-minute
      // pass at 10 s are ~72,000 samples, as 1,000 series of the 10-minute passes were
      batch: this.opts.compactBatch ?? 400,
    });
    this.compactor.watermark = Number.isFinite(this.core.maxC) ? (this.core.maxC + 1) * CHUNK - 1 : -Infinity;
    this.writeTx = db.transaction((samples) => writeInTx(this.core, this.rollups, samples));
    this.columnsTx = db.transaction((rows, ids, slots) => writeColumnsInTx(this.core, this.rollups, rows, ids, slots));
    this.historyTx = db.transaction((rows, ids, dueBefore) => writeHistoryInTx(this.core, this.rollups, rows, ids, dueBefore));
    // Open 1m/1h buckets live in memory; unless the last close was clean, rebuild them from the head.
    const clean = db.prepare("SELECT value FROM meta WHERE key = 'clean'").pluck().get();
    if (clean !== '1') this.rollups.recover();
    db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('clean', '0')").run();
  }

  /** The start of the oldest chunk (10 s) the head holds (null: none): compaction's lag behind the writes. */
  headFrom(): number | null {
    this.open();
    return Number.isFinite(this.core.minC) ? this.core.minC * CHUNK : null;
  }

  /** Cumulative write counters (rows written, time spent writing) for metrics. */
  counters(): StoreWriteCounters {
    return { ...this.ctr };
  }

  async write(samples: Sample[]): Promise<void> {
    this.writeSync(samples);
  }

  /** {@link write} without the promise: the batch (less any sample the sample rule refuses) is one transaction. */
  writeSync(batch: Sample[]): void {
    this.open();
    const samples = storableSamples(batch);
    this.ctr.refused += batch.length - samples.length;
    let newest = -Infinity;
    for (let i = 0; i < samples.length; i++) if (samples[i].ts > newest) newest = samples[i].ts;
    this.commit(() => {
      this.writeTx(samples);
      return { written: samples.length, newest };
    });
  }

  /**
   * {@link writeSync} for a batch as columns, point ids by index in `ids` (the worker's path: no
   * Sample object per row). `slots`: the caller's cache for this point table, kept across its
   * batches, so a row finds its series without a lookup by id. `behind`: the writer has more
   * batches waiting (src/ingest/columns.ts `ColumnWriter`): no compaction runs after this one.
   */
  writeColumnsSync(batch: ColumnRows, ids: readonly string[], slots: TableSlots, behind = false): void {
    this.open();
    const rows = storableRows(batch, ids);
    const n = rows.point.length;
    this.ctr.refused += batch.point.length - n;
    let newest = -Infinity;
    for (let i = 0; i < n; i++) if (rows.ts[i] > newest) newest = rows.ts[i];
    this.commit(() => {
      this.columnsTx(rows, ids, slots);
      return { written: n, newest };
    }, behind);
  }

  /**
   * History (`heatwatch import`) as columns (point ids by index in `ids`), with the same result
   * as {@link writeSync}, but the hours that compaction would already have taken (over by the
   * grace) go straight into blocks (history.ts): a batch should hold whole hours of many
   * series. `horizon`: the ts the caller writes next; what is before it is due at once (the
   * grace waits for late samples, and a history run is followed by the later ones), so a run
   * of whole hours leaves none of its last minutes to the head. One transaction, or a part of
   * the open import's ({@link beginHistory}).
   */
  writeHistorySync(rows: ColumnRows, ids: readonly string[], horizon = -Infinity): void {
    this.open();
    const s = this.session;
    let newest = s?.newest ?? -Infinity;
    for (let i = 0; i < rows.ts.length; i++) if (rows.ts[i] > newest) newest = rows.ts[i];
    const cap = Date.now() + MAX_AHEAD_MS;
    const watermark = Math.max(this.compactor.watermark, Math.min(newest, cap));
    const dueBefore = Math.max(watermark - (this.opts.compactGraceMs ?? GRACE_MS), Math.min(horizon, cap));
    if (!s) {
      this.ctr.refused += this.commit(() => this.historyTx(rows, ids, dueBefore)).refused;
      return;
    }
    try {
      const r = writeHistoryInTx(this.core, this.rollups, rows, ids, dueBefore);
      s.newest = Math.max(s.newest, r.newest);
      s.written += r.written;
      s.refused += r.refused;
    } catch (err) {
      this.endHistory(false);
      throw err;
    } finally {
      this.core.blocks.endBatch();
    }
  }

  /** {@link writeHistorySync} for the columns of this thread (the port's history path, src/ingest/columns.ts). */
  async writeHistory(c: SampleColumns, horizon?: number): Promise<void> {
    this.writeHistorySync(c, c.table.ids, horizon);
  }

  /**
   * Opens an import: the history written until {@link endHistory} is one transaction, so an
   * import can write while its file is still being checked and still leave nothing behind when
   * a problem turns up (or the process dies). No compaction runs inside it.
   */
  async beginHistory(): Promise<void> {
    const db = this.open();
    if (this.session) throw new Error(`series store ${this.path}: an import is open already`);
    // the import's dirty pages stay in memory until the commit: with the default cache (16 MB in this build)
    // SQLite spills them to the WAL mid-transaction and reads them back (64 MB: ~20 M samples)
    const cacheSize = db.pragma('cache_size', { simple: true }) as number;
    db.pragma('cache_size = -65536');
    db.exec('BEGIN');
    this.core.slots.begin();
    this.session = { t0: performance.now(), newest: -Infinity, written: 0, refused: 0, cacheSize };
  }

  /** Commits the open import, or rolls it back (the store as it was before {@link beginHistory}). */
  async endHistory(commit: boolean): Promise<void> {
    const s = this.session;
    if (!s) return;
    this.session = null;
    const db = this.open();
    // the import's page cache is given back: the store may live on in a service's worker
    db.pragma(`cache_size = ${s.cacheSize}`);
    if (!commit) {
      db.exec('ROLLBACK');
      this.core.clearPending();
      this.core.slots.rollback();
      this.core.blocks.forgetRolledBack();
      return;
    }
    db.exec('COMMIT');
    this.ctr.refused += s.refused;
    this.committed(s.written, s.newest, s.t0);
  }

  /**
   * Runs one write transaction with the undo log of the slots (their in-memory state as it
   * was before the batch, restored on rollback), then moves the watermark and counts it.
   */
  private commit<R extends { written: number; newest: number }>(tx: () => R, behind = false): R {
    if (this.session) throw new Error(`series store ${this.path}: an import is open (endHistory first)`);
    const t0 = performance.now();
    this.core.slots.begin();
    let r: R;
    try {
      r = tx();
    } catch (err) {
      this.core.clearPending();
      this.core.slots.rollback();
      throw err;
    } finally {
      this.core.blocks.endBatch();
    }
    this.committed(r.written, r.newest, t0, behind);
    return r;
  }

  /** `behind`: the writer has more batches waiting, so no compaction runs (and none is earned) after this one. */
  private committed(written: number, newest: number, t0: number, behind = false): void {
    this.compactor.watermark = Math.max(this.compactor.watermark, Math.min(newest, Date.now() + MAX_AHEAD_MS));
    this.ctr.batches++;
    this.ctr.rowsWritten += written;
    this.ctr.writeMs += performance.now() - t0;
    // the polls come first: at 5,000 stations a 30-minute pass paced at twice the write rate
    // needed more than a core at its peak on a slower host, and the intake's queue overflowed
    if (this.opts.autoCompact === false || behind) return;
    this.pace.wrote(written);
    while (this.pace.due) {
      const r = this.compactStep();
      if (!r) {
        this.pace.idle();
        break;
      }
      this.pace.spent(r.samples, r.ids, r.rows);
    }
  }

  /** One compaction step if an hour is due (write() runs them, paced, unless autoCompact is false). */
  compactStep(): CompactStep | null {
    this.open();
    const t0 = performance.now();
    const r = this.compactor.step();
    if (r) {
      this.ctr.compacted += r.samples;
      this.ctr.compactMs += performance.now() - t0;
    }
    return r;
  }

  /** Compacts every due hour now; `all`: every head row, the current hour too (tests, benchmarks). */
  compact(opts: { all?: boolean } = {}): { steps: number; samples: number } {
    this.open();
    const t0 = performance.now();
    const r = this.compactor.compactAll(opts.all ?? false);
    this.ctr.compacted += r.samples;
    this.ctr.compactMs += performance.now() - t0;
    return r;
  }

  /** Writes every open accumulator to the rollup tables (done by close(); safe at any time). */
  flushRollups(): void {
    this.open();
    this.rollups.flushRollups();
  }

  async latest(points: string[]): Promise<Map<string, Sample>> {
    this.open();
    return read.latest(this.core, points);
  }

  /** Stored samples of [from, to) in time order, one minute per batch (for alarm replay). */
  scan(from: number, to: number): AsyncGenerator<Sample[]> {
    this.open();
    return read.scan(this.core, from, to);
  }

  /** Picks the table that answers a query (see README: raw for fine steps or short ranges). */
  static sourceFor(q: Pick<SeriesQuery, 'from' | 'to' | 'stepMs'>): SeriesResult['source'] {
    return read.sourceFor(q);
  }

  async query(q: SeriesQuery): Promise<SeriesResult[]> {
    this.open();
    return read.query(this.core, q);
  }

  /** {@link query} as one Float64Array per series (what the store's worker sends back). */
  async queryValues(q: SeriesQuery): Promise<SeriesValues[]> {
    this.open();
    return read.queryValues(this.core, q);
  }

  /** {@link query} with each series' points as JSON bytes (read-json.ts: compacted hours' texts are kept). */
  async queryJson(q: SeriesQuery): Promise<SeriesJson[]> {
    this.open();
    return queryJson(this.core, q, this.hourTexts);
  }

  /** See {@link applyRetention}: head exact, blocks by whole hours, rollups 10× / 100× longer. */
  async applyRetention(now: number): Promise<number> {
    this.open();
    return applyRetention(this.core, this.retentionDays, now);
  }

  async close(): Promise<void> {
    if (!this.db) return;
    await this.endHistory(false); // an import never ended is not kept
    this.rollups.flushRollups();
    this.db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('clean', '1')").run();
    this.db.close();
    this.db = null;
  }

  private open(): Database.Database {
    if (!this.db) throw new Error(`series store ${this.path}: not open (call init() first)`);
    return this.db;
  }
}
