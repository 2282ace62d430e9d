/**
 * Ticket tables in the state database. A ticket row keeps the whole ticket as
 * JSON plus the columns queries filter on. Callers wrap writes in
 * `db.transaction` so nothing is half-written.
 */
import type Database from 'better-sqlite3';
import { ensureGroupCounts, readGroupCounts } from '../state/counts.ts';
import type { AddressEntry } from './address.ts';
import type { Ticket, TicketPriority, TicketStatus, TimelineEntry } from './types.ts';
import { encodeCursor, OPEN_STATUSES, ticketFilters, ticketQuery, type TicketQuery } from './query.ts';

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

const SCHEMA = `
CREATE TABLE IF NOT EXISTS tk_tickets (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  key TEXT, kind TEXT NOT NULL, source TEXT NOT NULL, status TEXT NOT NULL, priority TEXT NOT NULL,
  station TEXT, area TEXT, escalation INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL, closed_at INTEGER, data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tk_tickets_key ON tk_tickets(key, status);
CREATE INDEX IF NOT EXISTS tk_tickets_station ON tk_tickets(station, status);
CREATE INDEX IF NOT EXISTS tk_tickets_status ON tk_tickets(status, priority);
CREATE TABLE IF NOT EXISTS tk_timeline (
  id INTEGER PRIMARY KEY AUTOINCREMENT, ticket_id INTEGER NOT NULL, ts INTEGER NOT NULL,
  actor TEXT NOT NULL, role TEXT NOT NULL, kind TEXT NOT NULL, from_status TEXT, to_status TEXT, note TEXT, detail TEXT
);
CREATE INDEX IF NOT EXISTS tk_timeline_ticket ON tk_timeline(ticket_id, id);
CREATE TABLE IF NOT EXISTS tk_pending (alarm_id TEXT PRIMARY KEY, due_at INTEGER NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tk_raises (id INTEGER PRIMARY KEY AUTOINCREMENT, alarm_id TEXT NOT NULL, area TEXT NOT NULL, station TEXT NOT NULL, ts INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS tk_raises_area ON tk_raises(area, ts);
CREATE INDEX IF NOT EXISTS tk_raises_alarm ON tk_raises(alarm_id, ts);
CREATE TABLE IF NOT EXISTS tk_callbacks (
  id INTEGER PRIMARY KEY AUTOINCREMENT, ticket_id INTEGER NOT NULL, ts INTEGER NOT NULL, actor TEXT NOT NULL,
  reached INTEGER NOT NULL, satisfied INTEGER, note TEXT
);
CREATE TABLE IF NOT EXISTS tk_attachments (
  id INTEGER PRIMARY KEY AUTOINCREMENT, ticket_id INTEGER NOT NULL, ts INTEGER NOT NULL, actor TEXT NOT NULL,
  filename TEXT NOT NULL, mime TEXT NOT NULL, size INTEGER NOT NULL, path TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tk_attachments_ticket ON tk_attachments(ticket_id);
CREATE TABLE IF NOT EXISTS tk_addresses (address TEXT PRIMARY KEY, station TEXT NOT NULL);
`;

type Row = { data: string };

export class TicketStore {
  constructor(readonly db: Database.Database) {
    db.exec(SCHEMA);
    // callbacks recorded before the channel was kept were by phone
    if (!(db.prepare('PRAGMA table_info(tk_callbacks)').all() as Array<{ name: string }>).some((c) => c.name === 'channel')) db.exec("ALTER TABLE tk_callbacks ADD COLUMN channel TEXT NOT NULL DEFAULT 'phone'");
    // open tickets by priority for /metrics, kept by triggers instead of a GROUP BY over every ticket ever filed
    ensureGroupCounts(db, { name: 'tk_open_counts', table: 'tk_tickets', columns: ['status', 'priority'], key: (p) => `CASE WHEN ${p}status = 'closed' THEN NULL ELSE ${p}priority END` });
  }

  tx<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  insert(t: Omit<Ticket, 'id'>): Ticket {
    const r = this.db
      .prepare('INSERT INTO tk_tickets (key, kind, source, status, priority, station, area, escalation, created_at, closed_at, data) VALUES (?,?,?,?,?,?,?,?,?,?,?)')
      .run(t.key, t.kind, t.source, t.status, t.priority, t.station, t.area, t.escalation, t.createdAt, t.closedAt, '{}');
    const ticket = { ...t, id: Number(r.lastInsertRowid) } as Ticket;
    this.save(ticket);
    return ticket;
  }

  save(t: Ticket): void {
    this.db
      .prepare('UPDATE tk_tickets SET key=?, status=?, priority=?, station=?, area=?, escalation=?, closed_at=?, data=? WHERE id=?')
      .run(t.key, t.status, t.priority, t.station, t.area, t.escalation, t.closedAt, JSON.stringify(t), t.id);
  }

  get(id: number): Ticket | undefined {
    const r = this.db.prepare('SELECT data FROM tk_tickets WHERE id = ?').get(id) as Row | undefined;
    return r ? (JSON.parse(r.data) as Ticket) : undefined;
  }

  /** One page of the queue (src/tickets/query.ts); `next` is the cursor of the page after it, null at the end. */
  list(q: TicketQuery = {}): { tickets: Ticket[]; next: string | null } {
    const b = ticketQuery(q);
    const rows = this.db.prepare(`SELECT data, ${b.keys} FROM tk_tickets ${b.where} ORDER BY ${b.order} LIMIT ?`).all(...b.args, b.limit + 1) as Array<Row & Record<string, unknown>>;
    const more = rows.length > b.limit;
    const page = more ? rows.slice(0, b.limit) : rows;
    const last = page[page.length - 1];
    return {
      tickets: page.map((r) => JSON.parse(r.data) as Ticket),
      next: more && last ? encodeCursor(b.sort, Array.from({ length: b.keyCount }, (_, i) => last[`k${i}`])) : null,
    };
  }

  /** Tickets matching the query's filters, per status (the status filter left out) and per priority. */
  counts(q: TicketQuery = {}): { total: number; byStatus: Record<string, number>; byPriority: Record<string, number> } {
    const group = (col: 'status' | 'priority', withStatus: boolean) => {
      const f = ticketFilters(q, withStatus);
      const rows = this.db.prepare(`SELECT ${col} AS g, COUNT(*) AS n FROM tk_tickets ${f.clauses.length ? `WHERE ${f.clauses.join(' AND ')}` : ''} GROUP BY ${col}`).all(...f.args) as Array<{ g: string; n: number }>;
      return Object.fromEntries(rows.map((r) => [r.g, r.n]));
    };
    const byPriority = group('priority', true);
    return { total: Object.values(byPriority).reduce((n, v) => n + v, 0), byStatus: group('status', false), byPriority };
  }

  /** Open (not closed) tickets per station, incidents counted at each station they name. */
  openPerStation(): Map<string, number> {
    const rows = this.db
      .prepare(
        `SELECT s, COUNT(*) AS n FROM (
           SELECT station AS s FROM tk_tickets WHERE status != 'closed' AND station IS NOT NULL AND kind != 'incident'
           UNION ALL
           SELECT value AS s FROM tk_tickets, json_each(tk_tickets.data, '$.stations') WHERE status != 'closed' AND kind = 'incident'
         ) GROUP BY s`,
      )
      .all() as Array<{ s: string; n: number }>;
    return new Map(rows.map((r) => [r.s, r.n]));
  }

  openByKey(key: string): Ticket | undefined {
    const r = this.db.prepare("SELECT data FROM tk_tickets WHERE key = ? AND status != 'closed' ORDER BY id DESC LIMIT 1").get(key) as Row | undefined;
    return r ? (JSON.parse(r.data) as Ticket) : undefined;
  }

  lastClosedByKey(key: string): Ticket | undefined {
    const r = this.db.prepare("SELECT data FROM tk_tickets WHERE key = ? AND status = 'closed' ORDER BY closed_at DESC, id DESC LIMIT 1").get(key) as Row | undefined;
    return r ? (JSON.parse(r.data) as Ticket) : undefined;
  }

  /** Open alarm tickets (incidents included) that name the station. */
  openAlarmTickets(station: string): Ticket[] {
    // every one, however many: a page limit here would hide an open alarm ticket from dedup and linking
    const f = ticketFilters({ station, statuses: OPEN_STATUSES });
    return (this.db.prepare(`SELECT data FROM tk_tickets WHERE ${f.clauses.join(' AND ')} AND source = 'alarm' ORDER BY escalation DESC, priority, created_at, id`).all(...f.args) as Row[]).map((r) => JSON.parse(r.data) as Ticket);
  }

  /** Open tickets that still have a deadline to watch. */
  watched(): Ticket[] {
    return (this.db.prepare("SELECT data FROM tk_tickets WHERE status NOT IN ('closed', 'verified')").all() as Row[]).map((r) => JSON.parse(r.data) as Ticket);
  }

  /** From trigger-kept counters (no scan); a priority with no open ticket is absent. */
  countOpenByPriority(): Record<string, number> {
    return Object.fromEntries(Object.entries(readGroupCounts(this.db, 'tk_open_counts')).filter(([, n]) => n > 0));
  }

  addTimeline(e: Omit<TimelineEntry, 'id'>): number {
    const r = this.db
      .prepare('INSERT INTO tk_timeline (ticket_id, ts, actor, role, kind, from_status, to_status, note, detail) VALUES (?,?,?,?,?,?,?,?,?)')
      .run(e.ticketId, e.ts, e.actor, e.role, e.kind, e.from, e.to, e.note, e.detail === null ? null : JSON.stringify(e.detail));
    return Number(r.lastInsertRowid);
  }

  timeline(ticketId: number): TimelineEntry[] {
    const rows = this.db.prepare('SELECT * FROM tk_timeline WHERE ticket_id = ? ORDER BY id').all(ticketId) as Array<Record<string, unknown>>;
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

  putPending(p: PendingCandidate): void {
    this.db.prepare('INSERT OR REPLACE INTO tk_pending (alarm_id, due_at, data) VALUES (?,?,?)').run(p.alarmId, p.dueAt, JSON.stringify(p));
  }

  getPending(alarmId: string): PendingCandidate | undefined {
    const r = this.db.prepare('SELECT data FROM tk_pending WHERE alarm_id = ?').get(alarmId) as Row | undefined;
    return r ? (JSON.parse(r.data) as PendingCandidate) : undefined;
  }

  deletePending(alarmId: string): boolean {
    return this.db.prepare('DELETE FROM tk_pending WHERE alarm_id = ?').run(alarmId).changes > 0;
  }

  duePending(now: number): PendingCandidate[] {
    return (this.db.prepare('SELECT data FROM tk_pending WHERE due_at <= ? ORDER BY due_at, alarm_id').all(now) as Row[]).map((r) => JSON.parse(r.data) as PendingCandidate);
  }

  pendingCount(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM tk_pending').get() as { n: number }).n;
  }

  addRaise(alarmId: string, area: string, station: string, ts: number): void {
    this.db.prepare('INSERT INTO tk_raises (alarm_id, area, station, ts) VALUES (?,?,?,?)').run(alarmId, area, station, ts);
  }

  raisesOfAlarm(alarmId: string, from: number): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM tk_raises WHERE alarm_id = ? AND ts >= ?').get(alarmId, from) as { n: number }).n;
  }

  /** Distinct alarms raised in the area within [from, to]. */
  raisesInArea(area: string, from: number, to: number): number {
    return (this.db.prepare('SELECT COUNT(DISTINCT alarm_id) AS n FROM tk_raises WHERE area = ? AND ts >= ? AND ts <= ?').get(area, from, to) as { n: number }).n;
  }

  pruneRaises(before: number): void {
    this.db.prepare('DELETE FROM tk_raises WHERE ts < ?').run(before);
  }

  addCallback(c: Omit<Callback, 'id'>): number {
    const r = this.db
      .prepare('INSERT INTO tk_callbacks (ticket_id, ts, actor, reached, satisfied, channel, note) VALUES (?,?,?,?,?,?,?)')
      .run(c.ticketId, c.ts, c.actor, c.reached ? 1 : 0, c.satisfied === null ? null : c.satisfied ? 1 : 0, c.channel, c.note);
    return Number(r.lastInsertRowid);
  }

  callbacks(ticketId: number): Callback[] {
    const rows = this.db.prepare('SELECT * FROM tk_callbacks WHERE ticket_id = ? ORDER BY id').all(ticketId) as Array<Record<string, unknown>>;
    return rows.map((r) => ({
      id: r.id as number,
      ticketId: r.ticket_id as number,
      ts: r.ts as number,
      actor: r.actor as string,
      reached: r.reached === 1,
      satisfied: r.satisfied === null ? null : r.satisfied === 1,
      channel: (r.channel as CallbackChannel | null) ?? 'phone',
      note: (r.note as string | null) ?? null,
    }));
  }

  addAttachment(a: Omit<Attachment, 'id'>): number {
    const r = this.db
      .prepare('INSERT INTO tk_attachments (ticket_id, ts, actor, filename, mime, size, path) VALUES (?,?,?,?,?,?,?)')
      .run(a.ticketId, a.ts, a.actor, a.filename, a.mime, a.size, a.path);
    return Number(r.lastInsertRowid);
  }

  attachments(ticketId: number): Attachment[] {
    return (this.db.prepare('SELECT id, ticket_id AS ticketId, ts, actor, filename, mime, size, path FROM tk_attachments WHERE ticket_id = ? ORDER BY id').all(ticketId) as Attachment[]);
  }

  /** How many attachments a ticket has and their bytes together (the quota). */
  attachmentUsage(ticketId: number): { count: number; bytes: number } {
    return this.db.prepare('SELECT COUNT(*) AS count, COALESCE(SUM(size), 0) AS bytes FROM tk_attachments WHERE ticket_id = ?').get(ticketId) as { count: number; bytes: number };
  }

  attachment(ticketId: number, id: number): Attachment | undefined {
    return this.db.prepare('SELECT id, ticket_id AS ticketId, ts, actor, filename, mime, size, path FROM tk_attachments WHERE ticket_id = ? AND id = ?').get(ticketId, id) as Attachment | undefined;
  }

  putAddresses(entries: readonly AddressEntry[]): void {
    const st = this.db.prepare('INSERT OR REPLACE INTO tk_addresses (address, station) VALUES (?, ?)');
    for (const e of entries) st.run(e.address, e.station);
  }

  addresses(): AddressEntry[] {
    return this.db.prepare('SELECT address, station FROM tk_addresses ORDER BY address').all() as AddressEntry[];
  }
}
