/**
 * The alarm runner: the I/O shell around the pure engine. It feeds samples,
 * device status and one-second ticks into the engine, persists events and
 * alarm records in the state database (restoring them on restart without
 * re-raising), and hands events to listeners (live feed, MQTT, tickets).
 * Everything else in src/alarms is pure; this file and persist.ts are not.
 */
import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import type { DeviceStatus, Sample } from '../model.ts';
import { alarmKpis, type AlarmKpis } from './kpis.ts';
import type { CompiledRules } from './compiled.ts';
import { createEngine, type Engine } from './engine.ts';
import { applyExternalAck, applyExternalCondition, type ExternalAlarm } from './external.ts';
import { AlarmPersistence, type AlarmMeta } from './persist.ts';
import type { AlarmEvent, AlarmRecord, AlarmStateName, EngineState, Priority } from './types.ts';

export interface AlarmView {
  id: string;
  source: 'rule' | 'external' | 'device';
  ruleId: string | null;
  type: string;
  station: string;
  device: string;
  point: string;
  class: string | null;
  priority: Priority;
  message: string;
  state: AlarmStateName;
  /** the condition holds now */
  active: boolean;
  value: number | boolean | null;
  raisedAt: number | null;
  lastChange: number | null;
  ackedBy: string | null;
  ackedAt: number | null;
  comment: string | null;
  shelvedUntil: number | null;
  shelvedBy: string | null;
  /** ≥ 3 activations within 60 s */
  chattering: boolean;
}

export interface AlarmFilter {
  /** 'active' = every state but normal; 'all' = every alarm instance; or one state name */
  state?: 'active' | 'all' | AlarmStateName;
  station?: string;
  priority?: number;
  limit?: number;
}

export interface ExternalAlarmSpec {
  /** unique per station, e.g. `customer_no_heat` */
  key: string;
  station: string;
  device?: string;
  source?: 'external' | 'device';
  class: string;
  priority: Priority;
  message: string;
  active: boolean;
  value?: number;
  /** the device's own id of the alarm (OPC UA ConditionId) */
  ref?: string;
}

export type ActionOutcome = { ok: true; alarm: AlarmView } | { ok: false; status: 400 | 404 | 409; error: string };

export interface AlarmRunnerOptions {
  compiled: CompiledRules;
  db: Database.Database;
  logger: Logger;
  now?: () => number;
  tickMs?: number;
  checkpointMs?: number;
  maxShelveMinutes?: number;
  /** called when an operator acknowledges a device-side alarm, to acknowledge it at the device too */
  onDeviceAck?: (alarm: ExternalAlarm, user: string, comment: string | undefined) => void;
}

const CHATTER_WINDOW_MS = 60_000;
const CHATTER_COUNT = 3;
const ANNUNCIATED = new Set<AlarmStateName>(['unacked', 'acked', 'rtn_unacked']);

function emptyMeta(): AlarmMeta {
  return { raisedAt: null, lastChange: 0, ackedBy: null, ackedAt: null, comment: null, value: null, raises: [] };
}

export class AlarmRunner {
  readonly engine: Engine;
  private state: EngineState;
  private readonly persist: AlarmPersistence;
  private readonly meta = new Map<string, AlarmMeta>();
  private readonly externals = new Map<string, ExternalAlarm>();
  private readonly listeners = new Set<(events: AlarmEvent[]) => void>();
  private readonly index = new Map<string, number>();
  private readonly now: () => number;
  private readonly log: Logger;
  private tickTimer: NodeJS.Timeout | null = null;
  private checkpointTimer: NodeJS.Timeout | null = null;
  private dirty = false;
  private pending: AlarmEvent[] = [];
  /** samples evaluated, for /metrics */
  evaluated = 0;

  constructor(private readonly opts: AlarmRunnerOptions) {
    this.engine = createEngine(opts.compiled, { maxShelveMinutes: opts.maxShelveMinutes ?? 720 });
    this.engine.alarms.forEach((a, i) => this.index.set(a.alarmId, i));
    this.persist = new AlarmPersistence(opts.db);
    this.now = opts.now ?? Date.now;
    this.log = opts.logger;
    this.state = this.restore();
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

  status(s: DeviceStatus): void {
    const r = this.engine.status(this.state, s, this.now());
    this.state = r.state;
    for (const e of r.events) this.pending.push(e);
    this.flush();
  }

  tick(): void {
    const r = this.engine.tick(this.state, this.now());
    this.state = r.state;
    for (const e of r.events) this.pending.push(e);
    this.flush();
  }

  /** Persists pending events with the records they touched, then notifies listeners. */
  private flush(): void {
    if (this.pending.length === 0) return;
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
    try {
      this.persist.record(events, [...touched.values()]);
    } catch (err) {
      // the state database failing must not stop alarm evaluation; listeners still get the events
      this.log.error({ err, events: events.length }, 'could not persist alarm events');
    }
    for (const l of this.listeners) {
      try {
        l(events);
      } catch (err) {
        this.log.error({ err }, 'alarm event listener failed');
      }
    }
  }

  /**
   * Checkpoints the alarm records that are not at rest (active, pending an on/off delay, latched,
   * shelved, out of service, or carrying rate-of-change history) and the event counter. Point values
   * and device timers are left out on purpose: they refill from the next poll, and writing them
   * (hundreds of thousands of records for a city) every few seconds would cost more than it saves.
   * After a restart, delays that were running start again from the first poll.
   */
  checkpoint(force = false): void {
    if (!this.dirty && !force) return;
    try {
      const s = this.state;
      const busy = s.alarms.filter((a) => a.st !== 'normal' || a.raw || a.cond || a.latched || a.shelvedUntil !== null || a.oos || a.x !== null);
      this.persist.checkpoint({ v: 1, seq: s.seq, t0: -1, points: [], alarms: busy, devices: [] }, this.now());
      this.dirty = false;
    } catch (err) {
      this.log.error({ err }, 'could not checkpoint alarm state');
    }
  }

  // ---- operator actions ----

  private act(id: string, fn: (state: EngineState) => ReturnType<Engine['ack']>): ActionOutcome {
    if (this.externals.has(id)) return { ok: false, status: 409, error: `${id}: this alarm is raised from outside and can only be acknowledged` };
    if (!this.index.has(id)) return { ok: false, status: 404, error: `alarm ${id} not found` };
    const r = fn(this.state);
    this.state = r.state;
    if (!r.ok) return { ok: false, status: 409, error: r.error };
    for (const e of r.events) this.pending.push(e);
    this.dirty = true;
    this.flush();
    return { ok: true, alarm: this.get(id)! };
  }

  /** `fromDevice`: the device reported the acknowledgement itself, so it is not sent back */
  ack(id: string, user: string, comment: string | undefined, fromDevice = false): ActionOutcome {
    const x = this.externals.get(id);
    if (x) {
      const from = x.st;
      const t = applyExternalAck(x);
      if (t !== 'ack') return { ok: false, status: 409, error: `${id}: ${t}` };
      this.emitExternal(x, 'ack', from, user, comment);
      if (x.source === 'device' && !fromDevice) this.opts.onDeviceAck?.(x, user, comment);
      return { ok: true, alarm: this.get(id)! };
    }
    return this.act(id, (s) => this.engine.ack(s, id, user, comment, this.now()));
  }

  shelve(id: string, user: string, comment: string, minutes: number): ActionOutcome {
    return this.act(id, (s) => this.engine.shelve(s, id, user, comment, minutes, this.now()));
  }

  unshelve(id: string, user: string, comment: string | undefined): ActionOutcome {
    return this.act(id, (s) => this.engine.unshelve(s, id, user, comment, this.now()));
  }

  setOutOfService(id: string, user: string, comment: string, on: boolean): ActionOutcome {
    return this.act(id, (s) => this.engine.setOutOfService(s, id, user, comment, on, this.now()));
  }

  // ---- alarms raised from outside the rules ----

  raiseExternal(spec: ExternalAlarmSpec): AlarmView {
    const id = `${spec.station}:${spec.key}`;
    let x = this.externals.get(id);
    if (!x) {
      x = {
        id,
        source: spec.source ?? 'external',
        station: spec.station,
        device: spec.device ?? '',
        point: spec.station,
        class: spec.class,
        priority: spec.priority,
        message: spec.message,
        st: 'normal',
        active: false,
        value: null,
      };
      this.externals.set(id, x);
    }
    x.priority = spec.priority;
    x.message = spec.message;
    if (spec.ref !== undefined) x.ref = spec.ref;
    x.value = spec.value ?? x.value;
    const from = x.st;
    const t = applyExternalCondition(x, spec.active);
    if (t) this.emitExternal(x, t, from);
    return this.get(id)!;
  }

  private emitExternal(x: ExternalAlarm, type: 'raise' | 'clear' | 'ack', from: AlarmStateName, user?: string, comment?: string): void {
    const e: AlarmEvent = {
      id: ++this.state.seq,
      alarmId: x.id,
      ruleId: x.source,
      station: x.station,
      device: x.device,
      point: x.point,
      ts: this.now(),
      type,
      from,
      to: x.st,
      priority: x.priority,
      value: x.value,
      message: x.message,
      class: x.class,
    };
    if (user !== undefined) e.user = user;
    if (comment !== undefined) e.comment = comment;
    this.pending.push(e);
    this.dirty = true;
    this.flush();
  }

  // ---- views ----

  private viewOf(i: number): AlarmView {
    const c = this.engine.alarms[i];
    const a = this.state.alarms[i];
    const m = this.meta.get(c.alarmId);
    const now = this.now();
    return {
      id: c.alarmId,
      source: 'rule',
      ruleId: c.ruleId,
      type: c.type,
      station: c.station,
      device: c.device,
      point: c.point,
      class: c.class,
      priority: c.priority,
      message: c.message,
      state: a.st,
      active: a.cond,
      value: m?.value ?? null,
      raisedAt: m?.raisedAt ?? null,
      lastChange: m?.lastChange ?? null,
      ackedBy: m?.ackedBy ?? null,
      ackedAt: m?.ackedAt ?? null,
      comment: m?.comment ?? null,
      shelvedUntil: a.shelvedUntil,
      shelvedBy: a.shelvedBy,
      chattering: (m?.raises.filter((t) => now - t <= CHATTER_WINDOW_MS).length ?? 0) >= CHATTER_COUNT,
    };
  }

  private externalView(x: ExternalAlarm): AlarmView {
    const m = this.meta.get(x.id);
    return {
      id: x.id,
      source: x.source,
      ruleId: null,
      type: x.source,
      station: x.station,
      device: x.device,
      point: x.point,
      class: x.class,
      priority: x.priority,
      message: x.message,
      state: x.st,
      active: x.active,
      value: x.value,
      raisedAt: m?.raisedAt ?? null,
      lastChange: m?.lastChange ?? null,
      ackedBy: m?.ackedBy ?? null,
      ackedAt: m?.ackedAt ?? null,
      comment: m?.comment ?? null,
      shelvedUntil: null,
      shelvedBy: null,
      chattering: false,
    };
  }

  get(id: string): AlarmView | undefined {
    const x = this.externals.get(id);
    if (x) return this.externalView(x);
    const i = this.index.get(id);
    return i === undefined ? undefined : this.viewOf(i);
  }

  /** Alarms by priority (1 first), then newest change first. */
  list(f: AlarmFilter = {}): AlarmView[] {
    const want = f.state ?? 'active';
    const match = (st: AlarmStateName, station: string, priority: number) =>
      (want === 'all' || (want === 'active' ? st !== 'normal' : st === want)) &&
      (f.station === undefined || station === f.station) &&
      (f.priority === undefined || priority === f.priority);
    const out: AlarmView[] = [];
    this.engine.alarms.forEach((c, i) => {
      if (match(this.state.alarms[i].st, c.station, c.priority)) out.push(this.viewOf(i));
    });
    for (const x of this.externals.values()) if (match(x.st, x.station, x.priority)) out.push(this.externalView(x));
    out.sort((a, b) => a.priority - b.priority || (b.lastChange ?? 0) - (a.lastChange ?? 0) || a.id.localeCompare(b.id));
    return f.limit ? out.slice(0, f.limit) : out;
  }

  /** The worst (lowest number) priority among annunciated alarms, per station. */
  worstByStation(): Map<string, Priority> {
    const out = new Map<string, Priority>();
    const put = (station: string, p: Priority) => {
      const cur = out.get(station);
      if (cur === undefined || p < cur) out.set(station, p);
    };
    this.engine.alarms.forEach((c, i) => ANNUNCIATED.has(this.state.alarms[i].st) && put(c.station, c.priority));
    for (const x of this.externals.values()) if (ANNUNCIATED.has(x.st)) put(x.station, x.priority);
    return out;
  }

  history(opts: { from: number; to: number; station?: string; alarmId?: string; limit?: number }): AlarmEvent[] {
    return this.persist.history({ ...opts, limit: opts.limit ?? 1000 });
  }

  /** EEMUA 191 figures over [from, to); activity up to 30 days before `from` is read so stale alarms are seen. */
  kpis(from: number, to: number): AlarmKpis & { from: number; to: number } {
    const events = this.persist.events(Math.min(from, to - 30 * 86_400_000), to);
    return { from, to, ...alarmKpis(events, { from, to }) };
  }

  counts(): { instances: number; active: number; unacked: number } {
    let active = 0;
    let unacked = 0;
    for (const a of this.state.alarms) {
      if (a.st !== 'normal') active++;
      if (a.st === 'unacked' || a.st === 'rtn_unacked') unacked++;
    }
    for (const x of this.externals.values()) {
      if (x.st !== 'normal') active++;
      if (x.st === 'unacked' || x.st === 'rtn_unacked') unacked++;
    }
    return { instances: this.state.alarms.length + this.externals.size, active, unacked };
  }
}
