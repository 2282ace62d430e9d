/**
 * Reads what a service report of a period needs from the ticket tables (src/tickets/store.ts),
 * in three queries: the tickets that can matter, their lifecycle entries, their callbacks.
 *
 * A ticket can matter when it was filed before the period ended and was not already closed
 * before the period began less the repeat window (every deadline of a ticket is decided by its
 * closing, and a repeat repair looks back one window for the fix it repeats), or when a callback
 * to it was recorded in the period. Open tickets are all read: the working queue.
 */
import type { StateDb } from '../state/db.ts';
import type { Ticket, TicketStatus } from '../tickets/types.ts';
import type { ReportEntry } from './deadlines.ts';
import type { Period } from './period.ts';
import type { ReportCallback, ReportTicket } from './service-report.ts';

/** its parameters: the period's end, the period's start less the repeat window, the period's start and end */
const CANDIDATES = `SELECT id FROM tk_tickets
  WHERE (created_at < ? AND (closed_at IS NULL OR closed_at >= ?))
     OR id IN (SELECT ticket_id FROM tk_callbacks WHERE ts >= ? AND ts < ?)`;

/** the entries a report reads: lifecycle transitions (reopens among them) and breach marks */
const ENTRY_KINDS = `(to_status IN ('dispatched', 'in_progress', 'resolved', 'reopened') OR kind LIKE 'breach\\_%' ESCAPE '\\')`;

export async function readReportInput(db: StateDb, period: Pick<Period, 'from' | 'to'>, repeatWindowMs: number): Promise<{ tickets: ReportTicket[]; callbacks: ReportCallback[] }> {
  const args = [period.to, period.from - repeatWindowMs, period.from, period.to];
  const rows = await db.all<{ id: number; data: string }>(`SELECT id, data FROM tk_tickets WHERE id IN (${CANDIDATES}) ORDER BY id`, args);
  const entries = new Map<number, ReportEntry[]>();
  const timeline = await db.all<{ ticket_id: number; ts: number; kind: string; to_status: string | null; detail: string | null }>(
    `SELECT ticket_id, ts, kind, to_status, detail FROM tk_timeline WHERE ticket_id IN (${CANDIDATES}) AND ${ENTRY_KINDS} ORDER BY ticket_id, id`,
    args,
  );
  for (const e of timeline) {
    let list = entries.get(e.ticket_id);
    if (!list) entries.set(e.ticket_id, (list = []));
    list.push({ ts: e.ts, kind: e.kind, to: e.to_status as TicketStatus | null, detail: e.detail === null ? null : (JSON.parse(e.detail) as Record<string, unknown>) });
  }
  const callbacks = (
    await db.all<{ ticket_id: number; ts: number; reached: number; satisfied: number | null }>(`SELECT ticket_id, ts, reached, satisfied FROM tk_callbacks WHERE ticket_id IN (${CANDIDATES}) ORDER BY id`, args)
  ).map((c) => ({ ticketId: c.ticket_id, ts: c.ts, reached: c.reached === 1, satisfied: c.satisfied === null ? null : c.satisfied === 1 }));
  return { tickets: rows.map((r) => ({ ticket: JSON.parse(r.data) as Ticket, entries: entries.get(r.id) ?? [] })), callbacks };
}
