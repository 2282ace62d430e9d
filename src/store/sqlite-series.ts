import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Quality, Sample } from '../model.ts';
import type { Aggregation, SeriesQuery, SeriesResult, SeriesStore } from './port.ts';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
/** most buckets one query may return per series (the API turns the RangeError into 400) */
export const MAX_BUCKETS = 10_000;

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
}

/** Per-point state kept in memory: the id and the open 1-minute and 1-hour rollup buckets. */
interface SeriesState {
  id: number;
  kind: number;
  m1: Acc | null;
  h1: Acc | null;
}

type Stmt = Database.Statement;

/**
 * The embedded series store (better-sqlite3, WAL, synchronous=NORMAL).
 *
 * Write path: one `INSERT OR IGNORE` per sample into the WITHOUT ROWID `raw(series, ts)`
 * table, and a fold into in-memory accumulators for the open 1-minute and 1-hour bucket
 * of that point. An accumulator is merged into `rollup_1m` / `rollup_1h` when the point
 * moves into a later bucket, on {@link flushRollups} and on close. Queries merge the
 * open accumulators in, so rollup answers are always complete. Late samples for an
 * older bucket are merged into the stored rollup row immediately (count+=, sum+=,
 * min/max, last by last_ts). A replayed sample with the same value is a no-op; a
 * replayed sample with a different value replaces the raw row and recomputes its two
 * rollup buckets from raw. After a crash, {@link init} rebuilds the buckets that were
 * only in memory from raw.
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
  private readonly series = new Map<string, SeriesState>();
  private readonly latestMap = new Map<string, Sample>();
  private readonly ctr: StoreWriteCounters = { batches: 0, rowsWritten: 0, writeMs: 0 };
  private st!: {
    insRaw: Stmt;
    getRaw: Stmt;
    updRaw: Stmt;
    insSeries: Stmt;
    getSeries: Stmt;
    updKind: Stmt;
    merge1m: Stmt;
    merge1h: Stmt;
    del1m: Stmt;
    del1h: Stmt;
    rebuild1m: Stmt;
    rebuild1h: Stmt;
    lastRaw: Stmt;
    qRaw: Stmt;
    q1m: Stmt;
    q1h: Stmt;
  };
  private writeTx!: Database.Transaction<(samples: Sample[], undo: Map<string, SeriesState | null>) => void>;

  constructor(opts: SqliteSeriesOptions) {
    this.path = opts.path;
    this.retentionDays = opts.retentionDays ?? 30;
    if (!(this.retentionDays > 0)) throw new RangeError(`retentionDays must be > 0, got ${opts.retentionDays}`);
  }

  async init(): Promise<void> {
    if (this.db) return;
    if (this.path !== ':memory:' && !this.path.startsWith('file:')) mkdirSync(dirname(this.path), { recursive: true });
    const db = new Database(this.path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS series (id INTEGER PRIMARY KEY, point TEXT NOT NULL UNIQUE, kind INTEGER NOT NULL DEFAULT 0);
      CREATE TABLE IF NOT EXISTS raw (series INTEGER NOT NULL, ts INTEGER NOT NULL, value REAL, quality INTEGER NOT NULL,
        PRIMARY KEY (series, ts)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS rollup_1m (series INTEGER NOT NULL, ts INTEGER NOT NULL, count INTEGER NOT NULL, sum REAL NOT NULL,
        min REAL NOT NULL, max REAL NOT NULL, last REAL NOT NULL, last_ts INTEGER NOT NULL, PRIMARY KEY (series, ts)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS rollup_1h (series INTEGER NOT NULL, ts INTEGER NOT NULL, count INTEGER NOT NULL, sum REAL NOT NULL,
        min REAL NOT NULL, max REAL NOT NULL, last REAL NOT NULL, last_ts INTEGER NOT NULL, PRIMARY KEY (series, ts)) WITHOUT ROWID;
    `);
    this.db = db;
    const merge = (t: string) =>
      db.prepare(`INSERT INTO ${t} (series, ts, count, sum, min, max, last, last_ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (series, ts) DO UPDATE SET count = count + excluded.count, sum = sum + excluded.sum,
          min = min(min, excluded.min), max = max(max, excluded.max),
          last = CASE WHEN excluded.last_ts >= last_ts THEN excluded.last ELSE last END,
          last_ts = max(last_ts, excluded.last_ts)`);
    // Recompute buckets of one series from raw, for ts in [from, to). `last` is the value at max(ts).
    const rebuild = (t: string, width: number) =>
      db.prepare(`INSERT OR REPLACE INTO ${t} (series, ts, count, sum, min, max, last, last_ts)
        SELECT series, b, n, s, mn, mx,
          (SELECT value FROM raw r2 WHERE r2.series = g.series AND r2.ts = g.lt), lt
        FROM (SELECT series, (ts / ${width}) * ${width} AS b, count(*) AS n, sum(value) AS s, min(value) AS mn,
                     max(value) AS mx, max(ts) AS lt
              FROM raw WHERE series = ? AND ts >= ? AND ts < ? AND quality < 2 AND value IS NOT NULL
              GROUP BY b) AS g`);
    this.st = {
      insRaw: db.prepare('INSERT OR IGNORE INTO raw (series, ts, value, quality) VALUES (?, ?, ?, ?)'),
      getRaw: db.prepare('SELECT value, quality FROM raw WHERE series = ? AND ts = ?').raw(),
      updRaw: db.prepare('UPDATE raw SET value = ?, quality = ? WHERE series = ? AND ts = ?'),
      insSeries: db.prepare('INSERT INTO series (point, kind) VALUES (?, ?)'),
      getSeries: db.prepare('SELECT id, kind FROM series WHERE point = ?'),
      updKind: db.prepare('UPDATE series SET kind = ? WHERE id = ?'),
      merge1m: merge('rollup_1m'),
      merge1h: merge('rollup_1h'),
      del1m: db.prepare('DELETE FROM rollup_1m WHERE series = ? AND ts >= ? AND ts < ?'),
      del1h: db.prepare('DELETE FROM rollup_1h WHERE series = ? AND ts >= ? AND ts < ?'),
      rebuild1m: rebuild('rollup_1m', MINUTE),
      rebuild1h: rebuild('rollup_1h', HOUR),
      lastRaw: db.prepare('SELECT ts, value, quality FROM raw WHERE series = ? ORDER BY ts DESC LIMIT 1').raw(),
      qRaw: db
        .prepare('SELECT ts, value FROM raw WHERE series = ? AND ts >= ? AND ts < ? AND quality < 2 AND value IS NOT NULL')
        .raw(),
      q1m: db.prepare('SELECT ts, count, sum, min, max, last, last_ts FROM rollup_1m WHERE series = ? AND ts >= ? AND ts < ?').raw(),
      q1h: db.prepare('SELECT ts, count, sum, min, max, last, last_ts FROM rollup_1h WHERE series = ? AND ts >= ? AND ts < ?').raw(),
    };
    this.writeTx = db.transaction((samples, undo) => this.writeInTx(samples, undo));
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

  /** {@link write} without the promise: the whole batch is one transaction. */
  writeSync(samples: Sample[]): void {
    this.open();
    for (const s of samples) validate(s);
    const t0 = performance.now();
    // Undo log: the in-memory state of each point as it was before this batch, restored on rollback.
    const undo = new Map<string, SeriesState | null>();
    try {
      this.writeTx(samples, undo);
    } catch (err) {
      for (const [point, prev] of undo) {
        if (prev) this.series.set(point, prev);
        else this.series.delete(point);
      }
      throw err;
    }
    for (const s of samples) {
      const cur = this.latestMap.get(s.point);
      if (!cur || s.ts >= cur.ts) this.latestMap.set(s.point, s);
    }
    this.ctr.batches++;
    this.ctr.rowsWritten += samples.length;
    this.ctr.writeMs += performance.now() - t0;
  }

  private writeInTx(samples: Sample[], undo: Map<string, SeriesState | null>): void {
    const st = this.st;
    for (const s of samples) {
      const v = s.value;
      const kind = typeof v === 'boolean' ? KIND_BOOL : KIND_NUMBER;
      let ser = this.series.get(s.point);
      if (!undo.has(s.point)) undo.set(s.point, ser ? cloneState(ser) : null);
      if (!ser) ser = this.loadSeries(s.point, kind);
      if (v !== null && kind !== ser.kind) {
        st.updKind.run(kind, ser.id);
        ser.kind = kind;
      }
      const num = v === null ? null : typeof v === 'boolean' ? (v ? 1 : 0) : v;
      const q = QUALITY_CODE[s.quality];
      const usable = q < 2 && num !== null;
      if (st.insRaw.run(ser.id, s.ts, usable ? num : null, usable ? q : 2).changes === 1) {
        if (usable) this.fold(ser, s.ts, num);
        continue;
      }
      // The (series, ts) row exists: a replay. Same content → nothing to do.
      const old = st.getRaw.get(ser.id, s.ts) as [number | null, number];
      const newVal = usable ? num : null;
      const newQ = usable ? q : 2;
      if (old[0] === newVal && old[1] === newQ) continue;
      st.updRaw.run(newVal, newQ, ser.id, s.ts);
      this.recomputeBuckets(ser, s.ts);
    }
  }

  private loadSeries(point: string, kind: number): SeriesState {
    const row = this.st.getSeries.get(point) as { id: number; kind: number } | undefined;
    const id = row ? row.id : Number(this.st.insSeries.run(point, kind).lastInsertRowid);
    const ser: SeriesState = { id, kind: row ? row.kind : kind, m1: null, h1: null };
    this.series.set(point, ser);
    return ser;
  }

  /** Folds one usable value into the open buckets; closes a bucket when the point moves past it. */
  private fold(ser: SeriesState, ts: number, v: number): void {
    const m = ts - (((ts % MINUTE) + MINUTE) % MINUTE);
    if (ser.m1 && ser.m1.ts === m) foldAcc(ser.m1, ts, v);
    else if (!ser.m1 || m > ser.m1.ts) {
      if (ser.m1) this.mergeRow(this.st.merge1m, ser.id, ser.m1);
      ser.m1 = newAcc(m, ts, v);
    } else this.mergeRow(this.st.merge1m, ser.id, newAcc(m, ts, v)); // late sample
    const h = ts - (((ts % HOUR) + HOUR) % HOUR);
    if (ser.h1 && ser.h1.ts === h) foldAcc(ser.h1, ts, v);
    else if (!ser.h1 || h > ser.h1.ts) {
      if (ser.h1) this.mergeRow(this.st.merge1h, ser.id, ser.h1);
      ser.h1 = newAcc(h, ts, v);
    } else this.mergeRow(this.st.merge1h, ser.id, newAcc(h, ts, v));
  }

  private mergeRow(stmt: Stmt, id: number, a: Acc): void {
    stmt.run(id, a.ts, a.count, a.sum, a.min, a.max, a.last, a.lastTs);
  }

  /** A sample's value changed on replay: push the open buckets to the DB, then rebuild both buckets from raw. */
  private recomputeBuckets(ser: SeriesState, ts: number): void {
    const st = this.st;
    if (ser.m1) this.mergeRow(st.merge1m, ser.id, ser.m1);
    if (ser.h1) this.mergeRow(st.merge1h, ser.id, ser.h1);
    ser.m1 = null;
    ser.h1 = null;
    const m = Math.floor(ts / MINUTE) * MINUTE;
    const h = Math.floor(ts / HOUR) * HOUR;
    st.del1m.run(ser.id, m, m + MINUTE);
    st.rebuild1m.run(ser.id, m, m + MINUTE);
    st.del1h.run(ser.id, h, h + HOUR);
    st.rebuild1h.run(ser.id, h, h + HOUR);
  }

  /** Writes every open accumulator to the rollup tables (done by close(); safe at any time). */
  flushRollups(): void {
    const db = this.open();
    db.transaction(() => {
      for (const ser of this.series.values()) {
        if (ser.m1) this.mergeRow(this.st.merge1m, ser.id, ser.m1);
        if (ser.h1) this.mergeRow(this.st.merge1h, ser.id, ser.h1);
        ser.m1 = null;
        ser.h1 = null;
      }
    })();
  }

  /**
   * After a crash the open buckets were only in memory. For each series, rebuild from raw
   * every bucket from its newest stored rollup row on (that row may be partial).
   */
  private recoverRollups(): void {
    const db = this.open();
    const ids = db.prepare('SELECT id FROM series').pluck().all() as number[];
    const max1m = db.prepare('SELECT max(ts) FROM rollup_1m WHERE series = ?').pluck();
    const max1h = db.prepare('SELECT max(ts) FROM rollup_1h WHERE series = ?').pluck();
    const maxRaw = db.prepare('SELECT max(ts) FROM raw WHERE series = ?').pluck();
    db.transaction(() => {
      for (const id of ids) {
        const r = maxRaw.get(id) as number | null;
        if (r === null) continue;
        const m = (max1m.get(id) as number | null) ?? -Number.MAX_SAFE_INTEGER;
        const h = (max1h.get(id) as number | null) ?? -Number.MAX_SAFE_INTEGER;
        if (r >= m) this.st.rebuild1m.run(id, m, Number.MAX_SAFE_INTEGER);
        if (r >= h) this.st.rebuild1h.run(id, h, Number.MAX_SAFE_INTEGER);
      }
    })();
  }

  async latest(points: string[]): Promise<Map<string, Sample>> {
    this.open();
    const out = new Map<string, Sample>();
    for (const point of points) {
      const mem = this.latestMap.get(point);
      if (mem) {
        out.set(point, mem);
        continue;
      }
      const row = this.st.getSeries.get(point) as { id: number; kind: number } | undefined;
      if (!row) continue;
      const r = this.st.lastRaw.get(row.id) as [number, number | null, number] | undefined;
      if (!r) continue;
      const [ts, value, q] = r;
      const s: Sample = {
        point,
        ts,
        value: value === null ? null : row.kind === KIND_BOOL ? value !== 0 : value,
        quality: QUALITY_NAME[q],
      };
      this.latestMap.set(point, s);
      out.set(point, s);
    }
    return out;
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
    if (!Number.isInteger(stepMs) || stepMs <= 0) throw new RangeError(`step must be a positive whole number of ms, got ${stepMs}`);
    if (!Number.isFinite(q.from) || !Number.isFinite(q.to)) throw new RangeError('from and to must be finite ms timestamps');
    const start = Math.floor(q.from / stepMs) * stepMs;
    const n = q.to > start ? Math.ceil((q.to - start) / stepMs) : 0;
    if (n > MAX_BUCKETS) {
      throw new RangeError(
        `query asks for ${n} buckets per series (step ${stepMs} ms over ${q.to - q.from} ms); the limit is ${MAX_BUCKETS}: use a larger step or a shorter range`,
      );
    }
    const end = start + n * stepMs;
    const source = SqliteSeriesStore.sourceFor(q);
    return q.points.map((point) => {
      const accs: Array<Acc | null> = new Array(n).fill(null);
      const ser = this.series.get(point) ?? this.findSeries(point);
      if (ser && n > 0) {
        if (source === 'raw') {
          for (const [ts, v] of this.st.qRaw.iterate(ser.id, start, end) as Iterable<[number, number]>) {
            bucketize(accs, start, stepMs, newAcc(ts, ts, v));
          }
        } else {
          const stmt = source === 'rollup_1m' ? this.st.q1m : this.st.q1h;
          for (const r of stmt.iterate(ser.id, start, end) as Iterable<number[]>) {
            bucketize(accs, start, stepMs, { ts: r[0], count: r[1], sum: r[2], min: r[3], max: r[4], last: r[5], lastTs: r[6] });
          }
          const open = source === 'rollup_1m' ? ser.m1 : ser.h1;
          if (open && open.ts >= start && open.ts < end) bucketize(accs, start, stepMs, open);
        }
      }
      const points: Array<[number, number | null]> = accs.map((a, i) => [start + i * stepMs, aggValue(a, q.agg)]);
      return { point, points, source };
    });
  }

  private findSeries(point: string): SeriesState | undefined {
    const row = this.st.getSeries.get(point) as { id: number; kind: number } | undefined;
    return row ? { id: row.id, kind: row.kind, m1: null, h1: null } : undefined;
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
    const plan: Array<[string, number]> = [
      ['raw', now - keep],
      ['rollup_1m', now - 10 * keep],
      ['rollup_1h', now - 100 * keep],
    ];
    const ids = db.prepare('SELECT id FROM series ORDER BY id').pluck().all() as number[];
    let removed = 0;
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
    this.series.clear();
    this.latestMap.clear();
  }

  private open(): Database.Database {
    if (!this.db) throw new Error(`series store ${this.path}: not open (call init() first)`);
    return this.db;
  }
}

function validate(s: Sample): void {
  const ok =
    s !== null &&
    typeof s === 'object' &&
    typeof s.point === 'string' &&
    Number.isSafeInteger(s.ts) &&
    (s.value === null || typeof s.value === 'boolean' || (typeof s.value === 'number' && Number.isFinite(s.value))) &&
    (s.quality === 'good' || s.quality === 'uncertain' || s.quality === 'bad');
  if (!ok) throw new TypeError(`invalid sample ${JSON.stringify(s)}: needs point, whole-ms ts, finite/boolean/null value, quality`);
}

function cloneState(s: SeriesState): SeriesState {
  return { id: s.id, kind: s.kind, m1: s.m1 ? { ...s.m1 } : null, h1: s.h1 ? { ...s.h1 } : null };
}

/** A mergeable aggregate of one bucket: what a rollup row holds. */
interface Acc {
  /** bucket start */
  ts: number;
  count: number;
  sum: number;
  min: number;
  max: number;
  last: number;
  lastTs: number;
}

function newAcc(bucket: number, ts: number, v: number): Acc {
  return { ts: bucket, count: 1, sum: v, min: v, max: v, last: v, lastTs: ts };
}

function foldAcc(a: Acc, ts: number, v: number): void {
  a.count++;
  a.sum += v;
  if (v < a.min) a.min = v;
  if (v > a.max) a.max = v;
  if (ts >= a.lastTs) {
    a.last = v;
    a.lastTs = ts;
  }
}

/** Merges `part` (a sample or a finer bucket) into the query bucket that holds `part.ts`. */
function bucketize(accs: Array<Acc | null>, start: number, step: number, part: Acc): void {
  const i = Math.floor((part.ts - start) / step);
  if (i < 0 || i >= accs.length) return;
  const a = accs[i];
  if (!a) {
    accs[i] = { ...part, ts: start + i * step };
    return;
  }
  a.count += part.count;
  a.sum += part.sum;
  if (part.min < a.min) a.min = part.min;
  if (part.max > a.max) a.max = part.max;
  if (part.lastTs >= a.lastTs) {
    a.last = part.last;
    a.lastTs = part.lastTs;
  }
}

function aggValue(a: Acc | null, agg: Aggregation): number | null {
  if (agg === 'count') return a ? a.count : 0;
  if (!a || a.count === 0) return null;
  switch (agg) {
    case 'mean':
      return a.sum / a.count;
    case 'min':
      return a.min;
    case 'max':
      return a.max;
    case 'last':
      return a.last;
  }
}
