import { K_NULL, K_NUM, K_TRUE, readSample, type ColumnRows } from '../../ingest/columns.ts';
import { sampleProblem, type Sample } from '../../model.ts';
import { type SampleColumns, emptyColumns, sortDedupe } from '../codec/block.ts';
import { KEY_SPAN, blockKey, hourOf } from './blocks.ts';
import { type Core, KIND_BOOL, KIND_NUMBER } from './core.ts';
import type { Rollups } from './rollups.ts';
import { HOUR, MINUTE, chunkOf } from './schema.ts';
import { writeInTx } from './write.ts';


export interface HistoryResult {
  written: number;
  refused: number;
  newest: number;
}

/**
 * The history path (`heatwatch import`), inside the batch's transaction. Samples of the whole
 * minutes before `dueBefore`, in an hour the head holds no rows of, go straight into their
 * series-hour blocks, as compaction would leave them: grouped per series-hour (a counting sort
 * of the rows), merged with the stored block (on equal ts the later write wins), encoded once,
 * the hour's rollups taken from the block (1-minute rows in block_1m, the rollup_1h row replaced, head_1m entries
 * of the hour and open buckets in it retired). A batch of whole hours thus costs one encoding
 * per series-hour, not the head insert, read, delete and ~6 re-encodings of compaction. A
 * block whose content does not change (an import run again) is not written. Every other
 * sample (the head's hours, the unfinished ones) takes the write path of {@link writeInTx}.
 */
export function writeHistoryInTx(core: Core, rollups: Rollups, c: ColumnRows, ids: readonly string[], dueBefore: number): HistoryResult {
  const S = core.slots;
  const n = c.point.length;
  // per point index of the batch: its slot (-1 not yet looked up), its last hour and group
  const slotOf = new Int32Array(ids.length).fill(-1);
  const lastHour = new Float64Array(ids.length).fill(Number.NaN);
  const lastGroup = new Int32Array(ids.length);
  const groupOf = new Int32Array(n);
  const groupIx = new Map<number, number>();
  const keys: number[] = [];
  const slots: number[] = [];
  const scratch: Sample = { point: '', ts: 0, value: null, quality: 'good' };
  let refused = 0;
  let newest = -Infinity;
  for (let i = 0; i < n; i++) {
    const p = c.point[i];
    const kind = c.flags[i] & 12;
    // the sample rule, on one reused object: the store refuses what write() would
    if (sampleProblem(readSample(c, ids, i, scratch)) !== null) {
      groupOf[i] = -1;
      refused++;
      continue;
    }
    const ts = scratch.ts;
    if (ts > newest) newest = ts;
    let k = slotOf[p];
    const sKind = kind === K_NUM || kind === K_NULL ? KIND_NUMBER : KIND_BOOL;
    if (k < 0) {
      k = S.index.get(scratch.point) ?? core.loadSeries(scratch.point, sKind);
      S.save(k);
      slotOf[p] = k;
    }
    if (kind !== K_NULL && sKind !== S.kind[k]) {
      core.st.updKind.run(sKind, S.id[k]);
      S.kind[k] = sKind;
    }
    const h = hourOf(ts);
    if (h === lastHour[p]) groupOf[i] = lastGroup[p];
    else {
      const key = blockKey(h, S.id[k]);
      let g = groupIx.get(key);
      if (g === undefined) {
        g = keys.push(key) - 1;
        slots.push(k);
        groupIx.set(key, g);
      }
      groupOf[i] = lastGroup[p] = g;
      lastHour[p] = h;
    }
  }
  // counting sort: the rows of each group together, in batch order
  const G = keys.length;
  const start = new Int32Array(G + 1);
  for (let i = 0; i < n; i++) if (groupOf[i] >= 0) start[groupOf[i] + 1]++;
  for (let g = 0; g < G; g++) start[g + 1] += start[g];
  const order = new Int32Array(start[G]);
  const fill = start.slice(0, G);
  for (let i = 0; i < n; i++) if (groupOf[i] >= 0) order[fill[groupOf[i]]++] = i;
  // groups by key: hour after hour, series ids ascending in each (the order blocks share timestamps in)
  const dueMinute = Math.floor(dueBefore / MINUTE) * MINUTE;
  const sorted = Array.from({ length: G }, (_, g) => g).sort((a, b) => keys[a] - keys[b]);
  for (let a = 0; a < G; ) {
    const hour = Math.floor(keys[sorted[a]] / KEY_SPAN);
    let b = a + 1;
    while (b < G && Math.floor(keys[sorted[b]] / KEY_SPAN) === hour) b++;
    const hourGroups = sorted.slice(a, b);
    a = b;
    // as compaction would have it: whole minutes over by the grace, in an hour the head holds none of
    const h0 = hour * HOUR;
    const cut = core.chunks.between(chunkOf(h0), chunkOf(h0 + HOUR - 1)).length > 0 ? h0 : Math.min(h0 + HOUR, dueMinute);
    const list: Array<[number, SampleColumns]> = [];
    const late: number[] = [];
    for (const g of hourGroups) {
      const k = slots[g];
      const id = S.id[k];
      // rows as compaction reads them from the head: [ts, value | null, quality, …]
      const xs: Array<number | null> = [];
      for (let r = start[g]; r < start[g + 1]; r++) {
        const i = order[r];
        if (c.ts[i] >= cut) {
          late.push(i);
          continue;
        }
        const f = c.flags[i];
        const kind = f & 12;
        const q = f & 3;
        const usable = q < 2 && kind !== K_NULL;
        xs.push(c.ts[i], usable ? (kind === K_NUM ? c.value[i] : kind === K_TRUE ? 1 : 0) : null, usable ? q : 2);
      }
      if (xs.length === 0) continue;
      const old = core.blocks.raw(hour, id);
      const merged = sortDedupe(concat(old, xs));
      const hi = merged.ts[merged.n - 1];
      if (hi > S.maxTs[k]) S.maxTs[k] = hi;
      if (old && sameContent(old, merged)) continue;
      list.push([id, merged]);
      rollups.replaceHour(k, hour, merged);
    }
    core.blocks.putRawShared(hour, list);
    // the rest of the hour: the write path keeps its invariants (after the blocks: it may fold
    // into the hour's rollups), in batch order: series by series would insert all over the head
    if (late.length) {
      const rows = Int32Array.from(late).sort();
      const samples = new Array<Sample>(rows.length);
      for (let j = 0; j < rows.length; j++) samples[j] = readSample(c, ids, rows[j], { point: '', ts: 0, value: null, quality: 'good' });
      writeInTx(core, rollups, samples);
    }
  }
  core.flushPending();
  return { written: n - refused, refused, newest };
}

/** Same samples (bad ones compared by ts and quality only: their value is not kept). */
function sameContent(a: SampleColumns, b: SampleColumns): boolean {
  if (a.n !== b.n) return false;
  for (let i = 0; i < a.n; i++) {
    if (a.ts[i] !== b.ts[i] || a.quality[i] !== b.quality[i]) return false;
    if (a.quality[i] !== 2 && a.value[i] !== b.value[i]) return false;
  }
  return true;
}

/** the block's samples then the head's, flat [ts, value (NaN or null: none), quality, …] (later wins on equal ts when the block is encoded) */
export function concat(old: SampleColumns | null, xs: ReadonlyArray<number | null>): SampleColumns {
  const n0 = old?.n ?? 0;
  const m = xs.length / 3;
  const c = emptyColumns(n0 + m);
  if (old) {
    c.ts.set(old.ts.subarray(0, n0));
    c.value.set(old.value.subarray(0, n0));
    c.quality.set(old.quality.subarray(0, n0));
  }
  for (let i = 0; i < m; i++) {
    c.ts[n0 + i] = xs[3 * i] as number;
    c.value[n0 + i] = xs[3 * i + 1] ?? Number.NaN;
    c.quality[n0 + i] = xs[3 * i + 2] as number;
  }
  c.n = n0 + m;
  return c;
}
