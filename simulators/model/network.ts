import type { TemplateConfig } from '../../src/config/schema.ts';
import type { Curve } from '../curve.ts';
import { hashNormal, Rng } from '../random.ts';
import { OperationsApplier } from './apply.ts';
import { replaceCounters, type LastReplaced } from './counters.ts';
import { faultTransitions, type FaultWindow } from './fault-plan.ts';
import { faultEffects } from './faults.ts';
import { stationFacts, type SimStationFacts } from './facts.ts';
import { initStation } from './init.ts';
import * as layout from './layout.ts';
import type { Fault } from './layout.ts';
import type { Operation, OperationsOptions } from './operation-types.ts';
import { makeParams, type StationParams } from './params.ts';
import { stationPlan, type HeatingType, type StationPlan } from './plan.ts';
import { compileReader, FORCED_POINTS, isForcedPoint, type ForcedPoint, type Reader } from './readers.ts';
import { resolveSchedule } from './schedule-config.ts';
import { lastReplaced, stationOperations, type ScheduleConfig } from './schedule.ts';
import { stepStation, type AutoStart, type StepClock } from './step.ts';

// module-local copies: hot loops must not go through the module namespace (a getter per access
// under the test runner's and tsx's transforms)
const { CMD1, CMD2, diurnal, ENERGY, FAULT_BIT, FAULTS, isFault, MKCMD, ON1, ON2, QPOW, S_SLOTS, TSS, Z_SLOTS, zoneOffset } = layout;

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
  /**
   * The normal operations of a utility (patrols, changeovers, setback, refills, short outages,
   * planned stops, meter replacements; season start on request), scheduled from the seed.
   * Default off: steady operation and injected faults only.
   */
  operations?: boolean | OperationsOptions;
  /** share of floor-heating stations (default 0.2 with operations, else 0) */
  floorShare?: number;
  /** faults the model switches on and off itself while advancing (see planFaults) */
  faultPlan?: readonly FaultWindow[];
}

export interface StationInfo {
  index: number;
  zones: number;
  curve: Curve;
  tOutMean: number;
  /** static head per zone, MPa (the return pressure at rest) */
  staticHead: number[];
  /** secondary pump head per zone at nominal speed, MPa (supply − return) */
  pumpHead: number[];
  heatingType: HeatingType;
  /** PLC night setback and morning boost, K (0: none) */
  setbackK: number;
  boostK: number;
  /** the PLC starts the standby pump on a trip */
  standbyAutoStart: boolean;
  /** 4G cell of the station's modem */
  cell: number;
  /** heated area, system volume, design temperatures, site-plan location (facts.ts) */
  facts: SimStationFacts;
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
  private readonly state: Float64Array[] = [];
  private readonly params: StationParams[] = [];
  private readonly plans: StationPlan[] = [];
  private readonly auto: AutoStart[] = [];
  private readonly faultMask: Uint16Array;
  private readonly rng: Rng;
  private readonly utcOffsetH: number;
  private readonly readers = new Map<string, Reader>();
  private readonly forced: Record<ForcedPoint, Float64Array>;
  private readonly schedule: ScheduleConfig | null;
  private readonly applier: OperationsApplier | null;
  private readonly transitions: ReturnType<typeof faultTransitions>;
  private nextTransition = 0;
  private readonly clock: StepClock = { t: 0, dt: 0, diur: 0, osc: 0 };

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
    this.faultMask = new Uint16Array(this.size);
    this.forced = { attended: new Float64Array(this.size).fill(NaN), station_mode: new Float64Array(this.size).fill(NaN) };
    const ops = opts.operations;
    const o = typeof ops === 'object' ? ops : {};
    const planOpts = { floorShare: opts.floorShare ?? (ops ? 0.2 : 0), autoStartShare: ops ? (o.autoStartShare ?? 0.9) : 0 };
    for (let s = 0; s < this.size; s++) {
      const plan = stationPlan(this.seed, s, planOpts);
      this.plans.push(plan);
      this.params.push(makeParams(this.rng, this.seed, s, this.zones, plan));
      this.auto.push({ on: plan.standbyAutoStart, delayS: o.autoStartDelayS ?? 3 });
    }
    const src = { state: this.state, params: this.params, faultMask: this.faultMask, zones: this.zones, forced: this.forced, noisy: this.noisy.bind(this) };
    for (const id of this.pointIds) {
      const r = compileReader(id, src);
      if (!r) throw new Error(`simulator model has no value for template point '${id}'`);
      this.readers.set(id, r);
    }
    this.schedule = resolveSchedule(ops, {
      seed: this.seed,
      utcOffsetH: this.utcOffsetH,
      zones: this.zones,
      stations: this.size,
      startMs: opts.startMs,
      plan: (s) => this.plans[s],
    });
    this.applier = this.schedule ? new OperationsApplier(this.schedule, this.state, this.params, this.faultMask) : null;
    // start near steady state two minutes before startMs (slow states start at equilibrium)
    this.timeMs = opts.startMs - 120_000;
    for (let s = 0; s < this.size; s++) {
      const x = new Float64Array(S_SLOTS + this.zones * Z_SLOTS);
      this.state.push(x);
      this.applier?.initLevels(s, this.timeMs);
      const last: LastReplaced = this.schedule ? lastReplaced(this.schedule, s, opts.startMs) : { heatMeterMs: null, plcMs: null };
      const tOut = this.outdoor(s, 0, this.timeMs);
      initStation(x, { params: this.params[s], plan: this.plans[s], tOut, rng: this.rng, seed: this.seed, station: s, startMs: opts.startMs, last });
      this.applier?.initPumps(s, this.timeMs);
    }
    this.transitions = faultTransitions(opts.faultPlan ?? []);
    for (const f of this.transitions) this.checkStation(f.station);
    this.applyFaultPlan();
    this.advance(opts.startMs);
  }

  private outdoor(s: number, ou: number, tMs: number): number {
    const h = tMs / 3600_000 + this.utcOffsetH;
    return this.params[s].tOutMean + 5 * diurnal(h) + ou;
  }

  /** Advances every station in fixed steps up to `nowMs`; returns the number of steps taken. */
  advance(nowMs: number): number {
    let n = 0;
    const c = this.clock;
    c.dt = this.stepMs / 1000;
    const applier = this.applier;
    const step = stepStation; // a local: see the note on module-local copies in step.ts
    while (this.timeMs + this.stepMs <= nowMs) {
      this.timeMs += this.stepMs;
      this.step++;
      n++;
      if (this.nextTransition < this.transitions.length) this.applyFaultPlan();
      c.t = this.timeMs;
      c.diur = 5 * diurnal(this.timeMs / 3600_000 + this.utcOffsetH);
      c.osc = Math.sin((2 * Math.PI * this.timeMs) / 600_000);
      if (applier) {
        const due = applier.nextCheck;
        for (let s = 0; s < this.size; s++) {
          if (this.timeMs >= due[s]) applier.evaluate(s, this.timeMs, c.dt);
          step(this.state[s], this.params[s], this.faultMask[s], this.rng, c, this.zones, this.auto[s]);
        }
      } else {
        for (let s = 0; s < this.size; s++) step(this.state[s], this.params[s], this.faultMask[s], this.rng, c, this.zones, this.auto[s]);
      }
    }
    return n;
  }

  private applyFaultPlan(): void {
    const tr = this.transitions;
    while (this.nextTransition < tr.length && tr[this.nextTransition].at <= this.timeMs) {
      const f = tr[this.nextTransition++];
      this.setFault(f.station, f.fault, f.active);
    }
  }

  // ---- faults ------------------------------------------------------------------------------

  setFault(s: number, fault: Fault, active: boolean): void {
    this.checkStation(s);
    if (!isFault(fault)) throw new Error(`unknown fault '${String(fault)}' (known: ${FAULTS.join(', ')})`);
    const bit = FAULT_BIT[fault];
    const was = (this.faultMask[s] & bit) !== 0;
    if (was === active) return;
    const x = this.state[s];
    faultEffects(x, this.zones, fault, active, (z) => this.noisy(s, 1000 + z, x[zoneOffset(z) + TSS], 0.1));
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

  /** The fault windows given in `faultPlan`. */
  faultPlan(): FaultWindow[] {
    const open = new Map<string, number>();
    const out: FaultWindow[] = [];
    for (const t of this.transitions) {
      const k = `${t.station}:${t.fault}`;
      if (t.active) open.set(k, t.at);
      else if (open.has(k)) {
        out.push({ station: t.station, fault: t.fault, fromMs: open.get(k)!, toMs: t.at });
        open.delete(k);
      }
    }
    return out.sort((a, b) => a.fromMs - b.fromMs || a.station - b.station);
  }

  // ---- operations --------------------------------------------------------------------------

  /** Whether operations are scheduled (NetworkOptions.operations). */
  get operationsOn(): boolean {
    return this.schedule !== null;
  }

  /**
   * The scheduled normal operations overlapping [fromMs, toMs), by start time (all stations, or
   * one). A pure function of seed, options, station and time. Empty when operations are off.
   */
  operations(fromMs: number, toMs: number, station?: number): Operation[] {
    const out: Operation[] = [];
    if (!this.schedule) return out;
    if (station !== undefined) {
      this.checkStation(station);
      stationOperations(this.schedule, station, fromMs, toMs, out);
      return out;
    }
    for (let s = 0; s < this.size; s++) stationOperations(this.schedule, s, fromMs, toMs, out);
    return out.sort((a, b) => a.fromMs - b.fromMs || a.station - b.station);
  }

  /**
   * Whether the station answers no poll now: a short 4G outage, a PLC being replaced, or the
   * `comm_loss` fault. Servers swallow requests meanwhile; a replay drops its samples.
   */
  isOffline(s: number): boolean {
    return this.applier?.isOffline(s) === true || (this.faultMask[s] & FAULT_BIT.comm_loss) !== 0;
  }

  /** Replaces the heat meter (heat_energy restarts at a few GJ) or the PLC (v_makeup and pump hours restart at 0) now. */
  replaceMeter(s: number, what: 'heat_meter' | 'plc' = 'heat_meter'): void {
    this.checkStation(s);
    replaceCounters(this.state[s], this.zones, this.seed, s, what, this.timeMs);
  }

  /**
   * The heat power the station delivers now (GJ/h, all zones), without the meter's rounding or
   * noise: what its heat meters integrate. Zero while a meter is out for replacement.
   */
  heatPower(s: number): number {
    this.checkStation(s);
    const x = this.state[s];
    let q = 0;
    for (let z = 0; z < this.zones; z++) q += Math.min(x[zoneOffset(z) + QPOW], this.params[s].zones[z].energyCap);
    return q;
  }

  /** Sets the heat meters' counters (GJ) of a station, e.g. just below the register's wrap (layout METER_WRAP_GJ). */
  presetMeter(s: number, gj: number): void {
    this.checkStation(s);
    for (let z = 0; z < this.zones; z++) this.state[s][zoneOffset(z) + ENERGY] = gj;
  }

  // ---- reading -----------------------------------------------------------------------------

  /** The reading of a template point (what the PLC would report now). */
  readPoint(s: number, pointId: string): number | boolean {
    this.checkStation(s);
    return this.reader(pointId)(s);
  }

  /** A compiled reader for one point id (fast path for the register encoder). */
  reader(pointId: string): (s: number) => number | boolean {
    let r = this.readers.get(pointId);
    if (!r) {
      const c = compileReader(pointId, { state: this.state, params: this.params, faultMask: this.faultMask, zones: this.zones, forced: this.forced, noisy: this.noisy.bind(this) });
      if (!c) throw new Error(`no point '${pointId}' in the simulator model`);
      this.readers.set(pointId, c);
      r = c;
    }
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
    const o = zoneOffset(z);
    const slot = m[2] === 'pump1_cmd' ? CMD1 : m[2] === 'pump2_cmd' ? CMD2 : MKCMD;
    const x = this.state[s];
    if (slot !== MKCMD && !x[o + slot] && value) x[o + (slot === CMD1 ? ON1 : ON2)] = 0; // feedback after the start delay
    x[o + slot] = value ? 1 : 0;
    return true;
  }

  /**
   * Forces what the PLC reports for a point a crew sets by hand (`attended`, `station_mode`),
   * as if someone turned the switch; `null` gives it back to the model's schedule.
   */
  forcePoint(s: number, pointId: string, value: number | boolean | null): void {
    this.checkStation(s);
    if (!isForcedPoint(pointId)) throw new Error(`point '${pointId}' cannot be forced (only ${FORCED_POINTS.join(', ')})`);
    if (value !== null && typeof value !== 'boolean' && !(Number.isInteger(value) && value >= 0 && value <= 65_535)) {
      throw new Error(`value for '${pointId}' must be true, false, a whole number 0..65535 or null, got ${String(value)}`);
    }
    this.forced[pointId][s] = value === null ? NaN : Number(value);
  }

  stationInfo(s: number): StationInfo {
    this.checkStation(s);
    const p = this.params[s];
    const plan = this.plans[s];
    return {
      index: s,
      zones: this.zones,
      curve: p.curve.map(([a, b]) => [a, b] as [number, number]),
      tOutMean: p.tOutMean,
      staticHead: p.zones.map((z) => z.staticHead),
      pumpHead: p.zones.map((z) => z.pumpHead),
      heatingType: p.heatingType,
      setbackK: this.schedule?.kinds.has('setback') ? plan.setbackK : 0,
      boostK: this.schedule?.kinds.has('boost') ? plan.boostK : 0,
      standbyAutoStart: plan.standbyAutoStart,
      cell: plan.cell,
      facts: stationFacts(this.seed, s, p),
    };
  }

  private checkStation(s: number): void {
    if (!Number.isInteger(s) || s < 0 || s >= this.size) throw new RangeError(`station index ${s} out of 0..${this.size - 1}`);
  }

  private noisy(s: number, key: number, v: number, sigma: number): number {
    return v + sigma * hashNormal(this.seed, s, key, this.step);
  }
}

/**
 * Creates a deterministic network of simulated substations.
 * @example
 * const net = createNetwork({ stations: 20, seed: 7, template: loadTemplate('hs-plc'), startMs: Date.UTC(2025, 0, 10) });
 * net.advance(net.timeMs + 60_000);
 * net.readPoint(0, 't_sec_supply'); // ≈ the curve setpoint
 * const ops = createNetwork({ ...same, operations: true }).operations(t0, t0 + 86_400_000);
 */
export function createNetwork(opts: NetworkOptions): Network {
  return new Network(opts);
}
