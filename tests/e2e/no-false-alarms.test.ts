// 20 simulated stations without faults, through the default rules, raise no alarm.
// The simulator's physical model is sampled on a simulated clock (every 5 s, like a
// poll) and fed to the engine with its one-second ticks, so a whole winter day — not
// only ten minutes — runs in seconds and deterministically.
import { describe, expect, it } from 'vitest';
import { compileAlarmRules } from '../../src/alarms/config.ts';
import { createEngine } from '../../src/alarms/engine.ts';
import type { AlarmEvent } from '../../src/alarms/types.ts';
import { parseConfigText } from '../../src/config/load.ts';
import { createNetwork } from '../../simulators/model.ts';
import { loadTemplate } from '../../simulators/templates.ts';
import { stringify } from 'yaml';

const STATIONS = 20;
const POLL_MS = 5000;

function run(seed: number, hours: number, burstAt?: number): AlarmEvent[] {
  const template = loadTemplate('hs-plc');
  const t0 = Date.UTC(2026, 0, 15, 0, 0, 0);
  const network = createNetwork({ stations: STATIONS, template, startMs: t0, seed });
  const stations = Array.from({ length: STATIONS }, (_, i) => ({
    id: `hs-${String(i + 1).padStart(3, '0')}`,
    curve: network.stationInfo(i).curve,
    devices: [{ id: 'plc', template: 'hs-plc', endpoint: 'modbus+tcp://127.0.0.1:5020', pollMs: POLL_MS }],
  }));
  const cfg = parseConfigText(stringify({ templates: { 'hs-plc': template }, stations }), 'model');
  const engine = createEngine(compileAlarmRules(cfg));
  let state = engine.init();
  const events: AlarmEvent[] = [];
  const ids = template.points.map((p) => p.id);
  for (let i = 0; i < STATIONS; i++) ({ state } = engine.status(state, { station: stations[i].id, device: 'plc', comm: 'online', ts: t0 }, t0));
  for (let t = t0; t < t0 + hours * 3_600_000; t += 1000) {
    if (burstAt !== undefined && t === t0 + burstAt) network.setFault(0, 'burst', true);
    if ((t - t0) % POLL_MS === 0) {
      network.advance(t);
      for (let i = 0; i < STATIONS; i++) {
        for (const p of ids) {
          const r = engine.step(state, { point: `${stations[i].id}.plc.${p}`, ts: t, value: network.readPoint(i, p), quality: 'good' }, t);
          state = r.state;
          events.push(...r.events);
        }
      }
    }
    const r = engine.tick(state, t);
    state = r.state;
    events.push(...r.events);
  }
  return events;
}

describe('no false alarms', () => {
  // steady operation at a 5 s poll with one-second ticks; a winter's normal work and faults over
  // days are the season check's (tests/season)
  it('20 stations for 12 h of model time: the default rules raise nothing', () => {
    const raised = run(1, 12).filter((e) => e.type === 'raise');
    expect(raised.map((e) => `${e.alarmId} @${new Date(e.ts).toISOString()} value ${e.value}`)).toEqual([]);
  }, 180_000);

  it('the same loop does see a fault (the check above is not vacuous)', () => {
    const raised = run(2, 0.5, 20 * 60_000).filter((e) => e.type === 'raise');
    expect(raised.map((e) => e.alarmId)).toContain('hs-001.plc.flood:flood');
    expect(raised.every((e) => e.station === 'hs-001')).toBe(true);
  }, 60_000);
});
