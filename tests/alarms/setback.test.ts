/**
 * The setback band (src/alarms/setback.ts), the local minute it is read at, and its config
 * (`operations.setback`, `stations[].setback`).
 */
import { describe, expect, it } from 'vitest';
import { fromBand, MinuteOfDay, offsetAt, setbackBand, setbackTable, type SetbackSchedule } from '../../src/alarms/setback.ts';
import { ConfigError, parseConfigText } from '../../src/config/load.ts';
import { resolveSetback } from '../../src/modes/setback-config.ts';

const hm = (t: string) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3, 5));
const band = (s: SetbackSchedule, t: string) => setbackBand(s, hm(t));

/** setback 23:00–05:00 −5 K, then boost 05:00–07:00 +4 K: back to back, the first wraps midnight */
const NIGHT: SetbackSchedule = {
  windows: [
    { from: hm('23:00'), to: hm('05:00'), offsetK: -5 },
    { from: hm('05:00'), to: hm('07:00'), offsetK: 4 },
  ],
  rampMin: 30,
  clockMin: 0,
};

describe('setback band', () => {
  it('is the window offset inside a window and 0 outside every window', () => {
    expect(band(NIGHT, '02:00')).toEqual([-5, -5]);
    expect(band(NIGHT, '00:00')).toEqual([-5, -5]); // across midnight
    expect(band(NIGHT, '23:45')).toEqual([-5, -5]);
    expect(band(NIGHT, '06:00')).toEqual([4, 4]);
    expect(band(NIGHT, '12:00')).toEqual([0, 0]);
    expect(band(NIGHT, '22:59')).toEqual([0, 0]);
    expect(offsetAt(NIGHT, hm('04:59'))).toBe(-5);
    expect(offsetAt(NIGHT, hm('05:00'))).toBe(4);
    expect(offsetAt(NIGHT, -1)).toBe(-5); // 23:59 of the day before
  });

  it('spans the offsets before and after a boundary for rampMin after it', () => {
    expect(band(NIGHT, '23:00')).toEqual([-5, 0]);
    expect(band(NIGHT, '23:29')).toEqual([-5, 0]);
    expect(band(NIGHT, '23:30')).toEqual([-5, -5]);
    // setback straight into boost
    expect(band(NIGHT, '05:00')).toEqual([-5, 4]);
    expect(band(NIGHT, '05:29')).toEqual([-5, 4]);
    expect(band(NIGHT, '05:30')).toEqual([4, 4]);
    expect(band(NIGHT, '07:10')).toEqual([0, 4]);
    expect(band(NIGHT, '07:30')).toEqual([0, 0]);
  });

  it('widens by clockMin on both sides of a boundary for a PLC clock that is off', () => {
    const s = { ...NIGHT, clockMin: 10 };
    expect(band(s, '22:49')).toEqual([0, 0]);
    expect(band(s, '22:50')).toEqual([-5, 0]); // a clock 10 min fast
    expect(band(s, '23:39')).toEqual([-5, 0]); // a clock 10 min slow, then the ramp
    expect(band(s, '23:40')).toEqual([-5, -5]);
    expect(band(s, '04:50')).toEqual([-5, 4]);
  });

  it('a window shorter than the ramp spans its neighbours', () => {
    const s: SetbackSchedule = { windows: [{ from: hm('06:00'), to: hm('06:20'), offsetK: 3 }], rampMin: 30, clockMin: 0 };
    expect(band(s, '06:10')).toEqual([0, 3]);
    expect(band(s, '06:49')).toEqual([0, 3]);
    expect(band(s, '06:50')).toEqual([0, 0]);
  });

  it('the table holds the band of every minute', () => {
    const t = setbackTable(NIGHT);
    expect(t).toHaveLength(2 * 1440);
    for (const m of [0, hm('05:10'), hm('07:00'), hm('23:10'), 1439]) expect([t[2 * m], t[2 * m + 1]]).toEqual(setbackBand(NIGHT, m));
  });

  it('deviation is measured from the nearer edge, 0 inside', () => {
    expect(fromBand(-3, -5, 0)).toBe(0);
    expect(fromBand(-7, -5, 0)).toBe(-2);
    expect(fromBand(6, -5, 4)).toBe(2);
  });
});

describe('local minute of the day', () => {
  it('follows the site time zone, UTC by default', () => {
    const t = Date.parse('2026-12-07T15:05:30Z');
    expect(new MinuteOfDay().at(t)).toBe(15 * 60 + 5);
    const sh = new MinuteOfDay('Asia/Shanghai');
    expect(sh.at(t)).toBe(23 * 60 + 5);
    expect(sh.at(t + 3_600_000)).toBe(5); // past local midnight, next UTC hour
    expect(sh.at(t + 55 * 60_000)).toBe(0);
    expect(new MinuteOfDay('Asia/Kathmandu').at(t)).toBe(20 * 60 + 50); // +05:45
  });

  it('gives the same minutes as the site clock across a daylight-saving change', () => {
    const m = new MinuteOfDay('Europe/Berlin');
    const start = Date.parse('2026-03-29T00:00:00Z');
    const fmt = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    for (let t = start; t < start + 4 * 3_600_000; t += 7 * 60_000) expect(m.at(t)).toBe(hm(fmt.format(new Date(t))));
  });
});

describe('setback config', () => {
  const input = { windows: [{ from: '23:00', to: '05:00', offsetK: -5 }, { from: '05:00', to: '07:00', offsetK: 4 }] };

  it('resolves to minutes with the default ramp and clock allowance', () => {
    expect(resolveSetback(input, 'operations.setback')).toEqual({
      schedule: { windows: [{ from: 1380, to: 300, offsetK: -5 }, { from: 300, to: 420, offsetK: 4 }], rampMin: 30, clockMin: 10 },
      problems: [],
    });
  });

  it.each([
    ['overlapping windows', { windows: [{ from: '23:00', to: '05:00', offsetK: -5 }, { from: '04:00', to: '07:00', offsetK: 4 }] }, 'operations.setback.windows[1]: 04:00–07:00 overlaps windows[0] (23:00–05:00)'],
    ['overlap across midnight', { windows: [{ from: '01:00', to: '02:00', offsetK: -3 }, { from: '22:00', to: '01:30', offsetK: -5 }] }, 'operations.setback.windows[1]: 22:00–01:30 overlaps windows[0] (01:00–02:00)'],
    ['offset beyond 15 K', { windows: [{ from: '23:00', to: '05:00', offsetK: -20 }] }, 'operations.setback.windows[0].offsetK: must be within ±15 K, got -20'],
    ['a bad time', { windows: [{ from: '24:00', to: '05:00', offsetK: -5 }] }, "operations.setback.windows[0].from: must be a time HH:MM (00:00–23:59), got '24:00'"],
    ['an empty window', { windows: [{ from: '05:00', to: '05:00', offsetK: 3 }] }, 'operations.setback.windows[0].to: must differ from from'],
  ])('%s is named by its field', (_name, s, expected) => {
    const r = resolveSetback(s, 'operations.setback');
    expect(r.schedule).toBeNull();
    expect(r.problems.map((p) => `${p.path}: ${p.message}`).join('\n')).toContain(expected);
  });

  const yaml = (ops: string, stations: string[]) =>
    `${ops}stations:\n${stations.map((s) => `  - { id: ${s.split(' ')[0]}, ${s.split(' ').slice(1).join(' ')} devices: [ { id: plc, endpoint: "modbus+tcp://127.0.0.1:5020", points: [ { id: t, table: holding, address: 0, type: float32 } ] } ] }\n`).join('')}`;
  const problems = (text: string) => {
    try {
      parseConfigText(text, 'test.yaml');
      return [];
    } catch (err) {
      if (err instanceof ConfigError) return err.problems.map((p) => `${p.path}: ${p.message}`);
      throw err;
    }
  };

  it('a station has the site schedule, its own, or none with false', () => {
    const cfg = parseConfigText(
      yaml('operations:\n  setback: { windows: [ { from: "23:00", to: "05:00", offsetK: -5 } ], rampMin: 45 }\n', [
        'hs-001',
        'hs-002 setback: false,',
        'hs-003 setback: { windows: [ { from: "22:00", to: "06:00", offsetK: -4 } ] },',
      ]),
    );
    expect(cfg.operations.setback).toEqual({ windows: [{ from: 1380, to: 300, offsetK: -5 }], rampMin: 45, clockMin: 10 });
    expect(cfg.stations[0].setback).toBe(cfg.operations.setback);
    expect(cfg.stations[1].setback).toBeUndefined();
    expect(cfg.stations[2].setback).toEqual({ windows: [{ from: 1320, to: 360, offsetK: -4 }], rampMin: 30, clockMin: 10 });
    expect(parseConfigText(yaml('', ['hs-001'])).stations[0].setback).toBeUndefined();
  });

  it.each([
    ['site offset', 'operations:\n  setback: { windows: [ { from: "23:00", to: "05:00", offsetK: 16 } ] }\n', [], 'operations.setback.windows[0].offsetK'],
    ['site time', 'operations:\n  setback: { windows: [ { from: "7:00", to: "08:00", offsetK: 3 } ] }\n', [], 'operations.setback.windows[0].from'],
    ['site overlap', 'operations:\n  setback: { windows: [ { from: "23:00", to: "05:00", offsetK: -5 }, { from: "00:00", to: "01:00", offsetK: -6 } ] }\n', [], 'operations.setback.windows[1]: 00:00–01:00 overlaps windows[0]'],
    ['station overlap', '', ['hs-001 setback: { windows: [ { from: "23:00", to: "05:00", offsetK: -5 }, { from: "04:00", to: "06:00", offsetK: 4 } ] },'], 'stations[0].setback.windows[1]: 04:00–06:00 overlaps windows[0]'],
    ['station offset', '', ['hs-001 setback: { windows: [ { from: "23:00", to: "05:00", offsetK: -30 } ] },'], 'stations[0].setback'],
    ['station true', '', ['hs-001 setback: true,'], 'stations[0].setback'],
  ])('a bad %s is named by its path', (_name, ops, stations, expected) => {
    const list = problems(yaml(ops, stations.length ? stations : ['hs-001']));
    expect(list.some((p) => p.startsWith(expected)), list.join('\n')).toBe(true);
  });
});
