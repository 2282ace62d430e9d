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
  const { st, blocks, insRaw } = core;
  const S = core.slots;
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i];
    const v = s.value;
    const kind = typeof v === 'boolean' ? KIND_BOOL : KIND_NUMBER;
    let k = S.index.get(s.point);
    if (k === undefined) k = core.loadSeries(s.point, kind);
    else S.save(k);
    const id = S.id[k];
    if (v !== null && kind !== S.kind[k]) {
      st.updKind.run(kind, id);
      S.kind[k] = kind;
    }
    const num = v === null ? null : typeof v === 'boolean' ? (v ? 1 : 0) : v;
    const q = QUALITY_CODE[s.quality];
    const usable = q < 2 && num !== null;
    const newVal = usable ? num : null;
    const newQ = usable ? q : 2;
    const ts = s.ts;
    const c = chunkOf(ts);
    core.chunks.note(c);
    if (ts > S.maxTs[k]) {
      // newer than anything stored for this point: cannot be a replay
      insRaw.push5(c, id, ts, newVal, newQ);
      S.maxTs[k] = ts;
      if (usable) rollups.fold(k, ts, num);
      continue;
    }
    // Possibly a replay: the careful path sees every row buffered so far.
    core.flushPending();
    if (st.insRawOne.run(c, id, ts, newVal, newQ).changes === 1) {
      const block = blocks.rawCached(hourOf(ts), id);
      const j = block ? indexOfTs(block, ts) : -1;
      if (!block || j < 0) {
        if (usable) rollups.fold(k, ts, num);
        continue;
      }
      // a replay of a sample already in a block: the head never holds a ts its block holds
      st.delRaw.run(c, id, ts);
      const oldVal = block.quality[j] === Q_BAD ? null : block.value[j];
      if (oldVal === newVal && block.quality[j] === newQ) continue;
      block.value[j] = newVal ?? Number.NaN;
      block.quality[j] = newQ;
      blocks.putRaw(hourOf(ts), id, block);
      rollups.recompute(k, ts, block);
      continue;
    }
    // The row exists in the head: a replay. Same content → nothing to do.
    const old = st.getRaw.get(c, id, ts) as [number | null, number];
    if (old[0] === newVal && old[1] === newQ) continue;
    st.updRaw.run(newVal, newQ, c, id, ts);
    rollups.recompute(k, ts, null);
  }
  core.flushPending();
}
