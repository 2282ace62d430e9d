import * as curves from '../curve.ts';
import type { Rng } from '../random.ts';
import * as layout from './layout.ts';
import type { StationParams, ZoneParams } from './params.ts';

// module-local copies: hot loops must not go through the module namespace (a getter per access
// under the test runner's and tsx's transforms)
const {
  AUTOST, BURST, clamp, CMD1, CMD2, ENERGY, FAULT_BIT, FBD, FMK, FPRI, FSEC, GJ_PER_M3K, HEAT_FROM, HEAT_T0, HEAT_T1, HOURS1,
  FOUL_BUILD_S, FOUL_GAIN, FOUL_S, HOURS2, HZ1, HZ2, HZ_DOWN, HZ_DROP, HZ_UP, INTEG, LEAK, METER_OUT, MK, MK_GAIN, MKCMD, MKFLOW, MKOVR, NAT_LOSS, NOHEAT, ON1, SLOW_LEAK,
  ON2, OU, OVERSUPPLY_FLOW, OVERSUPPLY_K, P_PR, P_PS, P_TRANS, PEND, PMODE, PSYS, PTARGET, QPOW, REFILL, RUN1, RUN2, S_SLOTS, SP, SP_OFF, T_OUT, T_PS,
  T_ROOM_ST, TANK, TAU_BUILDING_COLD, TAU_FLOW, TAU_PIPE_COLD, TAU_ROOM, TAU_TPS, TAU_TSR, TAU_TSS, TAU_VALVE, TPR, TR_A, TR_D,
  TR_T0, TRIP_S, TRIPP, TROOM, TSR, TSS, VCMD, VFB, VMK, Z_SLOTS,
} = layout;
const { curveSetpoint } = curves;

/**
 * One model step for one station (pure arithmetic on its state array; no allocation).
 * `t` is the model time the step ends at, `dt` its length in seconds.
 */
export interface StepClock {
  t: number;
  dt: number;
  /** daily outdoor swing, K */
  diur: number;
  /** a 10-minute oscillation in [-1, 1] (the setpoint swing that shows a stuck valve) */
  osc: number;
}

/** Standby auto-start of the PLC: whether and after how many seconds (per station). */
export interface AutoStart {
  on: boolean;
  delayS: number;
}

export function stepStation(x: Float64Array, p: StationParams, f: number, rng: Rng, c: StepClock, zones: number, auto: AutoStart): void {
  const dt = c.dt;
  const power = (f & FAULT_BIT.power_loss) === 0;
  const under = (f & FAULT_BIT.under_supply) !== 0;
  // outdoor: daily cycle + Ornstein-Uhlenbeck slow noise (σ 0.6 K, τ 30 min)
  x[OU] += (-x[OU] * dt) / 1800 + 0.6 * Math.sqrt((2 * dt) / 1800) * rng.normal();
  const tOut = p.tOutMean + c.diur + x[OU];
  x[T_OUT] = tOut;
  // primary side: source curve, lower and starved under `under_supply`
  const tpsTarget = 60 + ((18 - tOut) / 42.2) * 55 - (under ? 35 : 0);
  x[T_PS] += ((tpsTarget - x[T_PS]) * dt) / TAU_TPS;
  x[P_PS] += (((under ? p.pPriReturn + 0.03 : p.pPriSupply) - x[P_PS]) * dt) / 60;
  x[P_PR] += ((p.pPriReturn - x[P_PR]) * dt) / 60;
  x[T_ROOM_ST] += (((power ? 18 : 8) - x[T_ROOM_ST]) * dt) / 7200;
  if ((f & FAULT_BIT.pump_trip) !== 0) x[TRIP_S] += dt;
  if ((f & FAULT_BIT.fouling) !== 0) x[FOUL_S] += dt;
  let tankOut = 0;
  for (let z = 0; z < zones; z++) tankOut += stepZone(x, S_SLOTS + z * Z_SLOTS, p, p.zones[z], f, power, under, tOut, c, auto);
  // make-up tank: drains with make-up, a float valve refills it 50 → 85 % (opening wider when
  // the make-up draws more than its usual 2.5 m3/h, as during a refill)
  if (x[TANK] < 50) x[REFILL] = 1;
  else if (x[TANK] > 85) x[REFILL] = 0;
  const inflow = x[REFILL] && power ? Math.max(2.5, Math.min(8, 1.2 * tankOut)) : 0;
  x[TANK] = clamp(x[TANK] + (((inflow - tankOut) * dt) / 3600 / p.tankM3) * 100, 0, 100);
}

/** Where an unheated building settles: some internal gains, and never below 10 °C (occupied flats). */
export function coldRoom(tOut: number): number {
  return Math.max(10, tOut + 8);
}

/** One zone for one step; returns the make-up flow drawn from the tank (m3/h). */
function stepZone(
  x: Float64Array,
  o: number,
  p: StationParams,
  zp: ZoneParams,
  f: number,
  power: boolean,
  under: boolean,
  tOut: number,
  c: StepClock,
  auto: AutoStart,
): number {
  const dt = c.dt;
  const stuck = (f & FAULT_BIT.valve_stuck) !== 0;
  const overTemp = (f & FAULT_BIT.over_temp) !== 0;
  const trip = (f & FAULT_BIT.pump_trip) !== 0;
  const leak = (f & FAULT_BIT.leak) !== 0;
  const burst = (f & FAULT_BIT.burst) !== 0;
  const over = (f & FAULT_BIT.oversupply) !== 0;
  const noHeat = x[NOHEAT] > 0;
  // setpoint: the PLC's own (curve + setback/boost, or its heat-up ramp); a stuck valve shows
  // while the setpoint swings ±5 K (10 min period)
  const curveSp = curveSetpoint(p.curve, tOut);
  let sp = curveSp + x[SP_OFF] + (over ? OVERSUPPLY_K : 0);
  const heatUp = x[HEAT_T1] > c.t;
  if (heatUp) sp = x[HEAT_FROM] + (curveSp - x[HEAT_FROM]) * clamp((c.t - x[HEAT_T0]) / (x[HEAT_T1] - x[HEAT_T0]), 0, 1);
  if (stuck) sp += 5 * c.osc;
  x[o + SP] = sp;
  // pumps: the PLC starts the standby pump a few seconds after a trip where it is set up to
  const tripped = trip ? x[o + TRIPP] : 0;
  if (tripped > 0 && auto.on && x[o + AUTOST] === 0 && x[TRIP_S] >= auto.delayS) {
    const sb = tripped === 1 ? CMD2 : CMD1;
    if (x[o + sb] === 0) {
      x[o + sb] = 1;
      x[o + (tripped === 1 ? ON2 : ON1)] = 0;
    }
    x[o + AUTOST] = 1;
  }
  // run feedback follows the command after FBD seconds
  x[o + ON1] = x[o + CMD1] > 0 ? x[o + ON1] + dt : 0;
  x[o + ON2] = x[o + CMD2] > 0 ? x[o + ON2] + dt : 0;
  x[o + RUN1] = x[o + ON1] >= x[o + FBD] && x[o + CMD1] > 0 ? 1 : 0;
  x[o + RUN2] = x[o + ON2] >= x[o + FBD] && x[o + CMD2] > 0 ? 1 : 0;
  const run1 = x[o + RUN1] > 0 && power && tripped !== 1;
  const run2 = x[o + RUN2] > 0 && power && tripped !== 2;
  const down1 = x[o + CMD1] > 0 ? HZ_DROP : HZ_DOWN; // commanded on but not running: the drive dropped out
  const down2 = x[o + CMD2] > 0 ? HZ_DROP : HZ_DOWN;
  x[o + HZ1] = run1 ? Math.min(zp.hzNom, x[o + HZ1] + HZ_UP * dt) : Math.max(0, x[o + HZ1] - (power ? down1 : HZ_DROP) * dt);
  x[o + HZ2] = run2 ? Math.min(zp.hzNom, x[o + HZ2] + HZ_UP * dt) : Math.max(0, x[o + HZ2] - (power ? down2 : HZ_DROP) * dt);
  // parallel pumps: the faster one sets head and flow
  const hz = Math.max(x[o + HZ1], x[o + HZ2]);
  const fTarget = zp.fDesign * Math.max(0.06, hz / 50) * (over ? OVERSUPPLY_FLOW : 1);
  x[o + FSEC] += ((fTarget - x[o + FSEC]) * dt) / TAU_FLOW;
  const flowRel = x[o + FSEC] / ((zp.fDesign * zp.hzNom) / 50);
  // valve: feedforward + PI, slew 0.5 %/s; closed by the PLC while the station is stopped
  const tps = x[T_PS];
  const tsr = x[o + TSR];
  if (power) {
    const err = sp - x[o + TSS];
    let target = 0;
    if (noHeat) x[o + INTEG] = 0;
    else {
      x[o + INTEG] = clamp(x[o + INTEG] + 0.01 * err * dt, -30, 30);
      const ff = (100 * (sp - tsr)) / (0.95 * Math.max(5, tps - tsr));
      target = clamp(ff + 2 * err + x[o + INTEG], 0, 100);
    }
    x[o + VCMD] += clamp(target - x[o + VCMD], -0.5 * dt, 0.5 * dt);
  }
  if (overTemp) x[o + VFB] = Math.min(100, x[o + VFB] + 5 * dt);
  else if (!stuck) x[o + VFB] += ((x[o + VCMD] - x[o + VFB]) * dt) / TAU_VALVE;
  const troom = x[o + TROOM];
  if (noHeat) {
    // no heat: water stands (or circulates cold) and cools toward the rooms or the station
    const cold = flowRel > 0.3 ? troom : x[T_ROOM_ST];
    x[o + TSS] += ((cold - x[o + TSS]) * dt) / TAU_PIPE_COLD;
    x[o + TSR] += ((cold - tsr) * dt) / (1.25 * TAU_PIPE_COLD);
    x[o + TROOM] += ((coldRoom(tOut) + zp.roomBias - troom) * dt) / TAU_BUILDING_COLD;
  } else {
    // plate exchanger: effectiveness ∝ valve opening; starved primary under `under_supply`
    const eff = 0.95 * (under ? 0.4 : 1) * (x[o + VFB] / 100);
    const tssEq = tsr + eff * Math.max(0, tps - tsr);
    x[o + TSS] += ((tssEq - x[o + TSS]) * dt) / TAU_TSS;
    const lift = x[o + TSS] - troom;
    // radiators keep a share of the lift; a floor loop runs a small ΔT that grows slowly with load
    const tsrEq =
      zp.retFrac > 0
        ? troom + zp.retFrac * Math.min(1, flowRel) * lift
        : x[o + TSS] - Math.min(Math.max(0, lift), (1.6 + 0.06 * lift) / Math.max(0.1, Math.min(1, flowRel)));
    x[o + TSR] += ((tsrEq - tsr) * dt) / TAU_TSR;
    const roomEq = 20 + zp.roomBias + 0.3 * (x[o + TSS] - curveSp) - 6 * (1 - Math.min(1, flowRel));
    x[o + TROOM] += ((roomEq - troom) * dt) / (heatUp ? 6 * 3600 : TAU_ROOM);
  }
  // a plate exchanger's approach grows with its load (design ΔT 25 K radiators, 10 K floor);
  // a fouled one (lower heat-transfer coefficient) needs more at the same load
  const load = Math.min(1.5, (x[o + FSEC] * Math.max(0, x[o + TSS] - x[o + TSR])) / (zp.fDesign * (zp.retFrac > 0 ? 25 : 10)));
  const fouled = (f & FAULT_BIT.fouling) !== 0 ? FOUL_GAIN * Math.min(1, x[FOUL_S] / FOUL_BUILD_S) : 0;
  x[o + TPR] += ((x[o + TSR] + zp.approach * (0.3 + 0.7 * load) * (1 + fouled) - x[o + TPR]) * dt) / 60;
  const dts = Math.max(0, x[o + TSS] - x[o + TSR]);
  x[o + FPRI] = (x[o + FSEC] * dts) / Math.max(5, tps - x[o + TPR]);
  // heat meter (it saturates at its rate limit, which keeps counters monotonic across restarts)
  const out = x[METER_OUT] > 0;
  x[o + QPOW] = out ? 0 : x[o + FSEC] * dts * GJ_PER_M3K;
  x[o + ENERGY] += (Math.min(x[o + QPOW], zp.energyCap) * dt) / 3600;
  // secondary static pressure and make-up (hysteresis −0.008/+0.004 MPa around static head)
  const psys = x[o + PSYS];
  if (psys < zp.staticHead - 0.008) x[o + MKCMD] = 1;
  else if (psys > zp.staticHead + 0.004) x[o + MKCMD] = 0;
  const ovr = x[o + MKOVR];
  if (ovr !== 0) x[o + MKCMD] = ovr > 0 ? 1 : 0;
  const mk = power && (burst || leak || x[o + MKCMD] > 0);
  x[o + MK] = mk ? 1 : 0;
  let fmk = 0;
  if (mk) fmk = burst ? Math.max(6, 0.08 * zp.fDesign) : leak ? 0.03 * x[o + FSEC] : ovr > 0 ? x[o + MKFLOW] : 0.006 * zp.fDesign;
  x[o + FMK] = fmk;
  x[o + VMK] += (Math.min(fmk, zp.makeupCap) * dt) / 3600;
  let dp: number;
  let hi = zp.staticHead + 0.01;
  if (x[o + PMODE] > 0) {
    // driven by the crew (drain, refill, filling, pressure test): straight to the target by PEND
    const target = x[o + PTARGET];
    dp = (target - psys) / Math.max(dt, (x[o + PEND] - c.t) / 1000);
    hi = Math.max(hi, target + 0.01);
  } else dp = -NAT_LOSS + (mk ? MK_GAIN : 0);
  if (leak) dp -= LEAK;
  if ((f & FAULT_BIT.slow_leak) !== 0) dp -= SLOW_LEAK;
  if (burst) dp -= BURST;
  x[o + PSYS] = clamp(psys + dp * dt, 0.02, hi);
  // pressure transient after a changeover: a half sine over TR_D seconds
  if (x[o + TR_D] > 0) {
    const u = (c.t - x[o + TR_T0]) / 1000 / x[o + TR_D];
    if (u >= 1) {
      x[o + TR_D] = 0;
      x[o + P_TRANS] = 0;
    } else x[o + P_TRANS] = u < 0 ? 0 : x[o + TR_A] * Math.sin(Math.PI * u);
  }
  x[o + HOURS1] += run1 ? dt / 3600 : 0;
  x[o + HOURS2] += run2 ? dt / 3600 : 0;
  return fmk;
}
