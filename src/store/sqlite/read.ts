import { sourceFor } from '../query-plan.ts';
import type { Sample } from '../../model.ts';
import { resultsOf, type SeriesQuery, type SeriesResult, type SeriesValues } from '../port.ts';
import { bucketRange } from '../buckets.ts';
import { Q_BAD, type SampleColumns } from '../codec/block.ts';
import { type Acc, aggValue, bucketize, bucketizeSample } from './acc.ts';
import { KEY_SPAN, hourOf } from './blocks.ts';
import { type Core, KIND_BOOL, QUALITY_NAME } from './core.ts';
import { CHUNK, HOUR, MINUTE, chunkOf } from './schema.ts';
import { SeriesSlots } from './series-slots.ts';

/** which data answers a query: one rule for both stores and the API (../query-plan.ts) */
export { sourceFor };

export function latest(core: Core, points: string[]): Map<string, Sample> {
  const out = new Map<string, Sample>();
  for (const point of points) {
    const k = core.slotOf(point);
    if (k === null) continue;
    // the newest sample is the stored one at maxTs: read it rather than keep 600,000 Sample
    // objects alive in the old generation, where replacing them every poll costs GC time
    const ts = core.slots.maxTs[k];
    if (ts === -Infinity) continue;
    const s = core.sampleAt(point, k, ts);
    if (s) out.set(point, s);
  }
  return out;
}

export function query(core: Core, q: SeriesQuery): SeriesResult[] {
  return resultsOf(queryValues(core, q));
}

/**
 * {@link query} as one Float64Array per series (NaN: no value), bucket i at `t0 + i × stepMs`:
 * the form the store's worker sends back, without a [ts, value] pair per bucket.
 */
export function queryValues(core: Core, q: SeriesQuery): SeriesValues[] {
  const { stepMs } = q;
  const { start, n, end } = bucketRange(q);
  const source = sourceFor(q);
  const { st, slots, blocks } = core;
  /** the head's listed chunks in range, as the JSON array qRaw takes (once per query) */
  let headChunks: string | undefined;
  // the stored hours in range, looked up once per query, not per point
  const rawHours = source === 'raw' ? blocks.hoursIn(start, end) : null;
  const rollupHours = source === 'rollup_1m' ? blocks.hoursIn(start, end, true) : null;
  return q.points.map((point) => {
    const accs: Array<Acc | null> = new Array(n).fill(null);
    const k = slots.index.get(point);
    const id = k !== undefined ? slots.id[k] : (st.getSeries.get(point) as { id: number } | undefined)?.id;
    if (id !== undefined && n > 0) {
      if (source === 'raw') {
        // blocks and head hold disjoint samples: both go into the buckets
        const hours = rawHours;
        for (let h = hours?.[0] ?? 1, last = hours?.[1] ?? 0; h <= last; h++) {
          const b = blocks.raw(h, id);
          if (b) bucketSamples(accs, start, end, stepMs, b);
        }
        if (stepMs % MINUTE === 0) headMinutes(core, accs, k, id, start, end, stepMs);
        else {
          headChunks ??= JSON.stringify(core.chunks.between(chunkOf(start), chunkOf(end - 1)));
          for (const [ts, v] of st.qRaw.iterate(headChunks, id, start, end) as Iterable<[number, number]>) {
            bucketizeSample(accs, start, stepMs, ts, v);
          }
        }
      } else {
        const stmt = source === 'rollup_1m' ? st.q1m : st.q1h;
        for (const r of stmt.iterate(id, start, end) as Iterable<number[]>) {
          bucketize(accs, start, stepMs, { ts: r[0], count: r[1], sum: r[2], min: r[3], max: r[4], last: r[5], lastTs: r[6] });
        }
        if (source === 'rollup_1m') {
          // compacted hours: their blocks' 1-minute rows (written with the raw block, kept after it)
          const hours = rollupHours;
          for (let h = hours?.[0] ?? 1, last = hours?.[1] ?? 0; h <= last; h++) {
            for (const r of blocks.rollups(h, id)) if (r.ts >= start && r.ts < end) bucketize(accs, start, stepMs, r);
          }
        }
        const open = k === undefined ? null : SeriesSlots.acc(source === 'rollup_1m' ? slots.m1 : slots.h1, k);
        if (open && open.ts >= start && open.ts < end) bucketize(accs, start, stepMs, open);
      }
    }
    const values = new Float64Array(n);
    for (let i = 0; i < n; i++) values[i] = aggValue(accs[i], q.agg) ?? Number.NaN;
    return { point, source, t0: start, stepMs, values };
  });
}

/**
 * The head's part of a raw query whose buckets are whole minutes, from the head's minute
 * aggregates instead of its rows: rollup_1m rows aggregate exactly the head's usable samples
 * of their minute (late ones merged in, a changed replay recomputed), and the open minute is in
 * memory. Same answer, one seek per series instead of one per second-chunk of the head (a
 * series' 25 minutes of head are 1,500 chunks). Rows before the head's first chunk are left
 * out: those minutes are in blocks, or past raw retention.
 */
function headMinutes(core: Core, accs: Array<Acc | null>, k: number | undefined, id: number, start: number, end: number, stepMs: number): void {
  if (!Number.isFinite(core.minC)) return;
  const from = Math.max(start, Math.floor((core.minC * CHUNK) / MINUTE) * MINUTE);
  for (const r of core.st.q1m.iterate(id, from, end) as Iterable<number[]>) {
    bucketize(accs, start, stepMs, { ts: r[0], count: r[1], sum: r[2], min: r[3], max: r[4], last: r[5], lastTs: r[6] });
  }
  const open = k === undefined ? null : SeriesSlots.acc(core.slots.m1, k);
  if (open && open.ts >= from && open.ts < end) bucketize(accs, start, stepMs, open);
}

/** Puts the usable samples of a block that fall in [start, end) into their buckets. */
function bucketSamples(accs: Array<Acc | null>, start: number, end: number, stepMs: number, b: SampleColumns): void {
  for (let i = 0; i < b.n; i++) {
    const ts = b.ts[i];
    if (ts >= start && ts < end && b.quality[i] !== Q_BAD) bucketizeSample(accs, start, stepMs, ts, b.value[i]);
  }
}

/**
 * Stored samples of [from, to) in time order, one minute per batch (for alarm replay): the
 * hour's blocks and head rows together. Bad samples come back as `{ value: null, quality:
 * 'bad' }`, booleans as booleans. Hours and chunks without data are skipped by seeks.
 */
export async function* scan(core: Core, from: number, to: number): AsyncGenerator<Sample[]> {
  const { db } = core;
  const names = new Map<number, [string, number]>();
  for (const [id, point, kind] of db.prepare('SELECT id, point, kind FROM series').raw().iterate() as Iterable<[number, string, number]>) {
    names.set(id, [point, kind]);
  }
  const nextBlock = db.prepare('SELECT min(k) FROM block WHERE k >= ?').pluck();
  const hourBlocks = db.prepare('SELECT k, data FROM block WHERE k >= ? AND k < ?').raw();
  const nextChunk = db.prepare('SELECT min(c) FROM raw WHERE c >= ? AND c <= ?').pluck();
  const chunkRows = db.prepare('SELECT series, ts, value, quality FROM raw WHERE c = ? AND ts >= ? AND ts < ?').raw();
  const toSample = (id: number, ts: number, value: number | null, q: number): Sample => {
    const [point, kind] = names.get(id) ?? [`?${id}`, 0];
    return { point, ts, value: value === null ? null : kind === KIND_BOOL ? value !== 0 : value, quality: QUALITY_NAME[q] };
  };
  let h = hourOf(from);
  const lastHour = hourOf(to - 1);
  while (h <= lastHour) {
    // the next hour holding a block or a head row
    const kb = nextBlock.get(h * KEY_SPAN) as number | null;
    const cb = nextChunk.get(h * (HOUR / CHUNK), chunkOf(to - 1)) as number | null;
    const next = Math.min(kb === null ? Infinity : Math.floor(kb / KEY_SPAN), cb === null ? Infinity : hourOf(cb * CHUNK));
    if (!(next <= lastHour)) return;
    h = next;
    const byMinute = new Map<number, Sample[]>();
    const add = (s: Sample) => {
      if (s.ts < from || s.ts >= to) return;
      const m = Math.floor(s.ts / MINUTE);
      let xs = byMinute.get(m);
      if (!xs) byMinute.set(m, (xs = []));
      xs.push(s);
    };
    for (const [k, data] of hourBlocks.iterate(h * KEY_SPAN, (h + 1) * KEY_SPAN) as Iterable<[number, Uint8Array]>) {
      const b = core.blocks.decode(h, data);
      const id = k - h * KEY_SPAN;
      for (let i = 0; i < b.n; i++) add(toSample(id, b.ts[i], b.quality[i] === Q_BAD ? null : b.value[i], b.quality[i]));
    }
    for (const c of core.chunks.between(h * (HOUR / CHUNK), (h + 1) * (HOUR / CHUNK) - 1)) {
      for (const [id, ts, v, q] of chunkRows.iterate(c, from, to) as Iterable<[number, number, number | null, number]>) add(toSample(id, ts, v, q));
    }
    for (const m of [...byMinute.keys()].sort((x, y) => x - y)) {
      const xs = byMinute.get(m)!;
      xs.sort((x, y) => x.ts - y.ts || (x.point < y.point ? -1 : x.point > y.point ? 1 : 0));
      yield xs;
    }
    h++;
  }
}
