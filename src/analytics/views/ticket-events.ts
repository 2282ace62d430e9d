/**
 * The ticket timeline entries of one station in a period, for trend markers: tickets of the
 * station and incidents naming it (their `stations`), joined to the timeline on its ticket
 * index. Only the entries {@link isMarkerEvent} keeps are read; newest last, at most `limit`
 * (the newest).
 */
import type Database from 'better-sqlite3';
import type { TicketStatus } from '../../tickets/types.ts';
import type { TicketEventLike } from './markers.ts';

export function ticketEvents(db: Database.Database, q: { station: string; from: number; to: number; limit: number }): TicketEventLike[] {
  const rows = db
    .prepare(
      `SELECT tl.ts AS ts, tl.kind AS kind, tl.to_status AS toStatus, t.id AS ticket, t.priority AS priority, json_extract(t.data, '$.title') AS title
       FROM tk_tickets t JOIN tk_timeline tl ON tl.ticket_id = t.id
       WHERE (t.station = @station OR (t.kind = 'incident' AND EXISTS (SELECT 1 FROM json_each(t.data, '$.stations') WHERE value = @station)))
         AND t.created_at < @to AND tl.ts >= @from AND tl.ts < @to
         AND (tl.kind = 'created' OR tl.to_status IS NOT NULL OR tl.kind LIKE 'breach\\_%' ESCAPE '\\')
       ORDER BY tl.ts DESC, tl.id DESC LIMIT @limit`,
    )
    .all(q) as Array<{ ts: number; kind: string; toStatus: TicketStatus | null; ticket: number; priority: string; title: string | null }>;
  return rows.reverse().map((r) => ({ ...r, title: r.title ?? '' }));
}
