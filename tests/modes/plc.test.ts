/**
 * A PLC point as a source of the station mode and of "attended" (pure, and the ModeService fed
 * samples): operator > planned stop > PLC > season > default; and the traps of real PLCs — a
 * check-in switch left on, a garbled mode register, bad data and comm loss.
 */
import { describe, expect, it } from 'vitest';
import { contextCode } from '../../src/alarms/modes.ts';
import type { Quality, Sample, SampleValue } from '../../src/model.ts';
import { localClock } from '../../src/modes/clock.ts';
import { resolveOperations, type OperationsConfigInput } from '../../src/modes/config.ts';
import { historicalContexts } from '../../src/modes/history.ts';
import { NO_PLC, readPlcSample, type PlcReading } from '../../src/modes/plc.ts';
import { effectiveMode, type OperatorMode } from '../../src/modes/schedule.ts';
import { ModeService } from '../../src/modes/service.ts';

const known = { stations: new Set(['hs-001', 'hs-002']), areas: new Set(['南岗区']) };
const H = 3_600_000;
const at = (iso: string) => Date.parse(iso);
const NIGHT = '2026-12-07T22:00:00+08:00'; // outside attended hours, in season
const SUMMER = '2026-06-01T22:00:00+08:00'; // out of season
const ops = (extra: OperationsConfigInput = {}) => {
  const r = resolveOperations(
    {
      season: { start: '10-20', end: '04-10' },
      attendedHours: { from: '08:00', to: '18:00' },
      plannedStops: [{ stations: ['hs-001'], from: '2026-12-05T08:00:00+08:00', to: '2026-12-05T16:00:00+08:00', reason: '换热器检修' }],
      ...extra,
    },
    known,
  );
  expect(r.problems).toEqual([]);
  return r.settings;
};
const settings = ops();
const clock = localClock('Asia/Shanghai');
const NG = { id: 'hs-001', area: '南岗区' };
const sample = (point: string, ts: number, value: SampleValue, quality: Quality = 'good'): Sample => ({ point, ts, value, quality });
/** the reading after a series of samples of the default points */
const read = (list: Array<[kind: 'mode' | 'attended', ts: number, value: SampleValue, quality?: Quality]>, s = settings): PlcReading =>
  list.reduce((r, [kind, ts, value, quality]) => readPlcSample(r, kind, sample('x', ts, value, quality), s.plc), NO_PLC);
const mode = (iso: string, plc?: PlcReading, op?: OperatorMode, s = settings) => effectiveMode(NG, at(iso), clock(at(iso)), s, op, s.plannedStops, plc);

describe('the PLC as a mode source', () => {
  it('defaults: plc.station_mode with 0 auto, 1 commissioning, 2 stopped, 3 maintenance; plc.attended for 12 h', () => {
    expect(settings.plc).toMatchObject({ mode: { device: 'plc', point: 'station_mode' }, attended: { device: 'plc', point: 'attended' }, attendedMaxMs: 12 * H });
    expect([...settings.plc.modeValues]).toEqual([[0, 'in_service'], [1, 'commissioning'], [2, 'stopped'], [3, 'maintenance']]);
  });

  it('precedence: operator > planned stop > PLC > season > default', () => {
    const t = at(NIGHT);
    const maint = read([['mode', t - H, 3]]);
    expect(mode(NIGHT, maint)).toMatchObject({ mode: 'maintenance', source: 'plc', attended: true, plc: { mode: 'maintenance', checkIn: null, attended: false } });
    // the PLC's "auto" is a mode too: in service even out of season
    expect(mode(SUMMER, read([['mode', at(SUMMER) - H, 0]]))).toMatchObject({ mode: 'in_service', source: 'plc' });
    expect(mode(SUMMER)).toMatchObject({ mode: 'stopped', source: 'season' });
    expect(mode('2026-12-05T09:00:00+08:00', read([['mode', at('2026-12-05T08:30:00+08:00'), 0]]))).toMatchObject({ mode: 'stopped', source: 'planned_stop' });
    const op: OperatorMode = { station: 'hs-001', mode: 'commissioning', comment: '冷态试运行', user: 'u', from: t - H, until: null, setAt: t - H };
    expect(mode(NIGHT, maint, op)).toMatchObject({ mode: 'commissioning', source: 'operator', attended: false });
    expect(mode(NIGHT, NO_PLC)).toMatchObject({ mode: 'in_service', source: 'default', attended: false });
    expect(mode(NIGHT, NO_PLC).plc).toBeUndefined();
  });

  it('attended: attended hours, maintenance mode, or the PLC check-in on', () => {
    const t = at(NIGHT);
    expect(mode(NIGHT, read([['attended', t - H, true]]))).toMatchObject({ mode: 'in_service', source: 'default', attended: true, plc: { checkIn: true, attended: true } });
    expect(mode(NIGHT, read([['attended', t - H, true], ['attended', t - 60_000, false]])).attended).toBe(false);
    // a check-in switch wired to a register reads 1/0
    expect(mode(NIGHT, read([['attended', t - H, 1]])).attended).toBe(true);
    // the check-in does not change the mode: intrusion is off, process alarms still apply
    expect(contextCode(mode(NIGHT, read([['attended', t - H, true]])).mode, true)).toBe(4);
  });

  it('trap: a check-in switch left on counts for attendedMaxH after it turned on, then intrusion is armed again', () => {
    const on = at(NIGHT) - 11 * H;
    // polled on every 5 s for hours: the start is when it turned on, not the latest poll
    const r = read([['attended', on - 5000, false], ['attended', on, true], ['attended', on + 5000, true], ['attended', on + 11 * H, true]]);
    expect(r.attendedSince).toBe(on);
    expect(mode(NIGHT, r).attended).toBe(true);
    expect(mode('2026-12-07T23:00:00+08:00', r)).toMatchObject({ attended: false, plc: { checkIn: true, attended: false } });
    // a comm blip or a bad poll in between does not renew it
    const blip = read([['attended', on, true], ['attended', on + H, null, 'bad'], ['attended', on + H + 5000, true]]);
    expect(blip.attendedSince).toBe(on);
    // off, then on again: a new crew, a new limit
    const again = read([['attended', on, true], ['attended', on + 11.5 * H, false], ['attended', on + 11.6 * H, true]]);
    expect(mode('2026-12-07T23:00:00+08:00', again).attended).toBe(true);
    // the limit is configurable
    const short = ops({ plcPoints: { attendedMaxH: 0.5 } });
    expect(mode(NIGHT, read([['attended', at(NIGHT) - H, true]], short), undefined, short).attended).toBe(false);
  });

  it('trap: a code the config does not map (garbage, 65535) is no PLC mode and never throws', () => {
    const t = at(NIGHT);
    for (const v of [7, 65535, -1, 2.5, Number.NaN, true]) {
      expect(mode(NIGHT, read([['mode', t - H, v]])), String(v)).toMatchObject({ mode: 'in_service', source: 'default' });
    }
    // a garbled read after a good one drops the PLC's mode rather than keeping a stale one
    expect(mode(SUMMER, read([['mode', at(SUMMER) - H, 1], ['mode', at(SUMMER) - 1000, 65535]]))).toMatchObject({ mode: 'stopped', source: 'season' });
    // a site's own codes replace the defaults
    const own = ops({ plcPoints: { modeValues: { '10': 'maintenance', '20': 'stopped' } } });
    expect(mode(NIGHT, read([['mode', t - H, 10]], own), undefined, own)).toMatchObject({ mode: 'maintenance', source: 'plc' });
    expect(mode(NIGHT, read([['mode', t - H, 3]], own), undefined, own)).toMatchObject({ mode: 'in_service', source: 'default' });
  });

  it('trap: only good samples count; bad, uncertain or comm loss make the PLC unknown (season and default decide)', () => {
    const t = at(SUMMER);
    for (const q of ['bad', 'uncertain'] as const) {
      expect(mode(SUMMER, read([['mode', t - H, 0], ['mode', t - 1000, 0, q]])), q).toMatchObject({ mode: 'stopped', source: 'season' });
      expect(mode(SUMMER, read([['mode', t - H, 3, q]])), q).toMatchObject({ source: 'season', attended: false });
      expect(mode(NIGHT, read([['attended', at(NIGHT) - H, true], ['attended', at(NIGHT) - 1000, true, q]])).attended, q).toBe(false);
    }
    expect(mode(SUMMER, read([['mode', t - H, null]])).source).toBe('season');
  });

  it('names every bad field of operations.plcPoints', () => {
    const r = resolveOperations({ plcPoints: { mode: 'station_mode', attended: 'plc.Attended', modeValues: { x: 'maintenance', '70000': 'stopped', '4': 'holiday' } } }, known);
    expect(r.problems.map((p) => p.path)).toEqual([
      'operations.plcPoints.mode',
      'operations.plcPoints.attended',
      // integer-like keys first, as JavaScript orders them
      'operations.plcPoints.modeValues.4',
      'operations.plcPoints.modeValues.70000',
      'operations.plcPoints.modeValues.x',
    ]);
    expect(r.problems[0].message).toMatch(/DEVICE\.POINT/);
    expect(r.problems[2].message).toMatch(/in_service, commissioning, stopped, maintenance/);
    expect(resolveOperations({ plcPoints: { mode: 'plc.x', attended: 'plc.x' } }, known).problems).toEqual([{ path: 'operations.plcPoints.attended', message: 'must be another point than mode' }]);
  });
});

describe('ModeService with PLC samples', () => {
  const t0 = at(NIGHT);
  const make = () => {
    let now = t0;
    const svc = new ModeService({ settings, stations: [NG, { id: 'hs-002', area: null }], timeZone: 'Asia/Shanghai', store: null, now: () => now });
    return { svc, set: (t: number) => (now = t) };
  };

  it('reports the PLC mode and check-in per station, bumping the version only on a change and naming the stations that changed', () => {
    const { svc } = make();
    const v0 = svc.version;
    expect(svc.reportSamples([sample('hs-002.plc.station_mode', t0, 3), sample('hs-002.plc.t_sec_supply', t0, 60), sample('hs-001.plc.door', t0, true)])).toEqual(['hs-002']);
    expect(svc.version).toBe(v0 + 1);
    expect(svc.modeOf('hs-002')).toMatchObject({ mode: 'maintenance', source: 'plc', attended: true });
    expect(svc.modeOf('hs-001')).toMatchObject({ mode: 'in_service', source: 'default', attended: false });
    expect(svc.reportSamples([sample('hs-002.plc.station_mode', t0 + 5000, 3)])).toEqual([]);
    expect(svc.version).toBe(v0 + 1);
    expect(svc.reportPlc(sample('hs-001.plc.attended', t0, true))).toBe(true);
    expect([...svc.contextCodes(['hs-001', 'hs-002'])]).toEqual([contextCode('in_service', true), contextCode('maintenance', true)]);
    // a point of another device of the same name is not the PLC's
    expect(svc.reportPlc(sample('hs-001.meter.attended', t0, false))).toBe(false);
  });

  it("the PLC's device losing communication makes its word unknown; another device's does not", () => {
    const { svc } = make();
    svc.reportSamples([sample('hs-002.plc.station_mode', t0, 2), sample('hs-002.plc.attended', t0, true)]);
    svc.reportStatus({ station: 'hs-002', device: 'meter', comm: 'offline', ts: t0 });
    expect(svc.modeOf('hs-002')).toMatchObject({ mode: 'stopped', source: 'plc', attended: true });
    const v = svc.version;
    svc.reportStatus({ station: 'hs-002', device: 'plc', comm: 'offline', ts: t0 + 1000 });
    expect(svc.version).toBe(v + 1);
    expect(svc.modeOf('hs-002')).toMatchObject({ mode: 'in_service', source: 'default', attended: false });
    svc.reportSamples([sample('hs-002.plc.station_mode', t0 + 60_000, 2)]);
    expect(svc.modeOf('hs-002')).toMatchObject({ mode: 'stopped', source: 'plc' });
  });

  it('the check-in expires with the clock, without a new sample', () => {
    const { svc, set } = make();
    svc.reportSamples([sample('hs-001.plc.attended', t0, true)]);
    expect(svc.modeOf('hs-001')!.attended).toBe(true);
    // 22:00 the next day: outside attended hours, 24 h after the switch went on
    set(t0 + 24 * H);
    expect(svc.modeOf('hs-001')!.attended).toBe(false);
    expect(svc.contextCodes(['hs-001'])[0]).toBe(contextCode('in_service', false));
  });
});

describe('replay contexts', () => {
  it('take the PLC mode and check-in from the replayed samples', () => {
    const h = historicalContexts(settings, [NG], 'Asia/Shanghai', new Map(), []);
    const t = at(SUMMER);
    expect(h.contexts(['hs-001'], t)[0]).toBe(contextCode('stopped', false));
    expect(h.observe(sample('hs-001.plc.t_sec_supply', t, 50))).toBe(false);
    expect(h.observe(sample('hs-001.plc.station_mode', t, 1))).toBe(true);
    expect(h.observe(sample('hs-001.plc.station_mode', t + 5000, 1))).toBe(false);
    expect(h.observe(sample('hs-001.plc.attended', t + 5000, true))).toBe(true);
    expect(h.contexts(['hs-001'], t + 5000)[0]).toBe(contextCode('commissioning', true));
  });
});
