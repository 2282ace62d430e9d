/**
 * Ticket tables in the state database (schema.ts). A ticket row keeps the whole ticket as JSON
 * plus the columns queries filter on. Callers wrap writes in `db.tx` (the unit of work of
 * core.ts) so nothing is half-written.
 */
import { readGroupCountsOf } from '../state/counts.ts';
import type { StateDb } from '../state/db.ts';
import { migrate } from '../state/migrate.ts';
import type { AddressEntry } from './address.ts';
import { encodeCursor, OPEN_STATUSES, ticketFilters, ticketQuery, type TicketQuery } from './query.ts';
import { QUERY_COLUMNS, saveIncidentStations, ticketColumns, ticketMigrations } from './schema.ts';
import type { Ticket, TimelineEntry } from './types.ts';

export interface PendingCandidate {
  alarmId: string;
  key: string;
  ruleId: string;
  station: string;
  device: string;
  point: string;
  area: string;
  faultClass: string;
  equipment: string;
  priority: number;
  raiseTs: number;
  dueAt: number;
  value: number | null;
  message: string;
}

export interface Callback {
  id: number;
  ticketId: number;
  ts: number;
  actor: string;
  reached: boolean;
  satisfied: boolean | null;
  /** by phone or by a visit to the customer */
  channel: CallbackChannel;
  note: string | null;
}

export type CallbackChannel = 'phone' | 'visit';

export interface Attachment {
  id: number;
  ticketId: number;
  ts: number;
  actor: string;
  filename: string;
  mime: string;
  size: number;
  /** path relative to the attachments folder */
  path: string;
}

type Row = { data: string };
const parse = (r: Row | undefined) => (r ? (JSON.parse(r.data) as Ticket) : undefined);
const parseAll = (rows: Row[]) => rows.map((r) => JSON.parse(r.data) as Ticket);
const ATTACHMENT = 'SELECT id, ticket_id AS "ticketId", ts, actor, filename, mime, size, path FROM tk_attachments';

export class TicketStore {
  constructor(readonly db: StateDb) {}

  /** Creates or upgrades the ticket tables. */
  async init(): Promise<void> {
    await migrate(this.db, 'tickets', ticketMigrations);
  }

  async insert(t: Omit<Ticket, 'id'>): Promise<Ticket> {
    const id = await this.db.insert(
      'INSERT INTO tk_tickets (key, kind, source, status, priority, station, area, escalation, created_at, closed_at, data) VALUES (?,?,?,?,?,?,?,?,?,?,?)',
      [t.key, t.kind, t.source, t.status, t.priority, t.station, t.area, t.escalation, t.createdAt, t.closedAt, '{}'],
    );
    const ticket = { ...t, id } as Ticket;
    await this.save(ticket);
    return ticket;
  }

  async save(t: Ticket): Promise<void> {
    await this.db.run(
      `UPDATE tk_tickets SET key=?, status=?, priority=?, station=?, area=?, escalation=?, closed_at=?, data=?, ${QUERY_COLUMNS.map((c) => `${c}=?`).join(', ')} WHERE id=?`,
      [t.key, t.status, t.priority, t.station, t.area, t.escalation, t.closedAt, JSON.stringify(t), ...ticketColumns(t), t.id],
    );
    await saveIncidentStations(this.db, t);
  }

  async get(id: number): Promise<Ticket | undefined> {
    return parse(await this.db.get<Row>('SELECT data FROM tk_tickets WHERE id = ?', [id]));
  }

  /**
   * The ticket to change, inside the change's transaction: on PostgreSQL its row is locked until
   * the transaction ends, so two instances changing one ticket at once (a dispatcher's action, the
   * SLA clock) take turns and the second works on what the first wrote (SQLite has one writer).
   */
  async getForChange(id: number): Promise<Ticket | undefined> {
    return parse(await this.db.get<Row>(`SELECT data FROM tk_tickets WHERE id = ?${this.db.dialect === 'postgresql' ? ' FOR UPDATE' : ''}`, [id]));
  }

  /** One page of the queue (src/tickets/query.ts); `next` is the cursor of the page after it, null at the end. */
  async list(q: TicketQuery = {}): Promise<{ tickets: Ticket[]; next: string | null }> {
    const b = ticketQuery(q);
    const rows = await this.db.all<Row & Record<string, unknown>>(`SELECT data, ${b.keys} FROM tk_tickets ${b.where} ORDER BY ${b.order} LIMIT ?`, [...b.args, b.limit + 1]);
    const more = rows.length > b.limit;
    const page = more ? rows.slice(0, b.limit) : rows;
    const last = page[page.length - 1];
    return {
      tickets: parseAll(page),
      next: more && last ? encodeCursor(b.sort, Array.from({ length: b.keyCount }, (_, i) => last[`k${i}`])) : null,
    };
  }

  /** Tickets matching the query's filters, per status (the status filter left out) and per priority. */
  async counts(q: TicketQuery = {}): Promise<{ total: number; byStatus: Record<string, number>; byPriority: Record<string, number> }> {
    const group = async (col: 'status' | 'priority', withStatus: boolean) => {
      const f = ticketFilters(q, withStatus);
      const rows = await this.db.all<{ g: string; n: number }>(`SELECT ${col} AS g, COUNT(*) AS n FROM tk_tickets ${f.clauses.length ? `WHERE ${f.clauses.join(' AND ')}` : ''} GROUP BY ${col}`, f.args);
      return Object.fromEntries(rows.map((r) => [r.g, Number(r.n)]));
    };
    const byPriority = await group('priority', true);
    return { total: Object.values(byPriority).reduce((n, v) => n + v, 0), byStatus: await group('status', false), byPriority };
  }

  /** Open (not closed) tickets per station, incidents counted at each station they name. */
  async openPerStation(): Promise<Map<string, number>> {
    const rows = await this.db.all<{ s: string; n: number }>(
      `SELECT s, COUNT(*) AS n FROM (
         SELECT station AS s FROM tk_tickets WHERE status <> 'closed' AND station IS NOT NULL AND kind <> 'incident'
         UNION ALL
         SELECT x.station AS s FROM tk_ticket_stations x JOIN tk_tickets t ON t.id = x.ticket_id WHERE t.status <> 'closed' AND t.kind = 'incident'
       ) AS open_at GROUP BY s`,
    );
    return new Map(rows.map((r) => [r.s, Number(r.n)]));
  }

  async openByKey(key: string): Promise<Ticket | undefined> {
    return parse(await this.db.get<Row>("SELECT data FROM tk_tickets WHERE key = ? AND status <> 'closed' ORDER BY id DESC LIMIT 1", [key]));
  }

  async lastClosedByKey(key: string): Promise<Ticket | undefined> {
    return parse(await this.db.get<Row>("SELECT data FROM tk_tickets WHERE key = ? AND status = 'closed' ORDER BY closed_at DESC, id DESC LIMIT 1", [key]));
  }

  /** Open alarm tickets (incidents included) that name the station. */
  async openAlarmTickets(station: string): Promise<Ticket[]> {
    // every one, however many: a page limit here would hide an open alarm ticket from dedup and linking
    const f = ticketFilters({ station, statuses: OPEN_STATUSES });
    return parseAll(await this.db.all<Row>(`SELECT data FROM tk_tickets WHERE ${f.clauses.join(' AND ')} AND source = 'alarm' ORDER BY escalation DESC, priority, created_at, id`, f.args));
  }

  /** Open tickets that still have a deadline to watch. */
  async watched(): Promise<Ticket[]> {
    return parseAll(await this.db.all<Row>("SELECT data FROM tk_tickets WHERE status NOT IN ('closed', 'verified') ORDER BY id"));
  }

  /** Customer tickets of a category filed at the station after `since` (the no-heat signal). */
  async customerTicketsSince(station: string, category: string, since: number): Promise<number> {
    const r = await this.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM tk_tickets WHERE station = ? AND source = 'customer' AND category = ? AND created_at > ?", [station, category, since]);
    return Number(r?.n ?? 0);
  }

  /** From trigger-kept counters (no scan); a priority with no open ticket is absent. */
  async countOpenByPriority(): Promise<Record<string, number>> {
    return Object.fromEntries(Object.entries(await readGroupCountsOf(this.db, 'tk_open_counts')).filter(([, n]) => n > 0));
  }

  async addTimeline(e: Omit<TimelineEntry, 'id'>): Promise<number> {
    return this.db.insert('INSERT INTO tk_timeline (ticket_id, ts, actor, role, kind, from_status, to_status, note, detail) VALUES (?,?,?,?,?,?,?,?,?)', [
      e.ticketId,
      e.ts,
      e.actor,
      e.role,
      e.kind,
      e.from,
      e.to,
      e.note,
      e.detail === null ? null : JSON.stringify(e.detail),
    ]);
  }

  async timeline(ticketId: number): Promise<TimelineEntry[]> {
    const rows = await this.db.all<Record<string, unknown>>('SELECT * FROM tk_timeline WHERE ticket_id = ? ORDER BY id', [ticketId]);
    return rows.map((r) => ({
      id: r.id as number,
      ticketId: r.ticket_id as number,
      ts: r.ts as number,
      actor: r.actor as string,
      role: r.role as string,
      kind: r.kind as string,
      from: (r.from_status as TimelineEntry['from']) ?? null,
      to: (r.to_status as TimelineEntry['to']) ?? null,
      note: (r.note as string | null) ?? null,
      detail: r.detail === null ? null : (JSON.parse(r.detail as string) as Record<string, unknown>),
    }));
  }

  async putPending(p: PendingCandidate): Promise<void> {
    await this.db.run('INSERT INTO tk_pending (alarm_id, due_at, data) VALUES (?,?,?) ON CONFLICT (alarm_id) DO UPDATE SET due_at = excluded.due_at, data = excluded.data', [p.alarmId, p.dueAt, JSON.stringify(p)]);
  }

  async getPending(alarmId: string): Promise<PendingCandidate | undefined> {
    const r = await this.db.get<Row>('SELECT data FROM tk_pending WHERE alarm_id = ?', [alarmId]);
    return r ? (JSON.parse(r.data) as PendingCandidate) : undefined;
  }

  /** false: no such candidate (cancelled, or another instance opened it) */
  async deletePending(alarmId: string): Promise<boolean> {
    return (await this.db.run('DELETE FROM tk_pending WHERE alarm_id = ?', [alarmId])) > 0;
  }

  async duePending(now: number): Promise<PendingCandidate[]> {
    const rows = await this.db.all<Row>('SELECT data FROM tk_pending WHERE due_at <= ?', [now]);
    // ordered here: the engines order text by different collations
    return rows.map((r) => JSON.parse(r.data) as PendingCandidate).sort((a, b) => a.dueAt - b.dueAt || (a.alarmId < b.alarmId ? -1 : a.alarmId > b.alarmId ? 1 : 0));
  }

  async pendingCount(): Promise<number> {
    return Number((await this.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM tk_pending'))?.n ?? 0);
  }

  async addRaise(alarmId: string, area: string, station: string, ts: number): Promise<void> {
    await this.db.run('INSERT INTO tk_raises (alarm_id, area, station, ts) VALUES (?,?,?,?)', [alarmId, area, station, ts]);
  }

  async raisesOfAlarm(alarmId: string, from: number): Promise<number> {
    return Number((await this.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM tk_raises WHERE alarm_id = ? AND ts >= ?', [alarmId, from]))?.n ?? 0);
  }

  /** Distinct alarms raised in the area within [from, to]. */
  async raisesInArea(area: string, from: number, to: number): Promise<number> {
    return Number((await this.db.get<{ n: number }>('SELECT COUNT(DISTINCT alarm_id) AS n FROM tk_raises WHERE area = ? AND ts >= ? AND ts <= ?', [area, from, to]))?.n ?? 0);
  }

  async pruneRaises(before: number): Promise<void> {
    await this.db.run('DELETE FROM tk_raises WHERE ts < ?', [before]);
  }

  async addCallback(c: Omit<Callback, 'id'>): Promise<number> {
    return this.db.insert('INSERT INTO tk_callbacks (ticket_id, ts, actor, reached, satisfied, channel, note) VALUES (?,?,?,?,?,?,?)', [c.ticketId, c.ts, c.actor, c.reached, c.satisfied, c.channel, c.note]);
  }

  async callbacks(ticketId: number): Promise<Callback[]> {
    const rows = await this.db.all<Record<string, unknown>>('SELECT * FROM tk_callbacks WHERE ticket_id = ? ORDER BY id', [ticketId]);
    return rows.map((r) => ({
      id: r.id as number,
      ticketId: r.ticket_id as number,
      ts: r.ts as number,
      actor: r.actor as string,
      reached: Number(r.reached) === 1,
      satisfied: r.satisfied === null ? null : Number(r.satisfied) === 1,
      channel: (r.channel as CallbackChannel | null) ?? 'phone',
      note: (r.note as string | null) ?? null,
    }));
  }

  async addAttachment(a: Omit<Attachment, 'id'>): Promise<number> {
    return this.db.insert('INSERT INTO tk_attachments (ticket_id, ts, actor, filename, mime, size, path) VALUES (?,?,?,?,?,?,?)', [a.ticketId, a.ts, a.actor, a.filename, a.mime, a.size, a.path]);
  }

  async attachments(ticketId: number): Promise<Attachment[]> {
    return this.db.all<Attachment>(`${ATTACHMENT} WHERE ticket_id = ? ORDER BY id`, [ticketId]);
  }

  /** How many attachments a ticket has and their bytes together (the quota). */
  async attachmentUsage(ticketId: number): Promise<{ count: number; bytes: number }> {
    const r = await this.db.get<{ count: number; bytes: number }>('SELECT COUNT(*) AS count, COALESCE(SUM(size), 0) AS bytes FROM tk_attachments WHERE ticket_id = ?', [ticketId]);
    return { count: Number(r?.count ?? 0), bytes: Number(r?.bytes ?? 0) };
  }

  async attachment(ticketId: number, id: number): Promise<Attachment | undefined> {
    return this.db.get<Attachment>(`${ATTACHMENT} WHERE ticket_id = ? AND id = ?`, [ticketId, id]);
  }

  /** Call inside a transaction: all of them or none. */
  async putAddresses(entries: readonly AddressEntry[]): Promise<void> {
    for (const e of entries) await this.db.run('INSERT INTO tk_addresses (address, station) VALUES (?, ?) ON CONFLICT (address) DO UPDATE SET station = excluded.station', [e.address, e.station]);
  }

  async addresses(): Promise<AddressEntry[]> {
    const rows = await this.db.all<AddressEntry>('SELECT address, station FROM tk_addresses');
    // ordered here: the engines order text by different collations
    return rows.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  }
}
