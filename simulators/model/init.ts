import { curveSetpoint } from '../curve.ts';
import type { Rng } from '../random.ts';
import { initialCounters, type LastReplaced } from './counters.ts';
import * as layout from './layout.ts';
import type { StationParams } from './params.ts';
import type { StationPlan } from './plan.ts';
import { coldRoom } from './step.ts';

const {
  CMD1, ENERGY, FBD, FROZEN_TSS, FSEC, HOURS1, HOURS2, HZ1, MKCMD, NOHEAT, ON1, P_PR, P_PS, PSYS, RUN1, SP, SP_OFF, T_OUT, T_PS,
  T_ROOM_ST, TANK, TPR, TROOM, TSR, TSS, VCMD, VFB, VMK, zoneOffset,
} = layout;

/**
 * The physical state a station starts from: near steady state at the curve (plus any setback the
 * schedule says is on), cold and empty-handed where the schedule says it is stopped, and counters
 * that continue where an earlier run of the simulator could have left them.
 */
export interface StationStart {
  params: StationParams;
  plan: StationPlan;
  tOut: number;
  rng: Rng;
  seed: number;
  station: number;
  startMs: number;
  last: LastReplaced;
}

export function initStation(x: Float64Array, a: StationStart): void {
  const p = a.params;
  const tOut = a.tOut;
  const cold = x[NOHEAT] > 0;
  x[T_OUT] = tOut;
  x[T_PS] = 60 + ((18 - tOut) / 42.2) * 55;
  x[P_PS] = p.pPriSupply;
  x[P_PR] = p.pPriReturn;
  x[TANK] = a.rng.uniform(55, 85);
  x[T_ROOM_ST] = a.rng.uniform(14, 22);
  for (let z = 0; z < p.zones.length; z++) {
    const o = zoneOffset(z);
    const zp = p.zones[z];
    const sp = curveSetpoint(p.curve, tOut) + x[SP_OFF];
    x[o + SP] = sp;
    x[o + TROOM] = (cold ? coldRoom(tOut) : 20) + zp.roomBias;
    x[o + TSS] = cold ? x[T_ROOM_ST] : sp;
    const lift = sp - x[o + TROOM];
    x[o + TSR] = cold ? x[T_ROOM_ST] : zp.retFrac > 0 ? x[o + TROOM] + zp.retFrac * lift : sp - (1.6 + 0.06 * lift);
    x[o + TPR] = x[o + TSR] + zp.approach;
    const ff = cold ? 0 : (100 * (sp - x[o + TSR])) / (0.95 * (x[T_PS] - x[o + TSR]));
    x[o + VCMD] = ff;
    x[o + VFB] = ff;
    x[o + CMD1] = 1;
    x[o + ON1] = 1e9;
    x[o + RUN1] = 1;
    x[o + FBD] = a.plan.feedbackMs / 1000;
    x[o + MKCMD] = 1;
    x[o + HZ1] = zp.hzNom;
    x[o + FSEC] = (zp.fDesign * zp.hzNom) / 50;
    x[o + PSYS] = zp.staticHead;
    const c = initialCounters(a.seed, a.station, z, zp, a.startMs, a.last);
    x[o + VMK] = c.vmk;
    x[o + ENERGY] = c.energy;
    x[o + HOURS1] = c.hours1;
    x[o + HOURS2] = c.hours2;
    x[o + FROZEN_TSS] = NaN;
  }
}
