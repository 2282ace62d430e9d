import type Database from 'better-sqlite3';
import { type SampleColumns, emptyColumns, sortDedupe } from '../codec/block.ts';
import { GROUP, GroupRows, type RowBuilder, encodeRow, groupOf, grown, view } from './group-rows.ts';
import { CHUNK, chunkOf } from './schema.ts';

export { GROUP, groupOf };

/** bytes a sample takes in a head row: value f64, ts offset u16, slot u8, quality u8 */
const SAMPLE_BYTES = 12;

/** What {@link Head.gather} took: per series id − a, its block's samples then its head samples (unsorted across the two); the rows; the head samples. */
export interface HeadGather {
  columns: Array<SampleColumns | undefined>;
  rowids: number[];
  samples: number;
}

/** Receives one decoded head sample: series id, ts, value (NaN: none), quality code. */
export type HeadVisit = (id: number, ts: number, value: number, q: number) => void;

/**
 * Head rows a compaction pass has already merged into blocks and not yet deleted (compact.ts):
 * those of chunks [from, to), groups below `g`, rowid ≤ `rowid` (the head's newest row when
 * the pass began; a row written later is newer than the pass and stays). Reads skip them, so
 * a sample is still in the head or in a block, never both.
 */
export interface StaleRows {
  from: number;
  to: number;
  g: number;
  rowid: number;
}

/** Samples of one (chunk, group) gathered by a write batch, not yet a row. */
class SampleBuilder implements RowBuilder {
  slot = new Uint8Array(64);
  ts = new Float64Array(64);
  value = new Float64Array(64);
  q = new Uint8Array(64);
  size = 0;

  constructor(public c: number) {}

  /** Empties it for chunk c. */
  reset(c: number): this {
    this.c = c;
    this.size = 0;
    return this;
  }

  push(slot: number, ts: number, value: number, q: number): void {
    const n = this.size;
    if (n === this.slot.length) {
      this.slot = grown(this.slot, n);
      this.ts = grown(this.ts, n);
      this.value = grown(this.value, n);
      this.q = grown(this.q, n);
    }
    this.slot[n] = slot;
    this.ts[n] = ts;
    this.value[n] = value;
    this.q[n] = q;
    this.size = n + 1;
  }

  get bytes(): number {
    return this.size * SAMPLE_BYTES;
  }

  encodeInto(data: Uint8Array): void {
    const m = this.size;
    const dv = view(data);
    const base = this.c * CHUNK;
    for (let i = 0; i < m; i++) {
      dv.setFloat64(i * 8, this.value[i], true);
      dv.setUint16(m * 8 + i * 2, this.ts[i] - base, true);
      data[m * 10 + i] = this.slot[i];
      data[m * 11 + i] = this.q[i];
    }
  }
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
  private readonly rows: GroupRows<SampleBuilder>;
  private buffered = 0;
  /** what the current compaction pass merged and has not deleted yet (null: none) */
  stale: StaleRows | null = null;

  constructor(readonly db: Database.Database) {
    this.rows = new GroupRows(db, 'head', 'c', 'm', (c, _g, reuse) => reuse?.reset(c) ?? new SampleBuilder(c));
  }

  /** samples buffered and not yet in rows */
  get pending(): number {
    return this.buffered;
  }

  /** Buffers a sample (`value` NaN: none) for the batch's rows; {@link flush} writes them. */
  add(id: number, ts: number, value: number, q: number): void {
    this.rows.builder(chunkOf(ts), id).push(id - groupOf(id) * GROUP, ts, value, q);
    this.buffered++;
  }

  /** Writes the buffered samples as rows (inside the caller's transaction). */
  flush(): void {
    if (this.buffered === 0) return;
    this.rows.flush();
    this.buffered = 0;
  }

  /** Forgets buffered samples (after a failed transaction). */
  clear(): void {
    this.rows.clear();
    this.buffered = 0;
  }

  /** The stored sample of series `id` at `ts`: its row and index in it, or null. Flush first. */
  find(id: number, ts: number): { rowid: number; data: Uint8Array; i: number; value: number; q: number } | null {
    const c = chunkOf(ts);
    const slot = id - groupOf(id) * GROUP;
    const off = ts - c * CHUNK;
    const g = groupOf(id);
    for (const [rowid, data] of this.rows.st.rowsOf.iterate(c, g) as Iterable<[number, Uint8Array]>) {
      if (this.isStale(c, g, rowid)) continue;
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
    this.rows.rewrite(found.rowid, m, data);
  }

  /** The newest ts of series `id` in chunk c, or null. */
  newestIn(c: number, id: number): number | null {
    const slot = id - groupOf(id) * GROUP;
    let best = -1;
    const g = groupOf(id);
    for (const [rowid, data] of this.rows.st.rowsOf.iterate(c, g) as Iterable<[number, Uint8Array]>) {
      if (this.isStale(c, g, rowid)) continue;
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
    const g = groupOf(id);
    const slot = id - g * GROUP;
    for (const [c, data, rowid] of this.rows.st.seriesRows.iterate(chunksJson, g) as Iterable<[number, Uint8Array, number]>) {
      if (this.isStale(c, g, rowid)) continue;
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

  /**
   * Takes the samples of series ids [a, b) (multiples of {@link GROUP}) out of the listed chunks
   * (a JSON array, ascending), for compaction: per id − a, a column with `first(id)`'s samples
   * (its block, copied in front) and then its head samples in chunk order, and the rows they came
   * from ({@link deleteRows}). One statement: the seeks per chunk run inside SQLite, and chunks
   * without rows of these groups (most: a device polls once every few seconds) cost no call.
   * Counting first sizes each column once: no array per sample and no copy after.
   */
  gather(chunksJson: string, a: number, b: number, first: (id: number) => SampleColumns | null): HeadGather {
    const rows = this.rows.st.rowsInKeys.all(chunksJson, a / GROUP, b / GROUP) as Array<[number, number, number, Uint8Array]>;
    const counts = new Int32Array(b - a);
    for (const [, , g, data] of rows) {
      const m = data.length / SAMPLE_BYTES;
      const at = g * GROUP - a;
      for (let i = 0; i < m; i++) counts[at + data[m * 10 + i]]++;
    }
    const columns: Array<SampleColumns | undefined> = new Array(b - a);
    const olds: Array<SampleColumns | null> = new Array(b - a).fill(null);
    let samples = 0;
    let size = 0;
    for (let i = 0; i < counts.length; i++) {
      if (counts[i] === 0) continue;
      samples += counts[i];
      olds[i] = first(a + i);
      size += (olds[i]?.n ?? 0) + counts[i];
    }
    // the step's columns are views of three arrays: not three backing stores per series
    const all = emptyColumns(size);
    for (let i = 0, at = 0; i < counts.length; i++) {
      if (counts[i] === 0) continue;
      const old = olds[i];
      const n0 = old?.n ?? 0;
      const end = at + n0 + counts[i];
      const col = { ts: all.ts.subarray(at, end), value: all.value.subarray(at, end), quality: all.quality.subarray(at, end), n: n0 };
      if (old) {
        col.ts.set(old.ts.subarray(0, n0));
        col.value.set(old.value.subarray(0, n0));
        col.quality.set(old.quality.subarray(0, n0));
      }
      columns[i] = col;
      at = end;
    }
    const rowids = new Array<number>(rows.length);
    for (let r = 0; r < rows.length; r++) {
      const [c, rowid, g, data] = rows[r];
      rowids[r] = rowid;
      const m = data.length / SAMPLE_BYTES;
      const dv = view(data);
      const base = c * CHUNK;
      const at = g * GROUP - a;
      for (let i = 0; i < m; i++) {
        const col = columns[at + data[m * 10 + i]] as SampleColumns;
        const j = col.n++;
        col.ts[j] = base + dv.getUint16(m * 8 + i * 2, true);
        col.value[j] = dv.getFloat64(i * 8, true);
        col.quality[j] = data[m * 11 + i];
      }
    }
    return { columns, rowids, samples };
  }

  /** Whether row `rowid` of (chunk c, group g) is in {@link stale}. */
  isStale(c: number, g: number, rowid: number): boolean {
    const s = this.stale;
    return s !== null && c >= s.from && c < s.to && g < s.g && rowid <= s.rowid;
  }

  /** The newest row's rowid (0: none). */
  newestRowid(): number {
    return (this.rows.st.maxRowid.get() as number | null) ?? 0;
  }

  /** The chunk of row `rowid`, or null (no such row). */
  chunkOfRow(rowid: number): number | null {
    return (this.rows.st.keyOfRow.get(rowid) as number | undefined) ?? null;
  }

  /**
   * Deletes the rows of chunks [from, to), groups below g, up to rowid `rowid` (a compaction
   * pass's merged rows, {@link stale}): a range of the (chunk, group) index, whose rows were
   * written together, so each page is written once, not once per step that took a group of it.
   * @returns rows deleted
   */
  deleteChunks(from: number, to: number, g: number, rowid: number): number {
    return this.rows.st.delChunks.run(from, to, g, rowid).changes;
  }

  /** Deletes rows by rowid (what {@link gather} took), one statement. */
  deleteRows(rowids: readonly number[]): void {
    if (rowids.length > 0) this.rows.st.delRowids.run(JSON.stringify(rowids));
  }

  /** Visits every sample of chunk c. */
  visitChunk(c: number, visit: HeadVisit): number {
    let n = 0;
    for (const [rowid, g, data] of this.rows.st.rowsAt.all(c) as Array<[number, number, Uint8Array]>) if (!this.isStale(c, g, rowid)) n += visitRow(c, g, data, visit);
    return n;
  }

  /**
   * Removes the samples of chunk c before `ts` (retention's cut inside a chunk).
   * @returns samples removed
   */
  cutChunk(c: number, ts: number): number {
    let removed = 0;
    for (const [rowid, g, data] of this.rows.st.rowsAt.all(c) as Array<[number, number, Uint8Array]>) {
      if (this.isStale(c, g, rowid)) continue; // in a block already, and deleted by its pass
      const kept = new SampleBuilder(c);
      const m = visitRow(c, g, data, (id, t, v, q) => {
        if (t >= ts) kept.push(id - g * GROUP, t, v, q);
      });
      if (kept.size === m) continue;
      removed += m - kept.size;
      this.rows.rewrite(rowid, kept.size, encodeRow(kept));
    }
    return removed;
  }

  /** The lowest chunk ≥ c holding a row, or null (an index seek, never a walk). */
  chunkFrom(c: number): number | null {
    return this.rows.keyFrom(c);
  }

  /** Every chunk holding a row, ascending (seeks from one to the next). */
  chunks(): number[] {
    return this.rows.keys();
  }

  /** Whether chunk c holds a row. */
  has(c: number): boolean {
    return this.rows.has(c);
  }
}

/** Visits the samples of a row of chunk c (`width`: the chunk width the row was written with). */
export function visitRow(c: number, g: number, data: Uint8Array, visit: HeadVisit, width = CHUNK): number {
  const m = data.length / SAMPLE_BYTES;
  const dv = view(data);
  const base = c * width;
  const id0 = g * GROUP;
  for (let i = 0; i < m; i++) visit(id0 + data[m * 10 + i], base + dv.getUint16(m * 8 + i * 2, true), dv.getFloat64(i * 8, true), data[m * 11 + i]);
  return m;
}


function grow(c: SampleColumns): SampleColumns {
  const next = emptyColumns(c.ts.length * 2);
  next.ts.set(c.ts);
  next.value.set(c.value);
  next.quality.set(c.quality);
  next.n = c.n;
  return next;
}
