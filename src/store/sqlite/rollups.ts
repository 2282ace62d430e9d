import type { SampleColumns } from '../codec/block.ts';
import { type Acc, foldAcc, newAcc } from './acc.ts';
import { addValue, firstValue } from '../figures.ts';
import { aggregate, hourOf } from './blocks.ts';
import type { Core } from './core.ts';
import { groupOf } from './head.ts';
import { CHUNK, HOUR, MINUTE, chunkOf, type Stmt } from './schema.ts';
import { ACC, A_COUNT, A_LAST, A_LAST_TS, A_MAX, A_MIN, A_SUM, SeriesSlots, openStart } from './series-slots.ts';

/**
 * The 1-minute and 1-hour rollups. Usable values are folded into in-memory accumulators for
 * the open bucket of each point. When the point moves to a later bucket, on
 * {@link flushRollups} and on close, a closed minute goes to the head's minute rows
 * (head-minutes.ts: entries packed per minute and group, merged at read) and a closed hour is
 * merged into `rollup_1h` (multi-row upserts). A late sample for an older bucket becomes an
 * entry of its own, or is merged into the stored hour at once (count+=, sum+=, min/max, last
 * by last_ts). A replay that changes a value recomputes its two buckets.
 */
export class Rollups {
  constructor(private readonly core: Core) {}

  /** Folds one usable value into the open buckets; closes a bucket when the point moves past it. */
  fold(k: number, ts: number, v: number): void {
    const { slots, minutes, ins1h, st } = this.core;
    const id = slots.id[k];
    // the minute: a closed or late one is an entry of the head's minute rows
    const m1 = slots.m1;
    const o = k * ACC;
    const b = ts - (((ts % MINUTE) + MINUTE) % MINUTE);
    const open = openStart(m1, k, MINUTE); // NaN: none
    if (open === b) addValue(m1, o, ts, v);
    else if (Number.isNaN(open) || b > open) {
      if (!Number.isNaN(open)) minutes.add(id, open, m1, o);
      firstValue(m1, o, ts, v);
    } else minutes.addAcc(id, newAcc(b, ts, v));
    // the hour
    const h1 = slots.h1;
    const bh = ts - (((ts % HOUR) + HOUR) % HOUR);
    const openH = openStart(h1, k, HOUR);
    if (openH === bh) addValue(h1, o, ts, v);
    else if (Number.isNaN(openH) || bh > openH) {
      if (!Number.isNaN(openH)) ins1h.push8(id, openH, h1[o + A_COUNT], h1[o + A_SUM], h1[o + A_MIN], h1[o + A_MAX], h1[o + A_LAST], h1[o + A_LAST_TS]);
      firstValue(h1, o, ts, v);
    } else this.mergeHourRow(st.merge1h, id, newAcc(bh, ts, v)); // late sample
  }

  private mergeHourRow(stmt: Stmt, id: number, a: Acc): void {
    this.core.flushPending();
    stmt.run(id, a.ts, a.count, a.sum, a.min, a.max, a.last, a.lastTs);
  }

  /** Writes slot k's open minute to the head's minute rows and closes it. */
  private closeMinute(k: number): void {
    const { slots, minutes } = this.core;
    const open = openStart(slots.m1, k, MINUTE);
    if (!Number.isNaN(open)) minutes.add(slots.id[k], open, slots.m1, k * ACC);
    slots.m1[k * ACC + A_LAST_TS] = Number.NaN;
  }

  /** Merges slot k's open hour into rollup_1h and closes it. */
  private closeHour(k: number): void {
    const { slots, st } = this.core;
    const a = SeriesSlots.acc(slots.h1, k, HOUR);
    if (a) this.mergeHourRow(st.merge1h, slots.id[k], a);
    slots.h1[k * ACC + A_LAST_TS] = Number.NaN;
  }

  /**
   * Closes slot k's open minute if it starts before `before` and its open hour if it ends by
   * then (compaction does this first: a block must not hold samples of an open minute, and a
   * series that stopped should not keep an hour open whose head rows are gone).
   */
  closeOpenBefore(k: number, before: number): void {
    const { slots } = this.core;
    if (openStart(slots.m1, k, MINUTE) < before) this.closeMinute(k);
    if (openStart(slots.h1, k, HOUR) + HOUR <= before) this.closeHour(k);
  }

  /**
   * A stored value changed on replay: close the open buckets, then rebuild the sample's minute
   * (its head part: a block's part is read from the block) and its hour (head part from the
   * head plus the hour's block, `block` when the change was in it).
   */
  recompute(k: number, ts: number, block: SampleColumns | null): void {
    const { st, slots, head, chunks, minutes } = this.core;
    const id = slots.id[k];
    this.closeMinute(k);
    this.closeHour(k);
    const m = Math.floor(ts / MINUTE) * MINUTE;
    const h = Math.floor(ts / HOUR) * HOUR;
    const samples = (b: number, width: number) =>
      aggregate(head.series(id, JSON.stringify(chunks.between(chunkOf(b), chunkOf(b + width - 1))), b, b + width), b, b + width);
    minutes.remove(m, m + MINUTE, groupOf(id), groupOf(id) + 1, (x) => x === id);
    const am = samples(m, MINUTE);
    if (am) minutes.addAcc(id, am);
    st.del1h.run(id, h, h + HOUR);
    const ah = samples(h, HOUR);
    if (ah) st.merge1h.run(id, ah.ts, ah.count, ah.sum, ah.min, ah.max, ah.last, ah.lastTs);
    this.addBlockHour(id, hourOf(ts), block);
  }

  /**
   * A series-hour written straight into its block (the history path; the head holds none of
   * it): its rollups are the block's. Open buckets inside the hour are closed first (their
   * samples are in the block too), then its minute entries go (block_1m answers for them) and
   * its rollup_1h row becomes the block's aggregate.
   */
  replaceHour(k: number, hour: number, block: SampleColumns): void {
    const { st, slots, minutes } = this.core;
    const id = slots.id[k];
    const h0 = hour * HOUR;
    const h1 = h0 + HOUR;
    this.core.flushPending(); // buffered bucket rows land before the hour's rows are replaced
    const m = openStart(slots.m1, k, MINUTE);
    if (m >= h0 && m < h1) this.closeMinute(k);
    if (openStart(slots.h1, k, HOUR) === h0) this.closeHour(k);
    minutes.remove(h0, h1, groupOf(id), groupOf(id) + 1, (x) => x === id);
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
    const { db, slots } = this.core;
    db.transaction(() => {
      for (let k = 0; k < slots.size; k++) {
        this.closeMinute(k);
        this.closeHour(k);
      }
      this.core.flushPending();
    })();
  }

  /**
   * After a crash the open buckets were only in memory. For each series, rebuild from the head
   * every bucket from its newest stored one on (that one may be partial, and is replaced): one
   * walk over the head's chunks in time order, each series' buckets folded as its samples come;
   * an hour that also has a block gets the block's part added.
   */
  recover(): void {
    const { db, head, minutes } = this.core;
    const core = this.core;
    if (core.maxC < core.minC) return; // no head rows
    const maxId = (db.prepare('SELECT max(id) FROM series').pluck().get() as number | null) ?? 0;
    const max1h = db.prepare('SELECT max(ts) FROM rollup_1h WHERE series = ?').pluck();
    const put1h = db.prepare(`INSERT OR REPLACE INTO rollup_1h (series, ts, count, sum, min, max, last, last_ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
    const headStart = core.minC * CHUNK;
    const m0 = Math.floor(headStart / MINUTE) * MINUTE;
    // per series id: its newest minute entry from the head's first minute on, and whether it
    // has usable head samples in that first minute when the head starts inside it
    const newest = new Float64Array(maxId + 1).fill(-Infinity);
    const inFirst = new Uint8Array(maxId + 1);
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
    let buffered = 0;
    const putMinute = (id: number, a: Acc) => {
      minutes.addAcc(id, a);
      if (++buffered % 100_000 === 0) minutes.flush();
    };
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
      minutes.visitFrom(m0, (id, ts) => {
        if (id <= maxId && ts > newest[id]) newest[id] = ts;
      });
      if (m0 < headStart) {
        for (const c of core.chunks.between(core.minC, chunkOf(m0 + MINUTE - 1))) {
          head.visitChunk(c, (id, _ts, _v, q) => {
            if (q !== 2 && id <= maxId) inFirst[id] = 1;
          });
        }
      }
      // the newest entries the walk rebuilds go first (their minutes hold usable head samples)
      minutes.remove(m0, Infinity, 0, 2 ** 21, (id, ts) => id <= maxId && ts === newest[id] && (ts >= headStart || inFirst[id] === 1));
      for (const c of core.chunks.between(core.minC, core.maxC)) {
        head.visitChunk(c, (id, ts, v, q) => {
          if (q === 2 || id > maxId) return;
          if (Number.isNaN(fromM[id])) {
            fromM[id] = Math.max(newest[id], headStart);
            fromH[id] = Math.floor(Math.max((max1h.get(id) as number | null) ?? -Infinity, headStart) / HOUR) * HOUR;
          }
          if (ts >= fromM[id]) fold(openM, id, ts, v, MINUTE, putMinute);
          if (ts >= fromH[id]) fold(openH, id, ts, v, HOUR, putHour);
        });
      }
      openM.forEach((a, id) => a && putMinute(id, a));
      openH.forEach((a, id) => a && putHour(id, a));
      core.flushPending();
    })();
  }
}
