/**
 * A bucket's figures of the usable values folded into it, as six doubles from an offset in a
 * typed array: count, sum, min, max, last and the ts of last. The SQLite store's open buckets
 * (series-slots.ts, from `A_COUNT`) and the InfluxDB store's live rollups keep them this way.
 */
export const F_COUNT = 0;
export const F_SUM = 1;
export const F_MIN = 2;
export const F_MAX = 3;
export const F_LAST = 4;
export const F_LAST_TS = 5;
export const FIGURES = 6;

/** The figures of a bucket's first value, at offset `c` of `a`. */
export function firstValue(a: Float64Array, c: number, ts: number, v: number): void {
  a[c + F_COUNT] = 1;
  a[c + F_SUM] = v;
  a[c + F_MIN] = v;
  a[c + F_MAX] = v;
  a[c + F_LAST] = v;
  a[c + F_LAST_TS] = ts;
}

/** Adds a value to the figures at offset `c` of `a`; the last is the one of the newest ts (a tie: this one). */
export function addValue(a: Float64Array, c: number, ts: number, v: number): void {
  a[c + F_COUNT]++;
  a[c + F_SUM] += v;
  if (v < a[c + F_MIN]) a[c + F_MIN] = v;
  if (v > a[c + F_MAX]) a[c + F_MAX] = v;
  if (ts >= a[c + F_LAST_TS]) {
    a[c + F_LAST] = v;
    a[c + F_LAST_TS] = ts;
  }
}
