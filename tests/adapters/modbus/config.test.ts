import { describe, expect, it } from 'vitest';
import { registerWidth, resolveModbusDevice, resolveModbusPoint, type ModbusPointConfig, type ModbusPointSpec } from '../../../src/adapters/modbus/config.ts';

const pt = (p: Partial<ModbusPointConfig> = {}): ModbusPointConfig => ({ id: 't', table: 'holding', address: 0, type: 'float32', ...p });

describe('Modbus config (pure)', () => {
  it('fills a point’s defaults and a device’s', () => {
    const problems: Array<{ path: string; message: string }> = [];
    const d = resolveModbusDevice({ points: [pt()] }, 'd', problems, new Map());
    expect(problems).toEqual([]);
    expect(d).toEqual({ unit: 1, maxGap: 10, inFlight: 1, points: [{ id: 't', table: 'holding', address: 0, type: 'float32', order: 'ABCD', scale: 1, offset: 0 }] });
    expect(registerWidth('float64')).toBe(4);
  });

  it.each([
    [pt({ table: 'coil', type: 'int16' }), 'p.type: a coil holds one bit; type must be bool, got int16'],
    [pt({ table: 'coil', type: 'bool', bit: 3 }), 'p.bit: bit applies to holding/input registers, not to a coil'],
    [pt({ type: 'bool' }), 'p.bit: a bool in a holding register needs bit (0..15)'],
    [pt({ type: 'int16', bit: 2 }), 'p.type: a point with bit must have type bool, got int16'],
    [pt({ type: 'float64', address: 65533 }), 'p.address: float64 at 65533 runs past register 65535'],
    [pt({ type: 'uint16', order: 'CDAB' }), 'p.order: order applies to 32/64-bit types, not uint16'],
    [pt({ table: 'coil', type: 'bool', scale: 2 }), 'p.scale: scale/offset do not apply to bool points'],
  ])('checks across a point’s keys: %#', (p, expected) => {
    const problems: Array<{ path: string; message: string }> = [];
    resolveModbusPoint(p, 'p', problems);
    expect(problems.map((x) => `${x.path}: ${x.message}`)).toEqual([expected]);
  });

  it('checks a template once and shares its specs between devices; own points follow', () => {
    const problems: Array<{ path: string; message: string }> = [];
    const specs = new Map<string, ModbusPointSpec[]>();
    const template = { name: 'plc', points: [pt({ id: 'a', type: 'bool' }), pt({ id: 'b', address: 2 })] };
    const one = resolveModbusDevice({ template, unit: 3 }, 'stations[0].devices[0]', problems, specs);
    const two = resolveModbusDevice({ template, maxGap: 0, points: [pt({ id: 'c', address: 9 }), { nodeId: 'ns=1;s=x' }] }, 'stations[1].devices[0]', problems, specs);
    expect(problems.map((x) => `${x.path}: ${x.message}`)).toEqual([
      'templates.plc.points[0].bit: a bool in a holding register needs bit (0..15)',
      'stations[1].devices[0].points[1]: a modbus point needs table, address and type',
    ]);
    expect(one.points).toBe(specs.get('plc'));
    expect(two.points.map((p) => p.id)).toEqual(['a', 'b', 'c']);
    expect(two.points[0]).toBe(one.points[0]);
    expect([one.unit, one.maxGap, two.unit, two.maxGap]).toEqual([3, 10, 1, 0]);
  });
});
