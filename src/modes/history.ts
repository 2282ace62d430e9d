/**
 * Station contexts over a past period, for replay: the season and planned stops of the config,
 * the planned stops entered in the page, and the operators' modes as the audit trail recorded
 * them (the mode in force at a time is the last one set before it).
 */
import type Database from 'better-sqlite3';
import { contextCode, isStationMode } from '../alarms/modes.ts';
import { localClock } from './clock.ts';
import type { OperationsSettings, PlannedStop } from './config.ts';
import { effectiveMode, operatorModeAt, type OperatorMode } from './schedule.ts';
import { ModeStore } from './store.ts';

/** Operator modes per station, oldest first, from the audit trail of a state database. */
export function operatorModeHistory(db: Database.Database): Map<string, OperatorMode[]> {
  const out = new Map<string, OperatorMode[]>();
  const hasAudit = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit'").get();
  if (!hasAudit) return out;
  const rows = db.prepare("SELECT ts, user, target, detail FROM audit WHERE action = 'station.mode' ORDER BY id").all() as Array<{ ts: number; user: string; target: string; detail: string | null }>;
  for (const r of rows) {
    const d = r.detail ? (JSON.parse(r.detail) as { mode?: unknown; comment?: string; from?: number; until?: number | null }) : {};
    if (!isStationMode(d.mode)) continue;
    const list = out.get(r.target) ?? [];
    const m: OperatorMode = { station: r.target, mode: d.mode, comment: d.comment ?? '', user: r.user, from: d.from ?? r.ts, until: d.until ?? null, setAt: r.ts };
    // as the service does: a mode with an end interrupts the one in force, which resumes after it
    const cur = operatorModeAt(list[list.length - 1], m.from);
    if (m.until !== null && cur && (cur.until === null || cur.until > m.until)) m.then = { ...cur, then: null };
    list.push(m);
    out.set(r.target, list);
  }
  return out;
}

/** Planned stops entered in the page (cancelled ones are left out: they never applied as planned). */
export function storedStops(db: Database.Database): PlannedStop[] {
  return new ModeStore(db, () => undefined).stops();
}

export function historicalContexts(
  settings: OperationsSettings,
  stations: ReadonlyArray<{ id: string; area: string | null }>,
  timeZone: string,
  history: Map<string, OperatorMode[]>,
  stops: readonly PlannedStop[],
): (stationIds: readonly string[], now: number) => Uint8Array {
  const local = localClock(timeZone);
  const byId = new Map(stations.map((s) => [s.id, s]));
  const all = [...settings.plannedStops, ...stops];
  return (ids, now) => {
    const lt = local(now);
    const out = new Uint8Array(ids.length);
    ids.forEach((id, i) => {
      const s = byId.get(id) ?? { id, area: null };
      let op: OperatorMode | undefined;
      for (const m of history.get(id) ?? []) if (m.setAt <= now) op = m;
      const m = effectiveMode(s, now, lt, settings, op, all);
      out[i] = contextCode(m.mode, m.attended);
    });
    return out;
  };
}
