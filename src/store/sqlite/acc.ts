import type { RollupRow } from '../codec/rollup-block.ts';
import type { Aggregation } from '../port.ts';

/** A mergeable aggregate of one bucket (`ts` its start): what a rollup row holds, in a table or a block. */
export type Acc = RollupRow;

export function newAcc(bucket: number, ts: number, v: number): Acc {
  return { ts: bucket, count: 1, sum: v, min: v, max: v, last: v, lastTs: ts };
}

export function foldAcc(a: Acc, ts: number, v: number): void {
  a.count++;
  a.sum += v;
  if (v < a.min) a.min = v;
  if (v > a.max) a.max = v;
  if (ts >= a.lastTs) {
    a.last = v;
    a.lastTs = ts;
  }
}

/** Folds one sample into the query bucket holding ts: one object per bucket, none per sample. */
export function bucketizeSample(accs: Array<Acc | null>, start: number, step: number, ts: number, v: number): void {
  const i = Math.floor((ts - start) / step);
  if (i < 0 || i >= accs.length) return;
  const a = accs[i];
  if (a) foldAcc(a, ts, v);
  else accs[i] = newAcc(start + i * step, ts, v);
}

/**
 * Merges `part` (a finer bucket) into the query bucket that holds `part.ts`. An empty bucket
 * takes `part` itself (no copy: a month of minutes is 43,200 of them per series), so pass an
 * object nothing else holds.
 */
export function bucketize(accs: Array<Acc | null>, start: number, step: number, part: Acc): void {
  const i = Math.floor((part.ts - start) / step);
  if (i < 0 || i >= accs.length) return;
  const a = accs[i];
  if (!a) {
    part.ts = start + i * step;
    accs[i] = part;
    return;
  }
  a.count += part.count;
  a.sum += part.sum;
  if (part.min < a.min) a.min = part.min;
  if (part.max > a.max) a.max = part.max;
  if (part.lastTs >= a.lastTs) {
    a.last = part.last;
    a.lastTs = part.lastTs;
  }
}

export function aggValue(a: Acc | null, agg: Aggregation): number | null {
  if (agg === 'count') return a ? a.count : 0;
  if (!a || a.count === 0) return null;
  switch (agg) {
    case 'mean':
      return a.sum / a.count;
    case 'min':
      return a.min;
    case 'max':
      return a.max;
    case 'last':
      return a.last;
  }
}
