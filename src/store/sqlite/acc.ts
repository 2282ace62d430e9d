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

/**
 * A query's buckets as columns, bucket i starting at `start + i × step`: no object per bucket
 * or per row (a month of minutes is 43,200 buckets a series, and one object each cost more than
 * reading the rows). Rows and samples merge as {@link foldAcc} does: count and sum add, min/max,
 * last by its ts (the later wins a tie).
 */
export class BucketAccs {
  readonly count: Float64Array;
  readonly sum: Float64Array;
  readonly min: Float64Array;
  readonly max: Float64Array;
  readonly last: Float64Array;
  readonly lastTs: Float64Array;

  constructor(
    readonly start: number,
    readonly step: number,
    readonly n: number,
  ) {
    this.count = new Float64Array(n);
    this.sum = new Float64Array(n);
    this.min = new Float64Array(n).fill(Infinity);
    this.max = new Float64Array(n).fill(-Infinity);
    this.last = new Float64Array(n);
    this.lastTs = new Float64Array(n).fill(-Infinity);
  }

  /** Empties every bucket, so one set of columns serves each series of a query in turn. */
  reset(): this {
    this.count.fill(0);
    this.sum.fill(0);
    this.min.fill(Infinity);
    this.max.fill(-Infinity);
    this.last.fill(0);
    this.lastTs.fill(-Infinity);
    return this;
  }

  /** Folds one sample into the bucket holding ts (none: ignored). */
  addSample(ts: number, v: number): void {
    this.addRow(ts, 1, v, v, v, v, ts);
  }

  /** Merges a finer bucket (a rollup row starting at ts) into the bucket holding ts. */
  addRow(ts: number, count: number, sum: number, min: number, max: number, last: number, lastTs: number): void {
    const i = Math.floor((ts - this.start) / this.step);
    if (i < 0 || i >= this.n) return;
    this.count[i] += count;
    this.sum[i] += sum;
    if (min < this.min[i]) this.min[i] = min;
    if (max > this.max[i]) this.max[i] = max;
    if (lastTs >= this.lastTs[i]) {
      this.last[i] = last;
      this.lastTs[i] = lastTs;
    }
  }

  add(a: Acc): void {
    this.addRow(a.ts, a.count, a.sum, a.min, a.max, a.last, a.lastTs);
  }

  /** Bucket i's value (NaN: no value; `count` gives 0). */
  value(i: number, agg: Aggregation): number {
    const c = this.count[i];
    if (agg === 'count') return c;
    if (c === 0) return Number.NaN;
    switch (agg) {
      case 'mean':
        return this.sum[i] / c;
      case 'min':
        return this.min[i];
      case 'max':
        return this.max[i];
      case 'last':
        return this.last[i];
    }
  }

  values(agg: Aggregation): Float64Array {
    const out = new Float64Array(this.n);
    for (let i = 0; i < this.n; i++) out[i] = this.value(i, agg);
    return out;
  }
}
