/**
 * What the daily station report reads from the state database beside the analytics daily table:
 * alarm raises per station (the alarm events, src/alarms/persist.ts) and tickets created per
 * station (src/tickets/store.ts) in a period. Two grouped queries on time indexes; a table that
 * does not exist yet (alarms or tickets not running) counts nothing.
 */
import type Database from 'better-sqlite3';
import type { Period } from './period.ts';

function tableExists(db: Database.Database, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}

function counts(db: Database.Database, sql: string, period: Pick<Period, 'from' | 'to'>): Map<string, number> {
  const rows = db.prepare(sql).all({ from: period.from, to: period.to }) as Array<{ station: string; n: number }>;
  return new Map(rows.map((r) => [r.station, r.n]));
}

/** Alarm raises (`type = 'raise'`, rule and device alarms) per station in [from, to). */
export function alarmRaisesByStation(db: Database.Database, period: Pick<Period, 'from' | 'to'>): Map<string, number> {
  if (!tableExists(db, 'alarm_events')) return new Map();
  return counts(db, `SELECT station, COUNT(*) AS n FROM alarm_events WHERE ts >= @from AND ts < @to AND type = 'raise' GROUP BY station`, period);
}

/** Tickets created per station in [from, to); area-wide incidents without a station are not counted. */
export function ticketsOpenedByStation(db: Database.Database, period: Pick<Period, 'from' | 'to'>): Map<string, number> {
  if (!tableExists(db, 'tk_tickets')) return new Map();
  return counts(db, `SELECT station, COUNT(*) AS n FROM tk_tickets WHERE created_at >= @from AND created_at < @to AND station IS NOT NULL GROUP BY station`, period);
}
