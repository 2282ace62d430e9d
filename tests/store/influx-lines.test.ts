// The InfluxDB store's lines from the ingest queue's columns are the lines it makes from Sample
// objects: one per device poll, the later of two samples of a point winning, a poll's rows found
// again when other devices' rows come between them.
import { describe, expect, it } from 'vitest';
import { columnsOf, PointTable } from '../../src/ingest/columns.ts';
import type { Sample } from '../../src/model.ts';
import { atResolution } from '../../src/store/codec/spec.ts';
import { encodeLine, groupColumnLines, groupLines, TableLineParts } from '../../src/store/influx/lines.ts';

const T0 = Date.UTC(2025, 0, 15, 8);
const s = (point: string, ts: number, value: Sample['value'], quality: Sample['quality'] = 'good'): Sample => ({ point, ts, value, quality });

const text = (lines: ReturnType<typeof groupLines>) => [...lines.entries()].map(([k, l]) => [k, encodeLine(l, l.station === 'hs-1' ? 'north' : undefined)]);

describe('lines from columns', () => {
  const batch = [
    s('hs-1.plc.t', T0, 71.5),
    s('hs-1.plc.run', T0, true),
    s('hs-1.plc.p', T0, null, 'bad'),
    s('hs-2.plc.t', T0, 65, 'uncertain'),
    s('hs-1.plc.off', T0, false),
    s('hs-1.plc.t', T0, 72), // the same point again: the later wins
    s('hs-1.plc.t', T0 + 10_000, -0.25),
    s('hs-1.meter.e=1', T0, 12345.678), // a field name that needs escaping
    s('hs-1.plc.x', T0 + 10_000, 3, 'uncertain'),
  ];

  it('are the lines made from the samples, byte for byte, in the same order', () => {
    const table = new PointTable();
    const parts = new TableLineParts();
    const cols = columnsOf(batch, table)!;
    expect(text(groupColumnLines(cols, parts.update(table.ids)))).toEqual(text(groupLines(batch)));
  });

  it('split the ids the table gained since the last batch, and only those', () => {
    const table = new PointTable();
    const parts = new TableLineParts();
    const first = columnsOf(batch.slice(0, 4), table)!;
    groupColumnLines(first, parts.update(table.ids));
    expect(parts.field).toEqual(['t', 'run', 'p', 't']);
    const second = columnsOf(batch, table)!;
    expect(text(groupColumnLines(second, parts.update(table.ids)))).toEqual(text(groupLines(batch)));
    expect(parts.field).toEqual(['t', 'run', 'p', 't', 'off', 'e=1', 'x']);
    // one key object per device, so a poll's rows compare by reference
    expect(parts.deviceKey[0]).toBe(parts.deviceKey[4]);
  });
});

describe('values at their resolution', () => {
  // t a float point at 0.01, n an integer register (0.1 × raw: kept as it is), u a point no encoding names
  const resolution = (point: string) => (point.endsWith('.t') ? 0.01 : 0);
  const f32 = Math.fround;
  const batch = [s('hs-1.plc.t', T0, f32(51.2)), s('hs-1.plc.n', T0, 3 * 0.1), s('hs-1.plc.u', T0, f32(21.4)), s('hs-1.plc.run', T0, true), s('hs-2.plc.t', T0, f32(-4.7), 'uncertain')];

  it('write a float point at its resolution, the nearest decimal, and every other value as it is', () => {
    const want = [
      [`hs-1\0plc\0${T0}`, `poll,area=north,device=plc,station=hs-1 t=51.2,n=0.30000000000000004,u=${f32(21.4)},run=1,@bad="",@uncertain="",@bool="run" ${T0}`],
      [`hs-2\0plc\0${T0}`, `poll,device=plc,station=hs-2 t=-4.7,@bad="",@uncertain="t",@bool="" ${T0}`],
    ];
    expect(text(groupLines(batch, resolution))).toEqual(want);
    const table = new PointTable();
    const cols = columnsOf(batch, table)!;
    expect(text(groupColumnLines(cols, new TableLineParts(resolution).update(table.ids)))).toEqual(want);
    // without resolutions: as received
    expect(text(groupLines(batch))[0][1]).toContain(`t=${f32(51.2)},`);
  });

  it('is the nearest multiple of the step, within half a step; decimal steps give the decimal itself', () => {
    expect(atResolution(f32(21.4), 0.01)).toBe(21.4);
    expect(atResolution(f32(0.35), 0.05)).toBe(0.35);
    expect(atResolution(65.123, 0.1)).toBe(65.1);
    expect(atResolution(-4.74, 2)).toBe(-4);
    expect(atResolution(7.3, 0.25)).toBe(7.25);
    expect(atResolution(1e300, 0.01)).toBe(1e300); // past 2^52 steps: as it is
    expect(atResolution(f32(21.4), 0)).toBe(f32(21.4));
    for (let i = 0; i < 1000; i++) {
      const v = (i - 500) * 0.0137 + f32(i / 7);
      for (const q of [0.001, 0.01, 0.05, 0.1, 0.25, 1]) expect(Math.abs(atResolution(v, q) - v)).toBeLessThanOrEqual(q / 2 + 1e-12);
    }
  });
});
