/**
 * Not a test: samples/s through `engine.step` with the default rules for
 * 1,000 standard stations, for samples that do not change state.
 * Run: `node --import tsx tests/alarms/bench-engine.ts`
 */
import { compileRules, createEngine, DEFAULT_RULES, type PointInfo } from '../../src/alarms/index.ts';
import type { Sample } from '../../src/model.ts';

const NORMAL: Record<string, number | boolean> = {
  t_pri_supply: 95, t_pri_return: 50, p_pri_supply: 0.8, p_pri_return: 0.3, t_sec_supply: 58, t_sec_return: 42,
  p_sec_supply: 0.45, p_sec_return: 0.3, f_pri: 40, f_sec: 120, heat_power: 2.1, heat_energy: 1000, pump1_run: true,
  pump1_cmd: true, pump1_hz: 42, pump1_fault: false, pump2_run: false, pump2_cmd: false, pump2_hz: 0, pump2_fault: false,
  makeup_run: false, f_makeup: 0.5, v_makeup: 10, valve_cmd: 50, valve_fb: 51, tank_level: 70, t_outdoor: -10,
  t_room_avg: 20, flood: false, door: false, power_ok: true, t_sec_setpoint: 58,
};
const STATIONS = 1000;
const curve: Array<[number, number]> = [[-24.2, 75], [-10, 58.8], [5, 39.8]];
const points: PointInfo[] = [];
for (let s = 0; s < STATIONS; s++) {
  for (const p of Object.keys(NORMAL)) points.push({ station: `hs-${s}`, device: 'plc', point: p, pollMs: 5000, curve });
}
const compiled = compileRules([], points, { defaults: DEFAULT_RULES });
if (compiled.errors.length) throw new Error(JSON.stringify(compiled.errors));
const engine = createEngine(compiled);
const samples: Sample[] = points.map((p) => ({ point: `${p.station}.plc.${p.point}`, ts: 0, value: NORMAL[p.point], quality: 'good' }));
let state = engine.init();
let now = 1_700_000_000_000;
for (const s of samples) state = engine.step(state, s, now).state; // warm up and settle
state = engine.tick(state, now).state;

// alternate analog values by a small step each round, so every sample is a
// new value that is evaluated but changes no alarm state
const alt = samples.map((s) => (typeof s.value === 'number' && !s.point.endsWith('heat_energy') ? { ...s, value: s.value + 0.01 } : s));
const rounds = 40;
let events = 0;
const t0 = process.hrtime.bigint();
for (let r = 0; r < rounds; r++) {
  now += 1000;
  for (let i = 0; i < samples.length; i++) {
    const res = engine.step(state, (r & 1 ? alt : samples)[i], now);
    events += res.events.length;
  }
}
const secs = Number(process.hrtime.bigint() - t0) / 1e9;
const n = rounds * samples.length;
const t2 = process.hrtime.bigint();
for (let r = 0; r < rounds; r++) for (let i = 0; i < samples.length; i++) engine.step(state, samples[i], (now += 0));
const secsSame = Number(process.hrtime.bigint() - t2) / 1e9;
console.log(`step (unchanged values): ${Math.round(n / secsSame).toLocaleString('en')} samples/s`);
const t1 = process.hrtime.bigint();
for (let r = 0; r < 10; r++) engine.tick(state, (now += 1000));
const tickMs = Number(process.hrtime.bigint() - t1) / 1e6 / 10;
console.log(`${compiled.alarms.length} alarm instances, ${points.length} points, ${STATIONS} stations`);
console.log(`step (changing values): ${n} samples in ${secs.toFixed(2)} s = ${Math.round(n / secs).toLocaleString('en')} samples/s (${events} events)`);
console.log(`tick: ${tickMs.toFixed(2)} ms per tick`);
