import * as layout from './layout.ts';
import type { Fault } from './layout.ts';
import type { StationParams } from './params.ts';

// module-local copies: hot loops must not go through the module namespace (a getter per access
// under the test runner's and tsx's transforms)
const {
  ATTEND, clamp, CMD1, CMD2, DOOR, ENERGY, FAULT_BIT, FMK, FPRI, FROZEN_TSS, FSEC, GJ_PER_M3K, HOURS1, HOURS2, HZ1, HZ2, METER_WRAP_GJ, MK, MKCMD, P_PR,
  P_PS, P_TRANS, PLC_MODE, PSYS, QPOW, RUN1, RUN2, S_SLOTS, SP, T_OUT, T_PS, T_ROOM_ST, TANK, TPR, TRIPP, TROOM, TSR, TSS, VCMD, VFB, VMK,
  Z_SLOTS,
} = layout;

/**
 * Readers: what the PLC reports for each template point, computed from the state when read.
 * Sensor noise comes from `noisy` (a hash of seed, station, key and step), so reading never
 * changes the model.
 */
export type Reader = (s: number) => number | boolean;

export interface ReaderSource {
  state: readonly Float64Array[];
  params: readonly StationParams[];
  faultMask: Uint16Array;
  zones: number;
  /** values forced through the control API per station (NaN: the model's own), for the points an operator sets at the PLC */
  forced: Readonly<Record<ForcedPoint, Float64Array>>;
  noisy(s: number, key: number, v: number, sigma: number): number;
}

/** Points a test may force (the control API): what a crew sets at the PLC by hand. */
export const FORCED_POINTS = ['attended', 'station_mode'] as const;
export type ForcedPoint = (typeof FORCED_POINTS)[number];
export function isForcedPoint(x: unknown): x is ForcedPoint {
  return typeof x === 'string' && (FORCED_POINTS as readonly string[]).includes(x);
}

export function compileReader(id: string, src: ReaderSource): Reader | null {
  const st = src.state;
  const pa = src.params;
  const fm = src.faultMask;
  const m = /^z([2-4])_(.+)$/.exec(id);
  const z = m ? Number(m[1]) - 1 : 0;
  const name = m ? m[2] : id;
  if (z >= src.zones) return null;
  const o = S_SLOTS + z * Z_SLOTS;
  const key = z * 100;
  const n = (s: number, k: number, v: number, sigma: number): number => src.noisy(s, key + k, v, sigma);
  const on = (s: number, fault: Fault): boolean => (fm[s] & FAULT_BIT[fault]) !== 0;
  const flowRel = (s: number): number => st[s][o + FSEC] / ((pa[s].zones[z].fDesign * pa[s].zones[z].hzNom) / 50);
  // return ≈ static head (+ a little friction), supply = return + pump head at the running speed;
  // a pump in a loop that has lost its water (burst, not yet filled) cavitates and makes no head
  const pSecReturn = (s: number): number => st[s][o + PSYS] + 0.005 * Math.min(1.2, flowRel(s)) ** 2 + st[s][o + P_TRANS];
  const pSecSupply = (s: number): number => {
    const zp = pa[s].zones[z];
    const hzRel = Math.max(st[s][o + HZ1], st[s][o + HZ2]) / zp.hzNom;
    const full = clamp((st[s][o + PSYS] - 0.02) / 0.08, 0, 1);
    return pSecReturn(s) + zp.pumpHead * hzRel * hzRel * full;
  };
  const tss = (s: number): number => {
    const fr = st[s][o + FROZEN_TSS];
    return Number.isNaN(fr) ? n(s, 1, st[s][o + TSS], 0.1) : fr;
  };
  const running = (s: number, pump: 1 | 2): boolean =>
    st[s][o + (pump === 1 ? RUN1 : RUN2)] > 0 && !on(s, 'power_loss') && !(on(s, 'pump_trip') && st[s][o + TRIPP] === pump);
  switch (name) {
    // station points (zone prefix ignored)
    case 't_outdoor': return (s) => n(s, 0, st[s][T_OUT], 0.05);
    case 't_pri_supply': return (s) => n(s, 2, st[s][T_PS], 0.1);
    case 'p_pri_supply': return (s) => n(s, 3, st[s][P_PS], 0.002);
    case 'p_pri_return': return (s) => n(s, 4, st[s][P_PR], 0.002);
    case 'tank_level': return (s) => n(s, 5, st[s][TANK], 0.2);
    case 't_station_room': return (s) => n(s, 6, st[s][T_ROOM_ST], 0.1);
    case 'flood': return (s) => on(s, 'burst');
    case 'door': return (s) => st[s][DOOR] > 0;
    case 'power_ok': return (s) => !on(s, 'power_loss');
    case 'attended': {
      const f = src.forced.attended;
      return (s) => (Number.isNaN(f[s]) ? st[s][ATTEND] > 0 : f[s] > 0);
    }
    case 'station_mode': {
      const f = src.forced.station_mode;
      return (s) => (Number.isNaN(f[s]) ? st[s][PLC_MODE] : f[s]);
    }
    // zone points
    case 't_sec_supply': return tss;
    case 't_sec_supply_2': return (s) => n(s, 7, st[s][o + TSS] + 0.2, 0.1);
    case 't_sec_setpoint': return (s) => Math.round(st[s][o + SP] * 10) / 10;
    case 't_sec_return': return (s) => n(s, 8, st[s][o + TSR], 0.1);
    case 't_sec_return_b1': return (s) => n(s, 9, st[s][o + TSR] + 0.8, 0.1);
    case 't_sec_return_b2': return (s) => n(s, 10, st[s][o + TSR] - 0.7, 0.1);
    case 't_pri_return': return (s) => n(s, 11, st[s][o + TPR], 0.1);
    case 't_approach': return (s) => n(s, 12, st[s][o + TPR] - st[s][o + TSR], 0.05);
    case 'p_sec_supply': return (s) => n(s, 13, pSecSupply(s), 0.002);
    case 'p_sec_return': return (s) => n(s, 14, pSecReturn(s), 0.002);
    case 'dp_sec': return (s) => n(s, 15, pSecSupply(s) - pSecReturn(s), 0.002);
    case 'dp_filter': return (s) => n(s, 16, 0.012 * Math.min(1.2, flowRel(s)) ** 2, 0.001);
    case 'p_filter_in': return (s) => n(s, 17, pSecReturn(s) + 0.012 * Math.min(1.2, flowRel(s)) ** 2, 0.002);
    case 'f_sec': return (s) => Math.max(0, n(s, 18, st[s][o + FSEC], 0.004 * st[s][o + FSEC]));
    case 'f_pri': return (s) => Math.max(0, n(s, 19, st[s][o + FPRI], 0.004 * st[s][o + FPRI]));
    case 'heat_power': return (s) => Math.max(0, n(s, 20, st[s][o + QPOW], 0.003 * st[s][o + QPOW]));
    // the register wraps as a real meter's does (METER_WRAP_GJ)
    case 'heat_energy': return (s) => (Math.floor(st[s][o + ENERGY] * 100) / 100) % METER_WRAP_GJ;
    case 'load_pct': return (s) => clamp((100 * st[s][o + QPOW]) / (pa[s].zones[z].fDesign * 25 * GJ_PER_M3K), 0, 150);
    case 'pump1_cmd': return (s) => st[s][o + CMD1] > 0;
    case 'pump2_cmd': return (s) => st[s][o + CMD2] > 0;
    case 'pump1_run': return (s) => running(s, 1);
    case 'pump2_run': return (s) => running(s, 2);
    case 'pump1_fault': return (s) => on(s, 'pump_trip') && st[s][o + TRIPP] === 1;
    case 'pump2_fault': return (s) => on(s, 'pump_trip') && st[s][o + TRIPP] === 2;
    case 'pump1_hz': return (s) => (st[s][o + HZ1] > 0 ? n(s, 21, st[s][o + HZ1], 0.02) : 0);
    case 'pump2_hz': return (s) => (st[s][o + HZ2] > 0 ? n(s, 22, st[s][o + HZ2], 0.02) : 0);
    case 'pump1_current': return (s) => (st[s][o + HZ1] / 50) ** 2 * pa[s].zones[z].pumpKw * 1.9;
    case 'pump2_current': return (s) => (st[s][o + HZ2] / 50) ** 2 * pa[s].zones[z].pumpKw * 1.9;
    case 'pump1_hours': return (s) => st[s][o + HOURS1];
    case 'pump2_hours': return (s) => st[s][o + HOURS2];
    case 'makeup_run': return (s) => st[s][o + MK] > 0;
    case 'makeup_cmd': return (s) => st[s][o + MKCMD] > 0;
    case 'f_makeup': return (s) => (st[s][o + FMK] > 0 ? n(s, 23, st[s][o + FMK], 0.01) : 0);
    case 'v_makeup': return (s) => st[s][o + VMK];
    case 'valve_cmd': return (s) => Math.round(clamp(st[s][o + VCMD], 0, 100) * 10) / 10;
    case 'valve_fb': return (s) => Math.round(clamp(st[s][o + VFB], 0, 100) * 10) / 10;
    case 't_room_avg': return (s) => n(s, 24, st[s][o + TROOM], 0.05);
    default: return null;
  }
}
