/**
 * Curve deviation without a PLC setpoint point, through the default rules and the engine: a
 * station whose PLC sets back at night and boosts in the morning, its supply following the
 * PLC's setpoint with a lag, against the site's setback schedule. What real stations do that a
 * configured schedule cannot know exactly must not raise (another setback depth, a PLC clock a
 * few minutes off); a real under-supply at night still must.
 */
import { describe, expect, it } from 'vitest';
import { compileRules, createEngine, DEFAULT_RULES, type AlarmEvent, type PointInfo } from '../../src/alarms/index.ts';
import { curveAt, HARBIN_RADIATOR_CURVE } from '../../src/alarms/curve.ts';
import { resolveSetback } from '../../src/modes/setback-config.ts';
import type { SetbackSchedule } from '../../src/alarms/setback.ts';
import { loadTemplate } from '../../simulators/templates.ts';

const TZ = 'Asia/Shanghai';
/** local midnight in the site's time zone (+08:00) */
const START = Date.parse('2026-12-07T00:00:00+08:00');
const MIN = 60_000;
const CURVE = HARBIN_RADIATOR_CURVE.map(([x, y]) => [x, y] as [number, number]);

const SITE = resolveSetback({ windows: [{ from: '23:00', to: '05:00', offsetK: -5 }, { from: '05:00', to: '07:00', offsetK: 4 }], rampMin: 30 }, 'operations.setback').schedule!;

interface Plc {
  setbackK: number;
  boostK: number;
  boostMin: number;
  /** the PLC clock's error, minutes (positive: fast, it switches early) */
  skewMin: number;
  /** [from, to) ms of an under-supply: the supply cannot reach the setpoint by this many K */
  under?: { from: number; to: number; shortK: number };
}

/** The PLC's own setpoint offset at a time: its setback and boost by its own clock. */
function plcOffset(p: Plc, t: number): number {
  const m = ((Math.floor((t - START) / MIN) + p.skewMin) % 1440 + 1440) % 1440;
  if (m >= 23 * 60 || m < 5 * 60) return -p.setbackK;
  if (m < 5 * 60 + p.boostMin) return p.boostK;
  return 0;
}

/**
 * Runs a station through `days` at a 60 s poll: outdoor −10 °C ± 3 K over the day, the supply
 * following the PLC's setpoint with an 8-minute lag and ±0.4 K of noise. Returns the curve
 * alarms' events.
 */
function run(p: Plc, o: { setback?: SetbackSchedule; setpointPoint?: boolean; days?: number }): AlarmEvent[] {
  const ids = loadTemplate('hs-plc').points.map((q) => q.id).filter((id) => o.setpointPoint || id !== 't_sec_setpoint');
  const points: PointInfo[] = ids.map((point) => ({ station: 'hs-001', device: 'plc', point, pollMs: MIN, curve: CURVE, ...(o.setback ? { setback: o.setback } : {}) }));
  const compiled = compileRules([], points, { defaults: DEFAULT_RULES });
  expect(compiled.errors).toEqual([]);
  const engine = createEngine(compiled, { timeZone: TZ });
  let state = engine.init();
  const events: AlarmEvent[] = [];
  let supply = curveAt(CURVE, -10) - p.setbackK;
  let seed = 7;
  const noise = () => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 0.8;
  const end = START + (o.days ?? 2) * 1440 * MIN;
  for (let t = START; t < end; t += MIN) {
    const out = -10 + 3 * Math.sin((2 * Math.PI * (t - START - 9 * 60 * MIN)) / (1440 * MIN));
    const sp = curveAt(CURVE, out) + plcOffset(p, t);
    const u = p.under && t >= p.under.from && t < p.under.to ? p.under.shortK : 0;
    supply += ((sp - u - supply) * 1) / 8;
    const values: Record<string, number | boolean> = { t_outdoor: Math.round(out * 10) / 10, t_sec_supply: Math.round((supply + noise()) * 10) / 10, t_sec_setpoint: Math.round(sp * 10) / 10 };
    for (const [k, v] of Object.entries(values)) {
      if (!ids.includes(k)) continue;
      const r = engine.step(state, { point: `hs-001.plc.${k}`, ts: t, value: v, quality: 'good' }, t);
      state = r.state;
      events.push(...r.events);
    }
    const r = engine.tick(state, t);
    state = r.state;
    events.push(...r.events);
  }
  return events.filter((e) => e.ruleId === 'curve_low' || e.ruleId === 'curve_high');
}

const raises = (evs: AlarmEvent[]) => evs.filter((e) => e.type === 'raise').map((e) => `${e.ruleId} ${new Date(e.ts + 8 * 3_600_000).toISOString().slice(11, 16)}`);

describe('curve deviation with a setback schedule', () => {
  it('without a schedule, an ordinary night setback raises curve_low', () => {
    // every night of the two days: from the start, then 23:00 on each day after the on-delay
    expect(raises(run({ setbackK: 6, boostK: 4, boostMin: 90, skewMin: 0 }, {}))).toEqual(['curve_low 00:30', 'curve_low 23:45', 'curve_low 23:41']);
  });

  it.each([
    ['setback 3 K, boost 3 K for 1 h', { setbackK: 3, boostK: 3, boostMin: 60, skewMin: 0 }],
    ['setback 6 K, boost 5 K for 2 h', { setbackK: 6, boostK: 5, boostMin: 120, skewMin: 0 }],
    ['setback 4.5 K, boost 4 K for 90 min', { setbackK: 4.5, boostK: 4, boostMin: 90, skewMin: 0 }],
  ])('a PLC whose setback differs from the configured −5 K / +4 K raises nothing: %s', (_name, p) => {
    expect(raises(run(p, { setback: SITE }))).toEqual([]);
  });

  it.each([-10, -5, 5, 10])('a PLC clock %i min off raises nothing', (skewMin) => {
    for (const p of [{ setbackK: 6, boostK: 5, boostMin: 120 }, { setbackK: 3, boostK: 3, boostMin: 60 }]) {
      expect(raises(run({ ...p, skewMin }, { setback: SITE })), JSON.stringify(p)).toEqual([]);
    }
  });

  it('an under-supply during the night setback is still detected', () => {
    const night = START + (24 + 1) * 60 * MIN; // 01:00 of the second night
    const ev = run({ setbackK: 5, boostK: 4, boostMin: 90, skewMin: 5, under: { from: night, to: night + 4 * 60 * MIN, shortK: 8 } }, { setback: SITE });
    const r = raises(ev);
    expect(r).toHaveLength(1);
    expect(r[0]).toMatch(/^curve_low 01:[34]\d$/); // the 30 min on-delay after the supply fell 5 K below the band
  });

  it('a station with the PLC setpoint point is compared with it, not with the schedule', () => {
    // a schedule far deeper than this PLC's setback: 6 K above it on the curve path, while the
    // supply is exactly where this PLC's own setpoint puts it
    const deep = resolveSetback({ windows: [{ from: '23:00', to: '05:00', offsetK: -12 }] }, 'stations[0].setback').schedule!;
    const p = { setbackK: 6, boostK: 0, boostMin: 0, skewMin: 0 };
    expect(raises(run(p, { setback: deep, setpointPoint: true }))).toEqual([]);
    expect(raises(run(p, { setback: deep }))).toContain('curve_high 23:45');
  });
});
