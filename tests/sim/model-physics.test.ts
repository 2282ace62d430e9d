// Station physics that heatwatch's limits depend on: pump head, floor heating, counters that
// survive a simulator restart, a real meter reset, and faults the model applies from a plan.
import { describe, expect, it } from 'vitest';
import { createNetwork, planFaults, type Network, type NetworkOptions } from '../../simulators/model.ts';
import { loadTemplate } from '../../simulators/templates.ts';

const S = 1000;
const MIN = 60_000;
const H = 3_600_000;
const T0 = Date.UTC(2026, 0, 11, 16, 0); // 00:00 Asia/Shanghai

function net(o: Partial<NetworkOptions> & { stations: number }, template: 'hs-plc' | 'hs-plc-3zone' = 'hs-plc'): Network {
  return createNetwork({ seed: 1, startMs: T0, stepMs: 5000, template: loadTemplate(template), ...o });
}
const num = (n: Network, s: number, id: string) => n.readPoint(s, id) as number;
const zp = (z: number) => (z === 0 ? '' : `z${z + 1}_`);

describe('station physics', () => {
  it('secondary pump head: supply = return + 0.15–0.35 MPa at nominal speed; return ≈ static head', () => {
    for (const template of ['hs-plc', 'hs-plc-3zone'] as const) {
      const n = net({ stations: 30 }, template);
      n.advance(T0 + 10 * MIN);
      for (let s = 0; s < 30; s++) {
        const info = n.stationInfo(s);
        for (let z = 0; z < n.zones; z++) {
          const head = num(n, s, `${zp(z)}p_sec_supply`) - num(n, s, `${zp(z)}p_sec_return`);
          expect(info.pumpHead[z]).toSatisfy((h: number) => h >= 0.15 && h <= 0.35);
          expect(Math.abs(head - info.pumpHead[z]), `${template} station ${s} zone ${z}`).toBeLessThan(0.01);
          expect(num(n, s, `${zp(z)}p_sec_return`) - info.staticHead[z]).toSatisfy((d: number) => d > -0.015 && d < 0.02);
          expect(num(n, s, `${zp(z)}p_sec_supply`)).toBeLessThan(0.9); // room for a transient below the 1.0 MPa default limit
        }
      }
    }
  });

  it('floor-heating stations: ΔT 2–4 K, supply 35–45 °C; about one station in five with operations on', () => {
    const n = net({ stations: 12, floorShare: 1 });
    for (let s = 0; s < 12; s++) expect(n.stationInfo(s).heatingType).toBe('floor');
    // readings carry sensor noise (σ 0.1 K on each temperature); hourly means sit inside the ranges
    const hour = Array.from({ length: 12 }, () => ({ dT: 0, sup: 0, n: 0 }));
    for (let t = T0 + MIN; t <= T0 + 30 * H; t += MIN) {
      n.advance(t);
      for (let s = 0; s < 12; s++) {
        const sup = num(n, s, 't_sec_supply');
        const dT = sup - num(n, s, 't_sec_return');
        const at = `station ${s} at ${((t - T0) / H).toFixed(2)} h`;
        expect(dT, at).toSatisfy((d: number) => d >= 1.6 && d <= 4.4);
        expect(sup, at).toSatisfy((v: number) => v >= 34.6 && v <= 45.4);
        Object.assign(hour[s], { dT: hour[s].dT + dT, sup: hour[s].sup + sup, n: hour[s].n + 1 });
      }
      if ((t - T0) % H === 0) {
        for (const [s, h] of hour.entries()) {
          expect(h.dT / h.n, `station ${s} hour ending ${(t - T0) / H}`).toSatisfy((d: number) => d >= 2 && d <= 4);
          expect(h.sup / h.n, `station ${s} hour ending ${(t - T0) / H}`).toSatisfy((v: number) => v >= 35 && v <= 45);
          Object.assign(h, { dT: 0, sup: 0, n: 0 });
        }
      }
    }
    const withOps = net({ stations: 500, operations: true, stepMs: MIN });
    const floor = Array.from({ length: 500 }, (_, s) => withOps.stationInfo(s).heatingType).filter((h) => h === 'floor').length / 500;
    expect(floor).toSatisfy((x: number) => x > 0.14 && x < 0.26);
    expect(net({ stations: 50 }).stationInfo(3).heatingType).toBe('radiator'); // off by default without operations
  }, 30_000);

  it.each([
    ['steady', false],
    ['with operations', true],
  ] as const)('counters never go backwards across a restart (%s): a model created 1 h later starts at or above the first one', (_, operations) => {
    for (const template of ['hs-plc', 'hs-plc-3zone'] as const) {
      const first = net({ stations: 20, operations }, template);
      expect(first.operations(T0, T0 + 2 * H).filter((o) => o.kind === 'meter_replace')).toEqual([]);
      first.advance(T0 + H);
      const second = net({ stations: 20, operations, startMs: T0 + H }, template);
      for (let s = 0; s < 20; s++) {
        for (let z = 0; z < first.zones; z++) {
          for (const id of ['heat_energy', 'v_makeup', 'pump1_hours', 'pump2_hours']) {
            const p = `${zp(z)}${id}`;
            expect(num(second, s, p), `${template} station ${s} ${p}`).toBeGreaterThanOrEqual(num(first, s, p));
          }
        }
      }
      // and they keep counting from there
      const e0 = num(second, 0, 'heat_energy');
      second.advance(T0 + 2 * H);
      expect(num(second, 0, 'heat_energy')).toBeGreaterThan(e0 + 1);
    }
  });

  it('meter_replace: the heat meter or the PLC replaced resets its counters once, to a small value', () => {
    const at = T0 + 30 * MIN;
    const n = net({
      stations: 3,
      operations: { kinds: [], extra: [{ kind: 'meter_replace', station: 0, atMs: at }, { kind: 'meter_replace', station: 1, atMs: at, what: 'plc' }] },
    });
    const ops = n.operations(T0, T0 + H);
    const plc = ops.find((o) => o.kind === 'meter_replace' && o.what === 'plc');
    const ids = ['heat_energy', 'v_makeup', 'pump1_hours'];
    const last = new Map<string, number>();
    const drops = new Map<string, number>();
    let powerZero = 0;
    for (let t = T0 + 10 * S; t <= T0 + H; t += 10 * S) {
      n.advance(t);
      for (let s = 0; s < 3; s++) {
        for (const id of ids) {
          const k = `${s}.${id}`;
          const v = num(n, s, id);
          if (v < (last.get(k) ?? -Infinity)) drops.set(k, (drops.get(k) ?? 0) + 1);
          last.set(k, v);
        }
      }
      if (num(n, 0, 'heat_power') === 0) powerZero += 10 * S;
      if (plc?.kind === 'meter_replace') expect(n.isOffline(1)).toBe(plc.outFromMs <= t && t < plc.outToMs);
    }
    expect(Object.fromEntries(drops)).toEqual({ '0.heat_energy': 1, '1.v_makeup': 1, '1.pump1_hours': 1 });
    expect(num(n, 0, 'heat_energy')).toBeLessThan(5 + 30 * 25 / 60);
    expect(num(n, 1, 'pump1_hours') + num(n, 1, 'pump2_hours')).toBeLessThan(0.6);
    expect(powerZero / MIN).toBeGreaterThanOrEqual(9); // the meter was out while it was swapped
    // a model created after the replacement starts from the new meter, not the old one
    const later = net({ stations: 3, startMs: T0 + H, operations: { kinds: [], extra: [{ kind: 'meter_replace', station: 0, atMs: at }] } });
    expect(num(later, 0, 'heat_energy')).toBeGreaterThanOrEqual(num(n, 0, 'heat_energy'));
    expect(num(later, 0, 'heat_energy')).toBeLessThan(1000);
    // and by hand
    n.replaceMeter(2);
    expect(num(n, 2, 'heat_energy')).toBeLessThan(5);
  });

  it('labelled faults: a deterministic plan the model switches on and off at exact model times', () => {
    const opts = { seed: 4, stations: 30, fromMs: T0, toMs: T0 + 12 * H };
    const plan = planFaults(opts);
    expect(planFaults(opts)).toEqual(plan);
    expect(new Set(plan.map((w) => w.station)).size).toBe(plan.length);
    expect(plan.map((w) => w.fault).sort()).toEqual(['burst', 'comm_loss', 'leak', 'over_temp', 'power_loss', 'pump_trip', 'sensor_freeze', 'under_supply', 'valve_stuck']);
    for (const w of plan) expect(w.fromMs >= T0 && w.toMs <= T0 + 12 * H && w.toMs > w.fromMs).toBe(true);
    const n = net({ stations: 30, faultPlan: plan });
    expect(n.faultPlan()).toEqual(plan);
    const wrong: string[] = [];
    for (let t = T0 + MIN; t <= T0 + 12 * H; t += MIN) {
      n.advance(t);
      for (const w of plan) if (n.hasFault(w.station, w.fault) !== (w.fromMs <= t && t < w.toMs)) wrong.push(`${w.fault} at ${t}`);
    }
    expect(wrong).toEqual([]);
    expect(n.faults()).toEqual([]);
    const comm = plan.find((w) => w.fault === 'comm_loss')!;
    n.setFault(comm.station, 'comm_loss', true);
    expect(n.isOffline(comm.station)).toBe(true);
  });
});
