import { type BitReader, type BitWriter, ScratchColumn, readIntStream, writeIntStream } from './bits.ts';
import { readXor, writeXor } from './gorilla.ts';
import type { NumEnc } from './spec.ts';

/** Column modes (3 bits): the first that fits the column is used. */
const NONE = 0;
const BOOL = 1;
const QUANT = 2;
const DEC = 3;
const XOR = 4;

/** integers beyond this are not delta-coded (deltas and zigzag must stay exact doubles) */
const MAX_INT = 2 ** 50;
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

const intsScratch = new ScratchColumn();

const isNegZero = (v: number) => v === 0 && 1 / v < 0;

/**
 * Writes a column of finite numbers: run lengths when all are 0/1, integers n × q + off when
 * `enc` fits every value within its tolerance, whole decimals (n / 10^d, d ≤ 6) when exact, else
 * XOR coding of the float64 (lossless, ./gorilla.ts).
 */
export function writeNumbers(w: BitWriter, vals: ArrayLike<number>, n: number, enc: NumEnc | null, allowBool = true): void {
  if (n === 0) {
    w.bits(NONE, 3);
    return;
  }
  if (allowBool && isBoolColumn(vals, n)) {
    w.bits(BOOL, 3);
    writeRuns(w, vals, n);
    return;
  }
  const ints = intsScratch.get(n);
  if (enc && quantise(vals, n, enc, ints)) {
    w.bits(QUANT, 3);
    writeF64(w, enc.q);
    if (enc.off === 0) w.bits(0, 1);
    else {
      w.bits(1, 1);
      writeF64(w, enc.off);
    }
    writeIntStream(w, ints, n);
    return;
  }
  for (let d = 0; d <= 6; d++) {
    if (decimals(vals, n, d, ints)) {
      w.bits(DEC, 3);
      w.bits(d, 3);
      writeIntStream(w, ints, n);
      return;
    }
  }
  w.bits(XOR, 3);
  writeXor(w, vals, n);
}

export function readNumbers(r: BitReader, out: Float64Array, n: number): void {
  const mode = r.bits(3);
  if (mode === NONE) return;
  if (mode === BOOL) return readRuns(r, out, n);
  if (mode === XOR) return readXor(r, out, n);
  if (mode === QUANT) {
    const q = readF64(r);
    const off = r.bits(1) === 1 ? readF64(r) : 0;
    readIntStream(r, out, n);
    // the Modbus decoder's formula, so an integer register comes back bit for bit
    for (let i = 0; i < n; i++) out[i] = out[i] * q + off;
    return;
  }
  if (mode === DEC) {
    const p = 10 ** r.bits(3);
    readIntStream(r, out, n);
    for (let i = 0; i < n; i++) out[i] = out[i] / p;
    return;
  }
  throw new RangeError(`unknown column mode ${mode}`);
}

function isBoolColumn(vals: ArrayLike<number>, n: number): boolean {
  for (let i = 0; i < n; i++) {
    const v = vals[i];
    if (v !== 1 && (v !== 0 || isNegZero(v))) return false;
  }
  return true;
}

function quantise(vals: ArrayLike<number>, n: number, e: NumEnc, out: Float64Array): boolean {
  if (!(e.q > 0) || !Number.isFinite(e.q) || !Number.isFinite(e.off)) return false;
  for (let i = 0; i < n; i++) {
    const v = vals[i];
    const k = Math.round((v - e.off) / e.q);
    if (!(Math.abs(k) <= MAX_INT)) return false;
    const back = k * e.q + e.off;
    if (back !== v) {
      const tol = Math.max(e.tolAbs, Math.abs(v) * e.tolRel);
      if (!(Math.abs(back - v) <= tol)) return false;
    } else if (isNegZero(v) && !isNegZero(back)) return false;
    out[i] = k === 0 ? 0 : k;
  }
  return true;
}

function decimals(vals: ArrayLike<number>, n: number, d: number, out: Float64Array): boolean {
  const p = 10 ** d;
  for (let i = 0; i < n; i++) {
    const v = vals[i];
    const k = Math.round(v * p);
    if (!(Math.abs(k) <= MAX_INT) || k / p !== v || isNegZero(v)) return false;
    out[i] = k === 0 ? 0 : k;
  }
  return true;
}

/** 0/1 column: the first bit, then run lengths (rice-free: runs are few) */
function writeRuns(w: BitWriter, vals: ArrayLike<number>, n: number): void {
  w.bits(vals[0], 1);
  let runs = 0;
  for (let i = 1; i < n; i++) if (vals[i] !== vals[i - 1]) runs++;
  w.uvar(runs);
  let start = 0;
  for (let i = 1; i < n; i++) {
    if (vals[i] !== vals[i - 1]) {
      w.uvar(i - start);
      start = i;
    }
  }
}

function readRuns(r: BitReader, out: Float64Array, n: number): void {
  let v = r.bits(1);
  const runs = r.uvar();
  let i = 0;
  for (let k = 0; k < runs; k++) {
    const len = r.uvar();
    out.fill(v, i, i + len);
    i += len;
    v ^= 1;
  }
  out.fill(v, i, n);
}

export function writeF64(w: BitWriter, v: number): void {
  f64[0] = v;
  w.u32(u32[1], 32);
  w.u32(u32[0], 32);
}

export function readF64(r: BitReader): number {
  u32[1] = r.u32(32);
  u32[0] = r.u32(32);
  return f64[0];
}
