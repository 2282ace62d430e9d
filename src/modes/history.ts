/**
 * Station contexts over a past period, for replay: the season and planned stops of the config,
 * the planned stops entered in the page, the operators' modes as the audit trail recorded
 * them (the mode in force at a time is the last one set before it), and the PLCs' mode and
 * check-in points as the replayed samples carry them.
 */
import { contextCode, isStationMode } from '../alarms/modes.ts';
import { localClock } from './clock.ts';
import type { OperationsSettings, PlannedStop } from './config.ts';
import { NO_PLC, plcPointIndex, readPlcSample, type PlcReading } from './plc.ts';
import { effectiveMode, operatorModeAt, type OperatorMode } from './schedule.ts';
import type { Sample } from '../model.ts';
import type { StateDb } from '../state/db.ts';
import { readStops } from './store.ts';

/** Operator modes per station, oldest first, from the audit trail of a state database (none without one). */
export async function operatorModeHistory(db: StateDb): Promise<Map<string, OperatorMode[]>> {
  const out = new Map<string, OperatorMode[]>();
  if ((await db.columns('audit')).length === 0) return out;
  const rows = await db.all<{ ts: number; user: string; target: string; detail: string | null }>(
    `SELECT ts, "user", target, detail FROM audit WHERE action = 'station.mode' ORDER BY id`,
  );
  for (const r of rows) {
    const d = r.detail ? (JSON.parse(r.detail) as { mode?: unknown; comment?: string; from?: number; until?: number | null }) : {};
    if (!isStationMode(d.mode)) continue;
    const list = out.get(r.target) ?? [];
    list.push(resuming(list, { station: r.target, mode: d.mode, comment: d.comment ?? '', user: r.user, from: d.from ?? r.ts, until: d.until ?? null, setAt: r.ts }));
    out.set(r.target, list);
  }
  return out;
}

/**
 * A mode set after `earlier` (one station's, oldest first), as the service records it: a mode
 * with an end interrupts the one in force, which resumes after it.
 */
export function resuming(earlier: readonly OperatorMode[], m: OperatorMode): OperatorMode {
  const cur = operatorModeAt(earlier[earlier.length - 1], m.from);
  return m.until !== null && cur && (cur.until === null || cur.until > m.until) ? { ...m, then: { ...cur, then: null } } : m;
}

/** Planned stops entered in the page (cancelled ones are left out: they never applied as planned). */
export function storedStops(db: StateDb): Promise<PlannedStop[]> {
  return readStops(db);
}

export interface PeriodContexts {
  /** context codes at `now`, in the order of `stationIds` */
  contexts(stationIds: readonly string[], now: number): Uint8Array;
  /** takes a replayed sample, in time order; true when a station's PLC mode or check-in changed */
  observe(sample: Sample): boolean;
}

export function historicalContexts(
  settings: OperationsSettings,
  stations: ReadonlyArray<{ id: string; area: string | null }>,
  timeZone: string,
  history: Map<string, OperatorMode[]>,
  stops: readonly PlannedStop[],
): PeriodContexts {
  const local = localClock(timeZone);
  const byId = new Map(stations.map((s) => [s.id, s]));
  const all = [...settings.plannedStops, ...stops];
  const plcPoints = plcPointIndex([...byId.keys()], settings.plc);
  const plc = new Map<string, PlcReading>();
  const observe = (sample: Sample): boolean => {
    const p = plcPoints.get(sample.point);
    if (!p) return false;
    const prev = plc.get(p.station) ?? NO_PLC;
    const next = readPlcSample(prev, p.kind, sample, settings.plc);
    if (next === prev) return false;
    plc.set(p.station, next);
    return true;
  };
  const contexts = (ids: readonly string[], now: number) => {
    const lt = local(now);
    const out = new Uint8Array(ids.length);
    ids.forEach((id, i) => {
      const s = byId.get(id) ?? { id, area: null };
      let op: OperatorMode | undefined;
      for (const m of history.get(id) ?? []) if (m.setAt <= now) op = m;
      const m = effectiveMode(s, now, lt, settings, op, all, plc.get(id));
      out[i] = contextCode(m.mode, m.attended);
    });
    return out;
  };
  return { contexts, observe };
}

/** What a running service knows of the past: its operators' modes and the planned stops entered in the page. */
export interface PastModes {
  /** bumped on every change */
  readonly version: number;
  past(): { history: Map<string, OperatorMode[]>; stops: readonly PlannedStop[] };
}

/**
 * Station contexts at past instants for a running service (baselines learnt from history), from
 * what the mode service loaded at start and has recorded since: no database read on the way, so
 * a caller on a hot path may ask synchronously.
 */
export function pastContexts(
  cfg: { operations: OperationsSettings; stations: ReadonlyArray<{ id: string; area?: string | null }>; site: { timezone: string } },
  modes: PastModes,
): (stationIds: readonly string[], at: number) => Uint8Array {
  const stations = cfg.stations.map((s) => ({ id: s.id, area: s.area ?? null }));
  let version = -1;
  let fn: ReturnType<typeof historicalContexts> | null = null;
  return (ids, at) => {
    if (!fn || version !== modes.version) {
      version = modes.version;
      const { history, stops } = modes.past();
      fn = historicalContexts(cfg.operations, stations, cfg.site.timezone, history, stops);
    }
    return fn.contexts(ids, at);
  };
}
