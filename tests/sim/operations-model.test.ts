// The model applying its operations schedule: what a poll would read during each kind of
// normal operation (pure: the model is stepped on a simulated clock).
import { describe, expect, it } from 'vitest';
import { curveSetpoint } from '../../simulators/curve.ts';
import { createNetwork, type ChangeoverOp, type Network, type OperationsOptions } from '../../simulators/model.ts';
import { loadTemplate } from '../../simulators/templates.ts';

const S = 1000;
const MIN = 60_000;
const H = 3_600_000;
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 11, 16, 0); // 00:00 Asia/Shanghai

function net(o: { stations: number; startMs?: number; stepMs?: number; seed?: number; operations?: boolean | OperationsOptions }): Network {
  return createNetwork({ stations: o.stations, seed: o.seed ?? 1, template: loadTemplate('hs-plc'), startMs: o.startMs ?? T0, stepMs: o.stepMs ?? 5000, operations: o.operations ?? true });
}
const num = (n: Network, s: number, id: string) => n.readPoint(s, id) as number;
const inside = (t: number, ivs: Array<[number, number]>) => ivs.some(([a, b]) => a <= t && t < b);

describe('operations in the model', () => {
  it('the door DI is on exactly inside the crews’ door windows, and a station is offline exactly inside its outages', () => {
    const n = net({ stations: 30, operations: { rates: { outage: 3 } } });
    const ops = n.operations(T0, T0 + DAY);
    const doors = Array.from({ length: 30 }, (_, s) => ops.filter((o) => o.station === s).flatMap((o) => o.door ?? []));
    const outages = Array.from({ length: 30 }, (_, s) =>
      ops
        .filter((o) => o.station === s)
        .flatMap((o) => (o.kind === 'outage' ? [[o.fromMs, o.toMs] as [number, number]] : o.kind === 'meter_replace' && o.what === 'plc' ? [[o.outFromMs, o.outToMs] as [number, number]] : [])),
    );
    const wrong: string[] = [];
    let doorSteps = 0;
    let offSteps = 0;
    for (let t = T0 + 5 * S; t < T0 + DAY; t += 5 * S) {
      n.advance(t);
      for (let s = 0; s < 30; s++) {
        const door = inside(t, doors[s]);
        const off = inside(t, outages[s]);
        if (n.readPoint(s, 'door') !== door) wrong.push(`door at station ${s} ${new Date(t).toISOString()}`);
        if (n.isOffline(s) !== off) wrong.push(`offline at station ${s} ${new Date(t).toISOString()}`);
        doorSteps += door ? 1 : 0;
        offSteps += off ? 1 : 0;
      }
    }
    expect(wrong.slice(0, 5)).toEqual([]);
    expect(doorSteps).toBeGreaterThan(100);
    expect(offSteps).toBeGreaterThan(10);
  }, 60_000);

  describe('pump changeover', () => {
    const listed = net({ stations: 500 }).operations(T0, T0 + 7 * DAY).filter((o): o is ChangeoverOp => o.kind === 'changeover');
    const cases = [listed.find((c) => !c.edge && c.station < 100)!, listed.find((c) => c.edge === 'late_feedback')!, listed.find((c) => c.edge === 'early_stop')!];

    it.each(cases.map((c) => [c.edge ?? 'normal', c] as const))('%s: command, feedback after its delay, duty off, then the pressure transient', (_, c) => {
      // a model created just before the changeover still runs it: the schedule does not depend on creation time
      const n = net({ stations: c.station + 1, startMs: c.fromMs - 2 * MIN, stepMs: S });
      const s = c.station;
      const other = c.toPump === 1 ? 2 : 1;
      const r = (id: string) => n.readPoint(s, id);
      let base = 0;
      for (let t = c.fromMs - 60 * S; t < c.fromMs; t += S) {
        n.advance(t);
        base += num(n, s, 'p_sec_supply') / 60;
        expect([r(`pump${c.toPump}_cmd`), r(`pump${other}_cmd`), r(`pump${other}_run`)]).toEqual([false, true, true]);
      }
      let runAt = NaN;
      let offAt = NaN;
      let peak = 0;
      let above = 0;
      let noneRunning = 0;
      for (let t = c.fromMs; t <= c.toMs + 10 * S; t += S) {
        n.advance(t);
        expect(r(`pump${c.toPump}_cmd`)).toBe(true);
        if (Number.isNaN(runAt) && r(`pump${c.toPump}_run`)) runAt = t;
        if (Number.isNaN(offAt) && !r(`pump${other}_cmd`)) offAt = t;
        if (!r('pump1_run') && !r('pump2_run')) noneRunning++;
        const dev = num(n, s, 'p_sec_supply') - base;
        if (Math.abs(dev) > Math.abs(peak)) peak = dev;
        if (Math.abs(dev) > Math.abs(c.transientMPa) / 2) above++;
      }
      expect(runAt - c.fromMs).toSatisfy((d: number) => d >= c.feedbackMs && d < c.feedbackMs + S);
      expect(offAt - c.offMs).toSatisfy((d: number) => d >= 0 && d < S);
      expect(r(`pump${other}_run`)).toBe(false);
      expect(Math.sign(peak)).toBe(Math.sign(c.transientMPa));
      expect(Math.abs(peak)).toSatisfy((p: number) => p >= Math.abs(c.transientMPa) - 0.01 && p <= Math.abs(c.transientMPa) + 0.02);
      expect(Math.abs(peak)).toSatisfy((p: number) => p >= 0.04 && p <= 0.12);
      // a half sine is beyond half its peak for two thirds of its duration
      expect(above * S).toSatisfy((d: number) => d >= 0.5 * c.transientMs && d <= 0.8 * c.transientMs + 2 * S);
      expect(Math.abs(num(n, s, 'p_sec_supply') - base)).toBeLessThan(0.02);
      // the early stop leaves a second with no pump running; otherwise there is always one
      expect(noneRunning > 0).toBe(c.edge === 'early_stop');
    });
  });

  it('standby auto-start: the PLC starts the standby pump ~3 s after a trip; the tripped pump keeps its command and fault bit', () => {
    const n = net({ stations: 200, stepMs: S, operations: { kinds: ['changeover'] } });
    const info = Array.from({ length: 200 }, (_, s) => n.stationInfo(s));
    const duty1 = (s: number) => n.readPoint(s, 'pump1_cmd') === true;
    const auto1 = info.find((i) => i.standbyAutoStart && duty1(i.index))!.index;
    const auto2 = info.find((i) => i.standbyAutoStart && !duty1(i.index))!.index;
    const manual = info.find((i) => !i.standbyAutoStart && duty1(i.index))!.index;
    const flow = num(n, auto1, 'f_sec');
    const manualFlow = num(n, manual, 'f_sec');
    for (const s of [auto1, auto2, manual]) n.setFault(s, 'pump_trip', true);
    const r = (s: number, id: string) => n.readPoint(s, id);
    n.advance(T0 + 2 * S);
    expect([r(auto1, 'pump1_fault'), r(auto1, 'pump1_run'), r(auto1, 'pump2_cmd')]).toEqual([true, false, false]);
    n.advance(T0 + 10 * S);
    expect([r(auto1, 'pump1_cmd'), r(auto1, 'pump1_run'), r(auto1, 'pump1_fault'), r(auto1, 'pump2_cmd'), r(auto1, 'pump2_run')]).toEqual([true, false, true, true, true]);
    expect([r(auto2, 'pump2_cmd'), r(auto2, 'pump2_run'), r(auto2, 'pump2_fault'), r(auto2, 'pump1_cmd'), r(auto2, 'pump1_run'), r(auto2, 'pump1_fault')]).toEqual([true, false, true, true, true, false]);
    expect([r(manual, 'pump1_cmd'), r(manual, 'pump1_run'), r(manual, 'pump1_fault'), r(manual, 'pump2_cmd'), r(manual, 'pump2_run')]).toEqual([true, false, true, false, false]);
    n.advance(T0 + MIN);
    expect(num(n, auto1, 'f_sec')).toBeGreaterThan(0.9 * flow);
    expect(num(n, manual, 'f_sec')).toBeLessThan(0.5 * manualFlow);
    // repaired: the crew leaves the tripped pump as standby; the other keeps running
    n.setFault(auto1, 'pump_trip', false);
    n.advance(T0 + MIN + 5 * S);
    expect([r(auto1, 'pump1_cmd'), r(auto1, 'pump1_fault'), r(auto1, 'pump2_run')]).toEqual([false, false, true]);
    // about one station in ten has no auto-start
    const all = net({ stations: 500, stepMs: 60_000 });
    const without = Array.from({ length: 500 }, (_, s) => all.stationInfo(s)).filter((i) => !i.standbyAutoStart).length / 500;
    expect(without).toSatisfy((x: number) => x > 0.05 && x < 0.16);
  });

  it('night setback and morning boost in the PLC setpoint; the supply follows it', () => {
    const n = net({ stations: 40, startMs: T0 - 4 * H, operations: { kinds: ['setback', 'boost'] } });
    const at = (h: number) => T0 + h * H;
    const check = (t: number, offset: (s: number) => number) => {
      n.advance(t);
      for (let s = 0; s < 40; s++) {
        const info = n.stationInfo(s);
        const curve = curveSetpoint(info.curve, num(n, s, 't_outdoor'));
        const sp = num(n, s, 't_sec_setpoint');
        expect(sp - curve, `station ${s} at ${(t - T0) / H} h`).toBeCloseTo(offset(s), 0);
        expect(Math.abs(sp - curve - offset(s))).toBeLessThan(0.35);
        expect(Math.abs(num(n, s, 't_sec_supply') - sp), `station ${s} supply`).toBeLessThan(2);
      }
    };
    check(at(-1.5), () => 0); // 22:30
    check(at(2), (s) => -n.stationInfo(s).setbackK); // 02:00
    check(at(5.75), (s) => n.stationInfo(s).boostK); // 05:45, boost lasts at least an hour
    check(at(10), () => 0);
    const sb = Array.from({ length: 40 }, (_, s) => n.stationInfo(s).setbackK);
    expect(sb.some((k) => k === 0)).toBe(true);
    expect(sb.filter((k) => k > 0).every((k) => k >= 3 && k <= 6)).toBe(true);
  });

  it('riser drain and refill: pressure falls while draining, make-up above 2 % of circulation for the refill, back to static', () => {
    const drainFrom = T0 + 10 * H;
    const refillFrom = drainFrom + 25 * MIN;
    const end = refillFrom + 30 * MIN;
    const n = net({ stations: 2, operations: { kinds: [], extra: [{ kind: 'refill', station: 0, fromMs: drainFrom - 5 * MIN, drainFromMs: drainFrom, refillFromMs: refillFrom, toMs: end, dropMPa: 0.08, makeupPct: 3 }] } });
    const stat = n.stationInfo(0).staticHead[0];
    n.advance(drainFrom);
    expect(num(n, 0, 'p_sec_return') - stat).toSatisfy((d: number) => Math.abs(d) < 0.015);
    let high = 0;
    for (let t = drainFrom; t < refillFrom; t += MIN) {
      n.advance(t);
      expect(n.readPoint(0, 'makeup_run')).toBe(false);
    }
    n.advance(refillFrom);
    expect(num(n, 0, 'p_sec_return') - (stat - 0.08)).toSatisfy((d: number) => Math.abs(d) < 0.015);
    for (let t = refillFrom + 5 * S; t <= end + 20 * MIN; t += 5 * S) {
      n.advance(t);
      if (num(n, 0, 'f_makeup') > 0.02 * num(n, 0, 'f_sec')) high += 5 * S;
    }
    expect(high / MIN).toSatisfy((m: number) => m >= 29 && m <= 31);
    expect(num(n, 0, 'p_sec_return') - stat).toSatisfy((d: number) => Math.abs(d) < 0.015);
    expect(num(n, 0, 'f_makeup') / num(n, 0, 'f_sec')).toBeLessThanOrEqual(0.01);
  });

  it('planned stop: pumps off, valve closed, temperatures decay over hours; pumps restart at its end', () => {
    const from = T0 + 9 * H;
    const to = from + 6 * H;
    const n = net({ stations: 2, operations: { kinds: [], extra: [{ kind: 'planned_stop', station: 1, fromMs: from, toMs: to }] } });
    n.advance(from - MIN);
    const before = num(n, 1, 't_sec_supply');
    n.advance(from + 10 * S);
    expect([n.readPoint(1, 'pump1_cmd'), n.readPoint(1, 'pump2_cmd'), n.readPoint(1, 'pump1_run'), n.readPoint(1, 'door')]).toEqual([false, false, false, true]);
    n.advance(from + 10 * MIN);
    expect(num(n, 1, 'valve_cmd')).toBe(0);
    expect(num(n, 1, 'p_sec_supply') - num(n, 1, 'p_sec_return')).toBeLessThan(0.01);
    n.advance(from + H);
    const after1h = num(n, 1, 't_sec_supply');
    expect(before - after1h).toSatisfy((d: number) => d > 2 && d < 20); // decays, but over hours
    n.advance(to - MIN);
    expect(num(n, 1, 't_sec_supply')).toBeLessThan(after1h - 5);
    expect(n.readPoint(0, 'pump1_run')).toBe(true); // the other station runs on
    n.advance(to + 5 * S);
    expect(n.readPoint(1, 'pump1_cmd') || n.readPoint(1, 'pump2_cmd')).toBe(true);
    expect(n.readPoint(1, 'pump1_run') || n.readPoint(1, 'pump2_run')).toBe(true);
    n.advance(to + 45 * MIN);
    expect(Math.abs(num(n, 1, 't_sec_supply') - num(n, 1, 't_sec_setpoint'))).toBeLessThan(3);
  });

  it('season start: empty, filling to static, pressure test up to static + 0.3–0.5 MPa, cold circulation without heat, heat-up to the curve', () => {
    const n = net({ stations: 2, operations: { kinds: [], seasonStart: { atMs: T0 } } });
    const phases = n.operations(T0, T0 + 6 * DAY).filter((o) => o.kind === 'season_start');
    const end = Math.max(...phases.map((p) => p.toMs));
    const seen = new Map<string, number[]>();
    for (let t = T0 + MIN; t <= end + H; t += MIN) {
      n.advance(t);
      for (let s = 0; s < 2; s++) {
        const ph = phases.find((p) => p.station === s && p.fromMs <= t && t < p.toMs);
        const key = `${s}:${ph && ph.kind === 'season_start' ? ph.phase : 'in_season'}`;
        seen.set(key, [...(seen.get(key) ?? []), t]);
      }
    }
    for (let s = 0; s < 2; s++) {
      const stat = n.stationInfo(s).staticHead[0];
      const mine = phases.filter((p) => p.station === s);
      const test = mine.find((p) => p.kind === 'season_start' && p.phase === 'pressure_test');
      expect(test?.kind === 'season_start' && test.testMPa).toBeTruthy();
      const testMPa = test?.kind === 'season_start' ? test.testMPa! : 0;
      // replay the readings per phase from a second, identical model (readings are deterministic)
      const m = net({ stations: 2, operations: { kinds: [], seasonStart: { atMs: T0 } } });
      const series = (phase: string) =>
        (seen.get(`${s}:${phase}`) ?? []).map((t) => {
          m.advance(t);
          return { p: num(m, s, 'p_sec_return'), run: m.readPoint(s, 'pump1_run') || m.readPoint(s, 'pump2_run'), mk: m.readPoint(s, 'makeup_run'), valve: num(m, s, 'valve_cmd'), tss: num(m, s, 't_sec_supply'), sp: num(m, s, 't_sec_setpoint') };
        });
      const empty = series('empty');
      expect(empty.every((x) => x.p < 0.05 && !x.run)).toBe(true);
      const filling = series('filling');
      expect(filling.every((x) => x.mk && !x.run)).toBe(true);
      for (let i = 1; i < filling.length; i++) expect(filling[i].p).toBeGreaterThan(filling[i - 1].p - 0.008);
      expect(filling.at(-1)!.p).toBeCloseTo(stat, 1);
      const pt = series('pressure_test');
      const peak = Math.max(...pt.map((x) => x.p));
      expect(peak - stat).toSatisfy((d: number) => Math.abs(d - testMPa) < 0.015 && d >= 0.29 && d <= 0.51);
      expect(pt.filter((x) => x.p > stat + testMPa - 0.02).length).toBeGreaterThanOrEqual(45);
      const circ = series('cold_circulation');
      expect(circ.slice(1).every((x) => x.run)).toBe(true); // the first sample may fall inside the feedback delay
      expect(circ.slice(10).every((x) => x.valve === 0 && x.tss < 25)).toBe(true);
      const heat = series('heat_up');
      expect(heat.at(-1)!.sp - heat[0].sp).toBeGreaterThan(20);
      const after = series('in_season').filter((_, i, a) => i >= a.length - 10);
      for (const x of after) expect(Math.abs(x.tss - x.sp)).toBeLessThan(3);
    }
  }, 60_000);
});
