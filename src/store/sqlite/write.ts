import { K_FALSE, K_NULL, K_NUM, K_TRUE, type ColumnRows } from '../../ingest/columns.ts';
import type { Sample } from '../../model.ts';
import { Q_BAD } from '../codec/block.ts';
import { hourOf, indexOfTs } from './blocks.ts';
import { type Core, KIND_BOOL, KIND_NUMBER, QUALITY_CODE } from './core.ts';
import type { Rollups } from './rollups.ts';
import { chunkOf } from './schema.ts';

/**
 * The write path, inside the batch's transaction. A sample newer than the newest stored for its
 * point (the common case) goes into a multi-row `INSERT` into the head (128 rows per
 * statement) with no per-row check. Any other sample takes the careful path:
 * `INSERT OR IGNORE` into the head; if the row existed, compare and maybe replace. A sample
 * for a series-hour already compressed is checked against its block: a new ts stays in the
 * head (merged into the block at the next compaction, merged with it by reads until then); a
 * ts the block holds is a replay: the same content is a no-op, a different one rewrites the
 * block at once (decode, replace, re-encode) and recomputes its two rollup buckets.
 */
export function writeInTx(core: Core, rollups: Rollups, samples: Sample[]): void {
  const S = core.slots;
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i];
    const v = s.value;
    const kind = typeof v === 'boolean' ? KIND_BOOL : KIND_NUMBER;
    let k = S.index.get(s.point);
    if (k === undefined) k = core.loadSeries(s.point, kind);
    else S.save(k);
    writeRow(core, rollups, k, kind, s.ts, v === null ? null : typeof v === 'boolean' ? (v ? 1 : 0) : v, QUALITY_CODE[s.quality]);
  }
  core.flushPending();
}

/**
 * {@link writeInTx} for a batch as columns (the worker's write path: no Sample object per
 * row), point ids by index in `ids`. `slots` caches each index's series slot across batches of
 * the same point table; the samples must have passed the sample rule (`storableRows`, src/ingest/columns.ts).
 */
export function writeColumnsInTx(core: Core, rollups: Rollups, c: ColumnRows, ids: readonly string[], slots: TableSlots): void {
  const S = core.slots;
  const cache = slots.sized(ids.length, S.generation);
  for (let i = 0; i < c.point.length; i++) {
    const p = c.point[i];
    const f = c.flags[i];
    const vk = f & 12;
    const kind = vk === K_TRUE || vk === K_FALSE ? KIND_BOOL : KIND_NUMBER;
    let k = cache[p];
    if (k < 0) {
      const known = S.index.get(ids[p]);
      k = known ?? core.loadSeries(ids[p], kind);
      cache[p] = k;
      if (known !== undefined) S.save(k);
    } else S.save(k);
    writeRow(core, rollups, k, kind, c.ts[i], vk === K_NUM ? c.value[i] : vk === K_NULL ? null : vk === K_TRUE ? 1 : 0, f & 3);
  }
  core.flushPending();
}

/** Series slots by point index of one point table (src/ingest/columns.ts), -1 not yet known. */
export class TableSlots {
  private cache = new Int32Array(0);
  private generation = -1;

  /** The cache for a table of `n` ids; emptied when the store's slots were rolled back since. */
  sized(n: number, generation: number): Int32Array {
    if (generation !== this.generation) {
      this.cache.fill(-1);
      this.generation = generation;
    }
    if (this.cache.length < n) {
      const next = new Int32Array(Math.max(n, Math.ceil(this.cache.length * 1.25))).fill(-1);
      next.set(this.cache);
      this.cache = next;
    }
    return this.cache;
  }
}

/** One usable-or-not row for slot k: `num` null for no value, `q` the quality code. */
function writeRow(core: Core, rollups: Rollups, k: number, kind: number, ts: number, num: number | null, q: number): void {
  const { st, blocks, head } = core;
  const S = core.slots;
  const id = S.id[k];
  if (num !== null && kind !== S.kind[k]) {
    st.updKind.run(kind, id);
    S.kind[k] = kind;
  }
  const usable = q < 2 && num !== null;
  const newVal = usable ? num : Number.NaN;
  const newQ = usable ? q : 2;
  core.chunks.note(chunkOf(ts));
  if (ts > S.maxTs[k]) {
    // newer than anything stored for this point: cannot be a replay
    head.add(id, ts, newVal, newQ);
    S.maxTs[k] = ts;
    if (usable) rollups.fold(k, ts, num);
    return;
  }
  // Possibly a replay: the careful path sees every row buffered so far.
  core.flushPending();
  const found = head.find(id, ts);
  if (found) {
    // in the head: the same content is a no-op, another one replaces it there
    if (same(found.value, found.q, newVal, newQ)) return;
    head.replace(found, newVal, newQ);
    rollups.recompute(k, ts, null);
    return;
  }
  const block = blocks.rawCached(hourOf(ts), id);
  const j = block ? indexOfTs(block, ts) : -1;
  if (!block || j < 0) {
    // a late sample: the head never holds a ts its block holds
    head.add(id, ts, newVal, newQ);
    head.flush();
    if (usable) rollups.fold(k, ts, num);
    return;
  }
  // a replay of a sample already in a block
  if (same(block.value[j], block.quality[j], newVal, newQ)) return;
  block.value[j] = newVal;
  block.quality[j] = newQ;
  blocks.putRaw(hourOf(ts), id, block);
  rollups.recompute(k, ts, block);
}

/** Same stored sample (a bad one's value is not kept). */
function same(value: number, q: number, newVal: number, newQ: number): boolean {
  return q === newQ && (q === Q_BAD || value === newVal);
}
