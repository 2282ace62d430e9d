/**
 * First-out grouping, station modes and zones in the pure engine: one cause gives one
 * annunciated alarm; a rule outside its modes is suppressed by design; every zone of a
 * multi-zone station gets the same rules.
 */
import { describe, expect, it } from 'vitest';
import { compileRules, type AlarmRuleConfig } from '../../src/alarms/index.ts';
import type { Sample } from '../../src/model.ts';
import { contextCode } from '../../src/alarms/modes.ts';
import { T0, harness, pointsOf } from './helpers.ts';

const pumpRules: AlarmRuleConfig[] = [
  { id: 'power_loss', point: '*.plc.power_ok', type: 'state', alarmValue: false, onDelayS: 5, priority: 2, modes: 'all' },
  {
    id: 'no_pump',
    point: '*.plc.pump1_run',
    type: 'expression',
    expr: '(plc.pump1_cmd || plc.pump2_cmd) && !plc.pump1_run && !plc.pump2_run',
    onDelayS: 10,
    priority: 1,
    parents: ['power_loss'],
  },
  { id: 'pump1_trip', point: '*.plc.pump1_cmd', type: 'mismatch', feedback: 'pump1_run', onDelayS: 10, priority: 2, parents: ['no_pump', 'power_loss'] },
  { id: 'pump1_fault', point: '*.plc.pump1_fault', type: 'state', alarmValue: true, priority: 2, parents: ['pump1_trip', 'no_pump', 'power_loss'] },
];
const PUMP_POINTS = ['power_ok', 'pump1_cmd', 'pump2_cmd', 'pump1_run', 'pump2_run', 'pump1_fault'];

/** One poll per second: `at(t)` gives the station's readings at second t. */
function run(h: ReturnType<typeof harness>, seconds: number, at: (t: number) => Record<string, boolean>, station = 'hs-1'): void {
  for (let t = 0; t <= seconds; t++) {
    const now = T0 + t * 1000;
    const samples: Sample[] = Object.entries(at(t)).map(([p, v]) => ({ point: `${station}.plc.${p}`, ts: now, value: v, quality: 'good' }));
    h.feed(samples, { tick: false });
    h.tick(now);
  }
}
const raised = (h: ReturnType<typeof harness>) => h.events.filter((e) => e.type === 'raise').map((e) => `${e.ruleId}:P${e.priority}`);

describe('first-out grouping', () => {
  const steady = { power_ok: true, pump1_cmd: true, pump2_cmd: false, pump1_run: true, pump2_run: false, pump1_fault: false };

  it('a pump trip with the standby pump taking over is one P2 alarm, the fault bit its child', () => {
    const h = harness(pumpRules, pointsOf('hs-1', 'plc', PUMP_POINTS));
    // trip at 10 s: run feedback off and fault bit on; the PLC starts pump 2 at 13 s, running at 14.5 s
    run(h, 120, (t) => (t < 10 ? steady : { ...steady, pump1_run: false, pump1_fault: true, pump2_cmd: t >= 13, pump2_run: t >= 15 }));
    expect(raised(h)).toEqual(['pump1_trip:P2']);
    expect(h.st('hs-1.plc.pump1_fault:pump1_fault')).toBe('suppressed');
    expect(h.st('hs-1.plc.pump1_run:no_pump')).toBe('normal');
  });

  it('a pump trip with no pump left running is one P1 alarm, trip and fault its children', () => {
    const h = harness(pumpRules, pointsOf('hs-1', 'plc', PUMP_POINTS));
    run(h, 120, (t) => (t < 10 ? steady : { ...steady, pump1_run: false, pump1_fault: true }));
    expect(raised(h)).toEqual(['no_pump:P1']);
    expect(h.st('hs-1.plc.pump1_cmd:pump1_trip')).toBe('suppressed');
    expect(h.st('hs-1.plc.pump1_fault:pump1_fault')).toBe('suppressed');
  });

  it('a power loss is one alarm: the pumps stopping follow from it', () => {
    const h = harness(pumpRules, pointsOf('hs-1', 'plc', PUMP_POINTS));
    run(h, 120, (t) => (t < 10 ? steady : { ...steady, power_ok: false, pump1_run: false }));
    expect(raised(h)).toEqual(['power_loss:P2']);
  });

  it('a child whose parent clears while it still holds is annunciated then', () => {
    const h = harness(pumpRules, pointsOf('hs-1', 'plc', PUMP_POINTS));
    // no pump at all for 30 s, then pump 2 runs but pump 1 stays tripped: the trip is now the first-out
    run(h, 120, (t) => (t < 10 ? steady : { ...steady, pump1_run: false, pump1_fault: true, pump2_cmd: t >= 40, pump2_run: t >= 40 }));
    expect(raised(h)).toEqual(['no_pump:P1', 'pump1_trip:P2']);
    expect(h.st('hs-1.plc.pump1_cmd:pump1_trip')).toBe('unacked');
    expect(h.st('hs-1.plc.pump1_fault:pump1_fault')).toBe('suppressed');
  });

  it('a repaired pump: the fault bit clearing a poll after the run feedback returns annunciates nothing', () => {
    const h = harness(pumpRules, pointsOf('hs-1', 'plc', PUMP_POINTS));
    // standby running, pump 1 tripped from 10 s to 60 s; at 60 s the feedback is back, the fault bit a second later
    run(h, 120, (t) => (t < 10 || t > 60 ? steady : { ...steady, pump1_run: false, pump1_fault: t !== 60, pump2_cmd: true, pump2_run: true }));
    expect(raised(h)).toEqual(['pump1_trip:P2']);
    expect(h.events.filter((e) => e.alarmId.endsWith(':pump1_fault') && e.to === 'unacked')).toEqual([]);
  });

  it('refuses an unknown parent and a cycle, naming the rule', () => {
    const bad = compileRules(
      [
        { id: 'a', point: '*.plc.x', type: 'state', priority: 2, parents: ['b'] },
        { id: 'b', point: '*.plc.y', type: 'state', priority: 2, parents: ['a'] },
        { id: 'c', point: '*.plc.y', type: 'state', priority: 2, parents: ['nope'] },
      ],
      pointsOf('hs-1', 'plc', ['x', 'y']),
    );
    expect(bad.errors.map((e) => e.message).join('\n')).toMatch(/parent rule 'nope' does not exist/);
    expect(bad.errors.map((e) => e.message).join('\n')).toMatch(/parents form a cycle/);
  });

  it('a parent rule that exists but matches no point at this site is no error', () => {
    const ok = compileRules(
      [
        { id: 'trip', point: '*.plc.absent', type: 'state', priority: 2 },
        { id: 'fault', point: '*.plc.x', type: 'state', priority: 2, parents: ['trip'] },
      ],
      pointsOf('hs-1', 'plc', ['x']),
    );
    expect(ok.errors).toEqual([]);
    expect(ok.alarms.find((a) => a.ruleId === 'fault')!.parents).toBeNull();
  });
});

describe('station modes', () => {
  const rules: AlarmRuleConfig[] = [
    { id: 'flood', point: '*.plc.flood', type: 'state', alarmValue: true, priority: 1, modes: 'all' },
    { id: 'hot', point: '*.plc.t', type: 'high', limit: 80, priority: 2 },
    { id: 'door', point: '*.plc.door', type: 'state', alarmValue: true, priority: 2, modes: ['in_service', 'stopped'], unattendedOnly: true },
  ];
  const pts = pointsOf('hs-1', 'plc', ['flood', 't', 'door']);
  const feed = (h: ReturnType<typeof harness>, t: number, v: Record<string, number | boolean>) =>
    h.feed(Object.entries(v).map(([p, value]) => ({ point: `hs-1.plc.${p}`, ts: T0 + t, value, quality: 'good' as const })));

  it('a stopped station suppresses process alarms by design; the safety rule still raises', () => {
    const h = harness(rules, pts);
    const si = h.engine.stationIds.indexOf('hs-1');
    h.state = h.engine.context(h.state, si, contextCode('stopped', false), T0).state;
    feed(h, 0, { flood: false, t: 90, door: false });
    feed(h, 1000, { flood: true, t: 95, door: false });
    expect(h.events.filter((e) => e.type === 'raise').map((e) => e.ruleId)).toEqual(['flood']);
    expect(h.st('hs-1.plc.t:hot')).toBe('suppressed');
    // back in service with the condition still there: it raises once its on-delay has run from now
    const ev = h.engine.context(h.state, si, contextCode('in_service', false), T0 + 2000).events;
    expect(ev.map((e) => `${e.ruleId}:${e.type}:${e.to}`)).toEqual(['hot:unsuppress:normal']);
    expect(h.tick(T0 + 3000).map((e) => `${e.ruleId}:${e.type}:${e.to}`)).toEqual(['hot:raise:unacked']);
  });

  it('a station restarting after a stop gets the on-delay to heat up before its curve alarm', () => {
    const h = harness([{ id: 'cold', point: '*.plc.t', type: 'low', limit: 50, onDelayS: 1800, priority: 2 }], pts);
    h.state = h.engine.context(h.state, 0, contextCode('stopped', false), T0).state;
    feed(h, 0, { t: 20 });
    h.tick(T0 + 7_200_000);
    h.state = h.engine.context(h.state, 0, contextCode('in_service', false), T0 + 7_200_000).state;
    // heats up within 20 min: no alarm
    for (let m = 1; m <= 40; m++) feed(h, 7_200_000 + m * 60_000, { t: m < 20 ? 20 + 2 * m : 65 });
    expect(h.events.filter((e) => e.type === 'raise')).toEqual([]);
  });

  it('the door raises outside attended hours and in a stop, not during a patrol or maintenance', () => {
    const h = harness(rules, pts);
    const si = 0;
    const door = (t: number, on: boolean) => feed(h, t, { door: on });
    h.state = h.engine.context(h.state, si, contextCode('in_service', true), T0).state;
    door(0, true);
    door(1000, false);
    h.state = h.engine.context(h.state, si, contextCode('maintenance', false), T0 + 2000).state;
    door(3000, true);
    door(4000, false);
    expect(h.events.filter((e) => e.type === 'raise')).toHaveLength(0);
    h.state = h.engine.context(h.state, si, contextCode('in_service', false), T0 + 5000).state;
    door(6000, true);
    expect(h.events.filter((e) => e.type === 'raise').map((e) => e.ruleId)).toEqual(['door']);
  });
});

describe('zones', () => {
  it('a rule on a point binds every zone, and its references resolve within the zone', () => {
    const pts = pointsOf('hs-1', 'plc', ['t_outdoor', 'f_sec', 'f_makeup', 'z2_f_sec', 'z2_f_makeup', 'z3_f_sec', 'z3_f_makeup']);
    const c = compileRules([{ id: 'mk', point: '*.plc.f_makeup', type: 'expression', expr: 'plc.f_makeup > 0.02 * plc.f_sec && plc.t_outdoor < 0', priority: 2 }], pts);
    expect(c.errors).toEqual([]);
    expect(c.alarms.map((a) => a.alarmId)).toEqual(['hs-1.plc.f_makeup:mk', 'hs-1.plc.z2_f_makeup:mk', 'hs-1.plc.z3_f_makeup:mk']);
    const z2 = c.alarms[1].params;
    expect(z2.type === 'expression' && z2.expr.refs).toEqual({ 'plc.f_makeup': 'hs-1.plc.z2_f_makeup', 'plc.f_sec': 'hs-1.plc.z2_f_sec', 'plc.t_outdoor': 'hs-1.plc.t_outdoor' });
  });

  it("a pressure limit follows each zone's static head where the station has one, else the plain limit", () => {
    const rule: AlarmRuleConfig = { id: 'll', point: '*.plc.p_sec_return', type: 'lowLow', limit: 0.15, limitOverStaticHead: 0.02, priority: 2 };
    const withHead = pointsOf('hs-1', 'plc', ['p_sec_return', 'z2_p_sec_return']).map((p) => ({ ...p, staticHeadMPa: [0.3, 0.62] }));
    const c = compileRules([rule], [...withHead, ...pointsOf('hs-2', 'plc', ['p_sec_return'])]);
    expect(c.alarms.map((a) => [a.alarmId, a.params.type === 'lowLow' && a.params.limit])).toEqual([
      ['hs-1.plc.p_sec_return:ll', 0.32],
      ['hs-1.plc.z2_p_sec_return:ll', 0.64],
      ['hs-2.plc.p_sec_return:ll', 0.15],
    ]);
  });

  it('zones: false keeps a rule to the exact point', () => {
    const pts = pointsOf('hs-1', 'plc', ['f_sec', 'z2_f_sec']);
    const c = compileRules([{ id: 'lo', point: '*.plc.f_sec', type: 'low', limit: 1, priority: 3, zones: false }], pts);
    expect(c.alarms.map((a) => a.alarmId)).toEqual(['hs-1.plc.f_sec:lo']);
  });
});
