import type Database from 'better-sqlite3';
import type { Acc } from './acc.ts';
import { HeadChunks } from './head-chunks.ts';
import { GROUP, GroupRows, type RowBuilder, encodeRow, groupOf, grown, view } from './group-rows.ts';
import { MINUTE } from './schema.ts';

/** bytes an entry takes in a row: sum, min, max, last f64; count u32; last ts − minute start u16; slot u8 */
const ENTRY_BYTES = 39;

/** A query's rows of the listed minutes by group, read once (see {@link HeadMinutes.series}). */
export type GroupRowCache = Map<number, Array<[number, Uint8Array]>>;
/** groups a {@link GroupRowCache} holds at most (each ~2.5 KB a minute of head) */
const GROUP_CACHE = 16;

/** Receives one entry: series id, minute start, and the minute's figures. */
export type MinuteVisit = (id: number, ts: number, count: number, sum: number, min: number, max: number, last: number, lastTs: number) => void;

/** Entries of one (minute, group) gathered by a write batch, not yet a row. */
class MinuteBuilder implements RowBuilder {
  slot = new Uint8Array(64);
  /** count, sum, min, max, last, lastTs per entry */
  fig = new Float64Array(64 * 6);
  size = 0;

  constructor(public m: number) {}

  /** Empties it for minute m. */
  reset(m: number): this {
    this.m = m;
    this.size = 0;
    return this;
  }

  /** Adds an entry: slot, and six doubles from `a` at `o`. */
  push(slot: number, a: ArrayLike<number>, o: number): void {
    const n = this.size;
    if (n === this.slot.length) {
      this.slot = grown(this.slot, n);
      this.fig = grown(this.fig, n * 6);
    }
    this.slot[n] = slot;
    const f = this.fig;
    for (let i = 0; i < 6; i++) f[n * 6 + i] = a[o + i];
    this.size = n + 1;
  }

  get bytes(): number {
    return this.size * ENTRY_BYTES;
  }

  encodeInto(data: Uint8Array): void {
    const n = this.size;
    const fig = this.fig;
    const dv = view(data);
    const base = this.m * MINUTE;
    for (let j = 0; j < n; j++) {
      const f = j * 6;
      dv.setFloat64(j * 8, fig[f + 1], true);
      dv.setFloat64((n + j) * 8, fig[f + 2], true);
      dv.setFloat64((2 * n + j) * 8, fig[f + 3], true);
      dv.setFloat64((3 * n + j) * 8, fig[f + 4], true);
      dv.setUint32(n * 32 + j * 4, fig[f], true);
      dv.setUint16(n * 36 + j * 2, fig[f + 5] - base, true);
      data[n * 38 + j] = this.slot[j];
    }
  }
}

/**
 * The 1-minute rollups of the head's minutes (docs/historian.md), packed as the head is: a row
 * of `head_1m` holds the minutes one write batch closed for one group of 64 series ids, as
 * columns in a blob. A poll round closes a minute for every point at about the same time, so
 * a minute of 610,000 series is ~9,500 rows appended at the right edge of (m, g), where one
 * row per series and minute keyed (series, ts) was 610,000 writes all over a table of a GB,
 * deleted again by compaction.
 *
 * A series' minute may be spread over several entries (a late sample, an open minute written
 * early and continued): they merge as rollup rows do (count and sum add, min/max, last by its
 * ts; rows in write order, so the later wins a tie). Entries aggregate exactly the head's
 * usable samples of their minute, until compaction deletes them with the head rows (the
 * blocks answer for those minutes), or retention after raw retention cut the head.
 */
export class HeadMinutes {
  /** the minutes that may hold rows (a superset of the truth, never a subset) */
  readonly minutes = new HeadChunks();
  private readonly rows: GroupRows<MinuteBuilder>;
  private readonly st;

  constructor(readonly db: Database.Database) {
    this.rows = new GroupRows(db, 'head_1m', 'm', 'n', (m, _g, reuse) => {
      this.minutes.note(m);
      return reuse?.reset(m) ?? new MinuteBuilder(m);
    });
    this.st = {
      rowsFrom: db.prepare('SELECT m, g, data FROM head_1m WHERE m >= ?').raw(),
      countBelow: db.prepare('SELECT coalesce(sum(n), 0) FROM head_1m WHERE m < ?').pluck(),
      delBelow: db.prepare('DELETE FROM head_1m WHERE m < ?'),
    };
    this.readBounds();
  }

  /** Buffers the figures of series `id`'s minute starting at `ts` (`a`, `o`: six doubles in the layout of src/store/figures.ts). */
  add(id: number, ts: number, a: ArrayLike<number>, o: number): void {
    this.rows.builder(Math.floor(ts / MINUTE), id).push(id - groupOf(id) * GROUP, a, o);
  }

  /** {@link add} for a bucket as an object. */
  addAcc(id: number, a: Acc): void {
    this.add(id, a.ts, [a.count, a.sum, a.min, a.max, a.last, a.lastTs], 0);
  }

  /** Writes the buffered entries as rows (inside the caller's transaction). */
  flush(): void {
    this.rows.flush();
  }

  /** Forgets buffered entries (after a failed transaction). */
  clear(): void {
    this.rows.clear();
  }

  /** The listed minutes of [from, to) (ms) as the JSON array {@link series} takes, or null: none. */
  listed(from: number, to: number): string | null {
    const ms = this.minutes.between(Math.ceil(from / MINUTE), Math.ceil(to / MINUTE) - 1);
    return ms.length ? JSON.stringify(ms) : null;
  }

  /**
   * Visits series `id`'s entries in the listed minutes (a JSON array from {@link listed}), minute
   * by minute in write order. Flush first. With `cache` (one query's, over the same listed
   * minutes) a group's rows are read once for all its series the query asks for: a row holds 64
   * series, and an analytics read asks for several points of each station.
   */
  series(id: number, minutesJson: string, visit: MinuteVisit, cache?: GroupRowCache): void {
    const g = groupOf(id);
    const slot = id - g * GROUP;
    let rows = cache?.get(g);
    if (!rows) {
      rows = this.rows.st.seriesRows.all(minutesJson, g) as Array<[number, Uint8Array]>;
      if (cache) {
        // a few groups are enough: a query's points come station by station
        if (cache.size >= GROUP_CACHE) cache.clear();
        cache.set(g, rows);
      }
    }
    for (let i = 0; i < rows.length; i++) visitRow(rows[i][0], g, rows[i][1], slot, visit);
  }

  /** The start of series `id`'s newest minute with an entry, or null (seeks minute by listed minute, downwards). Flush first. */
  newest(id: number): number | null {
    const g = groupOf(id);
    const slot = id - g * GROUP;
    const ms = this.minutes.between(-Infinity, Infinity);
    for (let i = ms.length - 1; i >= 0; i--) {
      for (const [, data] of this.rows.st.rowsOf.iterate(ms[i], g) as Iterable<[number, Uint8Array]>) {
        const n = data.length / ENTRY_BYTES;
        for (let j = 0; j < n; j++) if (data[n * 38 + j] === slot) return ms[i] * MINUTE;
      }
    }
    return null;
  }

  /** Visits every entry of minutes ≥ `from` (ms), row by row (crash recovery). Flush first. */
  visitFrom(from: number, visit: MinuteVisit): void {
    for (const [m, g, data] of this.st.rowsFrom.all(Math.ceil(from / MINUTE)) as Array<[number, number, Uint8Array]>) visitRow(m, g, data, -1, visit);
  }

  /**
   * Removes the entries of the series for which `drop(id, ts)` is true from the listed minutes of
   * [from, to) (ms) of groups [g0, g1): a changed replay's rebuild, an hour written straight into
   * its block, crash recovery. Rows are rewritten without them. Flushes first.
   */
  remove(from: number, to: number, g0: number, g1: number, drop: (id: number, ts: number) => boolean): void {
    this.flush();
    for (const m of this.minutes.between(Math.ceil(from / MINUTE), Math.ceil(to / MINUTE) - 1)) {
      for (const [rowid, g, data] of this.rows.st.rowsIn.all(m, g0, g1) as Array<[number, number, Uint8Array]>) {
        const kept = new MinuteBuilder(m);
        const n = visitRow(m, g, data, -1, (id, ts, count, sum, min, max, last, lastTs) => {
          if (!drop(id, ts)) kept.push(id - g * GROUP, [count, sum, min, max, last, lastTs], 0);
        });
        if (kept.size !== n) this.rows.rewrite(rowid, kept.size, encodeRow(kept));
      }
    }
  }

  /** Deletes the rows of minutes [from, to) (ms) of series ids [a, b) (multiples of {@link GROUP}): compaction's step. */
  deleteRange(from: number, to: number, a: number, b: number): void {
    for (const m of this.minutes.between(Math.ceil(from / MINUTE), Math.ceil(to / MINUTE) - 1)) this.rows.st.delIn.run(m, a / GROUP, b / GROUP);
  }

  /** Drops the listed minutes of [from, to) (ms) that hold no row any more (after a compaction pass). */
  prune(from: number, to: number): void {
    this.flush(); // a buffered entry's minute stays listed
    this.minutes.prune(Math.ceil(from / MINUTE), Math.ceil(to / MINUTE) - 1, (m) => !this.rows.has(m));
  }

  /**
   * Deletes the minutes that start before `cutoff` (ms): retention.
   * @returns entries removed
   */
  expire(cutoff: number): number {
    const below = Math.ceil(cutoff / MINUTE);
    const n = this.st.countBelow.get(below) as number;
    this.st.delBelow.run(below);
    this.readBounds();
    return n;
  }

  /** Lists the minutes holding rows, seeking from one to the next. */
  readBounds(): void {
    this.minutes.reset(this.rows.keys());
  }
}

/**
 * Moves the rows of a `rollup_1m` table (one row per series and minute, the earlier layout)
 * into head_1m rows, then drops it, group of series by group.
 */
export function migrateRollup1mTable(db: Database.Database): void {
  if (!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'rollup_1m'").get()) return;
  const minutes = new HeadMinutes(db);
  db.transaction(() => {
    const maxId = (db.prepare('SELECT max(series) FROM rollup_1m').pluck().get() as number | null) ?? -1;
    const rows = db.prepare('SELECT series, ts, count, sum, min, max, last, last_ts FROM rollup_1m WHERE series >= ? AND series < ?').raw();
    const fig = new Float64Array(6);
    for (let g = 0; g <= groupOf(maxId); g++) {
      for (const [id, ts, count, sum, min, max, last, lastTs] of rows.all(g * GROUP, (g + 1) * GROUP) as number[][]) {
        fig[0] = count;
        fig[1] = sum;
        fig[2] = min;
        fig[3] = max;
        fig[4] = last;
        fig[5] = lastTs;
        minutes.add(id, ts, fig, 0);
      }
      minutes.flush();
    }
    db.exec('DROP TABLE rollup_1m');
  })();
}

/** Visits the entries of a row (`slot` ≥ 0: that slot's only); returns the entries in the row. */
function visitRow(m: number, g: number, data: Uint8Array, slot: number, visit: MinuteVisit): number {
  const n = data.length / ENTRY_BYTES;
  const dv = view(data);
  const base = m * MINUTE;
  for (let j = 0; j < n; j++) {
    const s = data[n * 38 + j];
    if (slot >= 0 && s !== slot) continue;
    visit(
      g * GROUP + s,
      base,
      dv.getUint32(n * 32 + j * 4, true),
      dv.getFloat64(j * 8, true),
      dv.getFloat64((n + j) * 8, true),
      dv.getFloat64((2 * n + j) * 8, true),
      dv.getFloat64((3 * n + j) * 8, true),
      base + dv.getUint16(n * 36 + j * 2, true),
    );
  }
  return n;
}
