/**
 * Condition evaluation. Every alarm instance is compiled once into a row of
 * flat typed arrays (a small integer type code, point indexes, numeric
 * parameters, expression program ranges); `evalCondition` is one switch over
 * the type code, so the per-sample path makes no closure calls and allocates
 * nothing. An evaluation returns 1 (condition holds), 0 (it does not) or -1
 * (unknown: bad or missing data; the previous condition is kept). Deadband
 * hysteresis is applied here against the alarm's debounced condition; on/off delays are applied by
 * the engine.
 */
import type { CompiledAlarm } from './compiled.ts';
import { curveAt } from './curve.ts';
import { parseExpr } from './expr.ts';
import { DAY_MIN, fromBand, MinuteOfDay, setbackTable } from './setback.ts';
import { Programs, type Template } from './program.ts';
import { COND } from './alarm-states.ts';
import type { EngineState } from './types.ts';

/** Rate-of-change history: this many min/max buckets over the window. */
const BUCKETS = 20;
const NO_TIME = -1e15;

export const K_HIGH = 0;
export const K_LOW = 1;
export const K_DEVIATION = 2;
export const K_STATE = 3;
export const K_MISMATCH = 4;
export const K_STALE = 5;
export const K_FROZEN = 6;
export const K_COMM_LOSS = 7;
export const K_EXPRESSION = 8;
export const K_RATE = 9;
export const K_BASELINE = 10;

/** `dir` codes: deviation above/below, rate of change rising/falling; 0 = both. */
const D_BOTH = 0;
const D_UP = 1;
const D_DOWN = 2;

/** Numeric parameters per alarm. */
const NP = 4;
/** `eval` result: a counter restarted (rate of change with `resetBelow`) */
export const COUNTER_RESET = 2;

/**
 * The compiled conditions of a rule set, one row per alarm:
 * - high/low: `num` = limit, deadband
 * - deviation: `ref` = reference or outdoor point, `num` = limit, deadband, `curve` = curve cache slot,
 *   `band` = setback schedule slot (curve only)
 * - state: `num` = alarm value; mismatch: `ref` = feedback, `num` = tolerance, `dir` 1 when set
 * - stale/frozen/commLoss: `num` = after ms; commLoss `ref` = device; frozen `prog` = while
 * - expression: `prog`; rate of change: `num` = rate, window ms, bucket width
 */
export class Conditions {
  readonly kind: Uint8Array;
  readonly pt: Int32Array;
  readonly ref: Int32Array;
  readonly dir: Uint8Array;
  readonly num: Float64Array;
  readonly progStart: Int32Array;
  readonly progEnd: Int32Array;
  readonly supStart: Int32Array;
  readonly supEnd: Int32Array;
  /** where the point slots of an alarm's program (`progBind`) and suppression (`supBind`) start in `binds` */
  readonly progBind: Int32Array;
  readonly supBind: Int32Array;
  /**
   * Point slots of the programs' identifiers, per alarm. Programs are
   * compiled once per expression source and shared by every instance.
   */
  readonly binds: Int32Array;
  readonly programs = new Programs();
  /** deviation: curve cache slot (one per curve and outdoor point), -1 for a plain reference */
  readonly curve: Int32Array;
  private readonly curves: Array<ReadonlyArray<readonly [number, number]>> = [];
  private curveX = new Float64Array(0);
  private curveY = new Float64Array(0);
  /** deviation from a curve: setback schedule slot, -1 for none */
  readonly band: Int32Array;
  /** per schedule slot, the band of every local minute (setback.ts `setbackTable`) */
  private bands = new Float64Array(0);
  private readonly minute: MinuteOfDay;

  /** `timeZone`: the site's, whose local minute a setback schedule is read at (default UTC) */
  constructor(alarms: readonly CompiledAlarm[], ix: (id: string) => number, deviceIx: (c: CompiledAlarm) => number, timeZone = 'UTC') {
    const n = alarms.length;
    this.kind = new Uint8Array(n);
    this.pt = new Int32Array(n).fill(-1);
    this.ref = new Int32Array(n).fill(-1);
    this.dir = new Uint8Array(n);
    this.num = new Float64Array(n * NP);
    this.progStart = new Int32Array(n);
    this.progEnd = new Int32Array(n);
    this.supStart = new Int32Array(n);
    this.supEnd = new Int32Array(n);
    this.curve = new Int32Array(n).fill(-1);
    this.band = new Int32Array(n).fill(-1);
    this.minute = new MinuteOfDay(timeZone);
    const schedules = new Map<string, number>();
    const tables: Float64Array[] = [];
    this.progBind = new Int32Array(n);
    this.supBind = new Int32Array(n);
    const slots = new Map<string, number>();
    const templates = new Map<string, Template>();
    const binds: number[] = [];
    /** [start, end, bind base] of a program */
    const prog = (src: string, refs: Record<string, string>): [number, number, number] => {
      let t = templates.get(src);
      if (!t) templates.set(src, (t = this.programs.template(parseExpr(src))));
      const base = binds.length;
      for (const name of t.names) binds.push(ix(refs[name]));
      return [t.start, t.end, base];
    };
    const curveKeys = new Map<ReadonlyArray<readonly [number, number]>, string>();
    alarms.forEach((c, ai) => {
      const p = c.params;
      const o = ai * NP;
      if (p.type !== 'commLoss') this.pt[ai] = ix(c.point);
      switch (p.type) {
        case 'high':
        case 'highHigh':
        case 'low':
        case 'lowLow':
          this.kind[ai] = p.type === 'high' || p.type === 'highHigh' ? K_HIGH : K_LOW;
          this.num[o] = p.limit;
          this.num[o + 1] = p.deadband;
          break;
        case 'deviation': {
          this.kind[ai] = K_DEVIATION;
          this.num[o] = p.limit;
          this.num[o + 1] = p.deadband;
          this.dir[ai] = p.direction === 'above' ? D_UP : p.direction === 'below' ? D_DOWN : D_BOTH;
          const ref = p.curve ? ix(p.outdoor!) : ix(p.reference!);
          this.ref[ai] = ref;
          if (p.curve) {
            let ck = curveKeys.get(p.curve);
            if (ck === undefined) curveKeys.set(p.curve, (ck = JSON.stringify(p.curve)));
            const key = `${ref} ${ck}`;
            let slot = slots.get(key);
            if (slot === undefined) {
              slot = this.curves.length;
              slots.set(key, slot);
              this.curves.push(p.curve);
            }
            this.curve[ai] = slot;
            if (p.setback) {
              const key = JSON.stringify(p.setback);
              let b = schedules.get(key);
              if (b === undefined) {
                schedules.set(key, (b = tables.length));
                tables.push(setbackTable(p.setback));
              }
              this.band[ai] = b;
            }
          }
          break;
        }
        case 'state':
          this.kind[ai] = K_STATE;
          this.num[o] = p.alarmValue;
          break;
        case 'mismatch':
          this.kind[ai] = K_MISMATCH;
          this.ref[ai] = ix(p.feedback);
          this.dir[ai] = p.tolerance === null ? 0 : 1;
          this.num[o] = p.tolerance ?? 0;
          break;
        case 'stale':
        case 'frozen':
        case 'commLoss':
          this.kind[ai] = p.type === 'stale' ? K_STALE : p.type === 'frozen' ? K_FROZEN : K_COMM_LOSS;
          this.num[o] = p.afterMs;
          if (p.type === 'commLoss') this.ref[ai] = deviceIx(c);
          if (p.type === 'frozen' && p.while) [this.progStart[ai], this.progEnd[ai], this.progBind[ai]] = prog(p.while.src, p.while.refs);
          break;
        case 'expression':
          this.kind[ai] = K_EXPRESSION;
          [this.progStart[ai], this.progEnd[ai], this.progBind[ai]] = prog(p.expr.src, p.expr.refs);
          break;
        case 'baseline':
          // the figures come from history (`Engine.baseline`, kept in the record's `x`)
          this.kind[ai] = K_BASELINE;
          this.num[o + 1] = p.deadband;
          break;
        case 'rateOfChange':
          this.kind[ai] = K_RATE;
          this.num[o] = p.rate;
          this.num[o + 1] = p.windowMs;
          this.num[o + 2] = p.windowMs / BUCKETS;
          this.num[o + 3] = p.resetBelow;
          this.dir[ai] = p.direction === 'rising' ? D_UP : p.direction === 'falling' ? D_DOWN : D_BOTH;
          break;
      }
      if (c.suppressedBy) [this.supStart[ai], this.supEnd[ai], this.supBind[ai]] = prog(c.suppressedBy.src, c.suppressedBy.refs);
    });
    this.binds = Int32Array.from(binds);
    this.programs.seal();
    this.curveX = new Float64Array(this.curves.length).fill(NaN);
    this.curveY = new Float64Array(this.curves.length);
    this.bands = new Float64Array(tables.length * 2 * DAY_MIN);
    tables.forEach((t, i) => this.bands.set(t, i * 2 * DAY_MIN));
  }

  /** The suppression of an alarm: 1 suppressed, 0 not, -1 unknown (also for an alarm without `suppressedBy`). */
  suppression(s: EngineState, ai: number): number {
    const start = this.supStart[ai];
    const end = this.supEnd[ai];
    return start === end ? -1 : this.programs.truthBound(start, end, s.points, this.binds, this.supBind[ai]);
  }

  /** Evaluates the condition of alarm `ai` at `now`: 1, 0 or -1 (unknown). */
  eval(s: EngineState, ai: number, now: number): number {
    const o = ai * NP;
    const P = s.points;
    const cond = (s.alarms.f[ai] & COND) !== 0;
    switch (this.kind[ai]) {
      case K_HIGH: {
        const r = this.pt[ai];
        return P.ok[r] ? above(P.v[r], cond, this.num[o], this.num[o + 1]) : -1;
      }
      case K_LOW: {
        const r = this.pt[ai];
        return P.ok[r] ? below(P.v[r], cond, this.num[o], this.num[o + 1]) : -1;
      }
      case K_DEVIATION: {
        const r = this.pt[ai];
        const q = this.ref[ai];
        if (!P.ok[r] || !P.ok[q]) return -1;
        const slot = this.curve[ai];
        let ref = P.v[q];
        if (slot >= 0) {
          // the outdoor value changes far less often than the supply temperature
          if (this.curveX[slot] !== ref) {
            this.curveX[slot] = ref;
            this.curveY[slot] = curveAt(this.curves[slot], ref);
          }
          ref = this.curveY[slot];
        }
        const b = this.band[ai];
        let d = P.v[r] - ref;
        if (b >= 0) {
          // measured from the nearer edge of the band the PLC's setback may put the supply in
          const k = 2 * (b * DAY_MIN + this.minute.at(now));
          d = fromBand(d, this.bands[k], this.bands[k + 1]);
        }
        const limit = this.num[o];
        const dir = this.dir[ai];
        if (dir === D_UP) return above(d, cond, limit, this.num[o + 1]);
        if (dir === D_DOWN) return below(d, cond, -limit, this.num[o + 1]);
        return above(d < 0 ? -d : d, cond, limit, this.num[o + 1]);
      }
      case K_STATE: {
        const r = this.pt[ai];
        return P.ok[r] ? (P.v[r] === this.num[o] ? 1 : 0) : -1;
      }
      case K_MISMATCH: {
        const x = this.pt[ai];
        const y = this.ref[ai];
        if (!P.ok[x] || !P.ok[y]) return -1;
        const d = P.v[x] - P.v[y];
        return this.dir[ai] === 0 ? (d !== 0 ? 1 : 0) : (d < 0 ? -d : d) > this.num[o] ? 1 : 0;
      }
      case K_STALE: {
        const good = P.good[this.pt[ai]];
        const last = good > s.t0 ? good : s.t0;
        return s.t0 < 0 ? -1 : now - last >= this.num[o] ? 1 : 0;
      }
      case K_FROZEN: {
        const r = this.pt[ai];
        if (!P.ok[r]) return -1;
        const start = this.progStart[ai];
        const end = this.progEnd[ai];
        if (start !== end) {
          const w = this.programs.truthBound(start, end, s.points, this.binds, this.progBind[ai]);
          if (w <= 0) return w;
        }
        const changed = P.changed[r];
        const since = changed > s.t0 ? changed : s.t0;
        return now - since >= this.num[o] ? 1 : 0;
      }
      case K_COMM_LOSS: {
        const d = s.devices[this.ref[ai]];
        if (s.t0 < 0) return -1;
        const last = d.lastOk > s.t0 ? d.lastOk : s.t0;
        return now - last >= this.num[o] ? 1 : 0;
      }
      case K_EXPRESSION:
        return this.programs.truthBound(this.progStart[ai], this.progEnd[ai], s.points, this.binds, this.progBind[ai]);
      case K_BASELINE: {
        // [value, limit] from the station's history; unknown until learnt
        const x = s.alarms.x[ai];
        return x === null || x.length !== 2 ? -1 : above(x[0], cond, x[1], this.num[o + 1]);
      }
      default:
        return this.rate(s, ai, now);
    }
  }

  /**
   * A rate-of-change alarm already evaluated in the bucket `now` falls in: a tick may skip it,
   * as nothing its result rests on changed since (a new value or quality is evaluated when it
   * comes, and buckets start and leave the window only at bucket boundaries). At 5,000
   * stations the one-second tick evaluated 35,000 rings mostly for nothing.
   */
  sameBucket(s: EngineState, ai: number, now: number): boolean {
    if (this.kind[ai] !== K_RATE) return false;
    const x = s.alarms.x[ai];
    if (x === null) return false;
    const width = this.num[ai * NP + 2];
    return x[1 + 3 * x[0]] === Math.floor(now / width) * width;
  }

  /**
   * Rate of change over a ring of BUCKETS min/max buckets in the alarm's `x`: the change from the oldest
   * bucket of the window to the value now
   * (`[head, start₀, min₀, max₀, …]`); a bucket counts while its start is after
   * now − window − width. A fixed 20 buckets: a cached aggregate of the other
   * buckets was tried and gave no measurable gain.
   */
  private rate(s: EngineState, ai: number, now: number): number {
    const r = this.pt[ai];
    if (!s.points.ok[r]) return -1;
    const o = ai * NP;
    const windowMs = this.num[o + 1];
    const width = this.num[o + 2];
    let x = s.alarms.x[ai];
    if (x === null) {
      x = s.alarms.x[ai] = new Array<number>(1 + 3 * BUCKETS).fill(NO_TIME);
      x[0] = 0;
    }
    const v = s.points.v[r];
    const start = Math.floor(now / width) * width;
    let h = x[0];
    if (x[1 + 3 * h] !== start) {
      h = x[0] = (h + 1) % BUCKETS;
      x[1 + 3 * h] = start;
      x[2 + 3 * h] = v;
      x[3 + 3 * h] = v;
    } else {
      if (v < x[2 + 3 * h]) x[2 + 3 * h] = v;
      if (v > x[3 + 3 * h]) x[3 + 3 * h] = v;
    }
    // the change is measured from the level at the start of the window (its oldest bucket), not
    // from the window's extreme: a pump start that lifts the pressure for 10 s and lets it back
    // is no fall, while a leak's steady decline is
    // A counter (resetBelow set) never falls legitimately, so any fall from its highest value in
    // the window counts.
    const resetBelow = this.num[o + 3];
    let oldest = -1;
    let oldestStart = Infinity;
    let max = v;
    const from = now - windowMs - width;
    for (let b = 0; b < BUCKETS; b++) {
      const bo = 1 + 3 * b;
      if (x[bo] <= from) continue;
      if (x[bo + 2] > max) max = x[bo + 2];
      if (x[bo] >= oldestStart) continue;
      oldestStart = x[bo];
      oldest = bo;
    }
    const lo = resetBelow > 0 ? max : oldest < 0 ? v : x[oldest + 1];
    const hi = oldest < 0 ? v : x[oldest + 2];
    const rate = this.num[o];
    const dir = this.dir[ai];
    if (resetBelow > 0 && lo > 0 && v < lo * resetBelow) {
      // a new meter starts near zero: the window starts again from here
      for (let b = 0; b < BUCKETS; b++) x[1 + 3 * b] = NO_TIME;
      x[0] = 0;
      x[1] = start;
      x[2] = v;
      x[3] = v;
      return COUNTER_RESET;
    }
    if (dir !== D_UP && lo - v > rate) return 1;
    if (dir !== D_DOWN && v - hi > rate) return 1;
    return 0;
  }
}

/**
 * Above-limit test with hysteresis keyed on the debounced condition: before the alarm is active
 * the value must be beyond the limit itself, so the on-delay only counts time really spent past
 * it; once active, it clears only below limit − deadband (and the off-delay counts from there).
 */
function above(x: number, active: boolean, limit: number, db: number): number {
  return active ? (x < limit - db ? 0 : 1) : x > limit ? 1 : 0;
}
function below(x: number, active: boolean, limit: number, db: number): number {
  return active ? (x > limit + db ? 0 : 1) : x < limit ? 1 : 0;
}

/** Evaluated by tick (time-driven) as well as on samples. */
export function isTimed(c: CompiledAlarm): boolean {
  return c.type === 'stale' || c.type === 'frozen' || c.type === 'commLoss' || c.type === 'rateOfChange';
}
