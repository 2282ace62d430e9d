/**
 * The alarm runner: the I/O shell around the pure engine. It feeds samples,
 * device status, station contexts (modes.ts) and one-second ticks into the
 * engine, persists events and alarm records in the state database (restoring
 * them on restart without re-raising), and hands events to listeners (live
 * feed, MQTT, tickets). Operator actions are in runner-actions.ts, alarms
 * raised from outside in runner-external.ts, what the operator sees in
 * views.ts. Everything else in src/alarms is pure.
 */
import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import type { DeviceStatus, Sample } from '../model.ts';
import type { BaselineFigures } from './baseline/learn.ts';
import { alarmKpis, type AlarmKpis } from './kpis.ts';
import type { CompiledRules } from './compiled.ts';
import { createEngine, type Engine } from './engine.ts';
import type { ExternalAlarm } from './external.ts';
import { AlarmPersistence, type AlarmMeta } from './persist.ts';
import { RunnerActions, type ActionOutcome } from './runner-actions.ts';
import { ExternalAlarms, type ExternalAlarmSpec } from './runner-external.ts';
import { alarmMessage, type MessageLang } from './messages.ts';
import type { AlarmEvent, AlarmRecord, EngineState } from './types.ts';
import { alarmCounts, alarmView, listAlarms, worstByStation, type AlarmCounts, type AlarmFilter, type AlarmView, type ViewSource } from './views.ts';

export type { AlarmView, AlarmFilter, AlarmCounts } from './views.ts';
export type { ActionOutcome, BulkAckOutcome } from './runner-actions.ts';
export type { ExternalAlarmSpec } from './runner-external.ts';

export interface AlarmRunnerOptions {
  compiled: CompiledRules;
  db: Database.Database;
  logger: Logger;
  now?: () => number;
  tickMs?: number;
  checkpointMs?: number;
  maxShelveMinutes?: number;
  /** most events one KPI request may read (routes/alarms.ts); default there 500,000 */
  maxKpiEvents?: number;
  /** the site's time zone, for setback schedules (engine.ts `EngineOptions.timeZone`); default UTC */
  timeZone?: string;
  /** called when an operator acknowledges a device-side alarm, to acknowledge it at the device too */
  onDeviceAck?: (alarm: ExternalAlarm, user: string, comment: string | undefined) => void;
  /** station contexts (mode + attended hours, modes.ts `contextCode`) in the order of `stationIds`; default all in service */
  contexts?: (stationIds: readonly string[], now: number) => Uint8Array;
  /** the area of a station, for filters and bulk acknowledgement */
  areaOf?: (station: string) => string | null;
}

const CHATTER_WINDOW_MS = 60_000;

function emptyMeta(): AlarmMeta {
  return { raisedAt: null, lastChange: 0, ackedBy: null, ackedAt: null, comment: null, value: null, raises: [] };
}

export class AlarmRunner implements ViewSource {
  readonly engine: Engine;
  readonly meta = new Map<string, AlarmMeta>();
  readonly externals = new Map<string, ExternalAlarm>();
  readonly index = new Map<string, number>();
  readonly now: () => number;
  readonly actions: RunnerActions;
  readonly external: ExternalAlarms;
  private state: EngineState;
  private readonly persist: AlarmPersistence;
  private readonly listeners = new Set<(events: AlarmEvent[]) => void>();
  private readonly log: Logger;
  private tickTimer: NodeJS.Timeout | null = null;
  private checkpointTimer: NodeJS.Timeout | null = null;
  private dirty = false;
  private pending: AlarmEvent[] = [];
  /** the context code last given to the engine, per station (255 = none yet) */
  private readonly contexts: Uint8Array;
  /** station id → its index in the engine's station order */
  private readonly stationIndex: Map<string, number>;
  /** samples evaluated, for /metrics */
  evaluated = 0;

  constructor(readonly opts: AlarmRunnerOptions) {
    this.engine = createEngine(opts.compiled, { maxShelveMinutes: opts.maxShelveMinutes ?? 720, ...(opts.timeZone ? { timeZone: opts.timeZone } : {}) });
    this.engine.alarms.forEach((a, i) => this.index.set(a.alarmId, i));
    this.persist = new AlarmPersistence(opts.db);
    this.now = opts.now ?? Date.now;
    this.log = opts.logger;
    this.contexts = new Uint8Array(this.engine.stationIds.length).fill(255);
    this.stationIndex = new Map(this.engine.stationIds.map((id, i) => [id, i]));
    this.state = this.restore();
    this.actions = new RunnerActions(this);
    this.external = new ExternalAlarms(this);
    // before the first sample, so a stopped station's alarms never raise at start-up
    this.applyContexts();
  }

  current(): EngineState {
    return this.state;
  }

  /** @internal for runner-actions / runner-external: replaces the engine state after an action */
  adoptState(s: EngineState): void {
    this.state = s;
  }

  areaOf(station: string): string | null {
    return this.opts.areaOf?.(station) ?? null;
  }

  /** Restores the checkpoint, then the newer per-alarm records, so nothing re-raises and no ack is lost. */
  private restore(): EngineState {
    const r = this.persist.restore();
    const state = r.checkpoint ? this.engine.adopt(r.checkpoint) : this.engine.init();
    let restored = 0;
    for (const [id, rec] of r.records) {
      const i = this.index.get(id);
      if (i !== undefined && state.alarms[i]?.id === id) {
        state.alarms[i] = rec as AlarmRecord;
        restored++;
      }
    }
    for (const [id, m] of r.meta) this.meta.set(id, m);
    for (const x of r.externals) this.externals.set(x.id, x);
    state.seq = Math.max(state.seq, r.maxEventId);
    const active = state.alarms.filter((a) => a.st !== 'normal').length + r.externals.filter((x) => x.st !== 'normal').length;
    if (r.checkpoint || restored) this.log.info({ restored, active, seq: state.seq }, 'alarm state restored');
    return state;
  }

  start(): void {
    this.tickTimer = setInterval(() => this.tick(), this.opts.tickMs ?? 1000);
    this.tickTimer.unref();
    this.checkpointTimer = setInterval(() => this.checkpoint(), this.opts.checkpointMs ?? 15_000);
    this.checkpointTimer.unref();
  }

  stop(): void {
    if (this.tickTimer) clearInterval(this.tickTimer);
    if (this.checkpointTimer) clearInterval(this.checkpointTimer);
    this.tickTimer = this.checkpointTimer = null;
    this.flush();
    this.checkpoint(true);
  }

  onEvents(listener: (events: AlarmEvent[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Feeds a batch of samples (hot path: no allocation unless an event fires). */
  samples(batch: readonly Sample[]): void {
    const now = this.now();
    const engine = this.engine;
    let state = this.state;
    for (let i = 0; i < batch.length; i++) {
      const r = engine.step(state, batch[i], now);
      state = r.state;
      if (r.events.length) for (const e of r.events) this.pending.push(e);
    }
    this.state = state;
    this.evaluated += batch.length;
    this.dirty = true;
    this.flush();
  }

  /** Figures of baseline alarms learnt from history (baseline/job.ts), by alarm index. */
  baselines(updates: ReadonlyArray<{ index: number; figures: BaselineFigures | null }>): void {
    const now = this.now();
    for (const u of updates) {
      const r = this.engine.baseline(this.state, u.index, u.figures, now);
      this.state = r.state;
      for (const e of r.events) this.pending.push(e);
    }
    this.dirty = true;
    this.flush();
  }

  status(s: DeviceStatus): void {
    const r = this.engine.status(this.state, s, this.now());
    this.state = r.state;
    for (const e of r.events) this.pending.push(e);
    this.flush();
  }

  tick(): void {
    this.applyContexts(false);
    const r = this.engine.tick(this.state, this.now());
    this.state = r.state;
    for (const e of r.events) this.pending.push(e);
    this.external.tick();
    this.flush();
  }

  /**
   * Gives the engine every station's context that changed (mode, attended hours); of `only`
   * those stations, when the caller knows which can have changed (a PLC's mode point).
   */
  applyContexts(flush = true, only?: readonly string[]): void {
    if (!this.opts.contexts) return;
    const now = this.now();
    const ids = only ?? this.engine.stationIds;
    const codes = this.opts.contexts(ids, now);
    for (let i = 0; i < codes.length; i++) {
      const si = only ? (this.stationIndex.get(ids[i]) ?? -1) : i;
      if (si < 0 || codes[i] === this.contexts[si]) continue;
      this.contexts[si] = codes[i];
      const r = this.engine.context(this.state, si, codes[i], now);
      this.state = r.state;
      for (const e of r.events) this.pending.push(e);
    }
    if (flush) this.flush();
  }

  /** @internal queues events of an action or external alarm; `flush` persists and publishes them */
  queue(events: readonly AlarmEvent[]): void {
    for (const e of events) this.pending.push(e);
    if (events.length) this.dirty = true;
  }

  /**
   * Persists pending events with the records they touched, then notifies listeners. `within`
   * runs in that transaction (an action's audit row), even when the action changed no state;
   * if the transaction fails, the error is thrown after the listeners ran, so the caller (the
   * API) reports the action as not recorded.
   */
  flush(within?: () => void): void {
    if (this.pending.length === 0 && !within) return;
    const events = this.pending;
    this.pending = [];
    const touched = new Map<string, { id: string; kind: 'rule' | 'external'; record: AlarmRecord | ExternalAlarm; meta: AlarmMeta }>();
    for (const e of events) {
      const m = this.meta.get(e.alarmId) ?? emptyMeta();
      this.meta.set(e.alarmId, m);
      m.lastChange = e.ts;
      m.value = e.value;
      if (e.type === 'raise') {
        m.raisedAt = e.ts;
        m.ackedBy = m.ackedAt = null;
        m.raises = m.raises.filter((t) => e.ts - t <= CHATTER_WINDOW_MS);
        m.raises.push(e.ts);
      }
      if (e.type === 'ack') {
        m.ackedBy = e.user ?? null;
        m.ackedAt = e.ts;
      }
      if (e.comment !== undefined) m.comment = e.comment;
      const x = this.externals.get(e.alarmId);
      if (x) touched.set(e.alarmId, { id: e.alarmId, kind: 'external', record: x, meta: m });
      else {
        const i = this.index.get(e.alarmId);
        if (i !== undefined) touched.set(e.alarmId, { id: e.alarmId, kind: 'rule', record: this.state.alarms[i], meta: m });
      }
      this.log.info({ alarm: e.alarmId, event: e.type, prev: e.from, next: e.to, priority: e.priority, user: e.user }, `${e.alarmId}: ${e.type} ${e.from} → ${e.to}`);
    }
    let failed: unknown = null;
    try {
      this.persist.record(events, [...touched.values()], within);
    } catch (err) {
      // the state database failing must not stop alarm evaluation; listeners still get the events
      this.log.error({ err, events: events.length }, 'could not persist alarm events');
      if (within) failed = err;
    }
    for (const l of events.length ? this.listeners : []) {
      try {
        l(events);
      } catch (err) {
        this.log.error({ err }, 'alarm event listener failed');
      }
    }
    if (failed) throw failed;
  }

  /**
   * Checkpoints the alarm records that are not at rest (active, pending an on/off delay, latched,
   * shelved, out of service, suppressed, or holding a learnt baseline) and the event counter.
   * Point values, device timers and rate-of-change windows are left out on purpose: they refill
   * from the polls, and writing them (hundreds of thousands of records for a city) every few
   * seconds costs more than it saves: with the rate windows of 5,000 stations' three
   * rate-of-change rules each, one checkpoint held the polling loop ~1.3 s. After a restart,
   * delays that were running start again from the first poll, and a rate of change is judged
   * once its window has refilled.
   */
  checkpoint(force = false): void {
    if (!this.dirty && !force) return;
    try {
      const s = this.state;
      const busy = s.alarms.filter(
        (a) => a.st !== 'normal' || a.raw || a.cond || a.latched || a.shelvedUntil !== null || a.oos || isBaseline(a.x) || a.supMode || a.supParent,
      );
      this.persist.checkpoint({ v: 1, seq: s.seq, t0: -1, points: [], alarms: busy, devices: [] }, this.now());
      this.dirty = false;
    } catch (err) {
      this.log.error({ err }, 'could not checkpoint alarm state');
    }
  }

  // ---- operator actions (runner-actions.ts); `within` writes in the action's transaction (audit) ----

  /** `fromDevice`: the device reported the acknowledgement itself, so it is not sent back */
  ack(id: string, user: string, comment: string | undefined, fromDevice = false, within?: () => void): ActionOutcome {
    return this.actions.ack(id, user, comment, fromDevice, within);
  }
  shelve(id: string, user: string, comment: string, minutes: number, within?: () => void): ActionOutcome {
    return this.actions.shelve(id, user, comment, minutes, within);
  }
  unshelve(id: string, user: string, comment: string | undefined, within?: () => void): ActionOutcome {
    return this.actions.unshelve(id, user, comment, within);
  }
  /** `until`: when out of service ends (required to take it out; engine.ts bounds it) */
  setOutOfService(id: string, user: string, comment: string, on: boolean, until?: number | null, within?: () => void): ActionOutcome {
    return this.actions.setOutOfService(id, user, comment, on, until, within);
  }

  // ---- alarms raised from outside the rules (runner-external.ts) ----

  raiseExternal(spec: ExternalAlarmSpec): AlarmView {
    return this.external.raise(spec);
  }

  // ---- views (views.ts) ----

  get(id: string, lang?: MessageLang): AlarmView | undefined {
    return alarmView(this, id, lang);
  }

  list(f: AlarmFilter = {}): AlarmView[] {
    return listAlarms(this, f);
  }

  worstByStation(): ReturnType<typeof worstByStation> {
    return worstByStation(this);
  }

  counts(): AlarmCounts {
    return alarmCounts(this);
  }

  /** Alarm events, newest first; with `lang`, rule alarms' messages in that language (messages.ts). */
  history(opts: { from: number; to: number; station?: string; alarmId?: string; limit?: number; lang?: MessageLang }): AlarmEvent[] {
    const events = this.persist.history({ ...opts, limit: opts.limit ?? 1000 });
    if (!opts.lang) return events;
    for (const e of events) {
      const i = this.index.get(e.alarmId);
      if (i !== undefined) e.message = alarmMessage(this.engine.alarms[i], opts.lang);
    }
    return events;
  }

  /**
   * EEMUA 191 figures over [from, to); activity up to 30 days before `from` is read so stale alarms
   * are seen. With `maxEvents`, null when the window holds more events than that (never loaded).
   */
  kpis(from: number, to: number): AlarmKpis & { from: number; to: number };
  kpis(from: number, to: number, maxEvents: number): (AlarmKpis & { from: number; to: number }) | null;
  kpis(from: number, to: number, maxEvents?: number): (AlarmKpis & { from: number; to: number }) | null {
    const start = Math.min(from, to - 30 * 86_400_000);
    if (maxEvents !== undefined && this.persist.countUpTo(start, to, maxEvents + 1) > maxEvents) return null;
    const events = this.persist.events(start, to);
    return { from, to, ...alarmKpis(events, { from, to }) };
  }
}

/** `x` of a baseline rule: [value, limit] learnt from the station's history (a rate window is longer). */
const isBaseline = (x: number[] | null): boolean => x !== null && x.length === 2;
