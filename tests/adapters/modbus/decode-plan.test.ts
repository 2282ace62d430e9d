import { describe, expect, it } from 'vitest';
import type { ModbusPointSpec } from '../../../src/adapters/modbus/config.ts';
import { decodePoint, encodePoint } from '../../../src/adapters/modbus/decode.ts';
import { compileRequest, decodeInto, TAG_FALSE, TAG_NULL, TAG_NUM, TAG_TRUE } from '../../../src/adapters/modbus/decode-plan.ts';
import { buildReadPlan } from '../../../src/adapters/modbus/plan.ts';

const p = (id: string, address: number, type: ModbusPointSpec['type'], over: Partial<ModbusPointSpec> = {}): ModbusPointSpec => ({
  id,
  table: 'holding',
  address,
  type,
  order: 'ABCD',
  scale: 1,
  offset: 0,
  ...over,
});

/** The compiled decoder against the reference decodePoint, for every type and order. */
describe('compiled decode plans', () => {
  const points: ModbusPointSpec[] = [
    p('f_abcd', 0, 'float32'),
    p('f_cdab', 2, 'float32', { order: 'CDAB' }),
    p('f_badc', 4, 'float32', { order: 'BADC' }),
    p('f_dcba', 6, 'float32', { order: 'DCBA', scale: 0.5, offset: -3 }),
    p('i16', 8, 'int16', { scale: 0.001 }),
    p('u16', 9, 'uint16', { offset: 10 }),
    p('i32', 10, 'int32', { order: 'CDAB' }),
    p('u32', 12, 'uint32'),
    p('f64', 14, 'float64', { order: 'DCBA' }),
    p('bit3', 18, 'bool', { bit: 3 }),
    p('nan', 19, 'float32'),
    p('huge', 21, 'float32', { scale: 1e300 }),
  ];
  const values: Record<string, number | boolean> = { f_abcd: 71.25, f_cdab: -0.5, f_badc: 3.5e6, f_dcba: 12.75, i16: -1.234, u16: 65000, i32: -70000, u32: 4e9, f64: Math.PI, bit3: true, nan: 0, huge: 1e10 };

  it('decodes registers exactly like decodePoint, including NaN and overflow as not representable', () => {
    const regs = new Array<number>(23).fill(0);
    for (const pt of points) encodePoint(pt, values[pt.id]).forEach((w, i) => (regs[pt.address + i] = w));
    regs[19] = 0x7fc0; // NaN
    [regs[21], regs[22]] = encodePoint({ type: 'float32', order: 'ABCD', scale: 1, offset: 0 }, 1e30); // × 1e300 overflows
    const plan = buildReadPlan(points, { maxGap: 0 });
    expect(plan).toHaveLength(1);
    const bytes = Buffer.alloc(2 * regs.length);
    regs.forEach((w, i) => bytes.writeUInt16BE(w, 2 * i));
    const vals = new Float64Array(points.length);
    const tags = new Uint8Array(points.length).fill(TAG_NULL);
    decodeInto(compileRequest(plan[0]), bytes, vals, tags);
    points.forEach((pt, i) => {
      const ref = decodePoint(pt, regs, pt.address);
      const got = tags[i] === TAG_NULL ? null : tags[i] === TAG_NUM ? vals[i] : tags[i] === TAG_TRUE;
      expect(got, pt.id).toEqual(ref);
    });
    expect(tags[points.findIndex((x) => x.id === 'nan')]).toBe(TAG_NULL);
    expect(tags[points.findIndex((x) => x.id === 'huge')]).toBe(TAG_NULL);
  });

  it('decodes coils and discrete inputs from bits packed least significant first', () => {
    const at = [0, 2, 7, 8, 13];
    const coils = at.map((a) => p(`c${a}`, a, 'bool', { table: 'coil' }));
    const plan = buildReadPlan(coils, { maxGap: 8 });
    expect(plan).toHaveLength(1);
    const vals = new Float64Array(at.length);
    const tags = new Uint8Array(at.length);
    // coils 2, 8 and 13 on; the others off: byte 0 = 0b0000_0100, byte 1 = 0b0010_0001
    decodeInto(compileRequest(plan[0]), Buffer.from([0x04, 0x21]), vals, tags);
    expect([...tags]).toEqual([TAG_FALSE, TAG_TRUE, TAG_FALSE, TAG_TRUE, TAG_TRUE]);
  });
});
