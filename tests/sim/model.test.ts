import { describe, expect, it } from 'vitest';
import { curveSetpoint, HARBIN_RADIATOR } from '../../simulators/curve.ts';
import { createNetwork, type Network } from '../../simulators/model.ts';
import { loadTemplate } from '../../simulators/templates.ts';

const T0 = Date.UTC(2025, 0, 15, 16, 0); // 00:00 Asia/Shanghai
const MIN = 60_000;

function net(stations = 4, seed = 11, template: 'hs-plc' | 'hs-plc-3zone' = 'hs-plc'): Network {
  return createNetwork({ stations, seed, template: loadTemplate(template), startMs: T0 });
}
const num = (n: Network, s: number, id: string) => n.readPoint(s, id) as number;

describe('weather curve', () => {
  it('interpolates the Harbin table and clamps at the ends', () => {
    expect(curveSetpoint(HARBIN_RADIATOR, -10)).toBe(58.8);
    expect(curveSetpoint(HARBIN_RADIATOR, -15)).toBeCloseTo(64.55, 2);
    expect(curveSetpoint(HARBIN_RADIATOR, -30)).toBe(75);
    expect(curveSetpoint(HARBIN_RADIATOR, 12)).toBe(39.8);
  });
});

describe('model', () => {
  it('is deterministic for a seed, however time is advanced', () => {
    const a = net(5, 42);
    const b = net(5, 42);
    a.advance(T0 + 10 * MIN);
    for (let t = T0; t <= T0 + 10 * MIN; t += 7_300) b.advance(t);
    b.advance(T0 + 10 * MIN);
    for (let s = 0; s < 5; s++) for (const id of a.pointIds) expect(b.readPoint(s, id)).toBe(a.readPoint(s, id));
    const c = net(5, 43);
    c.advance(T0 + 10 * MIN);
    expect(c.readPoint(0, 't_outdoor')).not.toBe(a.readPoint(0, 't_outdoor'));
  });

  it('serves every template point, 3-zone included', () => {
    const n = net(2, 1, 'hs-plc-3zone');
    expect(n.zones).toBe(3);
    for (const id of n.pointIds) expect(['number', 'boolean']).toContain(typeof n.readPoint(1, id));
    expect(num(n, 0, 'z3_p_sec_supply')).toBeGreaterThan(0.6); // high zone: high static head
  });

  it('stays inside normal ranges for a simulated hour without faults', () => {
    for (const template of ['hs-plc', 'hs-plc-3zone'] as const) {
      const n = net(10, 5, template);
      let lastEnergy = new Map<string, number>();
      for (let m = 1; m <= 60; m++) {
        n.advance(T0 + m * MIN);
        for (let s = 0; s < n.size; s++) {
          for (let z = 0; z < n.zones; z++) {
            const p = z === 0 ? '' : `z${z + 1}_`;
            const r = (id: string) => num(n, s, p + id);
            const where = `${template} station ${s} zone ${z + 1} minute ${m}`;
            const inRange = (id: string, lo: number, hi: number) =>
              expect(r(id), `${where} ${id}`).toSatisfy((v: number) => v >= lo && v <= hi);
            inRange('t_pri_return', 35, 60);
            inRange('t_sec_return', 35, 50);
            inRange('t_room_avg', 18.5, 22);
            inRange('pump1_hz', 30, 50);
            inRange('valve_fb', 5, 95);
            expect(Math.abs(r('t_sec_supply') - r('t_sec_setpoint')), where).toBeLessThan(3);
            expect(Math.abs(r('valve_cmd') - r('valve_fb')), where).toBeLessThan(5);
            const dT = r('t_sec_supply') - r('t_sec_return');
            expect(dT, where).toSatisfy((v: number) => v > 3 && v < 25);
            expect(r('p_sec_supply') - r('p_sec_return'), where).toBeGreaterThan(0.02);
            expect(r('p_sec_supply'), where).toBeLessThan(1.0);
            expect(r('f_makeup') / r('f_sec'), where).toBeLessThanOrEqual(0.01);
            expect(n.readPoint(s, p + 'pump1_run')).toBe(true);
            expect(n.readPoint(s, p + 'pump2_run')).toBe(false);
            const e = r('heat_energy');
            expect(e, where).toBeGreaterThanOrEqual(lastEnergy.get(`${s}${p}`) ?? 0);
            lastEnergy.set(`${s}${p}`, e);
            expect(r('heat_power')).toBeCloseTo((r('f_sec') * dT * 4.186e-3), 0);
          }
          const r = (id: string) => num(n, s, id);
          expect(r('t_pri_supply')).toSatisfy((v: number) => v >= 60 && v <= 120);
          expect(r('p_pri_supply')).toSatisfy((v: number) => v >= 0.5 && v <= 1.0);
          expect(r('p_pri_return')).toSatisfy((v: number) => v >= 0.2 && v <= 0.4);
          expect(r('p_pri_supply') - r('p_pri_return')).toBeGreaterThan(0.05);
          expect(r('tank_level')).toSatisfy((v: number) => v >= 40 && v <= 90);
          expect(r('t_outdoor')).toSatisfy((v: number) => v >= -24 && v <= 0);
          expect(n.readPoint(s, 'flood')).toBe(false);
          expect(n.readPoint(s, 'power_ok')).toBe(true);
        }
      }
    }
  });
});

describe('faults', () => {
  function withFault(fault: Parameters<Network['setFault']>[1], minutes: number) {
    const n = net(2, 9);
    const before = Object.fromEntries(n.pointIds.map((id) => [id, n.readPoint(0, id)]));
    n.setFault(0, fault, true);
    n.advance(T0 + minutes * MIN);
    return { n, before, r: (id: string, s = 0) => n.readPoint(s, id) };
  }

  it('leak: secondary pressure falls ~0.01 MPa/min, make-up runs above 2 % of circulation', () => {
    const { n, before, r } = withFault('leak', 10);
    expect((before.p_sec_supply as number) - (r('p_sec_supply') as number)).toBeGreaterThan(0.07);
    expect(r('makeup_run')).toBe(true);
    expect((r('f_makeup') as number) / (r('f_sec') as number)).toBeGreaterThan(0.02);
    expect(n.faults()).toEqual([{ station: 0, fault: 'leak' }]);
    expect(Math.abs((r('p_sec_supply', 1) as number) - (n.readPoint(1, 'p_sec_supply') as number))).toBe(0); // station 1 untouched
    n.setFault(0, 'leak', false);
    n.advance(T0 + 200 * MIN);
    expect(Math.abs((r('p_sec_supply') as number) - (before.p_sec_supply as number))).toBeLessThan(0.02);
  });

  it('burst: flood, pressure collapses, make-up at maximum', () => {
    const { r } = withFault('burst', 1);
    expect(r('flood')).toBe(true);
    expect(r('p_sec_supply')).toBeLessThan(0.1);
    expect(r('f_makeup')).toBeGreaterThanOrEqual(6);
  });

  it('pump_trip: command on, run off, fault bit, flow drops, standby stays off', () => {
    const { r, before } = withFault('pump_trip', 1);
    expect([r('pump1_cmd'), r('pump1_run'), r('pump1_fault'), r('pump2_run')]).toEqual([true, false, true, false]);
    expect(r('f_sec')).toBeLessThan(0.5 * (before.f_sec as number));
  });

  it('valve_stuck: feedback freezes while the command moves away by more than 5 %', () => {
    const { n, r } = withFault('valve_stuck', 0);
    const fb = r('valve_fb');
    let maxDiff = 0;
    for (let m = 1; m <= 15; m++) {
      n.advance(T0 + m * MIN);
      expect(r('valve_fb')).toBe(fb);
      maxDiff = Math.max(maxDiff, Math.abs((r('valve_cmd') as number) - (r('valve_fb') as number)));
    }
    expect(maxDiff).toBeGreaterThan(5);
  });

  it('over_temp: secondary supply above 85 °C within a few minutes, back to the curve after', () => {
    const { n, r } = withFault('over_temp', 6);
    expect(r('t_sec_supply')).toBeGreaterThan(85);
    n.setFault(0, 'over_temp', false);
    n.advance(T0 + 60 * MIN);
    expect(Math.abs((r('t_sec_supply') as number) - (r('t_sec_setpoint') as number))).toBeLessThan(5);
  });

  it('under_supply: supply well below the curve, rooms below 18 °C', () => {
    const { n, r } = withFault('under_supply', 40);
    expect(r('t_sec_supply')).toBeLessThan((r('t_sec_setpoint') as number) - 5);
    n.advance(T0 + 180 * MIN);
    expect(r('t_room_avg')).toBeLessThan(18);
  });

  it('sensor_freeze: the t_sec_supply reading stops changing exactly', () => {
    const { n, r } = withFault('sensor_freeze', 0);
    const v = r('t_sec_supply');
    for (let m = 1; m <= 30; m++) {
      n.advance(T0 + m * MIN);
      expect(r('t_sec_supply')).toBe(v);
    }
    expect(r('t_sec_return')).not.toBe(r('t_sec_return', 1));
  });

  it('power_loss: power_ok false and the pumps stop', () => {
    const { r } = withFault('power_loss', 1);
    expect([r('power_ok'), r('pump1_run'), r('pump1_hz')]).toEqual([false, false, 0]);
  });
});
