import { BitReader, BitWriter, ScratchColumn, readZ, unzigzag, writeZ, zigzag } from './bits.ts';
import { readNumbers, writeNumbers } from './numbers.ts';
import type { NumEnc } from './spec.ts';

/** Quality codes as the store keeps them: 0 good, 1 uncertain, 2 bad (no value). */
export const Q_BAD = 2;

/** A run of samples of one series in columns; `value[i]` is ignored where `quality[i]` is bad. */
export interface SampleColumns {
  ts: Float64Array;
  value: Float64Array;
  quality: Uint8Array;
  n: number;
}

const VERSION = 1;
/** reused columns (./bits.ts ScratchColumn): one per call site */
const valsOut = new ScratchColumn();
const valsIn = new ScratchColumn();
const timesOut = new ScratchColumn();
const timesIn = new ScratchColumn();

export function emptyColumns(n: number): SampleColumns {
  return { ts: new Float64Array(n), value: new Float64Array(n), quality: new Uint8Array(n), n: 0 };
}

/**
 * Sorts by ts and keeps one sample per ts, the one written last (the later index wins), in
 * place. Input in time order (the common case) costs one pass.
 */
export function sortDedupe(c: SampleColumns): SampleColumns {
  const { ts, n } = c;
  let sorted = true;
  for (let i = 1; i < n; i++) {
    if (ts[i] <= ts[i - 1]) {
      sorted = false;
      break;
    }
  }
  if (sorted) return c;
  const idx = Array.from({ length: n }, (_, i) => i);
  idx.sort((a, b) => ts[a] - ts[b] || a - b);
  const out = emptyColumns(n);
  let m = 0;
  for (const i of idx) {
    if (m > 0 && out.ts[m - 1] === ts[i]) m--; // the later write of the same ts wins
    out.ts[m] = ts[i];
    out.value[m] = c.value[i];
    out.quality[m] = c.quality[i];
    m++;
  }
  out.n = m;
  return out;
}

/**
 * Encodes samples (sorted and de-duplicated first) into one block:
 *   version, count, timestamps (first, first delta, Rice-coded delta-of-delta),
 *   quality as runs, values of the non-bad samples as one number column ({@link writeNumbers}).
 * Throws on a non-finite value of a non-bad sample (NaN has no place in a series).
 */
export function encodeBlock(input: SampleColumns, enc: NumEnc | null, tsRef?: number): Uint8Array {
  const c = sortDedupe(input);
  const { ts, value, quality, n } = c;
  const w = new BitWriter();
  w.bits(VERSION, 4);
  w.uvar(n);
  // the timestamps here, or a reference to a column shared with the other points of a poll
  if (tsRef === undefined) {
    w.bits(0, 1);
    writeTimes(w, ts, n);
  } else {
    w.bits(1, 1);
    w.uvar(tsRef);
  }
  // quality runs: count, then (code, length) pairs
  let runs = 0;
  for (let i = 0; i < n; i++) if (i === 0 || quality[i] !== quality[i - 1]) runs++;
  w.uvar(runs);
  for (let i = 0, start = 0; i < n; i++) {
    if (i === n - 1 || quality[i + 1] !== quality[i]) {
      w.bits(quality[i], 2);
      w.uvar(i + 1 - start);
      start = i + 1;
    }
  }
  const vals = valsOut.get(n);
  let m = 0;
  for (let i = 0; i < n; i++) {
    if (quality[i] === Q_BAD) continue;
    const v = value[i];
    if (!Number.isFinite(v)) throw new RangeError(`block: value ${v} at ts ${ts[i]} is not a finite number`);
    vals[m++] = v;
  }
  writeNumbers(w, vals, m, enc);
  return w.finish();
}

/**
 * Decodes a block: one or more segments, each an {@link encodeBlock} output, back to back
 * (blocks are written as one; concatenated blocks read as their merge, sorted, the later
 * segment winning a ts both hold).
 */
export function decodeBlock(buf: Uint8Array, timesOf?: TimesOf): SampleColumns {
  const first = decodeSegment(buf, 0, timesOf);
  if (first.end >= buf.length) return first.c;
  const parts = [first.c];
  for (let at = first.end; at < buf.length; ) {
    const next = decodeSegment(buf, at, timesOf);
    parts.push(next.c);
    at = next.end;
  }
  const all = emptyColumns(parts.reduce((n, p) => n + p.n, 0));
  for (const p of parts) {
    all.ts.set(p.ts.subarray(0, p.n), all.n);
    all.value.set(p.value.subarray(0, p.n), all.n);
    all.quality.set(p.quality.subarray(0, p.n), all.n);
    all.n += p.n;
  }
  return sortDedupe(all);
}

/** Resolves a block's reference to a shared timestamp column (n timestamps). */
export type TimesOf = (ref: number, n: number) => Float64Array;

function decodeSegment(buf: Uint8Array, start: number, timesOf: TimesOf | undefined): { c: SampleColumns; end: number } {
  const r = new BitReader(buf, start);
  const version = r.bits(4);
  if (version !== VERSION) throw new RangeError(`block version ${version} is not known`);
  const n = r.uvar();
  const c = emptyColumns(n);
  c.n = n;
  if (r.bits(1) === 0) readTimes(r, c.ts, n);
  else {
    const ref = r.uvar();
    if (!timesOf) throw new RangeError(`block refers to shared timestamps ${ref}: no resolver`);
    const ts = timesOf(ref, n);
    if (ts.length !== n) throw new RangeError(`shared timestamps ${ref} hold ${ts.length}, the block ${n}`);
    c.ts.set(ts);
  }
  const runs = r.uvar();
  let m = 0;
  for (let k = 0, i = 0; k < runs; k++) {
    const q = r.bits(2);
    const len = r.uvar();
    c.quality.fill(q, i, i + len);
    if (q !== Q_BAD) m += len;
    i += len;
  }
  const vals = valsIn.get(m);
  readNumbers(r, vals, m);
  for (let i = 0, j = 0; i < n; i++) c.value[i] = c.quality[i] === Q_BAD ? Number.NaN : vals[j++];
  return { c, end: r.nextByte() };
}

/** The sample count of a block (retention's count of what it removes). */
export function blockCount(buf: Uint8Array): number {
  return decodeBlock(buf, (_, n) => new Float64Array(n)).n;
}

/** Timestamps: the first, the first delta, then zigzagged deltas-of-delta ({@link writeZ}). */
function writeTimes(w: BitWriter, ts: Float64Array, n: number): void {
  if (n === 0) return;
  w.uvar(ts[0]);
  if (n === 1) return;
  w.uvar(ts[1] - ts[0]);
  const zs = timesOut.get(n - 2);
  for (let i = 2; i < n; i++) zs[i - 2] = zigzag(ts[i] - 2 * ts[i - 1] + ts[i - 2]);
  writeZ(w, zs, n - 2);
}

function readTimes(r: BitReader, out: Float64Array, n: number): void {
  if (n === 0) return;
  out[0] = r.uvar();
  if (n === 1) return;
  let d = r.uvar();
  out[1] = out[0] + d;
  const zs = timesIn.get(n - 2);
  readZ(r, zs, n - 2);
  for (let i = 2; i < n; i++) {
    d += unzigzag(zs[i - 2]);
    out[i] = out[i - 1] + d;
  }
}

/** A timestamp column on its own (sorted, distinct), shared by the blocks of a poll's points. */
export function encodeTimes(ts: Float64Array, n: number): Uint8Array {
  const w = new BitWriter();
  w.uvar(n);
  writeTimes(w, ts, n);
  return w.finish();
}

export function decodeTimes(buf: Uint8Array): Float64Array {
  const r = new BitReader(buf);
  const out = new Float64Array(r.uvar());
  readTimes(r, out, out.length);
  return out;
}

/** Two blocks as one (their segments back to back), read by {@link decodeBlock} as the merge of both. */
export function concatBlocks(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
