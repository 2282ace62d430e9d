import { describe, expect, it } from 'vitest';
import type { AlarmRuleConfig } from '../../src/alarms/index.ts';
import type { Sample } from '../../src/model.ts';
import { T0, harness, pointsOf, series, types } from './helpers.ts';

const PTS = pointsOf('hs-1', 'plc', ['t', 'u', 'cmd', 'fb', 'run', 'out', 'e'], 1000, [
  [-20, 70],
  [0, 46],
]);
const merge = (...s: Sample[][]) => s.flat().sort((a, b) => a.ts - b.ts);

interface Case {
  name: string;
  rule: AlarmRuleConfig;
  samples: Sample[];
  /** alarm id suffix after `hs-1.plc.t:` unless alarmId given */
  alarmId?: string;
  /** expected event types, in order */
  expect: string[];
  /** ms after the last sample to keep ticking (1 s steps) */
  tickFor?: number;
}

const cases: Case[] = [
  { name: 'high raises and clears', rule: { point: '*.plc.t', type: 'high', limit: 80, priority: 2 }, samples: series('hs-1.plc.t', '75 85 70'), expect: ['raise', 'clear'] },
  {
    name: 'deadband: oscillation inside the band raises once',
    rule: { point: '*.plc.t', type: 'high', limit: 80, deadband: 2, priority: 2 },
    samples: series('hs-1.plc.t', '75 81 79 81 79 81 77'),
    expect: ['raise', 'clear'],
  },
  {
    name: 'on-delay filters a short excursion, raises a long one',
    rule: { point: '*.plc.t', type: 'highHigh', limit: 85, onDelayS: 3, priority: 2 },
    samples: series('hs-1.plc.t', '80 90 90 80 90x5 80'),
    expect: ['raise', 'clear'],
  },
  {
    name: 'on-delay counts only time beyond the limit, not time inside the deadband',
    rule: { point: '*.plc.t', type: 'high', limit: 80, deadband: 2, onDelayS: 3, priority: 2 },
    // one sample past the limit, then 6 s in the deadband (79): never 3 s beyond 80
    samples: series('hs-1.plc.t', '75 81 79x6 81 79x6 75'),
    expect: [],
  },
  {
    name: 'deadband still holds an active alarm through a dip into the band',
    rule: { point: '*.plc.t', type: 'high', limit: 80, deadband: 2, onDelayS: 3, priority: 2 },
    samples: series('hs-1.plc.t', '75 81x5 79x6 77'),
    expect: ['raise', 'clear'],
  },
  {
    name: 'off-delay holds the alarm through a short dip',
    rule: { point: '*.plc.t', type: 'high', limit: 80, offDelayS: 3, priority: 2 },
    samples: series('hs-1.plc.t', '85 70 85 85 70x5'),
    expect: ['raise', 'clear'],
  },
  { name: 'low', rule: { point: '*.plc.t', type: 'low', limit: 30, priority: 3 }, samples: series('hs-1.plc.t', '40 20 35'), expect: ['raise', 'clear'] },
  { name: 'lowLow with deadband', rule: { point: '*.plc.t', type: 'lowLow', limit: 15, deadband: 5, priority: 2 }, samples: series('hs-1.plc.t', '40 10 18 21'), expect: ['raise', 'clear'] },
  { name: 'bad data holds the condition', rule: { point: '*.plc.t', type: 'high', limit: 80, priority: 2 }, samples: series('hs-1.plc.t', '85 _ _ 85 70'), expect: ['raise', 'clear'] },
  {
    name: 'rateOfChange falling: a pump-start spike and its return is no fall',
    rule: { point: '*.plc.t', type: 'rateOfChange', direction: 'falling', rate: 0.05, windowS: 600, priority: 1 },
    samples: series('hs-1.plc.t', '0.41x5 0.49 0.42x12', 30_000),
    expect: [],
  },
  {
    name: 'a counter that restarts near zero (meter replaced) is one reset event, not an alarm',
    rule: { point: '*.plc.t', type: 'rateOfChange', direction: 'falling', rate: 0.001, windowS: 3600, resetBelow: 0.1, latching: true, priority: 3 },
    samples: series('hs-1.plc.t', '250000 250000.5 250001 3.2 3.7 4.1 4.6', 60_000),
    expect: ['reset'],
  },
  {
    name: 'a counter that goes back a little is a meter fault',
    rule: { point: '*.plc.t', type: 'rateOfChange', direction: 'falling', rate: 0.001, windowS: 3600, resetBelow: 0.1, latching: true, priority: 3 },
    samples: series('hs-1.plc.t', '250000 250000.5 250000.2 250000.2', 60_000),
    expect: ['raise'],
  },
  {
    name: 'rateOfChange falling over the window',
    rule: { point: '*.plc.t', type: 'rateOfChange', direction: 'falling', rate: 0.05, windowS: 600, priority: 1 },
    samples: series('hs-1.plc.t', '0.50x5 0.48 0.46 0.44 0.42', 60_000),
    expect: ['raise'],
  },
  {
    name: 'rateOfChange: slow fall stays quiet',
    rule: { point: '*.plc.t', type: 'rateOfChange', direction: 'falling', rate: 0.05, windowS: 600, priority: 1 },
    samples: series('hs-1.plc.t', '0.50 0.49 0.48 0.47 0.46 0.45 0.44 0.43 0.42 0.41 0.40 0.39', 150_000),
    expect: [],
  },
  {
    name: 'deviation from another point',
    rule: { point: '*.plc.t', type: 'deviation', reference: 'u', limit: 5, direction: 'both', priority: 3 },
    samples: merge(series('hs-1.plc.u', '50 50 50 50'), series('hs-1.plc.t', '52 44 48 58')),
    expect: ['raise', 'clear', 'raise'],
  },
  {
    name: 'deviation above the weather curve',
    rule: { point: '*.plc.t', type: 'deviation', reference: 'curve', outdoor: 'out', limit: 5, direction: 'above', priority: 2 },
    // at −10 °C the curve gives 58
    samples: merge(series('hs-1.plc.out', '-10 -10 -10 -20'), series('hs-1.plc.t', '60 64 64 64')),
    expect: ['raise', 'clear'],
  },
  { name: 'state', rule: { point: '*.plc.run', type: 'state', alarmValue: false, priority: 2 }, alarmId: 'hs-1.plc.run:st', samples: series('hs-1.plc.run', 'true false true'), expect: ['raise', 'clear'] },
  {
    name: 'mismatch bool with delay',
    rule: { point: '*.plc.cmd', type: 'mismatch', feedback: 'fb', onDelayS: 10, priority: 2 },
    alarmId: 'hs-1.plc.cmd:mm',
    samples: merge(series('hs-1.plc.cmd', 'truex20'), series('hs-1.plc.fb', 'true false false false truex3 falsex13')),
    expect: ['raise'],
  },
  {
    name: 'mismatch numeric with tolerance',
    rule: { point: '*.plc.cmd', type: 'mismatch', feedback: 'fb', tolerance: 5, priority: 2 },
    alarmId: 'hs-1.plc.cmd:mm',
    samples: merge(series('hs-1.plc.cmd', '50 50 50'), series('hs-1.plc.fb', '47 40 50')),
    expect: ['raise', 'clear'],
  },
  {
    name: 'stale: no good sample for afterS',
    rule: { point: '*.plc.t', type: 'stale', afterS: 5, priority: 3 },
    samples: series('hs-1.plc.t', '50 _ _ _ _ _ _ 50'),
    expect: ['raise', 'clear'],
  },
  {
    name: 'frozen only while the pump runs',
    rule: { point: '*.plc.t', type: 'frozen', afterS: 5, while: 'run', priority: 3 },
    samples: merge(series('hs-1.plc.run', 'falsex8 truex8'), series('hs-1.plc.t', '50x15 51')),
    expect: ['raise', 'clear'],
  },
  {
    name: 'expression',
    rule: { id: 'leak', point: '*.plc.t', type: 'expression', expr: 'plc.t > 0.02 * plc.u', priority: 2 },
    alarmId: 'hs-1.plc.t:leak',
    samples: merge(series('hs-1.plc.u', '100 100 100'), series('hs-1.plc.t', '1 3 1')),
    expect: ['raise', 'clear'],
  },
];

describe('rule types', () => {
  it.each(cases)('$name', (c) => {
    const h = harness([c.rule], PTS);
    h.feed(c.samples);
    const alarmId = c.alarmId ?? h.engine.alarms.id(0);
    const evs = h.events.filter((e) => e.alarmId === alarmId);
    expect(evs.map((e) => e.type)).toEqual(c.expect);
  });

  it('commLoss after max(3 × period, 60 s), suppressing point alarms, and release', () => {
    const h = harness(
      [
        { point: '*.plc', type: 'commLoss', priority: 3 },
        { point: '*.plc.t', type: 'high', limit: 80, priority: 2 },
      ],
      PTS,
    );
    const comm = 'hs-1.plc:comm';
    const high = 'hs-1.plc.t:h';
    h.feed(series('hs-1.plc.t', '90'));
    expect(h.st(high)).toBe('unacked');
    for (let t = 1000; t <= 59_000; t += 1000) h.tick(T0 + t);
    expect(h.st(comm)).toBe('normal');
    const evs = h.tick(T0 + 60_000);
    expect(types(evs).sort()).toEqual(['raise:unacked', 'suppress:suppressed'].sort());
    expect(h.st(high)).toBe('suppressed');
    // the device answers again, condition gone: returns to normal
    h.feed(series('hs-1.plc.t', '70', 1000, T0 + 70_000));
    expect(h.st(high)).toBe('normal');
    expect(h.st(comm)).toBe('rtn_unacked');
  });

  it('commLoss honours a longer afterS and the offline status', () => {
    const h = harness([{ point: '*.plc', type: 'commLoss', afterS: 900, priority: 2 }], pointsOf('s', 'plc', ['a'], 30_000));
    h.engine.status(h.state, { station: 's', device: 'plc', comm: 'online', ts: T0 }, T0);
    h.engine.status(h.state, { station: 's', device: 'plc', comm: 'offline', ts: T0 }, T0);
    expect(h.tick(T0 + 899_000)).toEqual([]);
    expect(types(h.tick(T0 + 900_000))).toEqual(['raise:unacked']);
    h.engine.status(h.state, { station: 's', device: 'plc', comm: 'online', ts: T0 + 901_000 }, T0 + 901_000);
    expect(types(h.tick(T0 + 902_000))).toEqual(['clear:rtn_unacked']);
  });

  it('suppressedBy: a stopped pump suppresses low flow; release goes to unacked while the condition holds', () => {
    const h = harness([{ point: '*.plc.t', type: 'low', limit: 10, suppressedBy: '!plc.run', priority: 3 }], PTS);
    const id = 'hs-1.plc.t:l';
    h.feed(merge(series('hs-1.plc.run', 'true false'), series('hs-1.plc.t', '20 0')));
    expect(h.st(id)).toBe('suppressed');
    expect(h.events.map((e) => e.type)).toEqual(['suppress']);
    h.feed(series('hs-1.plc.run', 'true', 1000, T0 + 5000));
    expect(h.st(id)).toBe('unacked');
    expect(h.events.at(-1)).toMatchObject({ type: 'unsuppress', from: 'suppressed', to: 'unacked' });
  });
});
