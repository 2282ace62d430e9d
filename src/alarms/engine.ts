/**
 * The pure alarm engine (ISA-18.2): `(state, sample | status | tick | action, now) → (state, events)`.
 * No I/O, no clock, no timers: the runner passes `now` (ms) and calls `tick`
 * about once a second.
 *
 * Ownership: for speed (≥ 1 M samples/s) every function updates the records
 * inside `state` in place and returns that same object; treat the state you
 * pass in as consumed and keep the returned one. JSON holds a state whole: a
 * `JSON.parse(JSON.stringify(state))` copy continues exactly where it was;
 * `adopt` re-aligns a persisted state after the rules changed.
 *
 * The engine keeps two hints of its own (the point expected next, curve
 * setpoints per outdoor value); each is checked on use, so results depend
 * only on the state, the input and `now`, whichever state object is passed in.
 *
 * @example
 * ```ts
 * const engine = createEngine(compileRules(cfg.alarms ?? [], points, { defaults: DEFAULT_RULES }));
 * let state = engine.init();
 * ({ state, events } = engine.step(state, sample, Date.now())); // in the runner, not here
 * ```
 */
import type { DeviceStatus, Quality, Sample, SampleValue } from '../model.ts';
import { LayoutCache, POLL_FALSE, POLL_NUM, POLL_TRUE, type PollColumns } from '../poll-columns.ts';
import { operatorActions, type OperatorActions } from './actions.ts';
import type { CompiledRules } from './compiled.ts';
import type { AlarmCatalog } from './catalog.ts';
import type { IdIndex } from '../id-index.ts';
import { COUNTER_RESET } from './conditions.ts';
import { AlarmStates, COND, LATCHED, OOS, RAW, STATE_NAMES, SUP_COMM, SUP_EXPR, SUP_MODE, SUP_PARENT } from './alarm-states.ts';
import { PointStates } from './point-states.ts';
import { adoptState, buildRuntime, initialState, type Runtime } from './runtime.ts';
import { applyCondition, applyOverlay } from './states.ts';
import type { AlarmEvent, AlarmEventType, EngineState, StepResult, StoredState } from './types.ts';

export interface EngineOptions {
  /** longest an operator may shelve an alarm; default 720 (12 h) */
  maxShelveMinutes?: number;
  /** longest an alarm may be out of service; default 43200 (30 days) */
  maxOutOfServiceMinutes?: number;
  /** the site's time zone (IANA): a setback schedule (setback.ts) is read at its local time; default UTC */
  timeZone?: string;
}

export interface Engine extends OperatorActions {
  readonly alarms: AlarmCatalog;
  /** alarm id → its index in `alarms` (and in a state's records) */
  readonly alarmIndex: AlarmIndex;
  init(): EngineState;
  adopt(persisted: EngineState | StoredState): EngineState;
  step(state: EngineState, sample: Sample, now: number): StepResult;
  /** `step` for every value of one device poll as columns (poll-columns.ts), in order. */
  stepPoll(state: EngineState, poll: PollColumns, now: number): StepResult;
  status(state: EngineState, status: DeviceStatus, now: number): StepResult;
  tick(state: EngineState, now: number): StepResult;
  /** station ids in the order `context` takes them */
  readonly stationIds: readonly string[];
  /** Sets a station's context (mode + attended hours, `contextCode` in modes.ts). */
  context(state: EngineState, stationIndex: number, code: number, now: number): StepResult;
  /** Gives a baseline alarm its figures from history (baseline/job.ts); null while unknown. */
  baseline(state: EngineState, alarmIndex: number, figures: { value: number; limit: number } | null, now: number): StepResult;
}

/** Alarm id → index, as lookups only (an {@link IdIndex} over the alarm ids). */
export type AlarmIndex = Pick<IdIndex, 'get' | 'has'>;

export const NO_EVENTS: readonly AlarmEvent[] = Object.freeze([]);

/** Event collection shared by the engine's functions during one call. */
export interface Core {
  rt: Runtime;
  /** `from`: the state code (alarm-states.ts) before the transition */
  emit(s: EngineState, ai: number, type: AlarmEventType, from: number, now: number, user?: string, comment?: string): void;
  take(): readonly AlarmEvent[];
  /** The state with its points and alarms as columns: a JSON copy (records) is taken back, in place. */
  live(s: EngineState): EngineState;
}

function createCore(rt: Runtime): Core {
  let out: AlarmEvent[] | null = null;
  return {
    rt,
    emit(s, ai, type, from, now, user, comment) {
      const c = rt.alarms.rule(ai);
      const pi = rt.primary[ai];
      const ev: AlarmEvent = {
        id: ++s.seq,
        alarmId: rt.alarms.id(ai),
        ruleId: c.ruleId,
        station: rt.alarms.station(ai),
        device: c.device,
        point: rt.alarms.point(ai),
        ts: now,
        type,
        from: STATE_NAMES[from],
        to: STATE_NAMES[s.alarms.st[ai]],
        priority: c.priority,
        value: pi >= 0 ? s.points.val(pi) : null,
        message: c.message,
        class: c.class,
      };
      if (user !== undefined) ev.user = user;
      if (comment !== undefined) ev.comment = comment;
      (out ??= []).push(ev);
    },
    take() {
      const ev = out ?? NO_EVENTS;
      out = null;
      return ev;
    },
    live(s) {
      if (!(s.points instanceof PointStates)) s.points = PointStates.of(rt.pointIds, s.points);
      if (!(s.alarms instanceof AlarmStates)) s.alarms = AlarmStates.of(rt.alarms, s.alarms);
      return s;
    },
  };
}

export function createEngine(compiled: CompiledRules, opts: EngineOptions = {}): Engine {
  const rt = buildRuntime(compiled, opts.timeZone);
  const core = createCore(rt);
  const { readerStart, readers, supStart, supReaders, conds, onMs, offMs, latching } = rt;
  // The result of a call without events is immutable and depends only on the
  // state object, so one frozen instance per state is reused: no allocation
  // on the hot path.
  // (starts with an empty placeholder state, never returned: a full initial
  // state here would hold a record per alarm and point for nothing)
  let quiet: StepResult = Object.freeze({ state: { v: 1 as const, seq: 0, t0: -1, points: new PointStates([]), alarms: new AlarmStates([]), devices: [] }, events: NO_EVENTS });
  const result = (s: EngineState): StepResult => {
    const events = core.take();
    if (events !== NO_EVENTS) return { state: s, events };
    if (quiet.state !== s) quiet = Object.freeze({ state: s, events: NO_EVENTS });
    return quiet;
  };

  /** Applies the on/off delay: the debounced condition follows `raw` after its delay. True when `cond` changed. */
  const settle = (s: EngineState, ai: number, now: number): boolean => {
    const A = s.alarms;
    const raw = (A.f[ai] & RAW) !== 0;
    if (raw === ((A.f[ai] & COND) !== 0) || now - A.rawTs[ai] < (raw ? onMs[ai] : offMs[ai])) return false;
    const from = A.st[ai];
    const t = applyCondition(A, ai, raw, latching[ai] === 1, now);
    if (t) core.emit(s, ai, t, from, now);
    return true;
  };
  /**
   * A suppression by design (parent, mode) was set or lifted: lifting it while the condition
   * holds restarts the on-delay, so the alarm raises only if the condition outlasts it from now.
   */
  const designOverlay = (s: EngineState, ai: number, lifted: boolean, now: number, user?: string, comment?: string) => {
    const A = s.alarms;
    if (lifted && (A.f[ai] & (COND | LATCHED)) === COND) {
      A.f[ai] &= ~COND;
      A.rawTs[ai] = now;
    }
    const from = A.st[ai];
    const t = applyOverlay(A, ai);
    if (t) core.emit(s, ai, t, from, now, user, comment);
  };
  const { childStart, children, parentStart, parents } = rt;
  /** First-out: a child is grouped under its parents while its own and a parent's condition hold (raw or debounced). */
  const group = (s: EngineState, ci: number, now: number) => {
    const A = s.alarms;
    let on = false;
    if (A.holds(ci)) {
      for (let k = parentStart[ci], end = parentStart[ci + 1]; k < end; k++) {
        if (A.holds(parents[k])) {
          on = true;
          break;
        }
      }
    }
    if (on === A.has(ci, SUP_PARENT)) return;
    A.set(ci, SUP_PARENT, on);
    // released while its own condition still holds: it becomes the first-out only if the condition
    // lasts its on-delay from now (a trip's fault bit clears a poll after the run feedback returns)
    designOverlay(s, ci, !on, now);
  };
  const regroup = (s: EngineState, ai: number, now: number) => {
    if (parentStart[ai] !== parentStart[ai + 1]) group(s, ai, now);
    for (let k = childStart[ai], end = childStart[ai + 1]; k < end; k++) group(s, children[k], now);
  };
  const evaluate = (s: EngineState, ai: number, now: number) => {
    const A = s.alarms;
    let r = conds.eval(s, ai, now);
    if (r === COUNTER_RESET) {
      core.emit(s, ai, 'reset', A.st[ai], now, 'system', 'counter restarted (meter or PLC replaced)');
      r = 0;
    }
    let changed = false;
    if (r >= 0) {
      const raw = r === 1;
      if (raw !== ((A.f[ai] & RAW) !== 0)) {
        A.set(ai, RAW, raw);
        A.rawTs[ai] = now;
        changed = true;
      }
    }
    if (A.pending(ai) && settle(s, ai, now)) changed = true;
    if (changed) regroup(s, ai, now);
  };
  /** Suppresses by design the station's alarms that are not active in its context (modes.ts `contextCode`). */
  const setContext = (s: EngineState, si: number, code: number, now: number) => {
    const bit = 1 << code;
    for (let k = rt.stationAlarmStart[si], end = rt.stationAlarmStart[si + 1]; k < end; k++) {
      const ai = rt.stationAlarms[k];
      const off = (rt.modeMask[ai] & bit) === 0;
      if (off === s.alarms.has(ai, SUP_MODE)) continue;
      s.alarms.set(ai, SUP_MODE, off);
      // back in a mode where the rule applies: its on-delay starts now, so a station restarting
      // after a stop gets the rule's delay to heat up instead of an alarm at the first second
      designOverlay(s, ai, !off, now, 'system', 'station mode');
    }
  };
  const evalSuppression = (s: EngineState, ai: number, now: number) => {
    const x = conds.suppression(s, ai);
    if (x < 0) return;
    const A = s.alarms;
    const on = x === 1;
    if (on === A.has(ai, SUP_EXPR)) return;
    A.set(ai, SUP_EXPR, on);
    const from = A.st[ai];
    const t = applyOverlay(A, ai);
    if (t) core.emit(s, ai, t, from, now);
  };
  const setLost = (s: EngineState, di: number, lost: boolean, now: number) => {
    s.devices[di].lost = lost;
    const { deviceAlarms, alarmDeviceStart, alarmDevices } = rt;
    for (let k = rt.deviceAlarmStart[di], kEnd = rt.deviceAlarmStart[di + 1]; k < kEnd; k++) {
      const ai = deviceAlarms[k];
      const A = s.alarms;
      let any = false;
      for (let j = alarmDeviceStart[ai], jEnd = alarmDeviceStart[ai + 1]; j < jEnd; j++) if (s.devices[alarmDevices[j]].lost) any = true;
      if (any === A.has(ai, SUP_COMM)) continue;
      A.set(ai, SUP_COMM, any);
      const from = A.st[ai];
      const t = applyOverlay(A, ai);
      if (t) core.emit(s, ai, t, from, now);
    }
  };

  // Devices are polled in the same order every time: try the point after the
  // previous one before the index lookup (one string compare, not a hash).
  const ids = rt.pointIds;
  let guess = 0;
  const step = (s: EngineState, sample: Sample, now: number): StepResult => {
    let pi: number | undefined = guess;
    if (ids[pi] !== sample.point) {
      pi = rt.pointSlot.get(sample.point);
      if (pi === undefined) return result(s);
    }
    guess = pi + 1 < ids.length ? pi + 1 : 0;
    const val = sample.value;
    let ok = sample.quality === 'good';
    let v = 0;
    if (ok) {
      if (typeof val === 'number') {
        v = val;
        ok = val - val === 0; // finite
      } else if (typeof val === 'boolean') v = val ? 1 : 0;
      else ok = false;
    }
    apply(s, pi, ok, v, val, sample.quality, now);
    return result(s);
  };

  /** The engine's point slot of each id of a poll layout (-1: no alarm reads it). */
  const pollSlots = new LayoutCache((l) => Int32Array.from(l, (id) => rt.pointSlot.get(id) ?? -1));
  const stepPoll = (s: EngineState, p: PollColumns, now: number): StepResult => {
    const slots = pollSlots.of(p.ids);
    const { vals, tags } = p;
    for (let k = 0; k < slots.length; k++) {
      const pi = slots[k];
      if (pi < 0) continue;
      const t = tags[k];
      if (t === POLL_NUM) apply(s, pi, true, vals[k], vals[k], 'good', now);
      else if (t === POLL_TRUE || t === POLL_FALSE) apply(s, pi, true, t === POLL_TRUE ? 1 : 0, t === POLL_TRUE, 'good', now);
      else apply(s, pi, false, 0, null, 'bad', now);
    }
    return result(s);
  };

  /** One value of point `pi`: `ok` a good finite value `v` (`val` as the sample had it). */
  const apply = (s: EngineState, pi: number, ok: boolean, v: number, val: SampleValue, quality: Quality, now: number): void => {
    if (s.t0 < 0) s.t0 = now;
    const P = s.points;
    // An unchanged good value cannot change any value-driven condition; the
    // time-driven ones (stale, frozen, rate of change, delays) run in tick.
    const same = ok && P.ok[pi] === 1 && v === P.v[pi];
    P.ts[pi] = now;
    P.setQuality(pi, quality);
    P.ok[pi] = ok ? 1 : 0;
    if (same) {
      P.good[pi] = now;
      const di = rt.pointDevice[pi];
      const d = s.devices[di];
      d.lastOk = now;
      if (d.lost) setLost(s, di, false, now);
      return;
    }
    if (ok) {
      if (P.changed[pi] < 0 || v !== P.v[pi]) P.changed[pi] = now;
      P.v[pi] = v;
      P.bool[pi] = typeof val === 'boolean' ? 1 : 0;
      P.good[pi] = now;
      s.devices[rt.pointDevice[pi]].lastOk = now;
    }
    for (let k = supStart[pi], end = supStart[pi + 1]; k < end; k++) evalSuppression(s, supReaders[k], now);
    for (let k = readerStart[pi], end = readerStart[pi + 1]; k < end; k++) evaluate(s, readers[k], now);
    // after evaluating, so a release from comm-loss suppression sees the fresh condition
    if (ok) {
      const di = rt.pointDevice[pi];
      if (s.devices[di].lost) setLost(s, di, false, now);
    }
  };

  const status = (s: EngineState, st: DeviceStatus, now: number): StepResult => {
    const di = rt.deviceIds.indexOf(`${st.station}.${st.device}`);
    if (di < 0) return result(s);
    if (s.t0 < 0) s.t0 = now;
    const d = s.devices[di];
    if (st.comm === 'offline' && d.comm !== 'offline') d.offlineSince = now;
    if (st.comm !== 'offline') d.offlineSince = -1;
    d.comm = st.comm;
    if (st.comm === 'online') {
      d.lastOk = now;
      if (d.lost) setLost(s, di, false, now);
    }
    return result(s);
  };

  const tick = (s: EngineState, now: number): StepResult => {
    if (s.t0 < 0) s.t0 = now;
    for (let di = 0; di < s.devices.length; di++) {
      const d = s.devices[di];
      const last = d.lastOk > s.t0 ? d.lastOk : s.t0;
      const lost = now - last >= rt.deviceLossMs[di];
      if (lost !== d.lost) setLost(s, di, lost, now);
    }
    // a skipped alarm's pending delay still settles in the loop below
    for (const ai of rt.timed) if (!conds.sameBucket(s, ai, now)) evaluate(s, ai, now);
    const A = s.alarms;
    for (let ai = 0; ai < A.length; ai++) {
      if (A.pending(ai) && settle(s, ai, now)) regroup(s, ai, now);
      // (NaN, no end, compares false)
      if (now >= A.shelvedUntil[ai]) {
        A.shelvedUntil[ai] = NaN;
        A.shelvedBy.delete(ai);
        const from = A.st[ai];
        const t = applyOverlay(A, ai);
        if (t) core.emit(s, ai, t, from, now, 'system', 'shelve expired');
      }
      if (now >= A.oosUntil[ai] && A.has(ai, OOS)) {
        A.set(ai, OOS, false);
        A.oosUntil[ai] = NaN;
        const from = A.st[ai];
        const t = applyOverlay(A, ai);
        if (t) core.emit(s, ai, t, from, now, 'system', 'out of service ended');
      }
    }
    return result(s);
  };

  const { live } = core;
  return {
    alarms: rt.alarms,
    alarmIndex: rt.alarmIndex,
    init: () => initialState(rt),
    adopt: (persisted) => adoptState(rt, persisted),
    step: (s, sample, now) => step(live(s), sample, now),
    stepPoll: (s, poll, now) => stepPoll(live(s), poll, now),
    status: (s, st, now) => status(live(s), st, now),
    tick: (s, now) => tick(live(s), now),
    stationIds: rt.stationIds,
    context: (s, si, code, now) => {
      setContext(live(s), si, code, now);
      return result(s);
    },
    baseline: (s, ai, f, now) => {
      live(s);
      if (!(Number.isInteger(ai) && ai >= 0 && ai < rt.alarms.length) || rt.alarms.rule(ai).type !== 'baseline') return result(s);
      if (s.t0 < 0) s.t0 = now;
      s.alarms.x[ai] = f ? [f.value, f.limit] : null;
      evaluate(s, ai, now);
      return result(s);
    },
    ...operatorActions(core, opts.maxShelveMinutes ?? 720, opts.maxOutOfServiceMinutes ?? 30 * 24 * 60),
  };
}
