import type Database from 'better-sqlite3';
import { MultiInsert } from './multi-insert.ts';

/** Series per row: ids g × 64 … g × 64 + 63 form group g. */
export const GROUP = 64;
export const groupOf = (id: number): number => Math.floor(id / GROUP);

/** What a packed table's rows are made from: one builder per (key, group) a batch touched. */
export interface RowBuilder {
  /** entries gathered */
  readonly size: number;
  /** bytes its row takes */
  readonly bytes: number;
  /** Writes the row into `out` ({@link bytes} long). */
  encodeInto(out: Uint8Array): void;
}

/** builders kept for the next batches (a batch at 5,000 stations touches ~100) */
const POOL = 4096;
/** the largest flush whose rows are encoded into the kept buffer; a larger one (an import) gets its own */
const SCRATCH_MAX = 4 * 2 ** 20;

/** A row's bytes in a buffer of its own (a rewrite, kept apart from the batch's buffer). */
export function encodeRow(b: RowBuilder): Uint8Array {
  const out = new Uint8Array(b.bytes);
  b.encodeInto(out);
  return out;
}

/** A growable typed column of a builder: `grown(a, n)` is `a` or a copy twice as long. */
export function grown<T extends Uint8Array | Float64Array>(a: T, n: number): T {
  if (n < a.length) return a;
  const next = new (a.constructor as new (n: number) => T)(Math.max(16, a.length * 2));
  next.set(a);
  return next;
}

/**
 * A table of rows packed per (key, group of 64 series ids): `(key, g, count, data)`, rowid in
 * write order, an index on (key, g). The head (a key per second) and its minutes (a key per
 * minute) are two: a batch's entries of one (key, group) become one row appended at the right
 * edge of the index, read back with one seek per key.
 *
 * @example
 * const rows = new GroupRows(db, 'head', 'c', 'm', (c) => new SampleBuilder(c));
 * rows.builder(c, id).push(…); rows.flush();
 */
export class GroupRows<B extends RowBuilder> {
  private readonly ins: MultiInsert;
  private readonly builders = new Map<number, B>();
  /** builders of earlier batches, emptied, for the next ones: no arrays per row per batch */
  private readonly free: B[] = [];
  /** the rows of a flush are encoded into this one buffer (SQLite copies a bound blob) */
  private scratch = new Uint8Array(0);
  private last: B | null = null;
  private lastKey = Number.NaN;
  readonly st;

  constructor(
    db: Database.Database,
    table: string,
    key: string,
    count: string,
    /** a builder for (key, group g): `reuse` (an emptied one from the pool) when given, else a new one */
    private readonly create: (key: number, g: number, reuse: B | undefined) => B,
  ) {
    this.ins = new MultiInsert(db, `INSERT INTO ${table} (${key}, g, ${count}, data) VALUES`, 4, '', 64);
    this.st = {
      rowsOf: db.prepare(`SELECT rowid, data FROM ${table} WHERE ${key} = ? AND g = ?`).raw(),
      rowsIn: db.prepare(`SELECT rowid, g, data FROM ${table} WHERE ${key} = ? AND g >= ? AND g < ?`).raw(),
      // the rows of groups [?, ?) in the listed keys (a JSON array), key by key, each key's rows in (g, rowid) order
      rowsInKeys: db
        .prepare(`WITH k(k) AS (SELECT value FROM json_each(?)) SELECT h.${key}, h.rowid, h.g, h.data FROM k CROSS JOIN ${table} h WHERE h.${key} = k.k AND h.g >= ? AND h.g < ?`)
        .raw(),
      rowsAt: db.prepare(`SELECT rowid, g, data FROM ${table} WHERE ${key} = ?`).raw(),
      // one statement per series over the listed keys (a JSON array): its seeks done inside SQLite
      seriesRows: db.prepare(`WITH k(k) AS (SELECT value FROM json_each(?)) SELECT h.${key}, h.data, h.rowid FROM k CROSS JOIN ${table} h WHERE h.${key} = k.k AND h.g = ?`).raw(),
      update: db.prepare(`UPDATE ${table} SET ${count} = ?, data = ? WHERE rowid = ?`),
      del: db.prepare(`DELETE FROM ${table} WHERE rowid = ?`),
      delIn: db.prepare(`DELETE FROM ${table} WHERE ${key} = ? AND g >= ? AND g < ?`),
      delRowids: db.prepare(`DELETE FROM ${table} WHERE rowid IN (SELECT value FROM json_each(?))`),
      delChunks: db.prepare(`DELETE FROM ${table} WHERE ${key} >= ? AND ${key} < ? AND g < ? AND rowid <= ?`),
      maxRowid: db.prepare(`SELECT max(rowid) FROM ${table}`).pluck(),
      keyOfRow: db.prepare(`SELECT ${key} FROM ${table} WHERE rowid = ?`).pluck(),
      keyFrom: db.prepare(`SELECT min(${key}) FROM ${table} WHERE ${key} >= ?`).pluck(),
      any: db.prepare(`SELECT 1 FROM ${table} WHERE ${key} = ? LIMIT 1`).pluck(),
    };
  }

  /** The builder of (key, group of series `id`) in this batch. */
  builder(key: number, id: number): B {
    const g = groupOf(id);
    // key < 2^32 and g < 2^21 (134 M series): the map key is exact below 2^53
    if (g >= 2 ** 21) throw new RangeError(`series id ${id} is past the ${GROUP * 2 ** 21} series a packed row can hold`);
    const k = key * 2 ** 21 + g;
    if (k === this.lastKey && this.last !== null) return this.last;
    let b = this.builders.get(k);
    if (b === undefined) {
      b = this.create(key, g, this.free.pop());
      this.builders.set(k, b);
    }
    this.last = b;
    this.lastKey = k;
    return b;
  }

  /** Writes the batch's builders as rows (inside the caller's transaction). */
  flush(): void {
    if (this.builders.size === 0) return;
    let total = 0;
    for (const b of this.builders.values()) total += b.bytes;
    // every row of the flush has its own part of the buffer: up to 64 rows are bound at once
    let buf = this.scratch;
    if (buf.length < total) {
      buf = new Uint8Array(Math.max(total, Math.min(SCRATCH_MAX, buf.length * 2)));
      if (total <= SCRATCH_MAX) this.scratch = buf;
    }
    let at = 0;
    for (const [k, b] of this.builders) {
      const row = buf.subarray(at, at + b.bytes);
      b.encodeInto(row);
      this.ins.push4(Math.floor(k / 2 ** 21), k % 2 ** 21, b.size, row);
      at += b.bytes;
    }
    this.ins.flush();
    this.clear();
  }

  /** Forgets the batch's builders (after a failed transaction); they go back to the pool. */
  clear(): void {
    for (const b of this.builders.values()) if (this.free.length < POOL) this.free.push(b);
    this.builders.clear();
    this.last = null;
    this.lastKey = Number.NaN;
    this.ins.clear();
  }

  /** Rewrites row `rowid` with `count` entries (0: deletes it). */
  rewrite(rowid: number, count: number, data: Uint8Array): void {
    if (count === 0) this.st.del.run(rowid);
    else this.st.update.run(count, data, rowid);
  }

  /** The lowest key ≥ k holding a row, or null (an index seek, never a walk). */
  keyFrom(k: number): number | null {
    return this.st.keyFrom.get(k) as number | null;
  }

  /** Whether key k holds a row. */
  has(k: number): boolean {
    return this.st.any.get(k) !== undefined;
  }

  /** Every key holding a row, ascending, seeking from one to the next. */
  keys(): number[] {
    const found: number[] = [];
    for (let k = this.keyFrom(-Infinity); k !== null; k = this.keyFrom(k + 1)) found.push(k);
    return found;
  }
}

export const view = (data: Uint8Array): DataView => new DataView(data.buffer, data.byteOffset, data.byteLength);
