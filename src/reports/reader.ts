/**
 * Reads what a service report of a period needs from the ticket tables (src/tickets/store.ts),
 * in three queries: the tickets that can matter, their lifecycle entries, their callbacks.
 *
 * A ticket can matter when it was filed before the period ended and was not already closed
 * before the period began less the repeat window (every deadline of a ticket is decided by its
 * closing, and a repeat repair looks back one window for the fix it repeats), or when a callback
 * to it was recorded in the period. Open tickets are all read: the working queue.
 */
import type Database from 'better-sqlite3';
import type { Ticket, TicketStatus } from '../tickets/types.ts';
import type { ReportEntry } from './deadlines.ts';
import type { Period } from './period.ts';
import type { ReportCallback, ReportTicket } from './service-report.ts';

const CANDIDATES = `SELECT id FROM tk_tickets
  WHERE (created_at < @to AND (closed_at IS NULL OR closed_at >= @since))
     OR id IN (SELECT ticket_id FROM tk_callbacks WHERE ts >= @from AND ts < @to)`;

/** the entries a report reads: lifecycle transitions (reopens among them) and breach marks */
const ENTRY_KINDS = `(to_status IN ('dispatched', 'in_progress', 'resolved', 'reopened') OR kind LIKE 'breach\\_%' ESCAPE '\\')`;

export function readReportInput(db: Database.Database, period: Pick<Period, 'from' | 'to'>, repeatWindowMs: number): { tickets: ReportTicket[]; callbacks: ReportCallback[] } {
  const args = { from: period.from, to: period.to, since: period.from - repeatWindowMs };
  const rows = db.prepare(`SELECT id, data FROM tk_tickets WHERE id IN (${CANDIDATES}) ORDER BY id`).all(args) as Array<{ id: number; data: string }>;
  const entries = new Map<number, ReportEntry[]>();
  const timeline = db
    .prepare(`SELECT ticket_id, ts, kind, to_status, detail FROM tk_timeline WHERE ticket_id IN (${CANDIDATES}) AND ${ENTRY_KINDS} ORDER BY ticket_id, id`)
    .all(args) as Array<{ ticket_id: number; ts: number; kind: string; to_status: string | null; detail: string | null }>;
  for (const e of timeline) {
    let list = entries.get(e.ticket_id);
    if (!list) entries.set(e.ticket_id, (list = []));
    list.push({ ts: e.ts, kind: e.kind, to: e.to_status as TicketStatus | null, detail: e.detail === null ? null : (JSON.parse(e.detail) as Record<string, unknown>) });
  }
  const callbacks = (
    db.prepare(`SELECT ticket_id, ts, reached, satisfied FROM tk_callbacks WHERE ticket_id IN (${CANDIDATES}) ORDER BY id`).all(args) as Array<{
      ticket_id: number;
      ts: number;
      reached: number;
      satisfied: number | null;
    }>
  ).map((c) => ({ ticketId: c.ticket_id, ts: c.ts, reached: c.reached === 1, satisfied: c.satisfied === null ? null : c.satisfied === 1 }));
  return { tickets: rows.map((r) => ({ ticket: JSON.parse(r.data) as Ticket, entries: entries.get(r.id) ?? [] })), callbacks };
}
