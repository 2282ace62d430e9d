// The InfluxDB store's lines from the ingest queue's columns are the lines it makes from Sample
// objects: one per device poll, the later of two samples of a point winning, a poll's rows found
// again when other devices' rows come between them.
import { describe, expect, it } from 'vitest';
import { columnsOf, PointTable } from '../../src/ingest/columns.ts';
import type { Sample } from '../../src/model.ts';
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
