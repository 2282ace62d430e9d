/**
 * Not a test: heap used (after a full GC) by the default rules compiled for
 * 5,000 standard stations, by the engine built from them and by its state, and what
 * engine and state keep once the compiled rules are released (as the service does).
 * Run: `node --expose-gc --import tsx tests/alarms/mem-engine.ts`
 */
import { compileRules, createEngine, DEFAULT_RULES, type PointInfo } from '../../src/alarms/index.ts';

const NAMES = [
  't_pri_supply', 't_pri_return', 'p_pri_supply', 'p_pri_return', 't_sec_supply', 't_sec_return', 'p_sec_supply', 'p_sec_return',
  'f_pri', 'f_sec', 'heat_power', 'heat_energy', 'pump1_run', 'pump1_cmd', 'pump1_hz', 'pump1_fault', 'pump2_run', 'pump2_cmd',
  'pump2_hz', 'pump2_fault', 'makeup_run', 'f_makeup', 'v_makeup', 'valve_cmd', 'valve_fb', 'tank_level', 't_outdoor',
  't_room_avg', 'flood', 'door', 'power_ok', 't_sec_setpoint',
];
const STATIONS = Number(process.env.STATIONS ?? 5000);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const heap = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};
const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

const curve: Array<[number, number]> = [[-24.2, 75], [-10, 58.8], [5, 39.8]];
const points: PointInfo[] = [];
for (let s = 0; s < STATIONS; s++) {
  for (const p of NAMES) points.push({ station: `hs-${s}`, device: 'plc', point: p, pollMs: 5000, curve });
}
const h0 = heap();
const compiled = compileRules([], points, { defaults: DEFAULT_RULES });
if (compiled.errors.length) throw new Error(JSON.stringify(compiled.errors));
const h1 = heap();
const engine = createEngine(compiled);
const h2 = heap();
const state = engine.init();
const h3 = heap();
console.log(`${compiled.alarms.length} alarm instances, ${points.length} points, ${STATIONS} stations`);
console.log(`compiled rules:  ${mb(h1 - h0)}`);
console.log(`engine:          ${mb(h2 - h1)}`);
console.log(`initial state:   ${mb(h3 - h2)}`);
console.log(`total:           ${mb(h3 - h0)} (heapUsed ${mb(h3)}, rss ${mb(process.memoryUsage().rss)})`);
// keep everything reachable until measured
if (state.alarms.length !== engine.alarms.length) throw new Error('unreachable');

// the service's way: the compiled rules are dropped once the engine is built; measured from a
// function's frame, since the top-level frame above still holds them
function built(): { engine: ReturnType<typeof createEngine>; state: ReturnType<ReturnType<typeof createEngine>['init']> } {
  const c = compileRules([], points, { defaults: DEFAULT_RULES });
  const e = createEngine(c);
  return { engine: e, state: e.init() };
}
const h5 = heap();
const kept = built();
console.log(`engine + state once the compiled rules are released: ${mb(heap() - h5)}`);
if (kept.state.alarms.length !== kept.engine.alarms.length) throw new Error('unreachable');
