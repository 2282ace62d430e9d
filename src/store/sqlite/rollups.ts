import type { SampleColumns } from '../codec/block.ts';
import { type Acc, foldAcc, newAcc } from './acc.ts';
import { addValue, firstValue } from '../figures.ts';
import { aggregate, hourOf } from './blocks.ts';
import type { Core } from './core.ts';
import type { MultiInsert } from './multi-insert.ts';
import { CHUNK, HOUR, MINUTE, chunkOf, type Stmt } from './schema.ts';
import { ACC, A_COUNT, A_LAST, A_LAST_TS, A_MAX, A_MIN, A_SUM, SeriesSlots, openStart } from './series-slots.ts';

/**
 * The 1-minute and 1-hour rollups. Usable values are folded into in-memory accumulators for
 * the open bucket of each point, merged into `rollup_1m` / `rollup_1h` (multi-row upserts) when
 * the point moves to a later bucket, on {@link flushRollups} and on close. Late samples for an
 * older bucket are merged into the stored row at once (count+=, sum+=, min/max, last by
 * last_ts). A replay that changes a value recomputes its two buckets.
 */
export class Rollups {
  constructor(private readonly core: Core) {}

  /** Folds one usable value into the open buckets; closes a bucket when the point moves past it. */
  fold(k: number, ts: number, v: number): void {
    const { slots, st, ins1m, ins1h } = this.core;
    const id = slots.id[k];
    this.foldInto(slots.m1, k, id, MINUTE, ts, v, ins1m, st.merge1m);
    this.foldInto(slots.h1, k, id, HOUR, ts, v, ins1h, st.merge1h);
  }

  /** One level of {@link fold}: `rows` is `slots.m1` or `slots.h1`, its buckets `width` ms. */
  private foldInto(rows: Float64Array, k: number, id: number, width: number, ts: number, v: number, ins: MultiInsert, merge: Stmt): void {
    const o = k * ACC;
    const b = ts - (((ts % width) + width) % width);
    const open = openStart(rows, k, width); // NaN: none
    if (open === b) addValue(rows, o, ts, v);
    else if (Number.isNaN(open) || b > open) {
      if (!Number.isNaN(open)) ins.push8(id, open, rows[o + A_COUNT], rows[o + A_SUM], rows[o + A_MIN], rows[o + A_MAX], rows[o + A_LAST], rows[o + A_LAST_TS]);
      firstValue(rows, o, ts, v);
    } else this.mergeRow(merge, id, newAcc(b, ts, v)); // late sample
  }

  private mergeRow(stmt: Stmt, id: number, a: Acc): void {
    this.core.flushPending();
    stmt.run(id, a.ts, a.count, a.sum, a.min, a.max, a.last, a.lastTs);
  }

  /** Merges slot k's open bucket of one level (`m1` with MINUTE, `h1` with HOUR) into its rollup table and closes it. */
  mergeOpen(rows: Float64Array, width: number, k: number, stmt: Stmt): void {
    const a = SeriesSlots.acc(rows, k, width);
    if (a) this.mergeRow(stmt, this.core.slots.id[k], a);
    rows[k * ACC + A_LAST_TS] = Number.NaN;
  }

  /**
   * Closes slot k's open minute if it starts before `before` and its open hour if it ends by
   * then (compaction does this first: a block must not hold samples of an open minute, and a
   * series that stopped should not keep an hour open whose head rows are gone).
   */
  closeOpenBefore(k: number, before: number): void {
    const { slots, st } = this.core;
    if (openStart(slots.m1, k, MINUTE) < before) this.mergeOpen(slots.m1, MINUTE, k, st.merge1m);
    if (openStart(slots.h1, k, HOUR) + HOUR <= before) this.mergeOpen(slots.h1, HOUR, k, st.merge1h);
  }

  /**
   * A stored value changed on replay: push the open buckets to the DB, then rebuild the
   * sample's minute (its head part: a block's part is read from the block) and its hour
   * (head part from the head plus the hour's block, `block` when the change was in it).
   */
  recompute(k: number, ts: number, block: SampleColumns | null): void {
    const { st, slots } = this.core;
    const id = slots.id[k];
    this.mergeOpen(slots.m1, MINUTE, k, st.merge1m);
    this.mergeOpen(slots.h1, HOUR, k, st.merge1h);
    const m = Math.floor(ts / MINUTE) * MINUTE;
    const h = Math.floor(ts / HOUR) * HOUR;
    this.rebuild(st.del1m, st.merge1m, id, m, MINUTE);
    this.rebuild(st.del1h, st.merge1h, id, h, HOUR);
    this.addBlockHour(id, hourOf(ts), block);
  }

  /** Replaces series id's bucket [b, b + width) of one rollup table with the aggregate of its head samples. */
  private rebuild(del: Stmt, merge: Stmt, id: number, b: number, width: number): void {
    const { head, chunks } = this.core;
    del.run(id, b, b + width);
    const listed = JSON.stringify(chunks.between(chunkOf(b), chunkOf(b + width - 1)));
    const a = aggregate(head.series(id, listed, b, b + width), b, b + width);
    if (a) merge.run(id, a.ts, a.count, a.sum, a.min, a.max, a.last, a.lastTs);
  }

  /**
   * A series-hour written straight into its block (the history path; the head holds none of
   * it): its rollups are the block's. Open buckets inside the hour go to the tables first (their
   * samples are in the block too), then its rollup_1m rows go (block_1m answers for them) and
   * its rollup_1h row becomes the block's aggregate.
   */
  replaceHour(k: number, hour: number, block: SampleColumns): void {
    const { st, slots } = this.core;
    const id = slots.id[k];
    const h0 = hour * HOUR;
    const h1 = h0 + HOUR;
    this.core.flushPending(); // buffered bucket rows land before the hour's rows are replaced
    const m = openStart(slots.m1, k, MINUTE);
    if (m >= h0 && m < h1) this.mergeOpen(slots.m1, MINUTE, k, st.merge1m);
    if (openStart(slots.h1, k, HOUR) === h0) this.mergeOpen(slots.h1, HOUR, k, st.merge1h);
    st.del1m.run(id, h0, h1);
    st.del1h.run(id, h0, h1);
    this.addBlockHour(id, hour, block);
  }

  /** Merges the aggregate of a series-hour's raw block (if any) into its rollup_1h row. */
  private addBlockHour(id: number, hour: number, known: SampleColumns | null): void {
    const c = known ?? this.core.blocks.raw(hour, id);
    const a = c && aggregate(c, hour * HOUR, (hour + 1) * HOUR);
    if (a) this.core.st.merge1h.run(id, a.ts, a.count, a.sum, a.min, a.max, a.last, a.lastTs);
  }

  /** Writes every open accumulator to the rollup tables (done by close(); safe at any time). */
  flushRollups(): void {
    const { db, slots, st } = this.core;
    db.transaction(() => {
      for (let k = 0; k < slots.size; k++) {
        this.mergeOpen(slots.m1, MINUTE, k, st.merge1m);
        this.mergeOpen(slots.h1, HOUR, k, st.merge1h);
      }
    })();
  }

  /**
   * After a crash the open buckets were only in memory. For each series, rebuild from the head
   * every bucket from its newest stored rollup row on (that row may be partial, and is replaced): one walk over
   * the head's chunks in time order, each series' buckets folded as its samples come; an hour
   * that also has a block gets the block's part added.
   */
  recover(): void {
    const { db, st, head } = this.core;
    const core = this.core;
    if (core.maxC < core.minC) return; // no head rows
    const maxId = (db.prepare('SELECT max(id) FROM series').pluck().get() as number | null) ?? 0;
    const max1h = db.prepare('SELECT max(ts) FROM rollup_1h WHERE series = ?').pluck();
    const put1m = db.prepare(`INSERT OR REPLACE INTO rollup_1m (series, ts, count, sum, min, max, last, last_ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
    const put1h = db.prepare(`INSERT OR REPLACE INTO rollup_1h (series, ts, count, sum, min, max, last, last_ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
    const headStart = core.minC * CHUNK;
    // per series id: the first bucket to rebuild at each level (NaN: not looked up yet) and the bucket being folded
    const fromM = new Float64Array(maxId + 1).fill(Number.NaN);
    const fromH = new Float64Array(maxId + 1).fill(Number.NaN);
    const openM: Array<Acc | undefined> = [];
    const openH: Array<Acc | undefined> = [];
    const putHour = (id: number, a: Acc) => {
      put1h.run(id, a.ts, a.count, a.sum, a.min, a.max, a.last, a.lastTs);
      // the rebuilt hour holds the head's part only: add what its block holds (rare: late samples)
      if (core.blocks.has(hourOf(a.ts), id)) this.addBlockHour(id, hourOf(a.ts), null);
    };
    const put = (id: number, a: Acc) => put1m.run(id, a.ts, a.count, a.sum, a.min, a.max, a.last, a.lastTs);
    const fold = (open: Array<Acc | undefined>, id: number, ts: number, v: number, width: number, write: (id: number, a: Acc) => void) => {
      const b = Math.floor(ts / width) * width;
      const a = open[id];
      if (a && a.ts === b) foldAcc(a, ts, v);
      else {
        // chunks come in time order: a series' buckets only move forward
        if (a) write(id, a);
        open[id] = newAcc(b, ts, v);
      }
    };
    db.transaction(() => {
      for (const c of core.chunks.between(core.minC, core.maxC)) {
        head.visitChunk(c, (id, ts, v, q) => {
          if (q === 2 || id > maxId) return;
          if (Number.isNaN(fromM[id])) {
            fromM[id] = Math.max((st.newest1m.get(id) as number | null) ?? -Infinity, headStart);
            fromH[id] = Math.floor(Math.max((max1h.get(id) as number | null) ?? -Infinity, headStart) / HOUR) * HOUR;
          }
          if (ts >= fromM[id]) fold(openM, id, ts, v, MINUTE, put);
          if (ts >= fromH[id]) fold(openH, id, ts, v, HOUR, putHour);
        });
      }
      openM.forEach((a, id) => a && put(id, a));
      openH.forEach((a, id) => a && putHour(id, a));
    })();
  }
}
