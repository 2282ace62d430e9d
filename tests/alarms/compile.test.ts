import { describe, expect, it } from 'vitest';
import Value from 'typebox/value';
import { AlarmRules, compileRules, DEFAULT_RULES, priorityToSeverity, severityToPriority } from '../../src/alarms/index.ts';
import { pointsOf } from './helpers.ts';

export const PLC_POINTS = [
  't_pri_supply', 't_pri_return', 'p_pri_supply', 'p_pri_return', 't_sec_supply', 't_sec_return', 'p_sec_supply', 'p_sec_return',
  'f_pri', 'f_sec', 'heat_power', 'heat_energy', 'pump1_run', 'pump1_cmd', 'pump1_hz', 'pump1_fault', 'pump2_run', 'pump2_cmd',
  'pump2_hz', 'pump2_fault', 'makeup_run', 'f_makeup', 'v_makeup', 'valve_cmd', 'valve_fb', 'tank_level', 't_outdoor',
  't_room_avg', 'flood', 'door', 'power_ok', 't_sec_setpoint',
];
const CURVE: Array<[number, number]> = [[-24.2, 75], [-10, 58.8], [5, 39.8]];

describe('compileRules', () => {
  it('default rules validate against the schema and bind cleanly to the standard station', () => {
    expect([...Value.Errors(AlarmRules, DEFAULT_RULES)]).toEqual([]);
    const c = compileRules([], pointsOf('hs-001', 'plc', PLC_POINTS, 5000, CURVE), { defaults: DEFAULT_RULES });
    expect(c.errors).toEqual([]);
    expect(c.warnings).toEqual([]);
    const ids = c.alarms.map((a) => a.alarmId);
    expect(ids).toContain('hs-001.plc.t_sec_supply:t_sec_hh');
    expect(ids).toContain('hs-001.plc:comm_loss');
    expect(new Set(ids).size).toBe(ids.length);
    const classes = new Set(c.alarms.map((a) => a.class));
    for (const k of ['flood', 'leak', 'over_pressure', 'power_loss', 'over_temp', 'no_heat', 'pump_trip', 'valve_stuck', 'comm_loss', 'sensor', 'meter', 'tank', 'intrusion', 'fouling']) {
      expect(classes, k).toContain(k);
    }
  });

  it('per-station override replaces fields for those stations only', () => {
    const pts = [...pointsOf('a', 'plc', ['t']), ...pointsOf('b', 'plc', ['t'])];
    const c = compileRules(
      [
        { id: 'hot', point: '*.plc.t', type: 'high', limit: 80, priority: 2 },
        { id: 'hot', stations: ['b'], limit: 90 },
        { id: 'cold', point: '*.plc.t', type: 'low', limit: 5, priority: 3 },
        { id: 'cold', stations: ['a'], enabled: false },
      ],
      pts,
    );
    expect(c.errors).toEqual([]);
    const lim = (id: string) => (c.alarms.find((a) => a.alarmId === id)!.params as { limit: number }).limit;
    expect(lim('a.plc.t:hot')).toBe(80);
    expect(lim('b.plc.t:hot')).toBe(90);
    expect(c.alarms.map((a) => a.alarmId)).not.toContain('a.plc.t:cold');
  });

  it('reports bad expressions and missing fields by path; unmatched patterns as warnings', () => {
    const c = compileRules(
      [
        { point: '*.plc.t', type: 'high', priority: 2 },
        { point: '*.plc.nothing', type: 'high', limit: 1, priority: 2 },
        { id: 'x', point: '*.plc.t', type: 'expression', priority: 2, expr: 'plc.t > )' },
        { id: 'y', point: '*.plc.t', type: 'expression', priority: 2, expr: 'plc.t > plc.missing' },
      ],
      pointsOf('a', 'plc', ['t']),
    );
    expect(c.errors).toEqual([
      { path: 'alarms[0].limit', message: 'required for type high' },
      { path: 'alarms[2].expr', message: "unexpected token ')' at 9" },
    ]);
    expect(c.warnings).toEqual([
      { path: 'alarms[1].point', message: "rule *.plc.nothing:h: pattern '*.plc.nothing' matches no point" },
      { path: 'alarms[3].expr', message: "rule y: 'plc.missing' is missing at 1 match(es); skipped there" },
    ]);
    expect(c.alarms).toEqual([]);
  });

  it('shipped rules for plant a site lacks are notes, not start-up warnings; an override the user wrote still warns', () => {
    // a station with only supply temperatures: most shipped rules have nothing to watch
    const pts = pointsOf('hs-001', 'plc', ['t_sec_supply', 't_sec_return']);
    const c = compileRules([], pts, { defaults: DEFAULT_RULES });
    expect(c.warnings).toEqual([]);
    expect(c.defaultNotes!.length).toBeGreaterThan(10);
    expect(c.defaultNotes).toContainEqual(expect.objectContaining({ message: expect.stringMatching(/pattern '\*\.\*\.flood' matches no point|flood.*matches no point/) }));
    const mine = compileRules([{ point: '*.plc.nothing', type: 'high', limit: 1, priority: 2 }], pts, { defaults: DEFAULT_RULES });
    expect(mine.warnings).toEqual([{ path: 'alarms[0].point', message: "rule *.plc.nothing:h: pattern '*.plc.nothing' matches no point" }]);
  });

  it('severity bands (OPC UA Part 9)', () => {
    expect([1000, 801, 800, 601, 600, 201, 200, 1].map(severityToPriority)).toEqual([1, 1, 2, 2, 3, 3, 4, 4]);
    for (const p of [1, 2, 3, 4] as const) expect(severityToPriority(priorityToSeverity(p))).toBe(p);
  });
});

describe('compileRules shares data between instances', () => {
  const c = compileRules([], [...pointsOf('hs-1', 'plc', PLC_POINTS, 5000, CURVE), ...pointsOf('hs-2', 'plc', PLC_POINTS, 5000, CURVE)], { defaults: DEFAULT_RULES });
  const at = (station: string, ruleId: string) => c.alarms.find((a) => a.station === station && a.ruleId === ruleId)!;

  it('params without point ids are one object per rule; those with ids stay per instance', () => {
    expect(at('hs-1', 't_sec_hh').params).toBe(at('hs-2', 't_sec_hh').params);
    expect(at('hs-1', 'comm_loss').params).toBe(at('hs-2', 'comm_loss').params);
    expect(at('hs-1', 't_sec_hh').params).not.toBe(at('hs-1', 'p_sec_hh').params);
    const [m1, m2] = [at('hs-1', 'valve_stuck').params, at('hs-2', 'valve_stuck').params];
    expect(m1).toEqual({ type: 'mismatch', feedback: 'hs-1.plc.valve_fb', tolerance: 5 });
    expect(m2).toEqual({ type: 'mismatch', feedback: 'hs-2.plc.valve_fb', tolerance: 5 });
  });

  it('curve deviation follows the PLC setpoint where there is one, else the weather curve', () => {
    expect(at('hs-1', 'curve_low').params).toMatchObject({ reference: 'hs-1.plc.t_sec_setpoint', curve: null });
  });

  it('one copy of the weather curve, equal input lists shared', () => {
    const noSp = PLC_POINTS.filter((p) => p !== 't_sec_setpoint');
    const cc = compileRules([], [...pointsOf('hs-1', 'plc', noSp, 5000, CURVE), ...pointsOf('hs-2', 'plc', noSp, 5000, CURVE)], { defaults: DEFAULT_RULES });
    const at = (station: string, ruleId: string) => cc.alarms.find((a) => a.station === station && a.ruleId === ruleId)!;
    const [d1, d2] = [at('hs-1', 'curve_high').params, at('hs-2', 'curve_low').params];
    if (d1.type !== 'deviation' || d2.type !== 'deviation') throw new Error('deviation expected');
    expect(d1.curve).toEqual(CURVE);
    expect(d1.curve).not.toBe(CURVE);
    expect(d1.curve).toBe(d2.curve);
    expect(at('hs-1', 't_sec_hh').inputs).toEqual(['hs-1.plc.t_sec_supply']);
    expect(at('hs-1', 't_sec_hh').inputs).toBe(at('hs-1', 't_sec_stale').inputs);
    expect(at('hs-1', 'curve_high').inputs).toEqual(['hs-1.plc.t_sec_supply', 'hs-1.plc.t_outdoor']);
  });
});
