import type { TemplateConfig } from '../src/config/schema.ts';
import { curveSetpoint, HARBIN_RADIATOR, shiftCurve, type Curve } from './curve.ts';
import { hashNormal, Rng } from './random.ts';

/**
 * Physical model of a network of heat substations (pure: no I/O, no clock; time is passed in).
 * Every station has 1..4 exchanger zones; state lives in one Float64Array per station so that
 * 5,000 stations × 3 zones advance in a few milliseconds per simulated second.
 * Sensor noise is computed when a value is read, from a hash of (seed, station, point, step):
 * reading never changes the model and the same seed gives the same readings.
 */

export const FAULTS = [
  'leak',
  'burst',
  'pump_trip',
  'valve_stuck',
  'over_temp',
  'under_supply',
  'sensor_freeze',
  'comm_loss',
  'garbage',
  'power_loss',
] as const;
export type Fault = (typeof FAULTS)[number];
export function isFault(x: unknown): x is Fault {
  return typeof x === 'string' && (FAULTS as readonly string[]).includes(x);
}
const FAULT_BIT: Record<Fault, number> = Object.fromEntries(FAULTS.map((f, i) => [f, 1 << i])) as Record<Fault, number>;

// ---- state layout -------------------------------------------------------------------------
// station slots
const T_OUT = 0, OU = 1, T_PS = 2, P_PS = 3, P_PR = 4, TANK = 5, REFILL = 6, T_ROOM_ST = 7;
const S_SLOTS = 8;
// zone slots (offset S_SLOTS + zone * Z_SLOTS)
const SP = 0, TSS = 1, TSR = 2, TPR = 3, VCMD = 4, VFB = 5, INTEG = 6, FSEC = 7, FPRI = 8, PSYS = 9;
const HZ1 = 10, HZ2 = 11, CMD1 = 12, CMD2 = 13, MK = 14, FMK = 15, VMK = 16, QPOW = 17, ENERGY = 18;
const TROOM = 19, HOURS1 = 20, HOURS2 = 21, FROZEN_TSS = 22, MKCMD = 23;
const Z_SLOTS = 24;

interface ZoneParams {
  staticHead: number; // MPa
  fDesign: number; // m3/h at 50 Hz
  hzNom: number;
  approach: number; // K, primary return above secondary return
  roomBias: number;
  pumpKw: number;
}
interface StationParams {
  tOutMean: number;
  curve: Curve;
  pPriSupply: number;
  pPriReturn: number;
  tankM3: number;
  zones: ZoneParams[];
}

export interface NetworkOptions {
  stations: number;
  /** device template whose point ids the network must serve (zone count is taken from z2_/z3_ prefixes) */
  template: TemplateConfig;
  /** ms epoch of the start; the model is warmed up to steady state before it */
  startMs: number;
  seed?: number;
  /** internal step, default 1000 ms */
  stepMs?: number;
  /** hours east of UTC for the daily cycle, default 8 (Asia/Shanghai) */
  utcOffsetH?: number;
}

export interface StationInfo {
  index: number;
  zones: number;
  curve: Curve;
  tOutMean: number;
  staticHead: number[];
}

type Reader = (s: number) => number | boolean;

const GJ_PER_M3K = 4.186e-3;
const TAU_TSS = 120, TAU_TSR = 600, TAU_ROOM = 2400, TAU_TPS = 600, TAU_FLOW = 5, TAU_VALVE = 3;
const NAT_LOSS = 0.0003 / 60; // MPa/s natural loss in the secondary loop
const MK_GAIN = 0.003 / 60; // MPa/s added by the make-up pump
const LEAK = 0.013 / 60; // leak: net fall 0.01 MPa/min while make-up runs
const BURST = 0.02; // MPa/s

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/** Daily shape in [-1, 1]: coldest at 05:00, warmest at 14:00. */
export function diurnal(hourOfDay: number): number {
  const h = ((hourOfDay % 24) + 24) % 24;
  if (h >= 5 && h < 14) return -Math.cos((Math.PI * (h - 5)) / 9);
  return Math.cos((Math.PI * ((h - 14 + 24) % 24)) / 15);
}

/** The substation network. Create with {@link createNetwork}. */
export class Network {
  readonly size: number;
  readonly zones: number;
  readonly seed: number;
  readonly stepMs: number;
  readonly pointIds: string[];
  /** ms epoch of the current model state */
  timeMs: number;
  /** increments on every internal step (register images use it as a version stamp) */
  step = 0;
  private readonly state: Float64Array[];
  private readonly params: StationParams[];
  private readonly faultMask: Uint16Array;
  private readonly rng: Rng;
  private readonly utcOffsetH: number;
  private readonly readers = new Map<string, Reader>();

  constructor(opts: NetworkOptions) {
    this.size = opts.stations;
    this.seed = (opts.seed ?? 1) >>> 0;
    this.stepMs = opts.stepMs ?? 1000;
    this.utcOffsetH = opts.utcOffsetH ?? 8;
    this.pointIds = opts.template.points.map((p) => p.id);
    let zones = 1;
    for (const id of this.pointIds) {
      const m = /^z([2-4])_/.exec(id);
      if (m) zones = Math.max(zones, Number(m[1]));
    }
    this.zones = zones;
    this.rng = new Rng(this.seed);
    this.params = [];
    this.state = [];
    this.faultMask = new Uint16Array(this.size);
    for (let s = 0; s < this.size; s++) this.params.push(this.makeParams(s));
    for (const id of this.pointIds) {
      const r = this.compileReader(id);
      if (!r) throw new Error(`simulator model has no value for template point '${id}'`);
      this.readers.set(id, r);
    }
    // start near steady state two minutes before startMs (slow states start at equilibrium)
    this.timeMs = opts.startMs - 120_000;
    for (let s = 0; s < this.size; s++) this.state.push(this.initState(s));
    this.advance(opts.startMs);
  }

  private makeParams(s: number): StationParams {
    const r = this.rng;
    const zones: ZoneParams[] = [];
    for (let z = 0; z < this.zones; z++) {
      const high = this.zones > 1 && z === this.zones - 1;
      zones.push({
        staticHead: high ? r.uniform(0.6, 0.72) : r.uniform(0.22, 0.42) + z * 0.08,
        fDesign: r.uniform(70, 220),
        hzNom: r.uniform(38, 45),
        approach: r.uniform(4, 6),
        roomBias: r.uniform(-0.4, 0.6),
        pumpKw: r.uniform(7.5, 30),
      });
    }
    return {
      tOutMean: r.uniform(-14, -10),
      curve: shiftCurve(HARBIN_RADIATOR, Math.round(r.uniform(-2, 2) * 10) / 10),
      pPriSupply: r.uniform(0.6, 0.85),
      pPriReturn: r.uniform(0.25, 0.35),
      tankM3: r.uniform(6, 12),
      zones,
    };
  }

  private outdoor(s: number, ou: number, tMs: number): number {
    const h = tMs / 3600_000 + this.utcOffsetH;
    return this.params[s].tOutMean + 5 * diurnal(h) + ou;
  }

  private initState(s: number): Float64Array {
    const p = this.params[s];
    const x = new Float64Array(S_SLOTS + this.zones * Z_SLOTS);
    const tOut = this.outdoor(s, 0, this.timeMs);
    x[T_OUT] = tOut;
    x[T_PS] = 60 + ((18 - tOut) / 42.2) * 55;
    x[P_PS] = p.pPriSupply;
    x[P_PR] = p.pPriReturn;
    x[TANK] = this.rng.uniform(55, 85);
    x[T_ROOM_ST] = this.rng.uniform(14, 22);
    for (let z = 0; z < this.zones; z++) {
      const o = S_SLOTS + z * Z_SLOTS;
      const zp = p.zones[z];
      const sp = curveSetpoint(p.curve, tOut);
      x[o + SP] = sp;
      x[o + TSS] = sp;
      x[o + TROOM] = 20 + zp.roomBias;
      x[o + TSR] = x[o + TROOM] + 0.55 * (sp - x[o + TROOM]);
      x[o + TPR] = x[o + TSR] + zp.approach;
      const ff = (100 * (sp - x[o + TSR])) / (0.95 * (x[T_PS] - x[o + TSR]));
      x[o + VCMD] = ff;
      x[o + VFB] = ff;
      x[o + CMD1] = 1;
      x[o + MKCMD] = 1;
      x[o + HZ1] = zp.hzNom;
      x[o + FSEC] = (zp.fDesign * zp.hzNom) / 50;
      x[o + PSYS] = zp.staticHead;
      x[o + VMK] = Math.round(this.rng.uniform(100, 3000));
      x[o + ENERGY] = Math.round(this.rng.uniform(2000, 40000));
      x[o + HOURS1] = Math.round(this.rng.uniform(1000, 30000));
      x[o + HOURS2] = Math.round(this.rng.uniform(500, 20000));
      x[o + FROZEN_TSS] = NaN;
    }
    return x;
  }

  /** Advances every station in fixed steps up to `nowMs`; returns the number of steps taken. */
  advance(nowMs: number): number {
    let n = 0;
    const dt = this.stepMs / 1000;
    while (this.timeMs + this.stepMs <= nowMs) {
      this.timeMs += this.stepMs;
      this.step++;
      n++;
      const hod = this.timeMs / 3600_000 + this.utcOffsetH;
      const d = 5 * diurnal(hod);
      const osc = Math.sin((2 * Math.PI * this.timeMs) / 600_000);
      for (let s = 0; s < this.size; s++) this.stepStation(s, dt, d, osc);
    }
    return n;
  }

  private stepStation(s: number, dt: number, diur: number, osc: number): void {
    const x = this.state[s];
    const p = this.params[s];
    const f = this.faultMask[s];
    const power = (f & FAULT_BIT.power_loss) === 0;
    const under = (f & FAULT_BIT.under_supply) !== 0;
    // outdoor: daily cycle + Ornstein-Uhlenbeck slow noise (σ 0.6 K, τ 30 min)
    x[OU] += (-x[OU] * dt) / 1800 + 0.6 * Math.sqrt((2 * dt) / 1800) * this.rng.normal();
    const tOut = p.tOutMean + diur + x[OU];
    x[T_OUT] = tOut;
    // primary side: source curve, lower and starved under `under_supply`
    const tpsTarget = 60 + ((18 - tOut) / 42.2) * 55 - (under ? 35 : 0);
    x[T_PS] += ((tpsTarget - x[T_PS]) * dt) / TAU_TPS;
    x[P_PS] += (((under ? p.pPriReturn + 0.03 : p.pPriSupply) - x[P_PS]) * dt) / 60;
    x[P_PR] += ((p.pPriReturn - x[P_PR]) * dt) / 60;
    x[T_ROOM_ST] += (((power ? 18 : 8) - x[T_ROOM_ST]) * dt) / 7200;
    let tankOut = 0;
    for (let z = 0; z < this.zones; z++) tankOut += this.stepZone(x, S_SLOTS + z * Z_SLOTS, p, p.zones[z], f, power, under, tOut, dt, osc);
    // make-up tank: drains with make-up, a float valve refills it 50 → 85 %
    if (x[TANK] < 50) x[REFILL] = 1;
    else if (x[TANK] > 85) x[REFILL] = 0;
    const inflow = x[REFILL] && power ? 2.5 : 0;
    x[TANK] = clamp(x[TANK] + (((inflow - tankOut) * dt) / 3600 / p.tankM3) * 100, 0, 100);
  }

  /** One zone for one step; returns the make-up flow drawn from the tank (m3/h). */
  private stepZone(
    x: Float64Array,
    o: number,
    p: StationParams,
    zp: ZoneParams,
    f: number,
    power: boolean,
    under: boolean,
    tOut: number,
    dt: number,
    osc: number,
  ): number {
    const stuck = (f & FAULT_BIT.valve_stuck) !== 0;
    const overTemp = (f & FAULT_BIT.over_temp) !== 0;
    const trip = (f & FAULT_BIT.pump_trip) !== 0;
    const leak = (f & FAULT_BIT.leak) !== 0;
    const burst = (f & FAULT_BIT.burst) !== 0;
    // setpoint: the curve; a stuck valve shows while the setpoint swings ±5 K (10 min period)
    const sp = curveSetpoint(p.curve, tOut) + (stuck ? 5 * osc : 0);
    x[o + SP] = sp;
    // pumps: pump 1 duty, pump 2 standby (a trip does not start it, so the trip stays visible)
    const run1 = x[o + CMD1] > 0 && power && !trip;
    const run2 = x[o + CMD2] > 0 && power;
    const ramp = 2 * dt;
    x[o + HZ1] = run1 ? Math.min(zp.hzNom, x[o + HZ1] + ramp) : Math.max(0, x[o + HZ1] - 5 * ramp);
    x[o + HZ2] = run2 ? Math.min(zp.hzNom, x[o + HZ2] + ramp) : Math.max(0, x[o + HZ2] - 5 * ramp);
    const hz = Math.min(50, x[o + HZ1] + x[o + HZ2]);
    const fTarget = zp.fDesign * Math.max(0.06, hz / 50);
    x[o + FSEC] += ((fTarget - x[o + FSEC]) * dt) / TAU_FLOW;
    const flowRel = x[o + FSEC] / ((zp.fDesign * zp.hzNom) / 50);
    // valve: feedforward + PI, slew 0.5 %/s; the actuator follows unless stuck
    const tps = x[T_PS];
    const tsr = x[o + TSR];
    if (power) {
      const err = sp - x[o + TSS];
      x[o + INTEG] = clamp(x[o + INTEG] + 0.01 * err * dt, -30, 30);
      const ff = (100 * (sp - tsr)) / (0.95 * Math.max(5, tps - tsr));
      const target = clamp(ff + 2 * err + x[o + INTEG], 0, 100);
      x[o + VCMD] += clamp(target - x[o + VCMD], -0.5 * dt, 0.5 * dt);
    }
    if (overTemp) x[o + VFB] = Math.min(100, x[o + VFB] + 5 * dt);
    else if (!stuck) x[o + VFB] += ((x[o + VCMD] - x[o + VFB]) * dt) / TAU_VALVE;
    // plate exchanger: effectiveness ∝ valve opening; starved primary under `under_supply`
    const eff = 0.95 * (under ? 0.4 : 1) * (x[o + VFB] / 100);
    const tssEq = tsr + eff * Math.max(0, tps - tsr);
    x[o + TSS] += ((tssEq - x[o + TSS]) * dt) / TAU_TSS;
    const troom = x[o + TROOM];
    const tsrEq = troom + 0.55 * Math.min(1, flowRel) * (x[o + TSS] - troom);
    x[o + TSR] += ((tsrEq - tsr) * dt) / TAU_TSR;
    x[o + TPR] += ((x[o + TSR] + zp.approach - x[o + TPR]) * dt) / 60;
    const roomEq = 20 + zp.roomBias + 0.3 * (x[o + TSS] - curveSetpoint(p.curve, tOut)) - 6 * (1 - Math.min(1, flowRel));
    x[o + TROOM] += ((roomEq - troom) * dt) / TAU_ROOM;
    const dts = Math.max(0, x[o + TSS] - x[o + TSR]);
    x[o + FPRI] = (x[o + FSEC] * dts) / Math.max(5, tps - x[o + TPR]);
    // heat meter
    x[o + QPOW] = x[o + FSEC] * dts * GJ_PER_M3K;
    x[o + ENERGY] += (x[o + QPOW] * dt) / 3600;
    // secondary static pressure and make-up (hysteresis −0.008/+0.004 MPa around static head)
    const psys = x[o + PSYS];
    if (psys < zp.staticHead - 0.008) x[o + MKCMD] = 1;
    else if (psys > zp.staticHead + 0.004) x[o + MKCMD] = 0;
    const mk = power && (burst || leak || x[o + MKCMD] > 0);
    x[o + MK] = mk ? 1 : 0;
    let fmk = 0;
    if (mk) fmk = burst ? Math.max(6, 0.08 * zp.fDesign) : leak ? 0.03 * x[o + FSEC] : 0.006 * zp.fDesign;
    x[o + FMK] = fmk;
    x[o + VMK] += (fmk * dt) / 3600;
    let dp = -NAT_LOSS + (mk ? MK_GAIN : 0);
    if (leak) dp -= LEAK;
    if (burst) dp -= BURST;
    x[o + PSYS] = clamp(psys + dp * dt, 0.02, zp.staticHead + 0.01);
    x[o + HOURS1] += run1 ? dt / 3600 : 0;
    x[o + HOURS2] += run2 ? dt / 3600 : 0;
    return fmk;
  }

  // ---- faults ------------------------------------------------------------------------------

  setFault(s: number, fault: Fault, active: boolean): void {
    this.checkStation(s);
    if (!isFault(fault)) throw new Error(`unknown fault '${String(fault)}' (known: ${FAULTS.join(', ')})`);
    const bit = FAULT_BIT[fault];
    const was = (this.faultMask[s] & bit) !== 0;
    if (was === active) return;
    if (fault === 'sensor_freeze') {
      for (let z = 0; z < this.zones; z++) {
        const o = S_SLOTS + z * Z_SLOTS;
        this.state[s][o + FROZEN_TSS] = active ? this.noisy(s, 1000 + z, this.state[s][o + TSS], 0.1) : NaN;
      }
    }
    if (fault === 'burst' && !active) {
      // the crew repaired the pipe and refilled the loop
      for (let z = 0; z < this.zones; z++) this.state[s][S_SLOTS + z * Z_SLOTS + INTEG] = 0;
    }
    this.faultMask[s] = active ? this.faultMask[s] | bit : this.faultMask[s] & ~bit;
  }

  hasFault(s: number, fault: Fault): boolean {
    return (this.faultMask[s] & FAULT_BIT[fault]) !== 0;
  }

  /** Active faults, station by station. */
  faults(): Array<{ station: number; fault: Fault }> {
    const out: Array<{ station: number; fault: Fault }> = [];
    for (let s = 0; s < this.size; s++) {
      if (!this.faultMask[s]) continue;
      for (const f of FAULTS) if (this.faultMask[s] & FAULT_BIT[f]) out.push({ station: s, fault: f });
    }
    return out;
  }

  // ---- reading -----------------------------------------------------------------------------

  /** The reading of a template point (what the PLC would report now). */
  readPoint(s: number, pointId: string): number | boolean {
    this.checkStation(s);
    const r = this.readers.get(pointId) ?? this.compileReader(pointId);
    if (!r) throw new Error(`no point '${pointId}' in the simulator model`);
    return r(s);
  }

  /** A compiled reader for one point id (fast path for the register encoder). */
  reader(pointId: string): (s: number) => number | boolean {
    const r = this.readers.get(pointId) ?? this.compileReader(pointId);
    if (!r) throw new Error(`no point '${pointId}' in the simulator model`);
    return r;
  }

  /**
   * Applies a Modbus write: pump commands and the make-up command; other points are read-only.
   * Returns false when the point cannot be written.
   */
  writePoint(s: number, pointId: string, value: number | boolean): boolean {
    this.checkStation(s);
    const m = /^(?:z([2-4])_)?(pump1_cmd|pump2_cmd|makeup_cmd)$/.exec(pointId);
    if (!m) return false;
    const z = m[1] ? Number(m[1]) - 1 : 0;
    if (z >= this.zones) return false;
    const slot = m[2] === 'pump1_cmd' ? CMD1 : m[2] === 'pump2_cmd' ? CMD2 : MKCMD;
    this.state[s][S_SLOTS + z * Z_SLOTS + slot] = value ? 1 : 0;
    return true;
  }

  stationInfo(s: number): StationInfo {
    this.checkStation(s);
    const p = this.params[s];
    return {
      index: s,
      zones: this.zones,
      curve: p.curve.map(([a, b]) => [a, b] as [number, number]),
      tOutMean: p.tOutMean,
      staticHead: p.zones.map((z) => z.staticHead),
    };
  }

  private checkStation(s: number): void {
    if (!Number.isInteger(s) || s < 0 || s >= this.size) throw new RangeError(`station index ${s} out of 0..${this.size - 1}`);
  }

  private noisy(s: number, key: number, v: number, sigma: number): number {
    return v + sigma * hashNormal(this.seed, s, key, this.step);
  }

  private compileReader(id: string): Reader | null {
    const st = this.state;
    const pa = this.params;
    const fm = this.faultMask;
    const m = /^z([2-4])_(.+)$/.exec(id);
    const z = m ? Number(m[1]) - 1 : 0;
    const name = m ? m[2] : id;
    if (z >= this.zones) return null;
    const o = S_SLOTS + z * Z_SLOTS;
    const key = z * 100;
    const n = (s: number, k: number, v: number, sigma: number): number => this.noisy(s, key + k, v, sigma);
    const on = (s: number, fault: Fault): boolean => (fm[s] & FAULT_BIT[fault]) !== 0;
    const flowRel = (s: number): number => st[s][o + FSEC] / ((pa[s].zones[z].fDesign * pa[s].zones[z].hzNom) / 50);
    const pSecSupply = (s: number): number => {
      const hzRel = (st[s][o + HZ1] + st[s][o + HZ2]) / pa[s].zones[z].hzNom;
      return st[s][o + PSYS] + 0.04 * hzRel * hzRel;
    };
    const pSecReturn = (s: number): number => st[s][o + PSYS] + 0.005 * Math.min(1.2, flowRel(s)) ** 2;
    const tss = (s: number): number => {
      const fr = st[s][o + FROZEN_TSS];
      return Number.isNaN(fr) ? n(s, 1, st[s][o + TSS], 0.1) : fr;
    };
    switch (name) {
      // station points (zone prefix ignored)
      case 't_outdoor': return (s) => n(s, 0, st[s][T_OUT], 0.05);
      case 't_pri_supply': return (s) => n(s, 2, st[s][T_PS], 0.1);
      case 'p_pri_supply': return (s) => n(s, 3, st[s][P_PS], 0.002);
      case 'p_pri_return': return (s) => n(s, 4, st[s][P_PR], 0.002);
      case 'tank_level': return (s) => n(s, 5, st[s][TANK], 0.2);
      case 't_station_room': return (s) => n(s, 6, st[s][T_ROOM_ST], 0.1);
      case 'flood': return (s) => on(s, 'burst');
      case 'door': return () => false;
      case 'power_ok': return (s) => !on(s, 'power_loss');
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
      case 'heat_energy': return (s) => Math.floor(st[s][o + ENERGY] * 100) / 100;
      case 'load_pct': return (s) => clamp((100 * st[s][o + QPOW]) / (pa[s].zones[z].fDesign * 25 * GJ_PER_M3K), 0, 150);
      case 'pump1_cmd': return (s) => st[s][o + CMD1] > 0;
      case 'pump2_cmd': return (s) => st[s][o + CMD2] > 0;
      case 'pump1_run': return (s) => st[s][o + CMD1] > 0 && !on(s, 'power_loss') && !on(s, 'pump_trip');
      case 'pump2_run': return (s) => st[s][o + CMD2] > 0 && !on(s, 'power_loss');
      case 'pump1_fault': return (s) => on(s, 'pump_trip');
      case 'pump2_fault': return () => false;
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
}

/**
 * Creates a deterministic network of simulated substations.
 * @example
 * const net = createNetwork({ stations: 20, seed: 7, template: loadTemplate('hs-plc'), startMs: Date.UTC(2025, 0, 10) });
 * net.advance(net.timeMs + 60_000);
 * net.readPoint(0, 't_sec_supply'); // ≈ the curve setpoint
 */
export function createNetwork(opts: NetworkOptions): Network {
  return new Network(opts);
}
