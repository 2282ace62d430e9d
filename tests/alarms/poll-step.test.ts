/**
 * `engine.stepPoll` (a device poll as columns) must leave the same state and raise the same
 * events as `engine.step` over the poll's samples, for the shipped rules on stations whose
 * values wander through and out of their normal ranges, with bad reads and unread points.
 */
import { describe, expect, it } from 'vitest';
import { compileRules, createEngine, DEFAULT_RULES, type AlarmEvent, type PointInfo } from '../../src/alarms/index.ts';
import type { Sample } from '../../src/model.ts';
import { POLL_BAD, POLL_FALSE, POLL_NUM, POLL_TRUE, pollSamples, type PollColumns } from '../../src/poll-columns.ts';
import { T0 } from './helpers.ts';

const NORMAL: Record<string, number | boolean> = {
  t_pri_supply: 95, t_pri_return: 50, p_pri_supply: 0.8, p_pri_return: 0.3, t_sec_supply: 58, t_sec_return: 42,
  p_sec_supply: 0.45, p_sec_return: 0.3, f_pri: 40, f_sec: 120, heat_power: 2.1, heat_energy: 1000, pump1_run: true,
  pump1_cmd: true, pump1_fault: false, pump2_run: false, pump2_cmd: false, makeup_run: false, valve_cmd: 50, valve_fb: 51,
  tank_level: 70, t_outdoor: -10, flood: false, door: false, power_ok: true,
};
const NAMES = Object.keys(NORMAL);
const curve: Array<[number, number]> = [[-24.2, 75], [-10, 58.8], [5, 39.8]];

let seed = 7;
const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;

/** One poll of a station's plc: mostly normal, some values far out, some bad reads; one point nobody reads. */
function poll(ids: string[], station: string, ts: number): PollColumns {
  const vals = new Float64Array(ids.length);
  const tags = new Uint8Array(ids.length);
  ids.forEach((_, i) => {
    const normal = NORMAL[NAMES[i]] ?? 1;
    const r = rnd();
    if (r < 0.05) tags[i] = POLL_BAD;
    else if (typeof normal === 'boolean') tags[i] = (r < 0.85 ? normal : !normal) ? POLL_TRUE : POLL_FALSE;
    else {
      tags[i] = POLL_NUM;
      // counters only rise; the others wander, and now and then far out of range
      vals[i] = NAMES[i] === 'heat_energy' ? normal + ts / 1e6 : r < 0.15 ? normal * (r * 20 - 1) : normal * (0.9 + r * 0.2);
    }
  });
  return { ids, station, ts, vals, tags };
}

describe('engine.stepPoll', () => {
  it('gives the state and events step gives over the same samples, shipped rules, 6 stations × 300 polls', () => {
    const stations = ['hs-1', 'hs-2', 'hs-3', 'hs-4', 'hs-5', 'hs-6'];
    const points: PointInfo[] = stations.flatMap((station) => NAMES.map((point) => ({ station, device: 'plc', point, pollMs: 5000, curve })));
    const compiled = compileRules([], points, { defaults: DEFAULT_RULES });
    expect(compiled.errors).toEqual([]);
    const bySample = createEngine(compiled);
    const byPoll = createEngine(compiled);
    let a = bySample.init();
    let b = byPoll.init();
    // one id per station nobody's rule reads (a trend-only point): skipped by both
    const layouts = stations.map((st) => [...NAMES.map((n) => `${st}.plc.${n}`), `${st}.plc.t_trend_only`]);
    const eventsA: AlarmEvent[] = [];
    const eventsB: AlarmEvent[] = [];
    for (let round = 0; round < 300; round++) {
      const now = T0 + round * 5000;
      for (let s = 0; s < stations.length; s++) {
        const p = poll(layouts[s], stations[s], now);
        const samples: Sample[] = pollSamples(p);
        for (const x of samples) {
          const r = bySample.step(a, x, now);
          a = r.state;
          eventsA.push(...r.events);
        }
        const r = byPoll.stepPoll(b, p, now);
        b = r.state;
        eventsB.push(...r.events);
      }
      const ta = bySample.tick(a, now + 1000);
      const tb = byPoll.tick(b, now + 1000);
      a = ta.state;
      b = tb.state;
      eventsA.push(...ta.events);
      eventsB.push(...tb.events);
      if (round % 50 === 49) expect(JSON.parse(JSON.stringify(b))).toEqual(JSON.parse(JSON.stringify(a)));
    }
    expect(eventsB).toEqual(eventsA);
    // the walk did exercise the rules: raises and clears on both sides
    expect(eventsA.length).toBeGreaterThan(100);
    const types = new Set(eventsA.map((e) => e.type));
    expect(types.has('raise') && types.has('clear')).toBe(true);
    expect(JSON.parse(JSON.stringify(b))).toEqual(JSON.parse(JSON.stringify(a)));
  });
});
