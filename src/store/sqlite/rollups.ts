import type { SampleColumns } from '../codec/block.ts';
import { type Acc, newAcc } from './acc.ts';
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
   * (head part from raw plus the hour's block, `block` when the change was in it).
   */
  recompute(k: number, ts: number, block: SampleColumns | null): void {
    const { st, slots } = this.core;
    const id = slots.id[k];
    this.mergeOpen(slots.m1, MINUTE, k, st.merge1m);
    this.mergeOpen(slots.h1, HOUR, k, st.merge1h);
    const m = Math.floor(ts / MINUTE) * MINUTE;
    const h = Math.floor(ts / HOUR) * HOUR;
    st.del1m.run(id, m, m + MINUTE);
    st.rebuild1m.run(chunkOf(m), chunkOf(m + MINUTE - 1), id, m, m + MINUTE);
    st.del1h.run(id, h, h + HOUR);
    st.rebuild1h.run(chunkOf(h), chunkOf(h + HOUR - 1), id, h, h + HOUR);
    this.addBlockHour(id, hourOf(ts), block);
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
   * every bucket from its newest stored rollup row on (that row may be partial), over the
   * non-empty chunks only; an hour that also has a block gets the block's part added.
   */
  recover(): void {
    const { db, st } = this.core;
    const core = this.core;
    if (core.maxC < core.minC) return; // no raw rows
    const chunks = core.chunks.between(core.minC, core.maxC);
    const ids = db.prepare('SELECT id FROM series').pluck().all() as number[];
    const max1h = db.prepare('SELECT max(ts) FROM rollup_1h WHERE series = ?').pluck();
    const hasHead = db.prepare('SELECT 1 FROM raw WHERE c = ? AND series = ? LIMIT 1').pluck();
    const hours = new Map<number, number[]>();
    for (const c of chunks) {
      const hour = hourOf(c * CHUNK);
      const cs = hours.get(hour);
      if (cs) cs.push(c);
      else hours.set(hour, [c]);
    }
    const end = (core.maxC + 1) * CHUNK;
    const from = (t: number | null) => Math.max(t ?? -Infinity, core.minC * CHUNK);
    db.transaction(() => {
      db.exec('DELETE FROM temp.hc');
      const ins = db.prepare('INSERT INTO temp.hc (c) VALUES (?)');
      for (const c of chunks) ins.run(c);
      for (const id of ids) {
        const m = from(st.newest1m.get(id) as number | null);
        const h = Math.floor(from(max1h.get(id) as number | null) / HOUR) * HOUR;
        st.recover1m.run(chunkOf(m), core.maxC, id, m, end);
        st.recover1h.run(chunkOf(h), core.maxC, id, h, end);
        // the rebuilt hours hold the head's part only: add what their blocks hold (rare: late samples)
        for (const [hour, cs] of hours) {
          if (hour * HOUR < h || !core.blocks.has(hour, id) || !cs.some((c) => hasHead.get(c, id))) continue;
          this.addBlockHour(id, hour, null);
        }
      }
      db.exec('DELETE FROM temp.hc');
    })();
  }
}
