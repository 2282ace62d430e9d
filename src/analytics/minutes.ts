/**
 * Per-minute series from the series store, read in chunks the store answers in one query each
 * (at most MAX_BUCKETS minutes), so a month of minutes is a handful of queries. The store
 * chooses raw samples or the 1-minute rollup by the chunk's range; `chunkMinutes` ≤ 360 keeps
 * every chunk on raw samples (what the tests compare the rollup with).
 */
import { MAX_BUCKETS } from '../store/buckets.ts';
import { queryValues, type Aggregation, type SeriesResult, type SeriesStore, type ValuesQuery } from '../store/port.ts';
import { MINUTE_MS } from './increase.ts';

export interface MinuteSeries {
  /** time of index 0 (a whole minute) */
  from: number;
  /** minutes per series */
  length: number;
  /** per point: the minute values, NaN where a minute has no good sample */
  values: Map<string, Float64Array>;
  /** which table answered; the rollup when any chunk came from it */
  source: SeriesResult['source'];
}

/** Reads `agg` per minute of `points` over [from, to) (both rounded down to whole minutes). */
export async function readMinutes(
  store: Pick<SeriesStore, 'query'> & Partial<ValuesQuery>,
  points: readonly string[],
  from: number,
  to: number,
  agg: Aggregation,
  opts: { chunkMinutes?: number } = {},
): Promise<MinuteSeries> {
  const start = Math.floor(from / MINUTE_MS) * MINUTE_MS;
  const end = Math.floor(to / MINUTE_MS) * MINUTE_MS;
  const length = Math.max(0, (end - start) / MINUTE_MS);
  const values = new Map(points.map((p) => [p, new Float64Array(length).fill(Number.NaN)]));
  let source: SeriesResult['source'] = 'raw';
  const chunk = Math.min(opts.chunkMinutes ?? MAX_BUCKETS, MAX_BUCKETS) * MINUTE_MS;
  for (let t = start; t < end && points.length; t += chunk) {
    const res = await queryValues(store, { points: [...points], from: t, to: Math.min(end, t + chunk), stepMs: MINUTE_MS, agg });
    for (const r of res) {
      if (r.source !== 'raw') source = r.source;
      const out = values.get(r.point);
      if (!out) continue;
      const off = (r.t0 - start) / MINUTE_MS;
      const lo = Math.max(0, -off);
      const hi = Math.min(r.values.length, length - off);
      for (let i = lo; i < hi; i++) {
        const v = r.values[i];
        if (v === v) out[off + i] = v; // NaN: no value in that minute
      }
    }
  }
  return { from: start, length, values, source };
}
