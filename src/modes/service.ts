/**
 * Station modes for the rest of heatwatch: the effective mode of every station now, the
 * context codes the alarm engine takes, the operator's changes (validated whole before
 * anything is written: bad input is a ModeError naming the field, never half-applied), and
 * what the stations' PLCs report of their mode and check-in (from the samples as they arrive).
 */
import { contextCode, isStationMode, STATION_MODES, type StationMode } from '../alarms/modes.ts';
import { localClock, type LocalTime } from './clock.ts';
import { checkPlannedStop, parseInstant, type OperationsSettings, type PlannedStop, type PlannedStopInputT } from './config.ts';
import { NO_PLC, plcCommLost, plcPointIndex, readPlcSample, type PlcPointKind, type PlcReading } from './plc.ts';
import { operatorModeHistory, resuming } from './history.ts';
import { effectiveMode, operatorModeAt, type EffectiveMode, type OperatorMode } from './schedule.ts';
import type { ModeStore } from './store.ts';
import type { DeviceStatus, Sample } from '../model.ts';
import { LayoutCache, pollSample, type PollColumns } from '../poll-columns.ts';

const NO_STATIONS: string[] = [];

export class ModeError extends Error {
  constructor(
    readonly status: 400 | 404 | 409,
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

export interface Actor {
  name: string;
  role: string;
}

export interface ModeChange {
  mode: unknown;
  comment: unknown;
  from?: unknown;
  until?: unknown;
}

export interface ModeServiceOptions {
  settings: OperationsSettings;
  stations: ReadonlyArray<{ id: string; area: string | null }>;
  timeZone: string;
  /** null: modes from config only (replay, tests without a state database) */
  store: ModeStore | null;
  now?: () => number;
}

/** What the store holds at start, read once by {@link ModeService.open}. */
export interface StoredModes {
  modes: OperatorMode[];
  stops: PlannedStop[];
  /** every mode the operators set, per station, oldest first (the audit trail) */
  history: Map<string, OperatorMode[]>;
}

export class ModeService {
  private readonly local: (ms: number) => LocalTime;
  private readonly operator = new Map<string, OperatorMode>();
  private stops: PlannedStop[];
  /** the planned stops entered in the page, not cancelled */
  private entered: PlannedStop[];
  private readonly history: Map<string, OperatorMode[]>;
  private readonly byId: Map<string, { id: string; area: string | null }>;
  private readonly areas: Set<string>;
  private readonly now: () => number;
  private readonly plc = new Map<string, PlcReading>();
  private readonly plcPoints: Map<string, { station: string; kind: PlcPointKind }>;
  /** per poll layout, the rows of PLC mode and check-in points */
  private readonly plcRows = new LayoutCache((ids) => Int32Array.from(ids.keys()).filter((i) => this.plcPoints.has(ids[i])));
  /** bumped on every change, so callers can cache per version */
  version = 0;

  /** The service with what `o.store` holds (use this, not the constructor, when there is a store). */
  static async open(o: ModeServiceOptions): Promise<ModeService> {
    const s = o.store;
    const stored = s ? { modes: await s.modes(), stops: await s.stops(), history: await operatorModeHistory(s.db) } : undefined;
    return new ModeService(o, stored);
  }

  constructor(
    private readonly o: ModeServiceOptions,
    stored: StoredModes = { modes: [], stops: [], history: new Map() },
  ) {
    this.local = localClock(o.timeZone);
    this.now = o.now ?? Date.now;
    this.byId = new Map(o.stations.map((s) => [s.id, s]));
    this.areas = new Set(o.stations.map((s) => s.area).filter((a): a is string => a !== null));
    for (const m of stored.modes) if (this.byId.has(m.station)) this.operator.set(m.station, m);
    this.entered = [...stored.stops];
    this.stops = [...o.settings.plannedStops, ...this.entered];
    this.history = stored.history;
    this.plcPoints = plcPointIndex([...this.byId.keys()], o.settings.plc);
  }

  private readonly changeListeners = new Set<() => void>();

  /** Called after this service changed a mode or a planned stop (another instance re-reads: {@link reload}). */
  onChange(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  private changed(): void {
    this.version++;
    for (const l of this.changeListeners) l();
  }

  /**
   * Reads the modes, the entered stops and the history from the store again: another instance
   * sharing the state database changed them.
   */
  async reload(): Promise<void> {
    const s = this.o.store;
    if (!s) return;
    const [modes, stops, history] = [await s.modes(), await s.stops(), await operatorModeHistory(s.db)];
    this.operator.clear();
    for (const m of modes) if (this.byId.has(m.station)) this.operator.set(m.station, m);
    this.entered = [...stops];
    this.stops = [...this.o.settings.plannedStops, ...this.entered];
    this.history.clear();
    for (const [k, v] of history) this.history.set(k, v);
    this.version++;
  }

  /** The operators' modes since the audit trail began and the stops entered in the page (src/modes/history.ts pastContexts). */
  past(): { history: Map<string, OperatorMode[]>; stops: readonly PlannedStop[] } {
    return { history: this.history, stops: this.entered };
  }

  /**
   * Takes a sample of a station's PLC mode or check-in point (any other sample is ignored);
   * true when what the PLC says changed.
   */
  reportPlc(sample: Sample): boolean {
    const p = this.plcPoints.get(sample.point);
    if (!p) return false;
    const prev = this.plc.get(p.station) ?? NO_PLC;
    const next = readPlcSample(prev, p.kind, sample, this.o.settings.plc);
    if (next === prev) return false;
    this.plc.set(p.station, next);
    this.version++;
    return true;
  }

  /**
   * {@link reportPlc} for a batch (hot path: one map lookup per sample); the stations whose PLC
   * reading changed, so only their contexts are worked out again (a batch is often one poll).
   */
  reportSamples(batch: readonly Sample[]): string[] {
    let changed: string[] | null = null;
    for (let i = 0; i < batch.length; i++) {
      const p = this.plcPoints.get(batch[i].point);
      if (p && this.reportPlc(batch[i])) (changed ??= []).push(p.station);
    }
    return changed ?? NO_STATIONS;
  }

  /** {@link reportSamples} for a poll as columns: its layout's mode and check-in points are found once. */
  reportPoll(p: PollColumns): string[] {
    const rows = this.plcRows.of(p.ids);
    let changed: string[] | null = null;
    for (let k = 0; k < rows.length; k++) if (this.reportPlc(pollSample(p, rows[k]))) (changed ??= []).push(p.station);
    return changed ?? NO_STATIONS;
  }

  /** A device that is not online reports nothing the station's mode may rest on. */
  reportStatus(s: DeviceStatus): void {
    if (s.comm === 'online') return;
    const prev = this.plc.get(s.station);
    if (!prev) return;
    const next = plcCommLost(prev, s.device, this.o.settings.plc);
    if (next === prev) return;
    this.plc.set(s.station, next);
    this.version++;
  }

  /** The effective mode of one station at `at` (default now); undefined for an unknown station. */
  modeOf(station: string, at = this.now()): EffectiveMode | undefined {
    const s = this.byId.get(station);
    return s ? effectiveMode(s, at, this.local(at), this.o.settings, this.operator.get(station), this.stops, this.plc.get(station)) : undefined;
  }

  /** Context codes for the alarm engine, in the order of `stationIds`. */
  contextCodes(stationIds: readonly string[], at = this.now()): Uint8Array {
    const local = this.local(at);
    const out = new Uint8Array(stationIds.length);
    stationIds.forEach((id, i) => {
      const s = this.byId.get(id);
      const m = s ? effectiveMode(s, at, local, this.o.settings, this.operator.get(id), this.stops, this.plc.get(id)) : null;
      out[i] = m ? contextCode(m.mode, m.attended) : contextCode('in_service', false);
    });
    return out;
  }

  /**
   * Sets the mode of `stations` (one or many): all are checked first, then written in one
   * transaction with an audit row each.
   */
  async setMode(stations: readonly string[], change: ModeChange, actor: Actor): Promise<OperatorMode[]> {
    const now = this.now();
    if (!this.o.store) throw new ModeError(409, 'mode', 'modes cannot be changed without a state database');
    if (stations.length === 0) throw new ModeError(400, 'stations', 'no station matches');
    for (const s of stations) if (!this.byId.has(s)) throw new ModeError(404, 'station', `unknown station '${s}'`);
    if (!isStationMode(change.mode)) throw new ModeError(400, 'mode', `must be one of ${STATION_MODES.join(', ')}`);
    if (typeof change.comment !== 'string' || change.comment.trim() === '') throw new ModeError(400, 'comment', 'required: say why');
    if (change.comment.length > 500) throw new ModeError(400, 'comment', 'at most 500 characters');
    const from = change.from === undefined || change.from === null ? now : instant(change.from, 'from');
    const until = change.until === undefined || change.until === null ? null : instant(change.until, 'until');
    if (until !== null && until <= now) throw new ModeError(400, 'until', 'is in the past');
    if (until !== null && until <= from) throw new ModeError(400, 'until', 'must be after from');
    const modes = stations.map((station): OperatorMode => {
      // a mode with an end interrupts the one in force, which resumes after it (a crew's visit during commissioning)
      const cur = operatorModeAt(this.operator.get(station), from);
      const then = until !== null && cur && (cur.until === null || cur.until > until) ? { ...cur, then: null } : null;
      return { station, mode: change.mode as StationMode, comment: change.comment as string, user: actor.name, from, until, setAt: now, then };
    });
    await this.o.store.setModes(modes, actor.role);
    for (const m of modes) {
      this.operator.set(m.station, m);
      // as operatorModeHistory reads it back from the audit trail
      const { then: _then, ...set } = m;
      const list = this.history.get(m.station) ?? [];
      list.push(resuming(list, set));
      this.history.set(m.station, list);
    }
    this.changed();
    return modes;
  }

  plannedStops(): PlannedStop[] {
    return [...this.stops];
  }

  async addStop(input: PlannedStopInputT, actor: Actor): Promise<PlannedStop> {
    if (!this.o.store) throw new ModeError(409, 'plannedStop', 'planned stops cannot be added without a state database');
    const r = checkPlannedStop(input, 'body', { stations: new Set(this.byId.keys()), areas: this.areas }, '', actor.name);
    if (!r.stop) {
      const p = r.problems[0];
      throw new ModeError(400, p.path.replace(/^body\./, ''), p.message);
    }
    if (r.stop.to <= this.now()) throw new ModeError(400, 'to', 'is in the past');
    const { id: _id, ...rest } = r.stop;
    const stop = await this.o.store.addStop(rest, actor.role, this.now());
    this.stops.push(stop);
    this.entered.push(stop);
    this.changed();
    return stop;
  }

  async cancelStop(id: string, actor: Actor): Promise<void> {
    const s = this.stops.find((x) => x.id === id);
    if (!s) throw new ModeError(404, 'id', `no planned stop ${id}`);
    if (s.by === 'config') throw new ModeError(409, 'id', `planned stop ${id} comes from the config file; change it there`);
    await this.o.store!.cancelStop(id, actor.name, actor.role, this.now());
    this.stops = this.stops.filter((x) => x !== s);
    this.entered = this.entered.filter((x) => x !== s);
    this.changed();
  }
}

function instant(x: unknown, field: string): number {
  const t = typeof x === 'string' || typeof x === 'number' ? parseInstant(x) : NaN;
  if (!Number.isFinite(t)) throw new ModeError(400, field, 'must be an ISO 8601 time with a zone or ms epoch');
  return t;
}
