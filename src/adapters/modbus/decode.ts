/**
 * Pure Modbus value decoding and encoding: register words (uint16) or bits → typed value.
 *
 * Word orders, for the logical big-endian bytes `A B C D` (32-bit) or `A B C D E F G H` (64-bit),
 * `A` most significant; the table shows the registers as they arrive on the wire (w0 first):
 *
 * | order | 32-bit words | 64-bit words        | meaning                                   |
 * |-------|--------------|---------------------|-------------------------------------------|
 * | ABCD  | AB CD        | AB CD EF GH         | big-endian                                |
 * | CDAB  | CD AB        | GH EF CD AB         | words in reverse order, bytes BE in words |
 * | BADC  | BA DC        | BA DC FE HG         | words in order, bytes swapped in words    |
 * | DCBA  | DC BA        | HG FE DC BA         | fully little-endian                       |
 *
 * Orders apply to 32/64-bit types only; 16-bit types are always the register as is.
 *
 * @example
 * decodeRegisters([0x42f6, 0xe979], 0, 'float32', 'ABCD') // ≈ 123.456
 */
import type { ModbusPointSpec, WordOrderName } from './config.ts';

export type ModbusValueType = ModbusPointSpec['type'];

// One scratch buffer for all conversions: decoding allocates nothing.
const scratch = new DataView(new ArrayBuffer(8));

function words(type: ModbusValueType): number {
  return type === 'float64' ? 4 : type === 'int32' || type === 'uint32' || type === 'float32' ? 2 : 1;
}

/** Copies `n` registers from `regs[at..]` into the scratch buffer as big-endian bytes, undoing `order`. */
function load(regs: ArrayLike<number>, at: number, n: number, order: WordOrderName): void {
  const reverse = order === 'CDAB' || order === 'DCBA';
  const swap = order === 'BADC' || order === 'DCBA';
  for (let i = 0; i < n; i++) {
    const w = regs[at + (reverse ? n - 1 - i : i)] & 0xffff;
    scratch.setUint16(2 * i, swap ? ((w & 0xff) << 8) | (w >> 8) : w);
  }
}

/**
 * Decodes the raw (unscaled) number at `regs[at]` for a register type.
 * Floats may come back NaN or ±Infinity; callers treat non-finite results as a decode problem.
 * `bool` reads bit `bit` (default 0) of the register and returns 1 or 0.
 */
export function decodeRegisters(
  regs: ArrayLike<number>,
  at: number,
  type: ModbusValueType,
  order: WordOrderName = 'ABCD',
  bit = 0,
): number {
  switch (type) {
    case 'bool':
      return (regs[at] >> bit) & 1;
    case 'uint16':
      return regs[at] & 0xffff;
    case 'int16':
      return ((regs[at] & 0xffff) << 16) >> 16;
    case 'int32':
      load(regs, at, 2, order);
      return scratch.getInt32(0);
    case 'uint32':
      load(regs, at, 2, order);
      return scratch.getUint32(0);
    case 'float32':
      load(regs, at, 2, order);
      return scratch.getFloat32(0);
    case 'float64':
      load(regs, at, 4, order);
      return scratch.getFloat64(0);
  }
}

/** The subset of a point spec the decoder needs. */
export type DecodeSpec = Pick<ModbusPointSpec, 'table' | 'type' | 'order' | 'scale' | 'offset' | 'bit'>;

/**
 * Decodes a point from a read result: `data` is register words for holding/input, bits (booleans)
 * for coil/discrete, `at` the point's offset in it. Numbers come back as `raw * scale + offset`.
 * Returns `null` when the value cannot be represented (NaN/Infinity float): a decode problem,
 * which the adapter reports as a `bad` sample, never as a made-up value.
 */
export function decodePoint(p: DecodeSpec, data: ArrayLike<number | boolean>, at: number): number | boolean | null {
  if (p.table === 'coil' || p.table === 'discrete') return data[at] === true || data[at] === 1;
  const regs = data as ArrayLike<number>;
  if (p.type === 'bool') return ((regs[at] >> (p.bit ?? 0)) & 1) === 1;
  const raw = decodeRegisters(regs, at, p.type, p.order);
  if (!Number.isFinite(raw)) return null;
  const v = raw * p.scale + p.offset;
  return Number.isFinite(v) ? v : null;
}

/**
 * The inverse of {@link decodeRegisters}: the register words that hold the raw number `raw`.
 * Integers are truncated and wrapped to the type's width; `bool` gives the mask of bit `bit` when true.
 *
 * @example
 * encodeRegisters(123.456, 'float32', 'CDAB') // [0xe979, 0x42f6]
 */
export function encodeRegisters(raw: number, type: ModbusValueType, order: WordOrderName = 'ABCD', bit = 0): number[] {
  switch (type) {
    case 'bool':
      return [raw ? (1 << bit) & 0xffff : 0];
    case 'int16':
    case 'uint16':
      return [Math.trunc(raw) & 0xffff];
    case 'int32':
      scratch.setInt32(0, Math.trunc(raw));
      break;
    case 'uint32':
      scratch.setUint32(0, Math.trunc(raw) >>> 0);
      break;
    case 'float32':
      scratch.setFloat32(0, raw);
      break;
    case 'float64':
      scratch.setFloat64(0, raw);
      break;
  }
  const n = words(type);
  const reverse = order === 'CDAB' || order === 'DCBA';
  const swap = order === 'BADC' || order === 'DCBA';
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const w = scratch.getUint16(2 * i);
    out[reverse ? n - 1 - i : i] = swap ? ((w & 0xff) << 8) | (w >> 8) : w;
  }
  return out;
}

/**
 * Encodes an engineering value for a register point: `(value - offset) / scale`, rounded for
 * integer types, then {@link encodeRegisters}. For simulators and tests.
 */
export function encodePoint(p: Pick<DecodeSpec, 'type' | 'order' | 'scale' | 'offset' | 'bit'>, value: number | boolean): number[] {
  if (typeof value === 'boolean' || p.type === 'bool') return encodeRegisters(value ? 1 : 0, 'bool', 'ABCD', p.bit ?? 0);
  const raw = (value - p.offset) / p.scale;
  const isFloat = p.type === 'float32' || p.type === 'float64';
  return encodeRegisters(isFloat ? raw : Math.round(raw), p.type, p.order);
}
