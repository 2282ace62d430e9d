/**
 * `increase` of a counter (heat energy, make-up volume), pure. Input is the counter's per-minute
 * **last** good value (the series store gives the same from raw samples and from the 1-minute
 * rollup), so both sources give the same amounts:
 * - between consecutive minute values the step is the difference;
 * - a negative step is a reset (the new value counts from 0), or, with `rolloverAt`, a wrap
 *   (`v + rolloverAt − prev`) when that is a plausible step (at most half the register);
 * - a gap (minutes without a value) gets the step spread evenly over its minutes, so a gap
 *   across a bucket boundary (midnight) splits between the buckets;
 * - minutes before the first value and after the last are unknown (NaN), not zero; a missing
 *   minute value may be given as null or NaN.
 * The increase of a bucket is the sum of the known minute amounts inside it.
 *
 * @example
 * ```ts
 * minuteIncreases([10, 11, null, null, 14, 2], null); // [NaN, 1, 1, 1, 1, 2]: a gap spread, then a reset
 * minuteIncreases([99, 1], 100);                       // [NaN, 2]: a wrap at 100
 * ```
 */

export const MINUTE_MS = 60_000;

/** The amount a counter went up from `prev` to `v`: the difference, a wrap, or a reset. */
export function counterStep(prev: number, v: number, rolloverAt: number | null): number {
  const d = v - prev;
  if (d >= 0) return d;
  if (rolloverAt !== null) {
    const wrapped = v + rolloverAt - prev;
    // a wrap is a step of at most half the register; a bigger drop is a replaced meter
    if (wrapped >= 0 && wrapped <= rolloverAt / 2) return wrapped;
  }
  return Math.max(0, v);
}

/** Per-minute increases (index i: the amount attributed to minute i) of per-minute last values; NaN where unknown. */
export function minuteIncreases(values: ArrayLike<number | null>, rolloverAt: number | null): Float64Array {
  const out = new Float64Array(values.length).fill(Number.NaN);
  let prevIndex = -1;
  let prev = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || !Number.isFinite(v)) continue;
    if (prevIndex >= 0) {
      const step = counterStep(prev, v, rolloverAt);
      const share = step / (i - prevIndex);
      for (let k = prevIndex + 1; k <= i; k++) out[k] = share;
    }
    prevIndex = i;
    prev = v;
  }
  return out;
}

/**
 * Sums per-minute amounts into buckets of `stepMs` (a whole number of minutes) starting at
 * `bucketStart`: `n` buckets, null where no minute of the bucket is known. `firstMinute` is the
 * time of `amounts[0]`.
 */
export function bucketSums(amounts: Float64Array, firstMinute: number, bucketStart: number, stepMs: number, n: number): Array<number | null> {
  const sums = new Array<number | null>(n).fill(null);
  for (let i = 0; i < amounts.length; i++) {
    const a = amounts[i];
    if (a !== a) continue;
    const b = Math.floor((firstMinute + i * MINUTE_MS - bucketStart) / stepMs);
    if (b < 0 || b >= n) continue;
    sums[b] = (sums[b] ?? 0) + a;
  }
  return sums;
}
