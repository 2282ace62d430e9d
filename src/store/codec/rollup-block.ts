import { BitReader, BitWriter, readIntStream, writeIntStream } from './bits.ts';
import { readNumbers, writeNumbers } from './numbers.ts';
import type { NumEnc } from './spec.ts';

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

/**
 * Encodes the 1-minute rollup rows of one series-hour: which minutes (60-bit map), counts
 * (delta-coded), the offset of `lastTs` in its minute (delta-coded: constant for a periodic
 * poll), then min, max, last (the sample coding) and sum (`sumEnc`). Rows must lie in `hour`,
 * one per minute.
 */
export function encodeRollups(hour: number, rows: RollupRow[], enc: NumEnc | null, sum: NumEnc | null): Uint8Array {
  const sorted = [...rows].sort((a, b) => a.ts - b.ts);
  const n = sorted.length;
  const w = new BitWriter();
  w.bits(VERSION, 4);
  const map = [0, 0, 0, 0];
  for (const r of sorted) {
    const m = (r.ts - hour) / MINUTE;
    if (!(Number.isInteger(m) && m >= 0 && m < 60)) throw new RangeError(`rollup row ${r.ts} is not a minute of hour ${hour}`);
    map[Math.floor(m / 15)] |= 1 << (m % 15);
  }
  for (const part of map) w.bits(part, 15);
  const col = (f: (r: RollupRow) => number) => Float64Array.from(sorted, f);
  writeIntStream(w, col((r) => r.count), n);
  writeIntStream(w, col((r) => r.lastTs - r.ts), n);
  writeNumbers(w, col((r) => r.min), n, enc, false);
  writeNumbers(w, col((r) => r.max), n, enc, false);
  writeNumbers(w, col((r) => r.last), n, enc, false);
  writeNumbers(w, col((r) => r.sum), n, sum, false);
  return w.finish();
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
