import { describe, expect, it } from 'vitest';
import { compileAlarmRules } from '../../src/alarms/config.ts';
import { parseConfigText } from '../../src/config/load.ts';

const YAML = `stations:
  - id: hs-001
    devices:
      - { id: plc, endpoint: "modbus+tcp://127.0.0.1:5020", pollMs: 1000, points: [ { id: t_sec_supply, table: holding, address: 0, type: float32 } ] }
alarms:
  - { id: hot, point: "*.plc.t_sec_supply", type: high, limit: 80, priority: 2 }
`;

describe('alarm rules compiled at load', () => {
  it('validateConfig returns them beside the config, and compileAlarmRules hands them out', () => {
    const cfg = parseConfigText(YAML);
    expect(cfg.alarmRules).toBeDefined();
    expect(compileAlarmRules(cfg)).toBe(cfg.alarmRules!.compiled);
    expect(compileAlarmRules(cfg).alarms.map((a) => a.alarmId)).toContain('hs-001.plc.t_sec_supply:hot');
    // not enumerable: dumps and copies leave them out
    expect(Object.keys(cfg)).not.toContain('alarmRules');
    expect(JSON.stringify(cfg)).not.toContain('alarmRules');
  });

  it('compiles afresh when the rules, the stations or a poll period changed since', () => {
    const cfg = parseConfigText(YAML);
    const atLoad = cfg.alarmRules!.compiled;
    cfg.alarms = [{ id: 'cold', point: '*.plc.t_sec_supply', type: 'low', limit: 20, priority: 3 }];
    const swapped = compileAlarmRules(cfg);
    expect(swapped).not.toBe(atLoad);
    expect(swapped.alarms.map((a) => a.ruleId)).toContain('cold');

    const slower = parseConfigText(YAML);
    const slowerAtLoad = slower.alarmRules!.compiled;
    slower.stations[0].devices[0].pollMs = 60_000;
    const c = compileAlarmRules(slower);
    expect(c).not.toBe(slowerAtLoad);
    // the stale set is released, not kept beside the fresh one
    expect(slower.alarmRules).toBeUndefined();
    expect(c.points.find((p) => p.point === 't_sec_supply')!.pollMs).toBe(60_000);

    const copy = { ...parseConfigText(YAML) };
    expect(copy.alarmRules).toBeUndefined();
    expect(compileAlarmRules(copy).alarms.map((a) => a.ruleId)).toContain('hot');
  });
});
