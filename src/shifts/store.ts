/**
 * Shift tables in the state database: the handover notes (`shift_notes`, owned here), and the
 * read of the deadlines tickets missed within a time range, from the tickets' timeline. Callers
 * wrap a write and its audit row in `tx` so neither is stored without the other.
 */
import type Database from 'better-sqlite3';
import type { BreachKind, TicketPriority, TicketStatus } from '../tickets/types.ts';
import type { ShiftBreach } from './summary.ts';

export interface ShiftNote {
  id: number;
  /** when it was written */
  ts: number;
  /** the shift it was written in */
  shiftStart: number;
  shiftEnd: number;
  author: string;
  role: string;
  text: string;
  station: string | null;
  ticket: number | null;
  /** the earlier note this one corrects */
  corrects: number | null;
  /** last edit, while its shift lasted */
  editedAt: number | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS shift_notes (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  ts INTEGER NOT NULL,
  shift_start INTEGER NOT NULL,
  shift_end INTEGER NOT NULL,
  author TEXT NOT NULL,
  role TEXT NOT NULL,
  text TEXT NOT NULL,
  station TEXT,
  ticket INTEGER,
  corrects INTEGER,
  edited_at INTEGER
);
CREATE INDEX IF NOT EXISTS shift_notes_ts ON shift_notes(ts);
`;

const BREACH_KINDS = "('breach_respond', 'breach_on_site', 'breach_resolve')";

type Row = Record<string, unknown>;
const toNote = (r: Row): ShiftNote => ({
  id: r.id as number,
  ts: r.ts as number,
  shiftStart: r.shift_start as number,
  shiftEnd: r.shift_end as number,
  author: r.author as string,
  role: r.role as string,
  text: r.text as string,
  station: (r.station as string | null) ?? null,
  ticket: (r.ticket as number | null) ?? null,
  corrects: (r.corrects as number | null) ?? null,
  editedAt: (r.edited_at as number | null) ?? null,
});

export class ShiftNoteStore {
  /** whether the ticket tables are here (they may be created after this store) */
  private hasTickets = false;

  constructor(readonly db: Database.Database) {
    db.exec(SCHEMA);
  }

  private ticketsHere(): boolean {
    if (this.hasTickets) return true;
    if (this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'tk_timeline'").get() === undefined) return false;
    // a shift's breaches are read on every summary: a small index over the breach entries alone,
    // so that read never scans the whole timeline
    this.db.exec(`CREATE INDEX IF NOT EXISTS shift_breach_ts ON tk_timeline(ts) WHERE kind IN ${BREACH_KINDS}`);
    return (this.hasTickets = true);
  }

  tx<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  insert(n: Omit<ShiftNote, 'id' | 'editedAt'>): ShiftNote {
    const r = this.db
      .prepare('INSERT INTO shift_notes (ts, shift_start, shift_end, author, role, text, station, ticket, corrects) VALUES (?,?,?,?,?,?,?,?,?)')
      .run(n.ts, n.shiftStart, n.shiftEnd, n.author, n.role, n.text, n.station, n.ticket, n.corrects);
    return { ...n, id: Number(r.lastInsertRowid), editedAt: null };
  }

  update(id: number, n: Pick<ShiftNote, 'text' | 'station' | 'ticket' | 'editedAt'>): void {
    this.db.prepare('UPDATE shift_notes SET text = ?, station = ?, ticket = ?, edited_at = ? WHERE id = ?').run(n.text, n.station, n.ticket, n.editedAt, id);
  }

  get(id: number): ShiftNote | undefined {
    const r = this.db.prepare('SELECT * FROM shift_notes WHERE id = ?').get(id) as Row | undefined;
    return r ? toNote(r) : undefined;
  }

  /** Notes written in [from, to), in the order written. */
  between(from: number, to: number): ShiftNote[] {
    return (this.db.prepare('SELECT * FROM shift_notes WHERE ts >= ? AND ts < ? ORDER BY ts, id').all(from, to) as Row[]).map(toNote);
  }

  /**
   * Deadlines missed in [from, to), oldest first, at most `limit`, with their tickets' title,
   * station, priority and status now; empty when the ticket tables are not in this database.
   */
  breaches(from: number, to: number, limit: number): ShiftBreach[] {
    if (!this.ticketsHere()) return [];
    const rows = this.db
      .prepare(
        `SELECT l.ticket_id AS ticket, l.kind, l.ts, t.station, t.area, t.priority, t.status, json_extract(t.data, '$.title') AS title
           FROM tk_timeline l JOIN tk_tickets t ON t.id = l.ticket_id
          WHERE l.kind IN ${BREACH_KINDS} AND l.ts >= ? AND l.ts < ?
          ORDER BY l.ts, l.id LIMIT ?`,
      )
      .all(from, to, limit) as Row[];
    return rows.map((r) => ({
      ticket: r.ticket as number,
      title: (r.title as string | null) ?? '',
      station: (r.station as string | null) ?? null,
      area: (r.area as string | null) ?? null,
      priority: r.priority as TicketPriority,
      status: r.status as TicketStatus,
      deadline: (r.kind as string).replace(/^breach_/, '') as BreachKind,
      at: r.ts as number,
    }));
  }
}
