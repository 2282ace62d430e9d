import { BitReader, BitWriter, ScratchColumn, readIntStream, writeIntStream } from './bits.ts';
import { readNumbers, writeNumbers } from './numbers.ts';
import type { NumEnc } from './spec.ts';
import { Q_BAD } from './block.ts';

/** One 1-minute rollup row: bucket start, count, sum, min, max, last and the ts of last. */
export interface RollupRow {
  ts: number;
  count: number;
  sum: number;
  min: number;
  max: number;
  last: number;
  lastTs: number;
}

const MINUTE = 60_000;
const VERSION = 1;
const offsetScratch = new ScratchColumn();

/**
 * Encodes the 1-minute rollup rows of one series-hour: which minutes (60-bit map), counts
 * (delta-coded), the offset of `lastTs` in its minute (delta-coded: constant for a periodic
 * poll), then min, max, last (the sample coding) and sum (`sumEnc`). Rows must lie in `hour`,
 * one per minute.
 */
export function encodeRollups(hour: number, rows: RollupRow[], enc: NumEnc | null, sum: NumEnc | null): Uint8Array {
  const sorted = [...rows].sort((a, b) => a.ts - b.ts);
  const c = rollupColumns();
  sorted.forEach((r, i) => {
    c.ts[i] = r.ts;
    c.count[i] = r.count;
    c.sum[i] = r.sum;
    c.min[i] = r.min;
    c.max[i] = r.max;
    c.last[i] = r.last;
    c.lastTs[i] = r.lastTs;
  });
  c.n = sorted.length;
  return encodeRollupColumns(hour, c, enc, sum);
}

/** {@link encodeRollups} of rows as columns, in minute order (compaction's path: no object per row). */
export function encodeRollupColumns(hour: number, c: RollupColumns, enc: NumEnc | null, sum: NumEnc | null): Uint8Array {
  const n = c.n;
  const w = new BitWriter();
  w.bits(VERSION, 4);
  const map = [0, 0, 0, 0];
  const offset = offsetScratch.get(n);
  for (let i = 0; i < n; i++) {
    const m = (c.ts[i] - hour) / MINUTE;
    if (!(Number.isInteger(m) && m >= 0 && m < 60) || (i > 0 && c.ts[i] <= c.ts[i - 1])) {
      throw new RangeError(`rollup row ${c.ts[i]} is not a minute of hour ${hour} after the row before it`);
    }
    map[Math.floor(m / 15)] |= 1 << (m % 15);
    offset[i] = c.lastTs[i] - c.ts[i];
  }
  for (const part of map) w.bits(part, 15);
  writeIntStream(w, c.count, n);
  writeIntStream(w, offset, n);
  writeNumbers(w, c.min, n, enc, false);
  writeNumbers(w, c.max, n, enc, false);
  writeNumbers(w, c.last, n, enc, false);
  writeNumbers(w, c.sum, n, sum, false);
  return w.finish();
}

/**
 * The 1-minute rollup rows of the usable samples of sorted columns (one hour's block), into
 * `out` (reused): minutes come in order, so each row is folded in place.
 */
export function minuteColumns(ts: Float64Array, value: Float64Array, quality: Uint8Array, n: number, out: RollupColumns): RollupColumns {
  let k = -1;
  for (let i = 0; i < n; i++) {
    if (quality[i] === Q_BAD) continue;
    const t = ts[i];
    const v = value[i];
    const m = Math.floor(t / MINUTE) * MINUTE;
    if (k < 0 || out.ts[k] !== m) {
      k++;
      out.ts[k] = m;
      out.count[k] = 1;
      out.sum[k] = v;
      out.min[k] = v;
      out.max[k] = v;
      out.last[k] = v;
      out.lastTs[k] = t;
      continue;
    }
    out.count[k]++;
    out.sum[k] += v;
    if (v < out.min[k]) out.min[k] = v;
    if (v > out.max[k]) out.max[k] = v;
    // sorted: the later sample is the last
    out.last[k] = v;
    out.lastTs[k] = t;
  }
  out.n = k + 1;
  return out;
}

/** The rows of one series-hour as columns (up to 60 rows; `n` of them in use). */
export interface RollupColumns {
  n: number;
  ts: Float64Array;
  count: Float64Array;
  sum: Float64Array;
  min: Float64Array;
  max: Float64Array;
  last: Float64Array;
  lastTs: Float64Array;
}

export function rollupColumns(): RollupColumns {
  const col = () => new Float64Array(60);
  return { n: 0, ts: col(), count: col(), sum: col(), min: col(), max: col(), last: col(), lastTs: col() };
}

/**
 * Decodes a rollup block into `out` (reused from block to block: a month of one series is 720
 * blocks, and an object per row cost more than the decoding itself).
 */
export function decodeRollupColumns(hour: number, buf: Uint8Array, out: RollupColumns): RollupColumns {
  const r = new BitReader(buf);
  const version = r.bits(4);
  if (version !== VERSION) throw new RangeError(`rollup block version ${version} is not known`);
  let n = 0;
  for (let p = 0; p < 4; p++) {
    const bits = r.bits(15);
    for (let b = 0; b < 15; b++) if (bits & (1 << b)) out.ts[n++] = hour + (p * 15 + b) * MINUTE;
  }
  out.n = n;
  readIntStream(r, out.count, n);
  readIntStream(r, out.lastTs, n);
  for (let i = 0; i < n; i++) out.lastTs[i] += out.ts[i];
  readNumbers(r, out.min, n);
  readNumbers(r, out.max, n);
  readNumbers(r, out.last, n);
  readNumbers(r, out.sum, n);
  return out;
}

export function decodeRollups(hour: number, buf: Uint8Array): RollupRow[] {
  const c = decodeRollupColumns(hour, buf, rollupColumns());
  return Array.from({ length: c.n }, (_, i) => ({
    ts: c.ts[i],
    count: c.count[i],
    sum: c.sum[i],
    min: c.min[i],
    max: c.max[i],
    last: c.last[i],
    lastTs: c.lastTs[i],
  }));
}
