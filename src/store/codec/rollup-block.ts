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

export function decodeRollups(hour: number, buf: Uint8Array): RollupRow[] {
  const r = new BitReader(buf);
  const version = r.bits(4);
  if (version !== VERSION) throw new RangeError(`rollup block version ${version} is not known`);
  const minutes: number[] = [];
  for (let p = 0; p < 4; p++) {
    const bits = r.bits(15);
    for (let b = 0; b < 15; b++) if (bits & (1 << b)) minutes.push(p * 15 + b);
  }
  const n = minutes.length;
  const cols = Array.from({ length: 6 }, () => new Float64Array(n));
  readIntStream(r, cols[0], n);
  readIntStream(r, cols[1], n);
  for (let c = 2; c < 6; c++) readNumbers(r, cols[c], n);
  return minutes.map((m, i) => {
    const ts = hour + m * MINUTE;
    return { ts, count: cols[0][i], lastTs: ts + cols[1][i], min: cols[2][i], max: cols[3][i], last: cols[4][i], sum: cols[5][i] };
  });
}
