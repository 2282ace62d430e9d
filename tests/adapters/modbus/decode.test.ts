import { describe, expect, it } from 'vitest';
import { decodePoint, decodeRegisters, encodePoint, encodeRegisters, type ModbusValueType } from '../../../src/adapters/modbus/decode.ts';
import type { WordOrderName } from '../../../src/config/resolve.ts';

// Register words written by hand from the big-endian bytes of each value (see decode.ts table).
const cases: Array<[ModbusValueType, WordOrderName, number[], number]> = [
  // float32 123.456 = 42 F6 E9 79
  ['float32', 'ABCD', [0x42f6, 0xe979], 123.456],
  ['float32', 'CDAB', [0xe979, 0x42f6], 123.456],
  ['float32', 'BADC', [0xf642, 0x79e9], 123.456],
  ['float32', 'DCBA', [0x79e9, 0xf642], 123.456],
  // float32 -0.15625 = BE 20 00 00 (exact)
  ['float32', 'ABCD', [0xbe20, 0x0000], -0.15625],
  ['float32', 'CDAB', [0x0000, 0xbe20], -0.15625],
  ['float32', 'BADC', [0x20be, 0x0000], -0.15625],
  ['float32', 'DCBA', [0x0000, 0x20be], -0.15625],
  // int32 -123456789 = F8 A4 32 EB
  ['int32', 'ABCD', [0xf8a4, 0x32eb], -123456789],
  ['int32', 'CDAB', [0x32eb, 0xf8a4], -123456789],
  ['int32', 'BADC', [0xa4f8, 0xeb32], -123456789],
  ['int32', 'DCBA', [0xeb32, 0xa4f8], -123456789],
  // uint32 3000000000 = B2 D0 5E 00
  ['uint32', 'ABCD', [0xb2d0, 0x5e00], 3000000000],
  ['uint32', 'CDAB', [0x5e00, 0xb2d0], 3000000000],
  ['uint32', 'BADC', [0xd0b2, 0x005e], 3000000000],
  ['uint32', 'DCBA', [0x005e, 0xd0b2], 3000000000],
  // float64 -1234.5678 = C0 93 4A 45 6D 5C FA AD
  ['float64', 'ABCD', [0xc093, 0x4a45, 0x6d5c, 0xfaad], -1234.5678],
  ['float64', 'CDAB', [0xfaad, 0x6d5c, 0x4a45, 0xc093], -1234.5678],
  ['float64', 'BADC', [0x93c0, 0x454a, 0x5c6d, 0xadfa], -1234.5678],
  ['float64', 'DCBA', [0xadfa, 0x5c6d, 0x454a, 0x93c0], -1234.5678],
  // 16-bit types: one register, order does not apply (same value for every order)
  ['int16', 'ABCD', [0xfffe], -2],
  ['int16', 'CDAB', [0x8000], -32768],
  ['int16', 'BADC', [0x7fff], 32767],
  ['int16', 'DCBA', [0x0102], 258],
  ['uint16', 'ABCD', [0xfffe], 65534],
  ['uint16', 'CDAB', [0x8000], 32768],
  ['uint16', 'BADC', [0x0000], 0],
  ['uint16', 'DCBA', [0x0102], 258],
];

const close = (a: number, b: number, type: ModbusValueType) =>
  type === 'float32' ? Math.abs(a - b) <= Math.abs(b) * 1e-7 : a === b;

describe('decodeRegisters', () => {
  it.each(cases)('%s %s %j → %d', (type, order, words, want) => {
    // at an offset inside a longer reply, to prove `at` is honoured
    const regs = [0xdead, ...words, 0xbeef];
    const got = decodeRegisters(regs, 1, type, order);
    expect(close(got, want, type), `got ${got}`).toBe(true);
  });

  it.each(cases)('encode is the inverse: %s %s %j', (type, order, words, want) => {
    expect(encodeRegisters(want, type, order)).toEqual(words);
  });

  it('bool reads bit n of a register', () => {
    for (let bit = 0; bit < 16; bit++) {
      expect(decodeRegisters([1 << bit], 0, 'bool', 'ABCD', bit)).toBe(1);
      expect(decodeRegisters([~(1 << bit) & 0xffff], 0, 'bool', 'ABCD', bit)).toBe(0);
    }
  });
});

describe('decodePoint', () => {
  const base = { order: 'ABCD' as const, scale: 1, offset: 0 };

  it('applies scale then offset', () => {
    const p = { ...base, table: 'input' as const, type: 'int16' as const, scale: 0.001, offset: -1 };
    expect(decodePoint(p, [0xfc18], 0)).toBeCloseTo(-2, 12); // -1000 * 0.001 - 1
    const q = { ...base, table: 'holding' as const, type: 'uint16' as const, scale: 0.1, offset: 20 };
    expect(decodePoint(q, [0, 655], 1)).toBeCloseTo(85.5, 9);
  });

  it('coils and discrete inputs are bits', () => {
    const p = { ...base, table: 'coil' as const, type: 'bool' as const };
    expect(decodePoint(p, [false, true, false], 1)).toBe(true);
    expect(decodePoint({ ...p, table: 'discrete' }, [false, true, false], 2)).toBe(false);
  });

  it('bit of a register is a bool', () => {
    const p = { ...base, table: 'holding' as const, type: 'bool' as const, bit: 3 };
    expect(decodePoint(p, [0b1000], 0)).toBe(true);
    expect(decodePoint(p, [0b0111], 0)).toBe(false);
  });

  it('NaN and ±Infinity floats are a decode problem (null), never a value', () => {
    const f32 = { ...base, table: 'holding' as const, type: 'float32' as const };
    expect(decodePoint(f32, [0x7fc0, 0x0000], 0)).toBeNull(); // NaN
    expect(decodePoint(f32, [0x7f80, 0x0000], 0)).toBeNull(); // +Inf
    expect(decodePoint(f32, [0xff80, 0x0000], 0)).toBeNull(); // -Inf
    const f64 = { ...base, table: 'holding' as const, type: 'float64' as const };
    expect(decodePoint(f64, [0x7ff0, 0, 0, 0], 0)).toBeNull(); // +Inf
    expect(decodePoint(f64, [0x7ff8, 0, 0, 1], 0)).toBeNull(); // NaN
    // finite raw that overflows after scaling is also refused
    expect(decodePoint({ ...f64, scale: 1e10 }, [0x7fef, 0xffff, 0xffff, 0xffff], 0)).toBeNull();
  });

  it('encodePoint inverts scale/offset', () => {
    const p = { type: 'int16' as const, order: 'ABCD' as const, scale: 0.01, offset: -50 };
    const words = encodePoint(p, 12.34);
    expect(decodePoint({ ...p, table: 'input' }, words, 0)).toBeCloseTo(12.34, 9);
    const b = encodePoint({ type: 'bool', order: 'ABCD', scale: 1, offset: 0, bit: 5 }, true);
    expect(b).toEqual([0x20]);
  });
});
