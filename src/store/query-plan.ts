/**
 * Which data answers a series query, and whether it may be asked at all: the one rule the API
 * and both stores share (pure, no I/O).
 *
 * Rule (README "Series queries"):
 * 1. A step under 1 minute, or a range of at most 6 hours, reads raw samples.
 * 2. Otherwise the step is snapped UP to a whole number of minutes (90 s → 2 min), so the
 *    query is answered from rollups: snapping up never adds buckets, and a step that is not
 *    whole minutes cannot be built from 1-minute rollup rows.
 * 3. A whole-hour step over more than 7 days reads the 1-hour rollup; else the 1-minute one.
 * 4. A raw read is capped: the expected raw rows (Σ over the points of range / poll period)
 *    may not pass {@link MAX_RAW_ROWS}; a store reads raw rows synchronously, so a bigger read
 *    would stall every station's polling while it runs.
 */
import type { SeriesQuery, SeriesResult } from './port.ts';

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

/** Ranges up to this are read from raw whatever the step: fresh, exact and small. */
export const RAW_RANGE_MS = 6 * HOUR;
/** Most raw rows one query may be expected to read (~0.5 s of synchronous SQLite reading). */
export const MAX_RAW_ROWS = 1_000_000;

export type Source = SeriesResult['source'];

/**
 * The source for a range and step, rule 1 and 3 above (the step should already be snapped:
 * an unsnapped non-minute step over a long range still gets 'raw', as the stores answer today).
 *
 * @example
 * sourceFor({ from: 0, to: 30 * DAY, stepMs: 2 * MINUTE }); // 'rollup_1m'
 */
export function sourceFor(q: Pick<SeriesQuery, 'from' | 'to' | 'stepMs'>): Source {
  const range = q.to - q.from;
  if (q.stepMs < MINUTE || range <= RAW_RANGE_MS) return 'raw';
  if (q.stepMs % HOUR === 0 && range > 7 * DAY) return 'rollup_1h';
  if (q.stepMs % MINUTE === 0) return 'rollup_1m';
  return 'raw';
}

/**
 * Rule 2: the step a query is answered at. Unchanged when raw answers it anyway (under
 * 1 minute, or a range of at most 6 h); else rounded up to whole minutes.
 *
 * @example
 * snapStep({ from: 0, to: 30 * DAY, stepMs: 90_000 }); // 120_000
 */
export function snapStep(q: Pick<SeriesQuery, 'from' | 'to' | 'stepMs'>): number {
  if (q.stepMs < MINUTE || q.to - q.from <= RAW_RANGE_MS) return q.stepMs;
  return Math.ceil(q.stepMs / MINUTE) * MINUTE;
}

export interface QueryPlan {
  /** the step the answer uses (see {@link snapStep}) */
  stepMs: number;
  /** the step asked for, when it was snapped */
  requestedStepMs?: number;
  source: Source;
  /** expected rows read: raw samples, or rollup rows */
  rows: number;
}

/** A query the rule refuses: the field to blame and why, for a 400. */
export class QueryPlanError extends Error {
  constructor(
    readonly field: 'step' | 'from',
    message: string,
  ) {
    super(message);
    this.name = 'QueryPlanError';
  }
}

/**
 * Plans a query: snaps the step, picks the source and refuses a raw read over {@link MAX_RAW_ROWS}.
 * `pollMs` gives each point's expected sample period (its device's poll period).
 *
 * @example
 * planQuery({ from, to, stepMs: 90_000 }, [5000, 5000]); // { stepMs: 120000, requestedStepMs: 90000, source: 'rollup_1m', rows }
 */
export function planQuery(q: Pick<SeriesQuery, 'from' | 'to' | 'stepMs'>, pollMs: number[], maxRawRows = MAX_RAW_ROWS): QueryPlan {
  const range = q.to - q.from;
  const stepMs = snapStep(q);
  const source = sourceFor({ ...q, stepMs });
  const width = source === 'rollup_1h' ? HOUR : MINUTE;
  const rows = Math.ceil(pollMs.reduce((n, p) => n + range / (source === 'raw' ? Math.max(1, p) : width), 0));
  if (source === 'raw' && rows > maxRawRows) {
    const what = `reads raw samples (~${rows} expected rows for ${pollMs.length} points over ${fmtRange(range)}); the limit is ${maxRawRows} raw rows per query`;
    // blame what the caller can change: a fine step may be widened; a short range holds too many points
    if (q.stepMs < MINUTE) throw new QueryPlanError('step', `a step under 1m ${what}: use a step of 1m or more, or a shorter range (from/to)`);
    throw new QueryPlanError('from', `a range up to ${fmtRange(RAW_RANGE_MS)} ${what}: use a shorter range (from/to) or fewer points`);
  }
  return { stepMs, ...(stepMs !== q.stepMs ? { requestedStepMs: q.stepMs } : {}), source, rows };
}

function fmtRange(ms: number): string {
  return ms >= DAY ? `${+(ms / DAY).toFixed(1)} d` : ms >= HOUR ? `${+(ms / HOUR).toFixed(1)} h` : `${Math.round(ms / 1000)} s`;
}
