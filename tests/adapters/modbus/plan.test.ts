import { describe, expect, it } from 'vitest';
import { buildReadPlan } from '../../../src/adapters/modbus/plan.ts';
import type { ModbusPointSpec } from '../../../src/config/resolve.ts';

let n = 0;
function pt(table: ModbusPointSpec['table'], address: number, type: ModbusPointSpec['type'] = 'uint16', bit?: number): ModbusPointSpec {
  return { id: `p${n++}`, table, address, type, order: 'ABCD', scale: 1, offset: 0, ...(bit !== undefined ? { bit } : {}) };
}
const ranges = (plan: ReturnType<typeof buildReadPlan>) => plan.map((r) => r.label);

describe('buildReadPlan', () => {
  it('merges contiguous points and records each point offset', () => {
    const pts = [pt('holding', 4, 'float32'), pt('holding', 0, 'float32'), pt('holding', 2, 'int32'), pt('holding', 6)];
    const plan = buildReadPlan(pts, { maxGap: 0 });
    expect(plan).toHaveLength(1);
    expect(plan[0]).toMatchObject({ table: 'holding', address: 0, count: 7, label: 'holding 0..6' });
    expect(plan[0].points.map((p) => [p.index, p.offset])).toEqual([[1, 0], [2, 2], [0, 4], [3, 6]]);
  });

  it('bridges gaps up to maxGap unused addresses, splits beyond', () => {
    const pts = [pt('input', 0), pt('input', 11), pt('input', 23)]; // holes of 10 and 11
    expect(ranges(buildReadPlan(pts, { maxGap: 10 }))).toEqual(['input 0..11', 'input 23..23']);
    expect(ranges(buildReadPlan(pts, { maxGap: 11 }))).toEqual(['input 0..23']);
    expect(ranges(buildReadPlan(pts, { maxGap: 0 }))).toEqual(['input 0..0', 'input 11..11', 'input 23..23']);
  });

  it('never exceeds 125 registers per request', () => {
    const pts = Array.from({ length: 200 }, (_, i) => pt('holding', i * 2, 'float32')); // 400 registers
    const plan = buildReadPlan(pts, { maxGap: 10 });
    expect(plan.every((r) => r.count <= 125)).toBe(true);
    expect(plan.reduce((s, r) => s + r.points.length, 0)).toBe(200);
    expect(plan).toHaveLength(4); // ceil(400 / 124): a float32 never straddles two requests
    expect(ranges(plan)[0]).toBe('holding 0..123');
    // a smaller configured limit is honoured, a larger one is capped at the protocol maximum
    expect(buildReadPlan(pts, { maxGap: 10, maxRegisters: 50 }).every((r) => r.count <= 50)).toBe(true);
    expect(buildReadPlan(pts, { maxGap: 10, maxRegisters: 500 }).every((r) => r.count <= 125)).toBe(true);
  });

  it('never exceeds 2000 bits per request', () => {
    const pts = Array.from({ length: 2500 }, (_, i) => pt('coil', i, 'bool'));
    const plan = buildReadPlan(pts, { maxGap: 10 });
    expect(ranges(plan)).toEqual(['coil 0..1999', 'coil 2000..2499']);
    expect(plan[1].points[0].offset).toBe(0);
  });

  it('keeps tables apart even at the same addresses', () => {
    const pts = [pt('coil', 0, 'bool'), pt('discrete', 0, 'bool'), pt('holding', 0), pt('input', 0), pt('holding', 1)];
    const plan = buildReadPlan(pts, { maxGap: 10 });
    expect(ranges(plan)).toEqual(['coil 0..0', 'discrete 0..0', 'holding 0..1', 'input 0..0']);
  });

  it('bits of one register share that register', () => {
    const pts = [pt('holding', 5, 'bool', 0), pt('holding', 5, 'bool', 15), pt('holding', 5, 'bool', 7), pt('holding', 6)];
    const plan = buildReadPlan(pts, { maxGap: 0 });
    expect(plan).toHaveLength(1);
    expect(plan[0]).toMatchObject({ address: 5, count: 2 });
    expect(plan[0].points.filter((p) => p.offset === 0)).toHaveLength(3);
  });

  it('overlapping points (uint16 view of a float32 register) are read once', () => {
    const pts = [pt('holding', 10, 'float64'), pt('holding', 11)];
    const plan = buildReadPlan(pts, { maxGap: 0 });
    expect(ranges(plan)).toEqual(['holding 10..13']);
  });

  it('no points → no requests', () => {
    expect(buildReadPlan([], { maxGap: 10 })).toEqual([]);
  });
});
