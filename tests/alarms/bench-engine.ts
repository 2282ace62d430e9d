/**
 * Not a test: samples/s through `engine.step` with the default rules for
 * 1,000 standard stations, for samples that change no alarm state.
 * Headline: analog values that differ on every poll (sensor noise), the
 * realistic case; also with the stations answering in random order, with
 * every sample in random order (worst case: no locality at all), unchanged
 * values, and the cost of a tick.
 * Each figure is the median of several passes after a warm-up.
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
const ROUNDS = 10; // polls of every point per pass
const PASSES = 5;
const curve: Array<[number, number]> = [[-24.2, 75], [-10, 58.8], [5, 39.8]];
const points: PointInfo[] = [];
for (let s = 0; s < STATIONS; s++) {
  for (const p of Object.keys(NORMAL)) points.push({ station: `hs-${s}`, device: 'plc', point: p, pollMs: 5000, curve });
}
const t = process.hrtime.bigint();
const compiled = compileRules([], points, { defaults: DEFAULT_RULES });
if (compiled.errors.length) throw new Error(JSON.stringify(compiled.errors));
const engine = createEngine(compiled);
const setupMs = Number(process.hrtime.bigint() - t) / 1e6;
const samples: Sample[] = points.map((p) => ({ point: `${p.station}.plc.${p.point}`, ts: 0, value: NORMAL[p.point], quality: 'good' }));
let state = engine.init();
let now = 1_700_000_000_000;
for (const s of samples) state = engine.step(state, s, now).state; // settle
state = engine.tick(state, now).state;

// analog values alternate by a small step, so every sample is a new value
// that is evaluated but changes no alarm state (the meter keeps its value:
// a falling counter is an alarm)
const alt = samples.map((s) => (typeof s.value === 'number' && !s.point.endsWith('heat_energy') ? { ...s, value: s.value + 0.01 } : s));
let seed = 1;
const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
const shuffle = <T>(l: T[]): T[] => {
  for (let i = l.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [l[i], l[j]] = [l[j], l[i]];
  }
  return l;
};
const per = samples.length / STATIONS;
// devices answer in any order, each with its points together
const byStation = shuffle(Array.from({ length: STATIONS }, (_, s) => s)).flatMap((s) => Array.from({ length: per }, (_, k) => s * per + k));
// worst case: no two consecutive samples of one device
const random = shuffle(samples.map((_, i) => i));

let events = 0;
/** samples/s of one pass of ROUNDS polls; `b` is used on odd rounds */
function pass(a: Sample[], b: Sample[]): number {
  const t0 = process.hrtime.bigint();
  for (let r = 0; r < ROUNDS; r++) {
    now += 1000;
    const l = r & 1 ? b : a;
    for (let i = 0; i < l.length; i++) events += engine.step(state, l[i], now).events.length;
  }
  return (ROUNDS * a.length) / (Number(process.hrtime.bigint() - t0) / 1e9);
}
const median = (l: number[]) => [...l].sort((x, y) => x - y)[l.length >> 1];
const measure = (a: Sample[], b: Sample[]) => {
  pass(a, b); // warm-up
  return median(Array.from({ length: PASSES }, () => pass(a, b)));
};
const fmt = (n: number) => `${Math.round(n).toLocaleString('en')} samples/s`;
const changing = measure(samples, alt);
const same = measure(samples, samples);
const changingStations = measure(byStation.map((i) => samples[i]), byStation.map((i) => alt[i]));
const changingRandom = measure(random.map((i) => samples[i]), random.map((i) => alt[i]));
const t1 = process.hrtime.bigint();
for (let r = 0; r < 10; r++) state = engine.tick(state, (now += 1000)).state;
const tickMs = Number(process.hrtime.bigint() - t1) / 1e6 / 10;

console.log(`${compiled.alarms.length} alarm instances, ${points.length} points, ${STATIONS} stations (compile + engine ${setupMs.toFixed(0)} ms)`);
console.log(`step, changing values (headline): ${fmt(changing)}`);
console.log(`  changing values, stations in random order: ${fmt(changingStations)}`);
console.log(`  changing values, samples in random order:  ${fmt(changingRandom)}`);
console.log(`  unchanged values:                           ${fmt(same)}`);
console.log(`tick: ${tickMs.toFixed(2)} ms per tick; ${events} events (expected 0)`);
