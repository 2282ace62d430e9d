/**
 * Condition evaluators, one closure per alarm instance, built once from the
 * compiled alarm with point ids resolved to indexes into `state.points`.
 * An evaluator returns 1 (condition holds), 0 (it does not) or -1 (unknown:
 * bad or missing data; the previous condition is kept). Deadband hysteresis
 * is applied here against `a.raw`; on/off delays are applied by the engine.
 */
import type { CompiledAlarm } from './compiled.ts';
import { curveAt } from './curve.ts';
import { compileExpr, parseExpr, type Evaluator } from './expr.ts';
import type { AlarmRecord, EngineState, PointRecord } from './types.ts';

export type Condition = (s: EngineState, a: AlarmRecord, now: number) => number;

/** Rate-of-change history: this many min/max buckets over the window. */
const BUCKETS = 20;
const NO_TIME = -1e15;

export function exprEvaluator(src: string, refs: Record<string, string>, ix: (id: string) => number): Evaluator<PointRecord> {
  return compileExpr<PointRecord>(parseExpr(src), (name) => ix(refs[name]));
}

/** Above-limit test with hysteresis: once raised, clears only below limit − deadband. */
function above(x: number, raw: boolean, limit: number, db: number): number {
  return raw ? (x < limit - db ? 0 : 1) : x > limit ? 1 : 0;
}
function below(x: number, raw: boolean, limit: number, db: number): number {
  return raw ? (x > limit + db ? 0 : 1) : x < limit ? 1 : 0;
}

/** The evaluator of one alarm, or null for commLoss (driven by device records). */
export function buildCondition(c: CompiledAlarm, ix: (id: string) => number, deviceIx: number): Condition {
  const p = c.params;
  const i = c.type === 'commLoss' ? -1 : ix(c.point);
  switch (p.type) {
    case 'high':
    case 'highHigh': {
      const { limit, deadband } = p;
      return (s, a) => {
        const r = s.points[i];
        return r.ok ? above(r.v, a.raw, limit, deadband) : -1;
      };
    }
    case 'low':
    case 'lowLow': {
      const { limit, deadband } = p;
      return (s, a) => {
        const r = s.points[i];
        return r.ok ? below(r.v, a.raw, limit, deadband) : -1;
      };
    }
    case 'deviation': {
      const { limit, deadband, direction } = p;
      const curve = p.curve;
      const ref = curve ? ix(p.outdoor!) : ix(p.reference!);
      return (s, a) => {
        const r = s.points[i];
        const q = s.points[ref];
        if (!r.ok || !q.ok) return -1;
        const d = r.v - (curve ? curveAt(curve, q.v) : q.v);
        if (direction === 'above') return above(d, a.raw, limit, deadband);
        if (direction === 'below') return below(d, a.raw, -limit, deadband);
        return above(d < 0 ? -d : d, a.raw, limit, deadband);
      };
    }
    case 'state': {
      const want = p.alarmValue;
      return (s) => {
        const r = s.points[i];
        return r.ok ? (r.v === want ? 1 : 0) : -1;
      };
    }
    case 'mismatch': {
      const fb = ix(p.feedback);
      const tol = p.tolerance;
      return (s) => {
        const x = s.points[i];
        const y = s.points[fb];
        if (!x.ok || !y.ok) return -1;
        const d = x.v - y.v;
        return tol === null ? (d !== 0 ? 1 : 0) : (d < 0 ? -d : d) > tol ? 1 : 0;
      };
    }
    case 'stale': {
      const after = p.afterMs;
      return (s, _a, now) => {
        const r = s.points[i];
        const last = r.good > s.t0 ? r.good : s.t0;
        return s.t0 < 0 ? -1 : now - last >= after ? 1 : 0;
      };
    }
    case 'frozen': {
      const after = p.afterMs;
      const w = p.while ? exprEvaluator(p.while.src, p.while.refs, ix) : null;
      return (s, _a, now) => {
        const r = s.points[i];
        if (!r.ok) return -1;
        if (w) {
          const x = w(s.points);
          if (x !== x) return -1;
          if (x === 0) return 0;
        }
        const since = r.changed > s.t0 ? r.changed : s.t0;
        return now - since >= after ? 1 : 0;
      };
    }
    case 'commLoss': {
      const after = p.afterMs;
      return (s, _a, now) => {
        const d = s.devices[deviceIx];
        if (s.t0 < 0) return -1;
        const last = d.lastOk > s.t0 ? d.lastOk : s.t0;
        return now - last >= after ? 1 : 0;
      };
    }
    case 'expression': {
      const f = exprEvaluator(p.expr.src, p.expr.refs, ix);
      return (s) => {
        const x = f(s.points);
        return x !== x ? -1 : x !== 0 ? 1 : 0;
      };
    }
    case 'rateOfChange': {
      const { rate, windowMs, direction } = p;
      const width = windowMs / BUCKETS;
      return (s, a, now) => {
        const r = s.points[i];
        if (!r.ok) return -1;
        let x = a.x;
        if (x === null) {
          x = a.x = new Array<number>(1 + 3 * BUCKETS).fill(NO_TIME);
          x[0] = 0;
        }
        const v = r.v;
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
        let lo = v;
        let hi = v;
        const from = now - windowMs - width;
        for (let b = 0; b < BUCKETS; b++) {
          const o = 1 + 3 * b;
          if (x[o] <= from) continue;
          if (x[o + 1] < lo) lo = x[o + 1];
          if (x[o + 2] > hi) hi = x[o + 2];
        }
        if (direction !== 'rising' && hi - v > rate) return 1;
        if (direction !== 'falling' && v - lo > rate) return 1;
        return 0;
      };
    }
  }
}

/** The suppression evaluator of an alarm (NaN = unknown), or null. */
export function buildSuppression(c: CompiledAlarm, ix: (id: string) => number): Evaluator<PointRecord> | null {
  return c.suppressedBy ? exprEvaluator(c.suppressedBy.src, c.suppressedBy.refs, ix) : null;
}

/** Evaluated by tick (time-driven) as well as on samples. */
export function isTimed(c: CompiledAlarm): boolean {
  return c.type === 'stale' || c.type === 'frozen' || c.type === 'commLoss' || c.type === 'rateOfChange';
}
