/**
 * The alarm runner: the I/O shell around the pure engine. It feeds samples,
 * device status, station contexts (modes.ts) and one-second ticks into the
 * engine, persists events and alarm records in the state database (written
 * behind the polling path, in order, by persist-queue.ts; restored on restart
 * without re-raising), and hands events to listeners (live feed, MQTT,
 * tickets). Operator actions are in runner-actions.ts, alarms raised from
 * outside in runner-external.ts, what the operator sees in views.ts.
 * Everything else in src/alarms is pure.
 */
import type { Logger } from 'pino';
import type { DeviceStatus, Sample } from '../model.ts';
import type { PollColumns } from '../poll-columns.ts';
import type { BaselineFigures } from './baseline/learn.ts';
import type { CompiledRules } from './compiled.ts';
import { createEngine, type AlarmIndex, type Engine } from './engine.ts';
import type { ExternalAlarm } from './external.ts';
import { AlarmJournal } from './journal.ts';
import { readHistory, readKpis, type HistoryQuery, type WindowKpis } from './runner-reads.ts';
import { emptyMeta, noteEvent } from './meta.ts';
import { AlarmPersistence, eventRow, type AlarmEventRow, type AlarmMeta, type AlarmRow } from './persist.ts';
import { AlarmWriteQueue, type AlarmWriteStats } from './persist-queue.ts';
import { RunnerActions, type ActionOutcome } from './runner-actions.ts';
import { EVENT_BLOCK, RunnerCluster, type AlarmClusterRole } from './runner-cluster.ts';
import { ExternalAlarms, type ExternalAlarmSpec } from './runner-external.ts';
import type { MessageLang } from './messages.ts';
import type { StateDb } from '../state/db.ts';
import { checkpointOf, restoredState } from './runner-state.ts';
import type { AlarmEvent, AlarmRecord, EngineState, StepResult } from './types.ts';
import { alarmCounts, alarmView, listAlarms, worstByStation, type AlarmCounts, type AlarmFilter, type AlarmView, type ViewSource } from './views.ts';

export type { AlarmView, AlarmFilter, AlarmCounts } from './views.ts';
export type { ActionOutcome, BulkAckOutcome } from './runner-actions.ts';
export type { ExternalAlarmSpec } from './runner-external.ts';

export interface AlarmRunnerOptions {
  compiled: CompiledRules;
  db: StateDb;
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
  /** a local file for alarm writes while the state database cannot be reached (journal.ts) */
  journal?: string;
  /** in a cluster of serve instances: which stations this one owns (runner-cluster.ts) */
  cluster?: AlarmClusterRole & { instance: string };
}

export class AlarmRunner implements ViewSource {
  readonly engine: Engine;
  readonly meta = new Map<string, AlarmMeta>();
  readonly externals = new Map<string, ExternalAlarm>();
  /** alarm id → engine index (the engine's own index: one entry per alarm, 455,000 at 5,000 stations) */
  readonly index: AlarmIndex;
  readonly now: () => number;
  readonly actions: RunnerActions;
  readonly external: ExternalAlarms;
  private state: EngineState;
  private readonly writes: AlarmWriteQueue;
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
  private readonly journal: AlarmJournal | undefined;
  /** events an earlier run journaled and this one wrote at start (their tickets are still to be made) */
  private replayed: AlarmEventRow[] = [];
  /** ownership of stations among serve instances; null when this instance is alone */
  readonly cluster: RunnerCluster | null;

  /** Opens the alarm tables and restores the alarm state; await it before the first poll. */
  static async open(opts: AlarmRunnerOptions): Promise<AlarmRunner> {
    const { compiled, ...rest } = opts;
    const r = new AlarmRunner(compiled, rest, await AlarmPersistence.open(opts.db));
    // what an earlier run journaled during an outage goes in first: the restore then includes it
    r.replayed = await r.writes.replayJournal();
    if (r.replayed.length) r.log.warn({ events: r.replayed.length }, 'alarm events journaled during a state database outage written');
    await r.restore();
    if (opts.cluster) {
      // ids from this start's own block: another instance counts in another
      const block = await r.writes.store.eventBlock(opts.cluster.instance, r.now());
      r.state.seq = block * EVENT_BLOCK;
    }
    // before the first sample, so a stopped station's alarms never raise at start-up
    r.applyContexts();
    return r;
  }

  /** `compiled` is not kept: the engine holds what it needs of it, and its point list is large */
  private constructor(compiled: CompiledRules, readonly opts: Omit<AlarmRunnerOptions, 'compiled'>, persist: AlarmPersistence) {
    this.engine = createEngine(compiled, { maxShelveMinutes: opts.maxShelveMinutes ?? 720, ...(opts.timeZone ? { timeZone: opts.timeZone } : {}) });
    this.index = this.engine.alarmIndex;
    this.now = opts.now ?? Date.now;
    this.log = opts.logger;
    this.journal = opts.journal ? new AlarmJournal(opts.journal) : undefined;
    this.writes = new AlarmWriteQueue(persist, this.log, this.now, opts.cluster?.fence, this.journal);
    this.contexts = new Uint8Array(this.engine.stationIds.length).fill(255);
    this.stationIndex = new Map(this.engine.stationIds.map((id, i) => [id, i]));
    this.state = this.engine.init();
    this.actions = new RunnerActions(this);
    this.external = new ExternalAlarms(this);
    this.cluster = opts.cluster ? new RunnerCluster(this, opts.cluster) : null;
  }

  /** @internal the alarm tables (runner-cluster.ts) */
  store(): AlarmPersistence {
    return this.writes.store;
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

  /** Restores the checkpoint, then the newer per-alarm records, so nothing re-raises and no ack is lost (runner-state.ts). */
  private async restore(): Promise<void> {
    const r = await this.writes.store.restore();
    // in a cluster the checkpoint is not kept (each instance owns only some stations): records only
    const { state, fromCheckpoint, restored, active } = restoredState(this.engine, r, !this.opts.cluster);
    for (const [id, m] of r.meta) this.meta.set(id, m);
    for (const x of r.externals) this.externals.set(x.id, x);
    const externalActive = r.externals.filter((x) => x.st !== 'normal').length;
    if (fromCheckpoint || restored) this.log.info({ restored, active: active + externalActive, seq: state.seq }, 'alarm state restored');
    this.state = state;
  }

  start(): void {
    this.tickTimer = setInterval(() => this.tick(), this.opts.tickMs ?? 1000);
    this.tickTimer.unref();
    if (!this.opts.cluster) {
      this.checkpointTimer = setInterval(() => this.checkpoint(), this.opts.checkpointMs ?? 15_000);
      this.checkpointTimer.unref();
    }
  }

  /** Stops the timers and waits for the last events and the checkpoint to be written (or to fail). */
  async stop(): Promise<void> {
    if (this.tickTimer) clearInterval(this.tickTimer);
    if (this.checkpointTimer) clearInterval(this.checkpointTimer);
    this.tickTimer = this.checkpointTimer = null;
    void this.flush();
    if (!this.opts.cluster) this.checkpoint(true);
    await this.writes.written();
    const { backlog, journaled } = this.writes.stats();
    if (backlog > journaled) this.log.error({ events: backlog - journaled }, 'alarm events not written before shutdown: the state database refused them');
    if (journaled) this.log.warn({ events: journaled, journal: this.journal?.path }, 'alarm events kept in the journal: written at the next start');
    this.journal?.close();
  }

  /** The events of an earlier run's journal written at start, once (for the tickets they make). */
  takeReplayed(): AlarmEvent[] {
    const out = this.replayed.map((r) => JSON.parse(r.event) as AlarmEvent);
    this.replayed = [];
    return out;
  }

  /** Settles when every write queued so far has been made, or has failed (tests, shutdown). */
  written(): Promise<void> {
    return this.writes.written();
  }

  /** Failed and waiting writes, for /metrics. */
  writeStats(): AlarmWriteStats {
    return this.writes.stats();
  }

  onEvents(listener: (events: AlarmEvent[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Keeps an engine call's state and queues its events; returns the state. */
  private took(r: StepResult): EngineState {
    this.state = r.state;
    if (r.events.length) for (const e of r.events) this.pending.push(e);
    return r.state;
  }

  /** Feeds a batch of samples (hot path: no allocation unless an event fires). */
  samples(batch: readonly Sample[]): void {
    const now = this.now();
    const engine = this.engine;
    let state = this.state;
    for (let i = 0; i < batch.length; i++) state = this.took(engine.step(state, batch[i], now));
    this.evaluated += batch.length;
    this.dirty = true;
    void this.flush();
  }

  /** {@link samples} for one device poll as columns (poll-columns.ts). */
  poll(p: PollColumns): void {
    this.took(this.engine.stepPoll(this.state, p, this.now()));
    this.evaluated += p.ids.length;
    this.dirty = true;
    void this.flush();
  }

  /** Figures of baseline alarms learnt from history (baseline/job.ts), by alarm index. */
  baselines(updates: ReadonlyArray<{ index: number; figures: BaselineFigures | null }>): void {
    const now = this.now();
    for (const u of updates) this.took(this.engine.baseline(this.state, u.index, u.figures, now));
    this.dirty = true;
    void this.flush();
  }

  status(s: DeviceStatus): void {
    this.took(this.engine.status(this.state, s, this.now()));
    void this.flush();
  }

  tick(): void {
    this.applyContexts(false);
    this.took(this.engine.tick(this.state, this.now()));
    this.external.tick();
    void this.flush();
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
    if (flush) void this.flush();
  }

  /** @internal queues events of an action or external alarm; `flush` persists and publishes them */
  queue(events: readonly AlarmEvent[]): void {
    for (const e of events) this.pending.push(e);
    if (events.length) this.dirty = true;
  }

  /**
   * Queues pending events with the records they touched for writing, then notifies listeners;
   * it never waits for the database (the polling path calls it). `within` runs in the
   * transaction of that write (an action's audit row). With `report` (an action: by default when
   * `within` is given), the promise rejects when the write fails, so the caller (the API)
   * reports the action as not recorded; without, it never rejects (a failure is logged, counted
   * and written again later).
   */
  flush(within?: () => unknown, report = within !== undefined): Promise<void> {
    if (this.pending.length === 0 && !within) return this.writes.written();
    // in a cluster, what this engine works out for stations another instance owns is dropped,
    // and their alarms keep the owner's state (runner-cluster.ts)
    const events = this.cluster ? this.cluster.keepOwn(this.pending) : this.pending;
    this.pending = [];
    const touched = new Map<string, { kind: 'rule' | 'external'; record: AlarmRecord | ExternalAlarm; meta: AlarmMeta; station: string }>();
    for (const e of events) {
      const m = this.meta.get(e.alarmId) ?? emptyMeta();
      this.meta.set(e.alarmId, m);
      noteEvent(m, e);
      const x = this.externals.get(e.alarmId);
      if (x) touched.set(e.alarmId, { kind: 'external', record: x, meta: m, station: e.station });
      else {
        const i = this.index.get(e.alarmId);
        if (i !== undefined) touched.set(e.alarmId, { kind: 'rule', record: this.state.alarms.record(i), meta: m, station: e.station });
      }
      this.log.info({ alarm: e.alarmId, event: e.type, prev: e.from, next: e.to, priority: e.priority, user: e.user }, `${e.alarmId}: ${e.type} ${e.from} → ${e.to}`);
    }
    // serialised now: externals and meta change in place while the write waits its turn
    const rows: AlarmRow[] = [];
    for (const [id, t] of touched) rows.push({ id, kind: t.kind, record: JSON.stringify(t.record), meta: JSON.stringify(t.meta), station: t.station });
    const written = this.writes.write(events.map(eventRow), rows, within, report);
    if (events.length) this.cluster?.role.publish?.(events, rows);
    // the state database failing or slow must not hold alarm evaluation; listeners get the events now
    for (const l of events.length ? this.listeners : []) {
      try {
        l(events);
      } catch (err) {
        this.log.error({ err }, 'alarm event listener failed');
      }
    }
    return written;
  }

  /** Checkpoints the alarm records that are not at rest and the event counter (runner-state.ts `checkpointOf`). */
  checkpoint(force = false): void {
    if (!this.dirty && !force) return;
    const cp = checkpointOf(this.state);
    // queued behind the events before it; a failed one stays due until a newer one replaces it
    this.writes.checkpoint(JSON.stringify(cp), this.now());
    this.dirty = false;
  }

  // ---- operator actions (runner-actions.ts); `within` writes in the action's transaction (audit);
  // each settles once its events are written (rejects if they could not be) ----

  /** `fromDevice`: the device reported the acknowledgement itself, so it is not sent back */
  ack(id: string, user: string, comment: string | undefined, fromDevice = false, within?: () => unknown): Promise<ActionOutcome> {
    return this.actions.ack(id, user, comment, fromDevice, within);
  }
  shelve(id: string, user: string, comment: string, minutes: number, within?: () => unknown): Promise<ActionOutcome> {
    return this.actions.shelve(id, user, comment, minutes, within);
  }
  unshelve(id: string, user: string, comment: string | undefined, within?: () => unknown): Promise<ActionOutcome> {
    return this.actions.unshelve(id, user, comment, within);
  }
  /** `until`: when out of service ends (required to take it out; engine.ts bounds it) */
  setOutOfService(id: string, user: string, comment: string, on: boolean, until?: number | null, within?: () => unknown): Promise<ActionOutcome> {
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

  /** Alarm events, newest first; with `lang`, rule alarms' messages in that language (runner-reads.ts). */
  history(opts: HistoryQuery): Promise<AlarmEvent[]> {
    return readHistory(this, opts);
  }

  /** EEMUA 191 figures over [from, to) (runner-reads.ts); with `maxEvents`, null when the window holds more. */
  kpis(from: number, to: number): Promise<WindowKpis>;
  kpis(from: number, to: number, maxEvents: number): Promise<WindowKpis | null>;
  kpis(from: number, to: number, maxEvents?: number): Promise<WindowKpis | null> {
    return readKpis(this, from, to, maxEvents);
  }
}
