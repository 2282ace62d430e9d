// The engine keeps the compiled alarms as a catalog: shared templates plus per-instance
// columns. Every instance it gives back must equal the compiler's object field for field.
import { describe, expect, it } from 'vitest';
import { AlarmCatalog } from '../../src/alarms/catalog.ts';
import { compileRules, pointsOfStations } from '../../src/alarms/compile.ts';
import { factRules } from '../../src/alarms/config.ts';
import { DEFAULT_RULES } from '../../src/alarms/default-rules.ts';
import { createEngine } from '../../src/alarms/engine.ts';
import type { StationSpec } from '../../src/config/resolve.ts';
import { loadTemplate } from '../../simulators/templates.ts';

function stations(): StationSpec[] {
  const zones = loadTemplate('hs-plc-3zone');
  const plain = loadTemplate('hs-plc');
  return [0, 1, 2, 3].map((i) => ({
    id: `hs-00${i}`,
    name: `hs-00${i}`,
    area: i % 2 ? 'north' : 'south',
    curve: [[-20, 70 + i], [5, 40]],
    heatingType: i === 3 ? 'floor' : 'radiator',
    staticHeadMPa: [0.3, 0.4, 0.5],
    devices: [{ id: 'plc', protocol: 'modbus', pollMs: 10_000 + i * 1000, points: (i < 2 ? zones : plain).points }],
  })) as unknown as StationSpec[];
}

describe('AlarmCatalog', () => {
  const st = stations();
  const custom = [
    { id: 'hot_idle', point: '*.plc.t_sec_supply', type: 'high' as const, limit: 90, suppressedBy: '!plc.pump1_run', priority: 3 as const },
    { id: 'dt_expr', point: '*.plc.t_sec_supply', type: 'expression' as const, stations: ['hs-001'], expr: 'plc.t_sec_supply - plc.t_sec_return > 30', priority: 4 as const },
  ];
  const compiled = compileRules(custom, pointsOfStations(st), { defaults: [...DEFAULT_RULES, ...factRules(st)] });

  it('gives every instance back equal to the compiler’s, across zones, parents, suppression, expressions and fact rules', () => {
    expect(compiled.errors.map((e) => `${e.path}: ${e.message}`)).toEqual([]);
    const cat = new AlarmCatalog(compiled.alarms);
    expect(cat.length).toBe(compiled.alarms.length);
    const kinds = new Set(compiled.alarms.map((a) => a.type));
    for (const k of ['high', 'deviation', 'commLoss', 'expression', 'frozen', 'baseline']) expect(kinds).toContain(k);
    expect(compiled.alarms.some((a) => a.suppressedBy)).toBe(true);
    expect(compiled.alarms.some((a) => a.parents?.length)).toBe(true);
    expect(compiled.alarms.some((a) => a.zone !== '')).toBe(true);
    compiled.alarms.forEach((a, i) => {
      expect(cat.at(i)).toStrictEqual(a);
      expect([cat.id(i), cat.station(i), cat.point(i), cat.params(i), cat.parents(i)]).toEqual([a.alarmId, a.station, a.point, a.params, a.parents]);
      for (const id of a.inputs) expect(cat.reads(i, id)).toBe(true);
      expect(cat.reads(i, `${a.station}.plc.no_such_point`)).toBe(false);
    });
  });

  it('shares one template between the instances of a rule at different stations', () => {
    const cat = new AlarmCatalog(compiled.alarms);
    const at = (station: string, ruleId: string) => compiled.alarms.findIndex((a) => a.station === station && a.ruleId === ruleId && a.zone === '');
    const a = at('hs-000', 'pump1_trip');
    const b = at('hs-001', 'pump1_trip');
    expect(a).toBeGreaterThanOrEqual(0);
    expect(b).toBeGreaterThanOrEqual(0);
    expect(cat.rule(a)).toBe(cat.rule(b));
    // a floor-heating station's lower limit is in its params: the template is still shared
    const f = at('hs-003', 't_sec_hh');
    const r = at('hs-002', 't_sec_hh');
    expect(cat.rule(f)).toBe(cat.rule(r));
    expect(cat.params(f)).toMatchObject({ limit: 60 });
    expect(cat.params(r)).not.toMatchObject({ limit: 60 });
    // another zone is another template
    const z2 = compiled.alarms.findIndex((x) => x.station === 'hs-000' && x.ruleId === 't_sec_hh' && x.zone === 'z2_');
    expect(z2).toBeGreaterThanOrEqual(0);
    expect(cat.rule(z2)).not.toBe(cat.rule(r));
  });

  it('is what the engine keeps, in the engine’s order', () => {
    const engine = createEngine(compiled);
    expect(engine.alarms.length).toBe(compiled.alarms.length);
    compiled.alarms.forEach((a, i) => {
      expect(engine.alarms.at(i)).toStrictEqual(a);
      expect(engine.alarmIndex.get(a.alarmId)).toBe(i);
    });
  });

  it('keeps no id strings, yet gives back an id that is not <point>:<suffix>, a parent that is no alarm, and null parents as given', () => {
    const alarms = compiled.alarms.map((a) => ({ ...a }));
    const child = alarms.findIndex((a) => a.parents?.length);
    alarms[0] = { ...alarms[0], alarmId: 'an id of its own' };
    alarms[child] = { ...alarms[child], parents: [...alarms[child].parents!, 'no such alarm'] };
    const cat = new AlarmCatalog(alarms);
    alarms.forEach((a, i) => expect(cat.at(i)).toStrictEqual(a));
    expect(cat.parents(child)).toEqual([...compiled.alarms[child].parents!, 'no such alarm']);
    expect(alarms.some((a) => a.parents === null)).toBe(true);
    const index = cat.index();
    alarms.forEach((a, i) => expect(index.get(a.alarmId)).toBe(i));
    // the ids are made when asked: none of the compiler's id strings is held
    const held = JSON.stringify(Object.values(cat));
    expect(held).not.toContain(alarms[1].alarmId);
  });
});
