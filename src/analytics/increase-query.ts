/**
 * `agg=increase` of `GET /api/series`: per bucket, how much each counter went up (increase.ts),
 * from its per-minute last values read 24 h beyond both ends of the range, so a gap across a
 * bucket boundary is spread as it is in the daily table. Buckets are the store's (aligned to
 * multiples of the step since the epoch); a bucket no minute of which is known is null.
 */
import { bucketRange } from '../store/buckets.ts';
import type { SeriesResult, SeriesStore } from '../store/port.ts';
import type { CounterSpec } from './counters.ts';
import { bucketSums, MINUTE_MS, minuteIncreases } from './increase.ts';
import { LOOKAROUND_MS } from './job.ts';
import { readMinutes } from './minutes.ts';

export async function increaseSeries(
  store: Pick<SeriesStore, 'query'>,
  counters: ReadonlyMap<string, CounterSpec>,
  q: { points: readonly string[]; from: number; to: number; stepMs: number; now: number },
  opts: { chunkMinutes?: number } = {},
): Promise<SeriesResult[]> {
  if (q.stepMs % MINUTE_MS !== 0) throw new RangeError(`increase needs a step of whole minutes, got ${q.stepMs} ms`);
  const { start, n } = bucketRange(q);
  const readTo = Math.min(q.to + LOOKAROUND_MS, Math.ceil(q.now / MINUTE_MS) * MINUTE_MS + MINUTE_MS);
  const minutes = await readMinutes(store, q.points, start - LOOKAROUND_MS, Math.max(readTo, start), 'last', opts);
  return q.points.map((point) => {
    const amounts = minuteIncreases(minutes.values.get(point)!, counters.get(point)?.rolloverAt ?? null);
    const sums = bucketSums(amounts, minutes.from, start, q.stepMs, n);
    return { point, points: sums.map((v, i) => [start + i * q.stepMs, v] as [number, number | null]), source: minutes.source };
  });
}
