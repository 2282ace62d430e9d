import { sourceFor } from '../query-plan.ts';
import type { Sample } from '../../model.ts';
import { resultsOf, type SeriesQuery, type SeriesResult, type SeriesValues } from '../port.ts';
import { bucketRange } from '../buckets.ts';
import { Q_BAD, type SampleColumns } from '../codec/block.ts';
import { decodeRollupColumns, rollupColumns } from '../codec/rollup-block.ts';
import { BucketAccs } from './acc.ts';
import { KEY_SPAN, hourOf } from './blocks.ts';
import { type Core, KIND_BOOL, QUALITY_NAME } from './core.ts';
import type { GroupRowCache } from './head-minutes.ts';
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
  const memo: QueryMemo = {};
  return q.points.map((point) => {
    const { source, t0, accs } = seriesAccs(core, q, point, memo);
    return { point, source, t0, stepMs: q.stepMs, values: accs.values(q.agg) };
  });
}

/** The series id of a point (undefined: never written), and its slot if it has one. */
function seriesId(core: Core, point: string): { k: number | undefined; id: number | undefined } {
  const k = core.slots.index.get(point);
  const id = k !== undefined ? core.slots.id[k] : (core.st.getSeries.get(point) as { id: number } | undefined)?.id;
  return { k, id };
}

/** What the points of one query share, looked up once per query, not per point. */
export interface QueryMemo {
  /** the stored hours in range (`block`, or `block_1m` too), null: none */
  hours?: [number, number] | null;
  /** the head's listed chunks in range, as the JSON array qRaw takes */
  headChunks?: string;
  /** the listed minutes of the head's minute rows in range (head-minutes.ts), null: none */
  headMinutes?: string | null;
  /** the head's minute rows of those minutes, by group, as read so far */
  headRows?: GroupRowCache;
  /**
   * the buckets, emptied for each point in turn: six columns of a month of minutes are 2 MB, and
   * allocating them per series was the largest cost of a many-point job query after the reads
   */
  accs?: BucketAccs;
}

/**
 * One point's buckets of a query, every source merged in, valid until the next call with the
 * same memo (which empties them for its point). `skipHour` (rollup_1m only) is asked
 * about each block hour no head row or open minute falls in: true leaves the block out (its
 * buckets are answered elsewhere: read-json.ts's kept texts).
 */
export function seriesAccs(
  core: Core,
  q: SeriesQuery,
  point: string,
  memo: QueryMemo,
  skipHour?: (hour: number, data: Uint8Array) => boolean,
): { source: SeriesValues['source']; t0: number; accs: BucketAccs } {
  const { stepMs } = q;
  const { start, n, end } = bucketRange(q);
  const source = sourceFor(q);
  const { st, slots, blocks } = core;
  const accs = memo.accs ? memo.accs.reset() : (memo.accs = new BucketAccs(start, stepMs, n));
  const { k, id } = seriesId(core, point);
  if (id === undefined || n === 0) return { source, t0: start, accs };
  if (source === 'raw') {
    // blocks and head hold disjoint samples: both go into the buckets
    const hours = memo.hours === undefined ? (memo.hours = blocks.hoursIn(start, end)) : memo.hours;
    for (let h = hours?.[0] ?? 1, last = hours?.[1] ?? 0; h <= last; h++) {
      const b = blocks.raw(h, id);
      if (b) bucketSamples(accs, start, end, b);
    }
    if (stepMs % MINUTE === 0) headMinutes(core, accs, k, id, start, end, memo);
    else {
      memo.headChunks ??= JSON.stringify(core.chunks.between(chunkOf(start), chunkOf(end - 1)));
      bucketSamples(accs, start, end, core.head.series(id, memo.headChunks, start, end));
    }
    return { source, t0: start, accs };
  }
  /** hours holding a head row or the open minute: their buckets are not their block's alone */
  const headHours = new Set<number>();
  if (source === 'rollup_1m') {
    const listed = memo.headMinutes === undefined ? (memo.headMinutes = core.minutes.listed(start, end)) : memo.headMinutes;
    if (listed) {
      core.minutes.series(
        id,
        listed,
        (_id, ts, count, sum, min, max, last, lastTs) => {
          accs.addRow(ts, count, sum, min, max, last, lastTs);
          headHours.add(hourOf(ts));
        },
        (memo.headRows ??= new Map()),
      );
    }
  } else {
    for (const r of st.q1h.iterate(id, start, end) as Iterable<number[]>) {
      accs.addRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6]);
      headHours.add(hourOf(r[0]));
    }
  }
  const open = k === undefined ? null : source === 'rollup_1m' ? SeriesSlots.acc(slots.m1, k, MINUTE) : SeriesSlots.acc(slots.h1, k, HOUR);
  const openIn = open !== null && open.ts >= start && open.ts < end;
  if (openIn) headHours.add(hourOf(open.ts));
  if (source === 'rollup_1m') {
    // compacted hours: their blocks' 1-minute rows (written with the raw block, kept after it)
    const hours = memo.hours === undefined ? (memo.hours = blocks.hoursIn(start, end, true)) : memo.hours;
    const c = rollupColumns();
    if (hours) {
      for (const [h, data] of blocks.rollupBlocks(id, hours[0], hours[1])) {
        if (skipHour && !headHours.has(h) && skipHour(h, data)) continue;
        decodeRollupColumns(h * HOUR, data, c);
        for (let i = 0; i < c.n; i++) {
          const ts = c.ts[i];
          if (ts >= start && ts < end) accs.addRow(ts, c.count[i], c.sum[i], c.min[i], c.max[i], c.last[i], c.lastTs[i]);
        }
      }
    }
  }
  if (openIn) accs.add(open);
  return { source, t0: start, accs };
}

/**
 * The head's part of a raw query whose buckets are whole minutes, from the head's minute
 * rows instead of its samples: their entries aggregate exactly the head's usable samples of
 * their minute (late ones added, a changed replay recomputed), and the open minute is in
 * memory. Same answer, ~35 seeks per series instead of one per second-chunk of the head (a
 * series' 35 minutes of head are 2,100 chunks). Minutes before the head's first chunk are
 * left out: those are in blocks, or past raw retention.
 */
function headMinutes(core: Core, accs: BucketAccs, k: number | undefined, id: number, start: number, end: number, memo: QueryMemo): void {
  if (!Number.isFinite(core.minC)) return;
  const from = Math.max(start, Math.floor((core.minC * CHUNK) / MINUTE) * MINUTE);
  const listed = memo.headMinutes === undefined ? (memo.headMinutes = core.minutes.listed(from, end)) : memo.headMinutes;
  if (listed) core.minutes.series(id, listed, (_id, ts, count, sum, min, max, last, lastTs) => accs.addRow(ts, count, sum, min, max, last, lastTs), (memo.headRows ??= new Map()));
  const open = k === undefined ? null : SeriesSlots.acc(core.slots.m1, k, MINUTE);
  if (open && open.ts >= from && open.ts < end) accs.add(open);
}

/** Puts the usable samples of a block that fall in [start, end) into their buckets. */
function bucketSamples(accs: BucketAccs, start: number, end: number, b: SampleColumns): void {
  for (let i = 0; i < b.n; i++) {
    const ts = b.ts[i];
    if (ts >= start && ts < end && b.quality[i] !== Q_BAD) accs.addSample(ts, b.value[i]);
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
  const toSample = (id: number, ts: number, value: number | null, q: number): Sample => {
    const [point, kind] = names.get(id) ?? [`?${id}`, 0];
    return { point, ts, value: value === null ? null : kind === KIND_BOOL ? value !== 0 : value, quality: QUALITY_NAME[q] };
  };
  let h = hourOf(from);
  const lastHour = hourOf(to - 1);
  while (h <= lastHour) {
    // the next hour holding a block or a head row
    const kb = nextBlock.get(h * KEY_SPAN) as number | null;
    const cb = core.head.chunkFrom(h * (HOUR / CHUNK));
    const next = Math.min(kb === null ? Infinity : Math.floor(kb / KEY_SPAN), cb === null || cb > chunkOf(to - 1) ? Infinity : hourOf(cb * CHUNK));
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
      core.head.visitChunk(c, (id, ts, v, q) => add(toSample(id, ts, q === Q_BAD ? null : v, q)));
    }
    for (const m of [...byMinute.keys()].sort((x, y) => x - y)) {
      const xs = byMinute.get(m)!;
      xs.sort((x, y) => x.ts - y.ts || (x.point < y.point ? -1 : x.point > y.point ? 1 : 0));
      yield xs;
    }
    h++;
  }
}
