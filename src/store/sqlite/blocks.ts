import type Database from 'better-sqlite3';
import { type SampleColumns, Q_BAD, blockCount, decodeBlock, decodeTimes, encodeBlock, encodeTimes, sortDedupe } from '../codec/block.ts';
import { decodeRollups, encodeRollupColumns, minuteColumns, rollupColumns } from '../codec/rollup-block.ts';
import { type PointEncoding, type PointEncodings, encodingOf, sumEnc, valueEnc } from '../codec/spec.ts';
import { type Acc, foldAcc, newAcc } from './acc.ts';
import { HOUR } from './schema.ts';

/** key = hour × 2^32 + series id: an hour of every series is one contiguous key range */
export const KEY_SPAN = 2 ** 32;
export const hourOf = (ts: number): number => Math.floor(ts / HOUR);
export const blockKey = (hour: number, id: number): number => hour * KEY_SPAN + id;

/**
 * The smallest and largest key of a table, one seek each: SQLite answers a lone min() or max()
 * of the key with a seek, but min() and max() in one statement with a scan of the whole table
 * (every query asked, and the scans grew with the blocks).
 */
export const spanSql = (table: 'block' | 'block_1m'): string => `SELECT (SELECT min(k) FROM ${table}), (SELECT max(k) FROM ${table})`;

/**
 * The compressed blocks of the store: `block` holds one series-hour of raw samples
 * (src/store/codec/block.ts); `block_1m` the 1-minute rollup rows of the same series-hour
 * (codec/rollup-block.ts), written with it and kept after retention removes it. Each series is
 * coded by its point's {@link PointEncoding}. Invariants kept by the write path and compaction:
 * a (series, ts) is in the head or in a block, never both; head_1m entries aggregate
 * head samples only, block_1m rows exactly their hour's block (1-minute queries read both).
 */
export class Blocks {
  private readonly stmts;
  /**
   * Each series id's encoding as an index into {@link encs} + 1 (0: none, -1: not looked up):
   * 4 bytes a series, where a Map of 610,000 series (5,000 stations) held 29 MB in the worker
   * once compaction had touched them all. The encodings are shared per template.
   */
  private encIndex = new Int32Array(1024).fill(-1);
  private readonly encs: PointEncoding[] = [];
  private readonly encPos = new Map<PointEncoding, number>();
  /** decoded raw blocks of the current write batch (replays often hit the same block) */
  private readonly cache = new Map<number, SampleColumns | null>();
  private readonly timesCache = new Map<number, Float64Array>();
  /** the 1-minute rows of the block being written (reused) */
  private readonly minuteRows = rollupColumns();

  constructor(
    db: Database.Database,
    private readonly encodings: PointEncodings,
  ) {
    db.function('block_n', { deterministic: true }, (b: unknown) => blockCount(b as Uint8Array));
    db.function('block_1m_n', { deterministic: true }, (k: unknown, b: unknown) => decodeRollups(Math.floor(Number(k) / KEY_SPAN) * HOUR, b as Uint8Array).length);
    this.stmts = {
      get: db.prepare('SELECT data FROM block WHERE k = ?').pluck(),
      has: db.prepare('SELECT 1 FROM block WHERE k = ?').pluck(),
      put: db.prepare('INSERT OR REPLACE INTO block (k, data) VALUES (?, ?)'),
      // a series' rollup blocks of hours [?, ?]: its keys are 2^32 apart, so one seek an hour, done inside SQLite
      range1m: db
        .prepare(
          `WITH RECURSIVE h(x) AS (SELECT ? UNION ALL SELECT x + ${KEY_SPAN} FROM h WHERE x < ?)
           SELECT b.k, b.data FROM h CROSS JOIN block_1m b ON b.k = h.x`,
        )
        .raw(),
      put1m: db.prepare('INSERT OR REPLACE INTO block_1m (k, data) VALUES (?, ?)'),
      del1m: db.prepare('DELETE FROM block_1m WHERE k = ?'),
      point: db.prepare('SELECT point FROM series WHERE id = ?').pluck(),
      setHi: db.prepare('UPDATE series SET block_hi = max(coalesce(block_hi, ?), ?) WHERE id = ?'),
      getTs: db.prepare('SELECT data FROM block_ts WHERE k = ?').pluck(),
      putTs: db.prepare('INSERT INTO block_ts (k, data) VALUES (?, ?)'),
      lastTs: db.prepare('SELECT max(k) FROM block_ts WHERE k >= ? AND k < ?').pluck(),
      span: db.prepare(spanSql('block')).raw(),
      span1m: db.prepare(spanSql('block_1m')).raw(),
    };
  }

  encoding(id: number): PointEncoding | undefined {
    if (id >= this.encIndex.length) {
      const next = new Int32Array(Math.max(id + 1, Math.ceil(this.encIndex.length * 1.5))).fill(-1);
      next.set(this.encIndex);
      this.encIndex = next;
    }
    let at = this.encIndex[id];
    if (at < 0) {
      const point = this.stmts.point.get(id) as string | undefined;
      const enc = point === undefined ? undefined : encodingOf(this.encodings, point);
      at = 0;
      if (enc) {
        let pos = this.encPos.get(enc);
        if (pos === undefined) this.encPos.set(enc, (pos = this.encs.push(enc) - 1));
        at = pos + 1;
      }
      this.encIndex[id] = at;
    }
    return at === 0 ? undefined : this.encs[at - 1];
  }

  /**
   * The hours of [start, end) that may hold blocks (of `block`, and of `block_1m` with
   * `rollups`): a query's range cut to what is stored, so a range of centuries costs the stored
   * hours, not one lookup per hour asked. Null when none.
   */
  hoursIn(start: number, end: number, rollups = false): [number, number] | null {
    let lo = Infinity;
    let hi = -Infinity;
    for (const stmt of rollups ? [this.stmts.span, this.stmts.span1m] : [this.stmts.span]) {
      const [a, b] = stmt.get() as [number | null, number | null];
      if (a !== null && b !== null) {
        lo = Math.min(lo, Math.floor(a / KEY_SPAN));
        hi = Math.max(hi, Math.floor(b / KEY_SPAN));
      }
    }
    const h0 = Math.max(lo, hourOf(start));
    const h1 = Math.min(hi, hourOf(end - 1));
    return h0 <= h1 ? [h0, h1] : null;
  }

  has(hour: number, id: number): boolean {
    return this.stmts.has.get(blockKey(hour, id)) !== undefined;
  }

  /** the raw block of a series-hour, decoded, or null */
  raw(hour: number, id: number): SampleColumns | null {
    const b = this.stmts.get.get(blockKey(hour, id)) as Uint8Array | undefined;
    return b ? this.decode(hour, b) : null;
  }

  /** Decodes a raw block of `hour`, resolving a shared timestamp column. */
  decode(hour: number, data: Uint8Array): SampleColumns {
    return decodeBlock(data, (ref) => this.times(blockKey(hour, ref)));
  }

  /** a shared timestamp column by key (the last few are kept: a poll's points come in a row) */
  private times(key: number): Float64Array {
    let ts = this.timesCache.get(key);
    if (!ts) {
      const data = this.stmts.getTs.get(key) as Uint8Array | undefined;
      if (!data) throw new Error(`shared timestamps ${key} are missing`);
      ts = decodeTimes(data);
      if (this.timesCache.size >= 64) this.timesCache.clear();
      this.timesCache.set(key, ts);
    }
    return ts;
  }

  /**
   * Writes the blocks of one compaction step's series, sorted (`sortDedupe`), in id order:
   * series whose timestamps equal the previous one's (the points of one poll) share one new
   * timestamp column in block_ts. Columns are never rewritten, so a block never sees its
   * column change; one no block refers to any more (after a later pass or a rewrite) stays
   * until retention removes its hour.
   */
  putRawShared(hour: number, list: Array<[number, SampleColumns]>): void {
    for (let i = 0; i < list.length; ) {
      let j = i + 1;
      while (j < list.length && sameTimes(list[i][1], list[j][1])) j++;
      let ref: number | undefined;
      if (j - i > 1) {
        const top = this.stmts.lastTs.get(hour * KEY_SPAN, (hour + 1) * KEY_SPAN) as number | null;
        ref = top === null ? 0 : top - hour * KEY_SPAN + 1;
        this.stmts.putTs.run(blockKey(hour, ref), encodeTimes(list[i][1].ts, list[i][1].n));
      }
      for (let g = i; g < j; g++) this.putRaw(hour, list[g][0], list[g][1], ref);
      i = j;
    }
  }

  /** After retention deleted columns (their keys may be given out again for a late hour). */
  forgetTimes(): void {
    this.timesCache.clear();
  }

  /** After a rollback: its column keys and series ids may be given out again, to other data. */
  forgetRolledBack(): void {
    this.timesCache.clear();
    this.encIndex.fill(-1);
    this.cache.clear();
  }

  /** {@link raw} through the batch cache (cleared by {@link endBatch}) */
  rawCached(hour: number, id: number): SampleColumns | null {
    const key = blockKey(hour, id);
    let c = this.cache.get(key);
    if (c === undefined) {
      c = this.raw(hour, id);
      this.cache.set(key, c);
    }
    return c;
  }

  endBatch(): void {
    this.cache.clear();
  }

  /**
   * Writes a series-hour's raw block and, beside it, its 1-minute rows in block_1m: a
   * 1-minute query reads 60 rows an hour instead of decoding every sample (a month trend of 10
   * points decoded 2.6 M samples), for ~0.5 byte a sample more in the file.
   */
  putRaw(hour: number, id: number, c: SampleColumns, tsRef?: number): void {
    this.store(hour, id, c, encodeBlock(c, valueEnc(this.encoding(id)), tsRef));
    const s = sortDedupe(c);
    const rows = minuteColumns(s.ts, s.value, s.quality, s.n, this.minuteRows);
    const key = blockKey(hour, id);
    if (rows.n === 0) this.stmts.del1m.run(key);
    else {
      const e = this.encoding(id);
      this.stmts.put1m.run(key, encodeRollupColumns(hour * HOUR, rows, valueEnc(e), sumEnc(e)));
    }
  }

  private store(hour: number, id: number, c: SampleColumns, data: Uint8Array): void {
    const key = blockKey(hour, id);
    this.cache.delete(key);
    this.stmts.put.run(key, data);
    let hi = -Infinity;
    for (let i = 0; i < c.n; i++) if (c.ts[i] > hi) hi = c.ts[i];
    if (c.n > 0) this.stmts.setHi.run(hi, hi, id);
  }

  /** The rollup blocks of a series in hours [h0, h1], as [hour, data], in hour order. */
  *rollupBlocks(id: number, h0: number, h1: number): Generator<[number, Uint8Array]> {
    for (const [k, data] of this.stmts.range1m.iterate(blockKey(h0, id), blockKey(h1, id)) as Iterable<[number, Uint8Array]>) {
      yield [Math.floor(k / KEY_SPAN), data];
    }
  }

}

function sameTimes(a: SampleColumns, b: SampleColumns): boolean {
  if (a.n !== b.n) return false;
  for (let i = 0; i < a.n; i++) if (a.ts[i] !== b.ts[i]) return false;
  return true;
}

/** Position of ts in sorted columns, or -1. */
export function indexOfTs(c: SampleColumns, ts: number): number {
  let lo = 0;
  let hi = c.n - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const t = c.ts[mid];
    if (t === ts) return mid;
    if (t < ts) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** The aggregate of the usable samples of `c` in [from, to), as a bucket starting at `from`, or null. */
export function aggregate(c: SampleColumns, from: number, to: number): Acc | null {
  let a: Acc | null = null;
  for (let i = 0; i < c.n; i++) {
    const t = c.ts[i];
    if (t < from || t >= to || c.quality[i] === Q_BAD) continue;
    if (a) foldAcc(a, t, c.value[i]);
    else a = newAcc(from, t, c.value[i]);
  }
  return a;
}

