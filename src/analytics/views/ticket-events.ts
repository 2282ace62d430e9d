/**
 * The ticket timeline entries of one station in a period, for trend markers: tickets of the
 * station and incidents naming it (their `stations`), joined to the timeline on its ticket
 * index. Only the entries {@link isMarkerEvent} keeps are read; newest last, at most `limit`
 * (the newest).
 */
import type { StateDb } from '../../state/db.ts';
import type { Ticket, TicketStatus } from '../../tickets/types.ts';
import type { TicketEventLike } from './markers.ts';

/**
 * The incidents filed before `to` that name `station`. The stations are inside the ticket's JSON,
 * which the two engines read differently, so they are checked here; LIKE only narrows the rows
 * parsed (incidents are few: one per area-wide outage).
 */
async function incidentsNaming(db: StateDb, station: string, to: number): Promise<number[]> {
  const rows = await db.all<{ id: number; data: string }>("SELECT id, data FROM tk_tickets WHERE kind = 'incident' AND created_at < ? AND data LIKE ?", [to, `%"${station}"%`]);
  return rows.filter((r) => ((JSON.parse(r.data) as Pick<Ticket, 'stations'>).stations ?? []).includes(station)).map((r) => r.id);
}

export async function ticketEvents(db: StateDb, q: { station: string; from: number; to: number; limit: number }): Promise<TicketEventLike[]> {
  const incidents = await incidentsNaming(db, q.station, q.to);
  const which = incidents.length ? `(t.station = ? OR t.id IN (${incidents.map(() => '?').join(', ')}))` : 't.station = ?';
  const rows = await db.all<{ ts: number; kind: string; toStatus: TicketStatus | null; ticket: number; priority: string; data: string }>(
    `SELECT tl.ts AS ts, tl.kind AS kind, tl.to_status AS "toStatus", t.id AS ticket, t.priority AS priority, t.data AS data
     FROM tk_tickets t JOIN tk_timeline tl ON tl.ticket_id = t.id
     WHERE ${which} AND t.created_at < ? AND tl.ts >= ? AND tl.ts < ?
       AND (tl.kind = 'created' OR tl.to_status IS NOT NULL OR tl.kind LIKE 'breach\\_%' ESCAPE '\\')
     ORDER BY tl.ts DESC, tl.id DESC LIMIT ?`,
    [q.station, ...incidents, q.to, q.from, q.to, q.limit],
  );
  return rows.reverse().map(({ data, ...r }) => ({ ...r, title: (JSON.parse(data) as Partial<Pick<Ticket, 'title'>>).title ?? '' }));
}
