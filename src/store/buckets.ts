import type { SeriesQuery } from './port.ts';

/**
 * Most buckets one query may return per series (the API turns the RangeError into 400): a
 * month of 31 days at 1-minute steps, the trend an engineer asks for a heating month.
 */
export const MAX_BUCKETS = 44_640;

/**
 * The buckets a query spans, the same for every store: aligned to multiples of the step,
 * the first holding `from`, the last starting before `to`. Throws RangeError on a bad step
 * or too many buckets.
 */
export function bucketRange(q: Pick<SeriesQuery, 'from' | 'to' | 'stepMs'>): { start: number; n: number; end: number } {
  const { stepMs } = q;
  if (!Number.isInteger(stepMs) || stepMs <= 0) throw new RangeError(`step must be a positive whole number of ms, got ${stepMs}`);
  if (!Number.isFinite(q.from) || !Number.isFinite(q.to)) throw new RangeError('from and to must be finite ms timestamps');
  const start = Math.floor(q.from / stepMs) * stepMs;
  const n = q.to > start ? Math.ceil((q.to - start) / stepMs) : 0;
  if (n > MAX_BUCKETS) {
    throw new RangeError(
      `query asks for ${n} buckets per series (step ${stepMs} ms over ${q.to - q.from} ms); the limit is ${MAX_BUCKETS}: use a larger step or a shorter range`,
    );
  }
  return { start, n, end: start + n * stepMs };
}
