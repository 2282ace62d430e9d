import type Database from 'better-sqlite3';
import { type SampleColumns, emptyColumns, sortDedupe } from '../codec/block.ts';
import { MultiInsert } from './multi-insert.ts';
import { CHUNK, chunkOf } from './schema.ts';

/** Series per head row: ids g × 64 … g × 64 + 63 form group g. */
export const GROUP = 64;
export const groupOf = (id: number): number => Math.floor(id / GROUP);

/** bytes a sample takes in a head row: value f64, ts offset u16, slot u8, quality u8 */
const SAMPLE_BYTES = 12;

/** Receives one decoded head sample: series id, ts, value (NaN: none), quality code. */
export type HeadVisit = (id: number, ts: number, value: number, q: number) => void;

/** Samples of one (chunk, group) gathered by a write batch, not yet a row. */
interface Builder {
  c: number;
  g: number;
  slot: number[];
  ts: number[];
  value: number[];
  q: number[];
}

/**
 * The head: the store's recent samples, packed (docs/historian.md). A row holds the samples one
 * write batch had for one group of 64 series ids in one 1-second chunk (a poll's points have
 * consecutive ids, so a row is usually one device's poll), as columns in a blob: values f64,
 * ts − chunk start u16, slot in the group u8, quality u8, all little-endian. One B-tree
 * insert, read and delete per row instead of per sample is what makes it cheap: at 60,000
 * samples/s the head takes ~1,000 rows/s.
 *
 * A (series, ts) is in at most one row: the write path adds a sample only when it is newer than
 * any stored for its series, or after looking for it ({@link find}); a replay that changes a
 * value rewrites the row holding it ({@link replace}).
 */
export class Head {
  private readonly ins: MultiInsert;
  private readonly builders = new Map<number, Builder>();
  private last: Builder | null = null;
  private lastKey = Number.NaN;
  private buffered = 0;
  private readonly st;

  constructor(readonly db: Database.Database) {
    this.ins = new MultiInsert(db, 'INSERT INTO head (c, g, m, data) VALUES', 4, '', 64);
    this.st = {
      rowsOf: db.prepare('SELECT rowid, data FROM head WHERE c = ? AND g = ?').raw(),
      rowsIn: db.prepare('SELECT g, data FROM head WHERE c = ? AND g >= ? AND g < ?').raw(),
      chunkRows: db.prepare('SELECT rowid, g, data FROM head WHERE c = ?').raw(),
      // one statement per series over the listed chunks (a JSON array): its seeks done inside SQLite
      seriesRows: db.prepare('WITH k(c) AS (SELECT value FROM json_each(?)) SELECT h.c, h.data FROM k CROSS JOIN head h WHERE h.c = k.c AND h.g = ?').raw(),
      update: db.prepare('UPDATE head SET m = ?, data = ? WHERE rowid = ?'),
      del: db.prepare('DELETE FROM head WHERE rowid = ?'),
      delIn: db.prepare('DELETE FROM head WHERE c = ? AND g >= ? AND g < ?'),
      chunkFrom: db.prepare('SELECT min(c) FROM head WHERE c >= ?').pluck(),
      any: db.prepare('SELECT 1 FROM head WHERE c = ? LIMIT 1').pluck(),
    };
  }

  /** samples buffered and not yet in rows */
  get pending(): number {
    return this.buffered;
  }

  /** Buffers a sample (`value` NaN: none) for the batch's rows; {@link flush} writes them. */
  add(id: number, ts: number, value: number, q: number): void {
    const c = chunkOf(ts);
    const g = groupOf(id);
    // c < 2^32 until 2106 and g < 2^21 (134 M series): the key is exact below 2^53
    if (g >= 2 ** 21) throw new RangeError(`series id ${id} is past the head's ${GROUP * 2 ** 21} series`);
    const key = c * 2 ** 21 + g;
    let b = this.last;
    if (key !== this.lastKey || b === null) {
      b = this.builders.get(key) ?? null;
      if (b === null) {
        b = { c, g, slot: [], ts: [], value: [], q: [] };
        this.builders.set(key, b);
      }
      this.last = b;
      this.lastKey = key;
    }
    b.slot.push(id - g * GROUP);
    b.ts.push(ts);
    b.value.push(value);
    b.q.push(q);
    this.buffered++;
  }

  /** Writes the buffered samples as rows (inside the caller's transaction). */
  flush(): void {
    if (this.buffered === 0) return;
    for (const b of this.builders.values()) this.ins.push4(b.c, b.g, b.slot.length, encodeRow(b.c, b.slot, b.ts, b.value, b.q));
    this.ins.flush();
    this.clear();
  }

  /** Forgets buffered samples (after a failed transaction). */
  clear(): void {
    this.builders.clear();
    this.last = null;
    this.lastKey = Number.NaN;
    this.buffered = 0;
    this.ins.clear();
  }

  /** The stored sample of series `id` at `ts`: its row and index in it, or null. Flush first. */
  find(id: number, ts: number): { rowid: number; data: Uint8Array; i: number; value: number; q: number } | null {
    const c = chunkOf(ts);
    const slot = id - groupOf(id) * GROUP;
    const off = ts - c * CHUNK;
    for (const [rowid, data] of this.st.rowsOf.iterate(c, groupOf(id)) as Iterable<[number, Uint8Array]>) {
      const m = data.length / SAMPLE_BYTES;
      const dv = view(data);
      for (let i = 0; i < m; i++) {
        if (data[m * 10 + i] !== slot || dv.getUint16(m * 8 + i * 2, true) !== off) continue;
        return { rowid, data, i, value: dv.getFloat64(i * 8, true), q: data[m * 11 + i] };
      }
    }
    return null;
  }

  /** Rewrites sample `i` of a row {@link find} returned with a new value (NaN: none) and quality. */
  replace(found: { rowid: number; data: Uint8Array; i: number }, value: number, q: number): void {
    const data = Uint8Array.from(found.data);
    const m = data.length / SAMPLE_BYTES;
    view(data).setFloat64(found.i * 8, value, true);
    data[m * 11 + found.i] = q;
    this.st.update.run(m, data, found.rowid);
  }

  /** The newest ts of series `id` in chunk c, or null. */
  newestIn(c: number, id: number): number | null {
    const slot = id - groupOf(id) * GROUP;
    let best = -1;
    for (const [, data] of this.st.rowsOf.iterate(c, groupOf(id)) as Iterable<[number, Uint8Array]>) {
      const m = data.length / SAMPLE_BYTES;
      const dv = view(data);
      for (let i = 0; i < m; i++) {
        if (data[m * 10 + i] === slot) best = Math.max(best, dv.getUint16(m * 8 + i * 2, true));
      }
    }
    return best < 0 ? null : c * CHUNK + best;
  }

  /**
   * The samples of series `id` in [from, to), in time order, from the listed chunks (a JSON
   * array of chunk numbers: what {@link HeadChunks} lists in range).
   */
  series(id: number, chunksJson: string, from: number, to: number): SampleColumns {
    const out = emptyColumns(64);
    let cols = out;
    const slot = id - groupOf(id) * GROUP;
    for (const [c, data] of this.st.seriesRows.iterate(chunksJson, groupOf(id)) as Iterable<[number, Uint8Array]>) {
      const m = data.length / SAMPLE_BYTES;
      const dv = view(data);
      for (let i = 0; i < m; i++) {
        if (data[m * 10 + i] !== slot) continue;
        const ts = c * CHUNK + dv.getUint16(m * 8 + i * 2, true);
        if (ts < from || ts >= to) continue;
        if (cols.n === cols.ts.length) cols = grow(cols);
        cols.ts[cols.n] = ts;
        cols.value[cols.n] = dv.getFloat64(i * 8, true);
        cols.quality[cols.n] = data[m * 11 + i];
        cols.n++;
      }
    }
    // rows come chunk by chunk, a chunk's samples in no set order (and a (series, ts) is in one row)
    return sortDedupe(cols);
  }

  /** Visits the samples of chunk c whose series ids are in [a, b) (a, b multiples of {@link GROUP}), row by row. */
  visitRange(c: number, a: number, b: number, visit: HeadVisit): number {
    let n = 0;
    for (const [g, data] of this.st.rowsIn.all(c, a / GROUP, b / GROUP) as Iterable<[number, Uint8Array]>) n += visitRow(c, g, data, visit);
    return n;
  }

  /** Deletes the rows of chunk c of series ids [a, b) (a, b multiples of {@link GROUP}). */
  deleteRange(c: number, a: number, b: number): void {
    this.st.delIn.run(c, a / GROUP, b / GROUP);
  }

  /** Visits every sample of chunk c. */
  visitChunk(c: number, visit: HeadVisit): number {
    let n = 0;
    for (const [, g, data] of this.st.chunkRows.all(c) as Array<[number, number, Uint8Array]>) n += visitRow(c, g, data, visit);
    return n;
  }

  /**
   * Removes the samples of chunk c before `ts` (retention's cut inside a chunk).
   * @returns samples removed
   */
  cutChunk(c: number, ts: number): number {
    let removed = 0;
    for (const [rowid, g, data] of this.st.chunkRows.all(c) as Array<[number, number, Uint8Array]>) {
      const kept: Omit<Builder, 'c' | 'g'> = { slot: [], ts: [], value: [], q: [] };
      const m = visitRow(c, g, data, (id, t, v, q) => {
        if (t < ts) return;
        kept.slot.push(id - g * GROUP);
        kept.ts.push(t);
        kept.value.push(v);
        kept.q.push(q);
      });
      const n = kept.slot.length;
      if (n === m) continue;
      removed += m - n;
      if (n === 0) this.st.del.run(rowid);
      else this.st.update.run(n, encodeRow(c, kept.slot, kept.ts, kept.value, kept.q), rowid);
    }
    return removed;
  }

  /** The lowest chunk ≥ c holding a row, or null (an index seek, never a walk). */
  chunkFrom(c: number): number | null {
    return this.st.chunkFrom.get(c) as number | null;
  }

  /** Whether chunk c holds a row. */
  has(c: number): boolean {
    return this.st.any.get(c) !== undefined;
  }
}

/**
 * Moves the rows of a `raw` table (the earlier head: one row per sample, any of its layouts)
 * into head rows, then drops it.
 */
export function migrateRawTable(db: Database.Database): void {
  if (!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'raw'").get()) return;
  const head = new Head(db);
  db.transaction(() => {
    // series order within each second: a row per (chunk, group), as the write path makes them
    const rows = db.prepare('SELECT series, ts, value, quality FROM raw ORDER BY ts / 1000, series').raw();
    let n = 0;
    for (const [id, ts, value, q] of rows.iterate() as Iterable<[number, number, number | null, number]>) {
      head.add(id, ts, value ?? Number.NaN, value === null ? 2 : q);
      if (++n % 100_000 === 0) head.flush();
    }
    head.flush();
    db.exec("DROP TABLE raw; DELETE FROM meta WHERE key = 'raw_chunk_ms'");
  })();
}

function encodeRow(c: number, slot: number[], ts: number[], value: number[], q: number[]): Uint8Array {
  const m = slot.length;
  const data = new Uint8Array(m * SAMPLE_BYTES);
  const dv = view(data);
  for (let i = 0; i < m; i++) {
    dv.setFloat64(i * 8, value[i], true);
    dv.setUint16(m * 8 + i * 2, ts[i] - c * CHUNK, true);
    data[m * 10 + i] = slot[i];
    data[m * 11 + i] = q[i];
  }
  return data;
}

function visitRow(c: number, g: number, data: Uint8Array, visit: HeadVisit): number {
  const m = data.length / SAMPLE_BYTES;
  const dv = view(data);
  const base = c * CHUNK;
  const id0 = g * GROUP;
  for (let i = 0; i < m; i++) visit(id0 + data[m * 10 + i], base + dv.getUint16(m * 8 + i * 2, true), dv.getFloat64(i * 8, true), data[m * 11 + i]);
  return m;
}

const view = (data: Uint8Array): DataView => new DataView(data.buffer, data.byteOffset, data.byteLength);

function grow(c: SampleColumns): SampleColumns {
  const next = emptyColumns(c.ts.length * 2);
  next.ts.set(c.ts);
  next.value.set(c.value);
  next.quality.set(c.quality);
  next.n = c.n;
  return next;
}
