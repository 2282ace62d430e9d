/**
 * What the daily station report reads from the state database beside the analytics daily table:
 * alarm raises per station (the alarm events, src/alarms/persist.ts) and tickets created per
 * station (src/tickets/store.ts) in a period. Two grouped queries on time indexes; a table that
 * does not exist yet (alarms or tickets not running) counts nothing.
 */
import type { StateDb } from '../state/db.ts';
import type { Period } from './period.ts';

async function counts(db: StateDb, table: string, sql: string, period: Pick<Period, 'from' | 'to'>): Promise<Map<string, number>> {
  if ((await db.columns(table)).length === 0) return new Map();
  const rows = await db.all<{ station: string; n: number }>(sql, [period.from, period.to]);
  return new Map(rows.map((r) => [r.station, Number(r.n)]));
}

/** Alarm raises (`type = 'raise'`, rule and device alarms) per station in [from, to). */
export function alarmRaisesByStation(db: StateDb, period: Pick<Period, 'from' | 'to'>): Promise<Map<string, number>> {
  return counts(db, 'alarm_events', `SELECT station, COUNT(*) AS n FROM alarm_events WHERE ts >= ? AND ts < ? AND type = 'raise' GROUP BY station`, period);
}

/** Tickets created per station in [from, to); area-wide incidents without a station are not counted. */
export function ticketsOpenedByStation(db: StateDb, period: Pick<Period, 'from' | 'to'>): Promise<Map<string, number>> {
  return counts(db, 'tk_tickets', `SELECT station, COUNT(*) AS n FROM tk_tickets WHERE created_at >= ? AND created_at < ? AND station IS NOT NULL GROUP BY station`, period);
}
