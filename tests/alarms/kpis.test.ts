import { describe, expect, it } from 'vitest';
import { alarmKpis, type KpiEvent } from '../../src/alarms/index.ts';

const MIN = 60_000;
const raise = (alarmId: string, ts: number, priority: 1 | 2 | 3 | 4 = 3): KpiEvent => ({ alarmId, ts, type: 'raise', priority, to: 'unacked' });

describe('alarmKpis', () => {
  it('computes EEMUA 191 figures over a hand-built event list', () => {
    const events: KpiEvent[] = [
      // a chattering alarm: 3 raises in 40 s
      raise('c', 0), { alarmId: 'c', ts: 10_000, type: 'clear', priority: 3, to: 'rtn_unacked' }, raise('c', 20_000), raise('c', 40_000),
      // a flood: 12 raises between 30 and 35 min
      ...Array.from({ length: 12 }, (_, i) => raise(`f${i}`, 30 * MIN + i * 20_000, i === 0 ? 1 : 2)),
      // stale: raised before the window, never cleared
      raise('s', -25 * 60 * MIN),
    ];
    const k = alarmKpis(events, { from: 0, to: 120 * MIN });
    expect(k.raises).toBe(15);
    expect(k.avgPer10Min).toBeCloseTo(15 / 12);
    expect(k.peak10Min).toBe(12);
    // flood from the 11th raise (30 min + 200 s) until the count falls below 5 (the 8th raise expires at 40 min + 140 s)
    expect(k.floodPercent).toBeCloseTo((100 * (40 * MIN + 140_000 - (30 * MIN + 200_000))) / (120 * MIN));
    expect(k.chattering).toEqual(['c']);
    expect(k.stale).toEqual(['s']);
    expect(k.top10[0]).toEqual({ alarmId: 'c', count: 3 });
    expect(k.top10Share).toBeCloseTo(12 / 15);
    expect(k.priorities[1]).toEqual({ count: 1, share: 1 / 15 });
    expect(k.priorities[2].count).toBe(11);
    expect(k.priorities[3].count).toBe(3);
  });

  it('an empty window is all zeros', () => {
    const k = alarmKpis([], { from: 0, to: 10 * MIN });
    expect(k).toMatchObject({ raises: 0, avgPer10Min: 0, peak10Min: 0, floodPercent: 0, top10Share: 0 });
  });
});
