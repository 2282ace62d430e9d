import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type Database from 'better-sqlite3';
import { storableSamples, type Quality, type Sample } from '../model.ts';
import type { SeriesQuery, SeriesResult, SeriesStore } from './port.ts';
import { type Acc, aggValue, bucketize, newAcc } from './sqlite/acc.ts';
import { MultiInsert } from './sqlite/multi-insert.ts';
import { ACC, A_COUNT, A_LAST, A_LAST_TS, A_MAX, A_MIN, A_SUM, A_TS, SeriesSlots } from './sqlite/series-slots.ts';
import { CHUNK, DAY, HOUR, MERGE_TAIL, MINUTE, chunkOf, openDatabase, prepareStatements } from './sqlite/schema.ts';
import type { Statements, Stmt } from './sqlite/schema.ts';
import { MAX_BUCKETS, bucketRange } from './buckets.ts';

export { MAX_BUCKETS };

const QUALITY_CODE: Record<Quality, number> = { good: 0, uncertain: 1, bad: 2 };
const QUALITY_NAME: Quality[] = ['good', 'uncertain', 'bad'];
const KIND_NUMBER = 0;
const KIND_BOOL = 1;

export interface SqliteSeriesOptions {
  /** database file, or `:memory:`; parent directories are created */
  path: string;
  /** days of raw samples kept (default 30); rollup_1m is kept 10×, rollup_1h 100× as long */
  retentionDays?: number;
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
}

/**
 * The embedded series store (better-sqlite3, WAL, synchronous=NORMAL).
 *
 * Raw rows live in the WITHOUT ROWID `raw(c, series, ts)` table, `c` being the 1-minute
 * chunk of ts (see {@link CHUNK}). Write path: a sample newer than the newest stored for
 * its point (the common case) goes into a multi-row `INSERT` (128 rows per statement) with
 * no per-row check; any other sample takes the careful path: `INSERT OR IGNORE`, and if
 * the row existed, compare and maybe replace. Usable values are folded into in-memory
 * accumulators for the open 1-minute and 1-hour bucket of the point. An accumulator is
 * merged into `rollup_1m` / `rollup_1h` (multi-row upserts) when the point moves into a
 * later bucket, on {@link flushRollups} and on close. Queries merge the open accumulators
 * in, so rollup answers are always complete. Late samples for an older bucket are merged
 * into the stored rollup row immediately (count+=, sum+=, min/max, last by last_ts). A
 * replayed sample with the same value is a no-op; a replayed sample with a different
 * value replaces the raw row and recomputes its two rollup buckets from raw. After a
 * crash, {@link init} rebuilds the buckets that were only in memory from raw.
 *
 * @example
 * const store = new SqliteSeriesStore({ path: 'data/series.db' });
 * await store.init();
 * await store.write([{ point: 'hs-001.plc.t_sec_supply', ts: Date.now(), value: 71.5, quality: 'good' }]);
 */
export class SqliteSeriesStore implements SeriesStore {
  readonly path: string;
  readonly retentionDays: number;
  private db: Database.Database | null = null;
  /** per-series state by slot: id, kind, open buckets, newest sample (see {@link SeriesSlots}) */
  private readonly slots = new SeriesSlots();
  private readonly ctr: StoreWriteCounters = { batches: 0, rowsWritten: 0, writeMs: 0, refused: 0 };
  private st!: Statements;
  private insRaw!: MultiInsert;
  private ins1m!: MultiInsert;
  private ins1h!: MultiInsert;
  /** bounds of the raw chunks that may hold rows (may be wider than the truth, never narrower) */
  private minC = Infinity;
  private maxC = -Infinity;
  private writeTx!: Database.Transaction<(samples: Sample[]) => void>;

  constructor(opts: SqliteSeriesOptions) {
    this.path = opts.path;
    this.retentionDays = opts.retentionDays ?? 30;
    if (!(this.retentionDays > 0)) throw new RangeError(`retentionDays must be > 0, got ${opts.retentionDays}`);
  }

  async init(): Promise<void> {
    if (this.db) return;
    if (this.path !== ':memory:' && !this.path.startsWith('file:')) mkdirSync(dirname(this.path), { recursive: true });
    const db = openDatabase(this.path);
    this.db = db;
    this.st = prepareStatements(db);
    this.insRaw = new MultiInsert(db, 'INSERT INTO raw (c, series, ts, value, quality) VALUES', 5, '', 128);
    const rollupHead = (t: string) => `INSERT INTO ${t} (series, ts, count, sum, min, max, last, last_ts) VALUES`;
    this.ins1m = new MultiInsert(db, rollupHead('rollup_1m'), 8, MERGE_TAIL, 64);
    this.ins1h = new MultiInsert(db, rollupHead('rollup_1h'), 8, MERGE_TAIL, 64);
    const [lo, hi] = this.st.chunkBounds.get() as [number | null, number | null];
    if (lo !== null && hi !== null) [this.minC, this.maxC] = [lo, hi];
    this.writeTx = db.transaction((samples) => this.writeInTx(samples));
    // Open 1m/1h buckets live in memory; unless the last close was clean, rebuild them from raw.
    const clean = db.prepare("SELECT value FROM meta WHERE key = 'clean'").pluck().get();
    if (clean !== '1') this.recoverRollups();
    db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('clean', '0')").run();
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
    const t0 = performance.now();
    // Undo log: the in-memory state of each point as it was before this batch, restored on rollback.
    this.slots.begin();
    try {
      this.writeTx(samples);
    } catch (err) {
      this.insRaw.clear();
      this.ins1m.clear();
      this.ins1h.clear();
      this.slots.rollback();
      throw err;
    }
    this.ctr.batches++;
    this.ctr.rowsWritten += samples.length;
    this.ctr.writeMs += performance.now() - t0;
  }

  private writeInTx(samples: Sample[]): void {
    const st = this.st;
    const S = this.slots;
    for (let i = 0; i < samples.length; i++) {
      const s = samples[i];
      const v = s.value;
      const kind = typeof v === 'boolean' ? KIND_BOOL : KIND_NUMBER;
      let k = S.index.get(s.point);
      if (k === undefined) k = this.loadSeries(s.point, kind);
      else S.save(k);
      const id = S.id[k];
      if (v !== null && kind !== S.kind[k]) {
        st.updKind.run(kind, id);
        S.kind[k] = kind;
      }
      const num = v === null ? null : typeof v === 'boolean' ? (v ? 1 : 0) : v;
      const q = QUALITY_CODE[s.quality];
      const usable = q < 2 && num !== null;
      const ts = s.ts;
      const c = chunkOf(ts);
      if (c > this.maxC) this.maxC = c;
      if (c < this.minC) this.minC = c;
      if (ts > S.maxTs[k]) {
        // newer than anything stored for this point: cannot be a replay
        this.insRaw.push5(c, id, ts, usable ? num : null, usable ? q : 2);
        S.maxTs[k] = ts;
        if (usable) this.fold(k, ts, num);
        continue;
      }
      // Possibly a replay: the careful path sees every row buffered so far.
      this.flushPending();
      if (st.insRawOne.run(c, id, ts, usable ? num : null, usable ? q : 2).changes === 1) {
        if (usable) this.fold(k, ts, num);
        continue;
      }
      // The row exists: a replay. Same content → nothing to do.
      const old = st.getRaw.get(c, id, ts) as [number | null, number];
      const newVal = usable ? num : null;
      const newQ = usable ? q : 2;
      if (old[0] === newVal && old[1] === newQ) continue;
      st.updRaw.run(newVal, newQ, c, id, ts);
      this.recomputeBuckets(k, ts);
    }
    this.flushPending();
  }

  /** Runs the buffered raw inserts and rollup merges. */
  private flushPending(): void {
    this.insRaw.flush();
    this.ins1m.flush();
    this.ins1h.flush();
  }

  /** Gives a point its slot: its series row (created if new, as `kind`) and newest stored sample. */
  private loadSeries(point: string, kind: number): number {
    const row = this.st.getSeries.get(point) as { id: number; kind: number } | undefined;
    return row ? this.loadRow(point, row) : this.slots.add(point, Number(this.st.insSeries.run(point, kind).lastInsertRowid), kind);
  }

  private loadRow(point: string, row: { id: number; kind: number }): number {
    const S = this.slots;
    const k = S.add(point, row.id, row.kind);
    const last = this.newestRaw(point, row.id, row.kind);
    if (last) S.maxTs[k] = last.ts;
    return k;
  }

  /**
   * The newest raw row of a series: seeks chunk by chunk from the newest down to the
   * chunk of the series' newest 1-minute rollup row (a lower bound for its newest sample).
   */
  private newestRaw(point: string, id: number, kind: number): Sample | null {
    const st = this.st;
    const m = st.newest1m.get(id) as number | null;
    const lo = Math.max(this.minC, m === null ? -Infinity : chunkOf(m));
    for (let c = this.maxC; c >= lo; c--) {
      const r = st.lastRawIn.get(c, id) as [number, number | null, number] | undefined;
      if (!r) continue;
      const [ts, value, q] = r;
      return { point, ts, value: value === null ? null : kind === KIND_BOOL ? value !== 0 : value, quality: QUALITY_NAME[q] };
    }
    return null;
  }

  /** Folds one usable value into the open buckets; closes a bucket when the point moves past it. */
  private fold(k: number, ts: number, v: number): void {
    const id = this.slots.id[k];
    this.foldInto(this.slots.m1, k, id, ts - (((ts % MINUTE) + MINUTE) % MINUTE), ts, v, this.ins1m, this.st.merge1m);
    this.foldInto(this.slots.h1, k, id, ts - (((ts % HOUR) + HOUR) % HOUR), ts, v, this.ins1h, this.st.merge1h);
  }

  /** One level of {@link fold}: `rows` is `slots.m1` or `slots.h1`, `b` the bucket of ts. */
  private foldInto(rows: Float64Array, k: number, id: number, b: number, ts: number, v: number, ins: MultiInsert, merge: Stmt): void {
    const o = k * ACC;
    const open = rows[o + A_TS]; // NaN: none
    if (open === b) {
      rows[o + A_COUNT]++;
      rows[o + A_SUM] += v;
      if (v < rows[o + A_MIN]) rows[o + A_MIN] = v;
      if (v > rows[o + A_MAX]) rows[o + A_MAX] = v;
      if (ts >= rows[o + A_LAST_TS]) {
        rows[o + A_LAST] = v;
        rows[o + A_LAST_TS] = ts;
      }
    } else if (Number.isNaN(open) || b > open) {
      if (!Number.isNaN(open)) ins.push8(id, open, rows[o + A_COUNT], rows[o + A_SUM], rows[o + A_MIN], rows[o + A_MAX], rows[o + A_LAST], rows[o + A_LAST_TS]);
      rows[o + A_TS] = b;
      rows[o + A_COUNT] = 1;
      rows[o + A_SUM] = v;
      rows[o + A_MIN] = v;
      rows[o + A_MAX] = v;
      rows[o + A_LAST] = v;
      rows[o + A_LAST_TS] = ts;
    } else this.mergeRow(merge, id, newAcc(b, ts, v)); // late sample
  }

  private mergeRow(stmt: Stmt, id: number, a: Acc): void {
    this.flushPending();
    stmt.run(id, a.ts, a.count, a.sum, a.min, a.max, a.last, a.lastTs);
  }

  /** Merges slot k's open bucket of one level into its rollup table and closes it. */
  private mergeOpen(rows: Float64Array, k: number, stmt: Stmt): void {
    const a = SeriesSlots.acc(rows, k);
    if (a) this.mergeRow(stmt, this.slots.id[k], a);
    rows[k * ACC + A_TS] = Number.NaN;
  }

  /** A sample's value changed on replay: push the open buckets to the DB, then rebuild both buckets from raw. */
  private recomputeBuckets(k: number, ts: number): void {
    const st = this.st;
    const id = this.slots.id[k];
    this.mergeOpen(this.slots.m1, k, st.merge1m);
    this.mergeOpen(this.slots.h1, k, st.merge1h);
    const m = Math.floor(ts / MINUTE) * MINUTE;
    const h = Math.floor(ts / HOUR) * HOUR;
    st.del1m.run(id, m, m + MINUTE);
    st.rebuild1m.run(chunkOf(m), chunkOf(m + MINUTE - 1), id, m, m + MINUTE);
    st.del1h.run(id, h, h + HOUR);
    st.rebuild1h.run(chunkOf(h), chunkOf(h + HOUR - 1), id, h, h + HOUR);
  }

  /** Writes every open accumulator to the rollup tables (done by close(); safe at any time). */
  flushRollups(): void {
    const db = this.open();
    db.transaction(() => {
      for (let k = 0; k < this.slots.size; k++) {
        this.mergeOpen(this.slots.m1, k, this.st.merge1m);
        this.mergeOpen(this.slots.h1, k, this.st.merge1h);
      }
    })();
  }

  /**
   * After a crash the open buckets were only in memory. For each series, rebuild from raw
   * every bucket from its newest stored rollup row on (that row may be partial).
   */
  private recoverRollups(): void {
    const db = this.open();
    if (this.maxC < this.minC) return; // no raw rows
    const ids = db.prepare('SELECT id FROM series').pluck().all() as number[];
    const max1h = db.prepare('SELECT max(ts) FROM rollup_1h WHERE series = ?').pluck();
    const end = (this.maxC + 1) * CHUNK;
    const from = (t: number | null) => Math.max(t ?? -Infinity, this.minC * CHUNK);
    db.transaction(() => {
      for (const id of ids) {
        const m = from(this.st.newest1m.get(id) as number | null);
        const h = from(max1h.get(id) as number | null);
        this.st.rebuild1m.run(chunkOf(m), this.maxC, id, m, end);
        this.st.rebuild1h.run(chunkOf(h), this.maxC, id, h, end);
      }
    })();
  }

  async latest(points: string[]): Promise<Map<string, Sample>> {
    this.open();
    const out = new Map<string, Sample>();
    const S = this.slots;
    for (const point of points) {
      let k = S.index.get(point);
      if (k === undefined) {
        // not written since start: read its newest row once and keep the slot
        const row = this.st.getSeries.get(point) as { id: number; kind: number } | undefined;
        if (!row) continue;
        k = this.loadRow(point, row);
      }
      // the newest sample is the raw row at maxTs: read it rather than keep 600,000 Sample
      // objects alive in the old generation, where replacing them every poll costs GC time
      const ts = S.maxTs[k];
      if (ts === -Infinity) continue;
      const r = this.st.getRaw.get(chunkOf(ts), S.id[k], ts) as [number | null, number] | undefined;
      if (!r) continue;
      const [value, q] = r;
      out.set(point, { point, ts, value: value === null ? null : S.kind[k] === KIND_BOOL ? value !== 0 : value, quality: QUALITY_NAME[q] });
    }
    return out;
  }

  /**
   * Raw samples of [from, to) in time order, one minute chunk per batch (for alarm replay).
   * Bad samples come back as `{ value: null, quality: 'bad' }`, booleans as booleans.
   */
  async *scan(from: number, to: number): AsyncGenerator<Sample[]> {
    const db = this.open();
    const stmt = db
      .prepare('SELECT s.point, s.kind, r.ts, r.value, r.quality FROM raw r JOIN series s ON s.id = r.series WHERE r.c = ? AND r.ts >= ? AND r.ts < ? ORDER BY r.ts, s.point')
      .raw();
    for (let c = chunkOf(from), last = chunkOf(to - 1); c <= last; c++) {
      const rows = stmt.all(c, from, to) as Array<[string, number, number, number | null, number]>;
      if (rows.length === 0) continue;
      yield rows.map(([point, kind, ts, value, q]) => ({
        point,
        ts,
        value: value === null ? null : kind === KIND_BOOL ? value !== 0 : value,
        quality: QUALITY_NAME[q],
      }));
    }
  }

  /** Picks the table that answers a query (see README: raw for fine steps or short ranges). */
  static sourceFor(q: Pick<SeriesQuery, 'from' | 'to' | 'stepMs'>): SeriesResult['source'] {
    const range = q.to - q.from;
    if (q.stepMs < MINUTE || range <= 6 * HOUR) return 'raw';
    if (q.stepMs % HOUR === 0 && range > 7 * DAY) return 'rollup_1h';
    if (q.stepMs % MINUTE === 0) return 'rollup_1m';
    return 'raw';
  }

  async query(q: SeriesQuery): Promise<SeriesResult[]> {
    this.open();
    const { stepMs } = q;
    const { start, n, end } = bucketRange(q);
    const source = SqliteSeriesStore.sourceFor(q);
    return q.points.map((point) => {
      const accs: Array<Acc | null> = new Array(n).fill(null);
      const k = this.slots.index.get(point);
      const id = k !== undefined ? this.slots.id[k] : this.findSeries(point);
      if (id !== undefined && n > 0) {
        if (source === 'raw') {
          const c0 = Math.max(this.minC, chunkOf(start));
          const c1 = Math.min(this.maxC, chunkOf(end - 1));
          for (const [ts, v] of this.st.qRaw.iterate(c0, c1, id, start, end) as Iterable<[number, number]>) {
            bucketize(accs, start, stepMs, newAcc(ts, ts, v));
          }
        } else {
          const stmt = source === 'rollup_1m' ? this.st.q1m : this.st.q1h;
          for (const r of stmt.iterate(id, start, end) as Iterable<number[]>) {
            bucketize(accs, start, stepMs, { ts: r[0], count: r[1], sum: r[2], min: r[3], max: r[4], last: r[5], lastTs: r[6] });
          }
          const open = k === undefined ? null : SeriesSlots.acc(source === 'rollup_1m' ? this.slots.m1 : this.slots.h1, k);
          if (open && open.ts >= start && open.ts < end) bucketize(accs, start, stepMs, open);
        }
      }
      const points: Array<[number, number | null]> = accs.map((a, i) => [start + i * stepMs, aggValue(a, q.agg)]);
      return { point, points, source };
    });
  }

  /** The series id of a point not in memory (undefined: never written). */
  private findSeries(point: string): number | undefined {
    const row = this.st.getSeries.get(point) as { id: number } | undefined;
    return row?.id;
  }

  /**
   * Deletes raw rows older than retentionDays, rollup_1m rows older than 10× and rollup_1h
   * rows older than 100× that. Works series by series along the primary key (no full scan),
   * in transactions of 500 series so writers are not held off long.
   * @returns rows removed from all three tables
   */
  async applyRetention(now: number): Promise<number> {
    const db = this.open();
    const keep = this.retentionDays * DAY;
    // raw: whole chunks from the oldest on (a range at the left edge of the table), then the cutoff's chunk
    const rawCut = now - keep;
    const cutC = chunkOf(rawCut);
    const oldest = db.prepare('SELECT min(c) FROM raw').pluck();
    const delChunks = db.prepare('DELETE FROM raw WHERE c < ?');
    let removed = 0;
    for (;;) {
      const lo = oldest.get() as number | null;
      if (lo === null || lo >= cutC) break;
      removed += db.transaction(() => delChunks.run(Math.min(lo + 60, cutC)).changes)();
    }
    removed += db.prepare('DELETE FROM raw WHERE c = ? AND ts < ?').run(cutC, rawCut).changes;
    const plan: Array<[string, number]> = [
      ['rollup_1m', now - 10 * keep],
      ['rollup_1h', now - 100 * keep],
    ];
    const ids = db.prepare('SELECT id FROM series ORDER BY id').pluck().all() as number[];
    for (const [table, cutoff] of plan) {
      const del = db.prepare(`DELETE FROM ${table} WHERE series = ? AND ts < ?`);
      const chunk = db.transaction((part: number[]) => {
        for (const id of part) removed += del.run(id, cutoff).changes;
      });
      for (let i = 0; i < ids.length; i += 500) chunk(ids.slice(i, i + 500));
    }
    return removed;
  }

  async close(): Promise<void> {
    if (!this.db) return;
    this.flushRollups();
    this.db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('clean', '1')").run();
    this.db.close();
    this.db = null;
    this.slots.clear();
  }

  private open(): Database.Database {
    if (!this.db) throw new Error(`series store ${this.path}: not open (call init() first)`);
    return this.db;
  }
}
