import type { SeriesQuery, SeriesResult } from '../port.ts';
import { DAY, HOUR, MINUTE } from './schema.ts';

/**
 * Which data answers a query: raw below 1-minute steps or over ≤ 6 h; the hourly rollup for
 * whole-hour steps over more than 7 days; else the 1-minute rollup when the step is whole
 * minutes. The same rule as the SQLite store, so both answer from the same resolution.
 */
export function sourceFor(q: Pick<SeriesQuery, 'from' | 'to' | 'stepMs'>): SeriesResult['source'] {
  const range = q.to - q.from;
  if (q.stepMs < MINUTE || range <= 6 * HOUR) return 'raw';
  if (q.stepMs % HOUR === 0 && range > 7 * DAY) return 'rollup_1h';
  if (q.stepMs % MINUTE === 0) return 'rollup_1m';
  return 'raw';
}
