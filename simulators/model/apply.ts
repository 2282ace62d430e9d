import * as layout from './layout.ts';
import { replaceCounters } from './counters.ts';
import type { ChangeoverOp, Operation, SeasonOp } from './operation-types.ts';
import type { StationParams } from './params.ts';
import { dayStart, dutyAt, localDay, MIN, stationOperations, type ScheduleConfig } from './schedule.ts';

// module-local copies: hot loops must not go through the module namespace (a getter per access
// under the test runner's and tsx's transforms)
const {
  ATTEND, CMD1, CMD2, DOOR, FAULT_BIT, FBD, FSEC, HEAT_FROM, HEAT_T0, HEAT_T1, HZ1, HZ2, METER_OUT, MKFLOW, MKOVR, NOHEAT, OFFLINE, ON1,
  ON2, PEND, PLC_MODE, PLC_MODES, PMODE, PSYS, PTARGET, SP_OFF, TR_A, TR_D, TR_T0, TSS, zoneOffset,
} = layout;

/**
 * Applies the operations schedule to the model while it advances. Per station it keeps the
 * operations of the current local day and the time of the next boundary; between boundaries a
 * step costs one comparison. At a boundary it recomputes the levels (door, offline, setpoint
 * offset, stop, driven pressure, make-up override) and performs the one-shot actions that fell
 * due since the last evaluation (pump commands, counter resets, pressure transients).
 */
const PRE_FILL = 0.02; // MPa in an empty system
/** when operations overlap, the mode the crew selects: maintenance over commissioning over stopped (index = code) */
const MODE_RANK = [0, 2, 1, 3];

export class OperationsApplier {
  private readonly windows: Operation[][];
  private readonly winEnd: Float64Array;
  private readonly lastEval: Float64Array;
  /** next time a station needs an evaluation (the model loop reads it) */
  readonly nextCheck: Float64Array;

  constructor(
    readonly cfg: ScheduleConfig,
    private readonly state: Float64Array[],
    private readonly params: readonly StationParams[],
    private readonly faultMask: Uint16Array,
  ) {
    const n = params.length;
    this.windows = Array.from({ length: n }, () => []);
    this.winEnd = new Float64Array(n).fill(-Infinity);
    this.lastEval = new Float64Array(n);
    this.nextCheck = new Float64Array(n).fill(-Infinity);
  }

  /** Sets the levels the schedule says hold at `t` (before the physical state is initialised). */
  initLevels(s: number, t: number): void {
    this.lastEval[s] = t;
    this.evaluate(s, t, 0);
  }

  /** Puts pumps and pressures where the schedule says they are at `t` (after the physical init). */
  initPumps(s: number, t: number): void {
    const x = this.state[s];
    const p = this.params[s];
    const duty = dutyAt(this.cfg, s, t);
    const season = this.windows[s].find((o): o is SeasonOp => o.kind === 'season_start' && o.fromMs <= t && t < o.toMs);
    const pumpsOff = x[NOHEAT] > 0 && season?.phase !== 'cold_circulation';
    for (let z = 0; z < p.zones.length; z++) {
      const o = zoneOffset(z);
      const zp = p.zones[z];
      x[o + CMD1] = !pumpsOff && duty === 1 ? 1 : 0;
      x[o + CMD2] = !pumpsOff && duty === 2 ? 1 : 0;
      x[o + ON1] = x[o + CMD1] > 0 ? 1e9 : 0;
      x[o + ON2] = x[o + CMD2] > 0 ? 1e9 : 0;
      x[o + HZ1] = x[o + CMD1] > 0 ? zp.hzNom : 0;
      x[o + HZ2] = x[o + CMD2] > 0 ? zp.hzNom : 0;
      if (pumpsOff) x[o + FSEC] = zp.fDesign * 0.06;
      if (season?.phase === 'empty') x[o + PSYS] = PRE_FILL;
      else if (season?.phase === 'filling') x[o + PSYS] = PRE_FILL + ((zp.staticHead - PRE_FILL) * (t - season.fromMs)) / (season.toMs - season.fromMs);
    }
  }

  isOffline(s: number): boolean {
    return this.state[s][OFFLINE] > 0;
  }

  /** Recomputes levels and performs actions due in (lastEval, t]; `dt` is the coming step (s). */
  evaluate(s: number, t: number, dt: number): void {
    const cfg = this.cfg;
    if (t >= this.winEnd[s]) {
      const d = localDay(cfg, t);
      const ops = this.windows[s];
      ops.length = 0;
      stationOperations(cfg, s, Math.min(this.lastEval[s], dayStart(cfg, d)), dayStart(cfg, d + 1), ops);
      this.winEnd[s] = dayStart(cfg, d + 1);
    }
    const x = this.state[s];
    const p = this.params[s];
    const last = this.lastEval[s];
    let next = this.winEnd[s];
    const nb = (at: number) => {
      if (at > t && at < next) next = at;
    };
    x[DOOR] = 0;
    x[ATTEND] = 0;
    let mode: number = PLC_MODES.auto;
    const select = (m: number) => {
      if (MODE_RANK[m] > MODE_RANK[mode]) mode = m;
    };
    x[OFFLINE] = 0;
    x[SP_OFF] = 0;
    x[NOHEAT] = 0;
    x[HEAT_T1] = 0;
    x[METER_OUT] = 0;
    for (let z = 0; z < p.zones.length; z++) {
      x[zoneOffset(z) + PMODE] = 0;
      x[zoneOffset(z) + MKOVR] = 0;
    }
    const ops = this.windows[s];
    // levels
    for (const op of ops) {
      nb(op.fromMs);
      nb(op.toMs);
      if (op.door) {
        for (const [a, b] of op.door) {
          // the crew opens the door and checks in at the PLC for as long as it is there
          if (a <= t && t < b) x[DOOR] = x[ATTEND] = 1;
          nb(a);
          nb(b);
        }
      }
      const active = op.fromMs <= t && t < op.toMs;
      switch (op.kind) {
        case 'outage':
          if (active) x[OFFLINE] = 1;
          break;
        case 'setback':
        case 'boost':
          if (active) x[SP_OFF] += op.offsetK;
          break;
        case 'planned_stop':
          if (active) {
            x[NOHEAT] = 1;
            select(PLC_MODES.stopped);
          }
          break;
        case 'changeover':
          nb(op.offMs);
          break;
        case 'refill': {
          nb(op.drainFromMs);
          nb(op.refillFromMs);
          if (active) select(PLC_MODES.maintenance);
          if (op.zone >= p.zones.length) break;
          const o = zoneOffset(op.zone);
          const zp = p.zones[op.zone];
          if (op.drainFromMs <= t && t < op.refillFromMs) this.drive(x, o, zp.staticHead - op.dropMPa, op.refillFromMs, -1, 0);
          else if (op.refillFromMs <= t && t < op.toMs) this.drive(x, o, zp.staticHead, op.toMs, 1, (op.makeupPct / 100) * ((zp.fDesign * zp.hzNom) / 50));
          break;
        }
        case 'season_start':
          if (active) {
            this.seasonLevels(x, p, op, t, nb);
            select(op.phase === 'empty' ? PLC_MODES.stopped : PLC_MODES.commissioning);
          }
          break;
        case 'meter_replace':
          if (active) select(PLC_MODES.maintenance);
          nb(op.atMs);
          nb(op.outFromMs);
          nb(op.outToMs);
          if (op.outFromMs <= t && t < op.outToMs) x[op.what === 'plc' ? OFFLINE : METER_OUT] = 1;
          break;
        default:
          break;
      }
    }
    x[PLC_MODE] = mode;
    // one-shot actions due since the last evaluation
    const due = (at: number) => at > last && at <= t;
    for (const op of ops) {
      switch (op.kind) {
        case 'changeover':
          if (due(op.fromMs)) this.startChangeover(s, op, t, dt);
          if (due(op.offMs)) this.finishChangeover(s, op);
          break;
        case 'planned_stop':
          if (due(op.fromMs)) this.pumps(s, 0, op.fromMs, t, dt);
          if (due(op.toMs) && x[NOHEAT] === 0) this.pumps(s, dutyAt(cfg, s, op.toMs), op.toMs, t, dt);
          break;
        case 'season_start':
          if (op.phase === 'empty' && due(op.fromMs)) this.pumps(s, 0, op.fromMs, t, dt);
          if (op.phase === 'cold_circulation' && due(op.fromMs)) this.pumps(s, dutyAt(cfg, s, op.fromMs), op.fromMs, t, dt);
          if (op.phase === 'heat_up' && due(op.fromMs)) x[HEAT_FROM] = x[zoneOffset(0) + TSS];
          break;
        case 'meter_replace':
          if (due(op.atMs)) replaceCounters(x, p.zones.length, cfg.seed, s, op.what, op.atMs);
          break;
        default:
          break;
      }
    }
    this.lastEval[s] = t;
    this.nextCheck[s] = next;
  }

  private drive(x: Float64Array, o: number, target: number, endMs: number, makeup: -1 | 0 | 1, flow: number): void {
    x[o + PMODE] = 1;
    x[o + PTARGET] = target;
    x[o + PEND] = endMs;
    x[o + MKOVR] = makeup;
    x[o + MKFLOW] = flow;
  }

  private seasonLevels(x: Float64Array, p: StationParams, op: SeasonOp, t: number, nb: (at: number) => void): void {
    const ramp = 10 * MIN;
    if (op.phase !== 'heat_up') x[NOHEAT] = 1;
    for (let z = 0; z < p.zones.length; z++) {
      const o = zoneOffset(z);
      const zp = p.zones[z];
      if (op.phase === 'empty') this.drive(x, o, PRE_FILL, op.fromMs + 2 * 3_600_000, -1, 0);
      else if (op.phase === 'filling') this.drive(x, o, zp.staticHead, op.toMs, 1, Math.min(zp.makeupCap, 0.03 * zp.fDesign));
      else if (op.phase === 'pressure_test') {
        const test = zp.staticHead + (op.testMPa ?? 0.4);
        nb(op.fromMs + ramp);
        nb(op.toMs - ramp);
        if (t < op.fromMs + ramp) this.drive(x, o, test, op.fromMs + ramp, 1, 1);
        else if (t < op.toMs - ramp) this.drive(x, o, test - 0.005, op.toMs - ramp, -1, 0); // a tight system loses a few kPa
        else this.drive(x, o, zp.staticHead, op.toMs, -1, 0);
      }
    }
    if (op.phase === 'heat_up') {
      if (x[HEAT_FROM] === 0) x[HEAT_FROM] = 20; // model created during the heat-up
      x[HEAT_T0] = op.fromMs;
      x[HEAT_T1] = op.toMs;
    }
  }

  /** Commands the pumps of every zone: `duty` 1 or 2 on and the other off, or 0 for all off. */
  private pumps(s: number, duty: 0 | 1 | 2, at: number, t: number, dt: number): void {
    const x = this.state[s];
    for (let z = 0; z < this.params[s].zones.length; z++) {
      const o = zoneOffset(z);
      for (const [cmd, onS, pump] of [[CMD1, ON1, 1], [CMD2, ON2, 2]] as const) {
        const want = duty === pump ? 1 : 0;
        if (x[o + cmd] === want) continue;
        x[o + cmd] = want;
        // on since `at`: after this step it has been on for t − at
        x[o + onS] = want ? (t - at) / 1000 - dt : 0;
      }
      x[o + FBD] = this.cfg.plan(s).feedbackMs / 1000;
    }
  }

  private startChangeover(s: number, op: ChangeoverOp, t: number, dt: number): void {
    const x = this.state[s];
    if (op.zone >= this.params[s].zones.length || x[NOHEAT] > 0 || this.faultMask[s] & (FAULT_BIT.pump_trip | FAULT_BIT.power_loss)) return;
    const o = zoneOffset(op.zone);
    const [cmdTo, onTo, cmdOther] = op.toPump === 1 ? [CMD1, ON1, CMD2] : [CMD2, ON2, CMD1];
    if (x[o + cmdTo] > 0 || x[o + cmdOther] === 0) return;
    x[o + cmdTo] = 1;
    // the command went on at fromMs: after this step it has been on for t − fromMs
    x[o + onTo] = (t - op.fromMs) / 1000 - dt;
    x[o + FBD] = op.feedbackMs / 1000;
  }

  private finishChangeover(s: number, op: ChangeoverOp): void {
    const x = this.state[s];
    if (op.zone >= this.params[s].zones.length || this.faultMask[s] & FAULT_BIT.pump_trip) return;
    const o = zoneOffset(op.zone);
    const [cmdTo, cmdOther, onOther] = op.toPump === 1 ? [CMD1, CMD2, ON2] : [CMD2, CMD1, ON1];
    if (x[o + cmdTo] === 0 || x[o + cmdOther] === 0) return;
    x[o + cmdOther] = 0;
    x[o + onOther] = 0;
    x[o + TR_T0] = op.offMs;
    x[o + TR_D] = op.transientMs / 1000;
    x[o + TR_A] = op.transientMPa;
  }
}
