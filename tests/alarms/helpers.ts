import { compileRules, createEngine, type AlarmEvent, type AlarmRuleConfig, type Engine, type EngineState, type PointInfo } from '../../src/alarms/index.ts';
import type { NumericSlots } from '../../src/alarms/expr.ts';
import type { Sample, SampleValue } from '../../src/model.ts';

export const T0 = 1_700_000_000_000;

/** `"75 85 _ true 10x5"` → values; `_` is a bad read, `vxN` repeats v N times. */
export function parseSeries(spec: string): SampleValue[] {
  const out: SampleValue[] = [];
  for (const tok of spec.trim().split(/\s+/)) {
    const [v, n] = tok.split('x');
    const val: SampleValue = v === '_' ? null : v === 'true' ? true : v === 'false' ? false : Number(v);
    for (let i = 0; i < (n ? Number(n) : 1); i++) out.push(val);
  }
  return out;
}

/** Samples of one point at a fixed step from `start`. */
export function series(point: string, spec: string, stepMs = 1000, start = T0): Sample[] {
  return parseSeries(spec).map((value, i) => ({
    point,
    ts: start + i * stepMs,
    value,
    quality: value === null ? 'bad' : 'good',
  }));
}

export function pointsOf(station: string, device: string, ids: string[], pollMs = 1000, curve?: Array<[number, number]>): PointInfo[] {
  return ids.map((point) => ({ station, device, point, pollMs, ...(curve ? { curve } : {}) }));
}

export interface Harness {
  engine: Engine;
  state: EngineState;
  events: AlarmEvent[];
  /** feeds samples (sorted by ts) and ticks at every sample time */
  feed(samples: Sample[], opts?: { tick?: boolean }): AlarmEvent[];
  tick(now: number): AlarmEvent[];
  st(alarmId: string): string;
}

export function harness(rules: AlarmRuleConfig[], points: PointInfo[], opts: { maxShelveMinutes?: number } = {}): Harness {
  const compiled = compileRules(rules, points);
  if (compiled.errors.length) throw new Error(JSON.stringify(compiled.errors));
  const engine = createEngine(compiled, opts);
  const h: Harness = {
    engine,
    state: engine.init(),
    events: [],
    feed(samples, o = {}) {
      const got: AlarmEvent[] = [];
      for (const s of [...samples].sort((a, b) => a.ts - b.ts)) {
        const r = engine.step(h.state, s, s.ts);
        h.state = r.state;
        got.push(...r.events);
        h.events.push(...r.events);
        if (o.tick !== false) got.push(...h.tick(s.ts));
      }
      return got;
    },
    tick(now) {
      const r = engine.tick(h.state, now);
      h.state = r.state;
      h.events.push(...r.events);
      return [...r.events];
    },
    st(alarmId) {
      const i = engine.alarmIndex.get(alarmId) ?? -1;
      if (i < 0) throw new Error(`no alarm ${alarmId}`);
      return h.state.alarms.state(i);
    },
  };
  return h;
}

export const types = (evs: AlarmEvent[]) => evs.map((e) => `${e.type}:${e.to}`);

/** Expression slots (`{ v, ok }` each) as the columns the evaluators read. */
export function slotColumns(slots: ReadonlyArray<{ v: number; ok: boolean }>): NumericSlots {
  return { v: slots.map((s) => s.v), ok: slots.map((s) => (s.ok ? 1 : 0)) };
}
