/**
 * Shift tables in the state database: the handover notes (`shift_notes`, owned here), and the
 * read of the deadlines tickets missed within a time range, from the tickets' timeline. Callers
 * wrap a write and its audit row in `db.tx` so neither is stored without the other.
 */
import type { StateDb } from '../state/db.ts';
import { migrate, type Migration } from '../state/migrate.ts';
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

export const shiftMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'shift notes',
    up: `
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
    `,
  },
];

const BREACH_KINDS = "('breach_respond', 'breach_on_site', 'breach_resolve')";

/**
 * A shift's breaches are read on every summary: a small index over the breach entries alone, so
 * that read never scans the whole timeline. The timeline is the ticket module's table, made by
 * its own migrations, so this index is a module of its own, applied (and recorded) only once the
 * table is there: a database opened before the tickets were deployed gets it on a later start.
 */
const breachIndex: readonly Migration[] = [
  { version: 1, name: 'breach entries of the ticket timeline by time', up: `CREATE INDEX IF NOT EXISTS shift_breach_ts ON tk_timeline(ts) WHERE kind IN ${BREACH_KINDS}` },
];

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

const titleOf = (data: unknown): string => {
  if (typeof data !== 'string') return '';
  const title = (JSON.parse(data) as { title?: unknown }).title;
  return typeof title === 'string' ? title : '';
};

export class ShiftNoteStore {
  /** whether the ticket tables are here (they may be created after this store) */
  private hasTickets = false;

  private constructor(readonly db: StateDb) {}

  /** The store over `db`, its table created first (and the breach index, when the ticket tables are there). */
  static async open(db: StateDb): Promise<ShiftNoteStore> {
    await migrate(db, 'shifts', shiftMigrations);
    const store = new ShiftNoteStore(db);
    await store.ticketsHere();
    return store;
  }

  private async ticketsHere(): Promise<boolean> {
    if (this.hasTickets) return true;
    if ((await this.db.columns('tk_timeline')).length === 0) return false;
    await migrate(this.db, 'shifts.breach-index', breachIndex);
    return (this.hasTickets = true);
  }

  async insert(n: Omit<ShiftNote, 'id' | 'editedAt'>): Promise<ShiftNote> {
    const id = await this.db.insert(
      'INSERT INTO shift_notes (ts, shift_start, shift_end, author, role, text, station, ticket, corrects) VALUES (?,?,?,?,?,?,?,?,?)',
      [n.ts, n.shiftStart, n.shiftEnd, n.author, n.role, n.text, n.station, n.ticket, n.corrects],
    );
    return { ...n, id, editedAt: null };
  }

  async update(id: number, n: Pick<ShiftNote, 'text' | 'station' | 'ticket' | 'editedAt'>): Promise<void> {
    await this.db.run('UPDATE shift_notes SET text = ?, station = ?, ticket = ?, edited_at = ? WHERE id = ?', [n.text, n.station, n.ticket, n.editedAt, id]);
  }

  /** With `forChange`, inside the edit's transaction: locked until it ends on PostgreSQL, so two edits take turns. */
  async get(id: number, forChange = false): Promise<ShiftNote | undefined> {
    const r = await this.db.get<Row>(`SELECT * FROM shift_notes WHERE id = ?${forChange && this.db.dialect === 'postgresql' ? ' FOR UPDATE' : ''}`, [id]);
    return r ? toNote(r) : undefined;
  }

  /** Notes written in [from, to), in the order written. */
  async between(from: number, to: number): Promise<ShiftNote[]> {
    return (await this.db.all<Row>('SELECT * FROM shift_notes WHERE ts >= ? AND ts < ? ORDER BY ts, id', [from, to])).map(toNote);
  }

  /**
   * Deadlines missed in [from, to), oldest first, at most `limit`, with their tickets' title,
   * station, priority and status now; empty when the ticket tables are not in this database.
   */
  async breaches(from: number, to: number, limit: number): Promise<ShiftBreach[]> {
    if (!(await this.ticketsHere())) return [];
    // the title is in the ticket's JSON: read here, the same on both dialects
    const rows = await this.db.all<Row>(
      `SELECT l.ticket_id AS ticket, l.kind, l.ts, t.station, t.area, t.priority, t.status, t.data
         FROM tk_timeline l JOIN tk_tickets t ON t.id = l.ticket_id
        WHERE l.kind IN ${BREACH_KINDS} AND l.ts >= ? AND l.ts < ?
        ORDER BY l.ts, l.id LIMIT ?`,
      [from, to, limit],
    );
    return rows.map((r) => ({
      ticket: r.ticket as number,
      title: titleOf(r.data),
      station: (r.station as string | null) ?? null,
      area: (r.area as string | null) ?? null,
      priority: r.priority as TicketPriority,
      status: r.status as TicketStatus,
      deadline: (r.kind as string).replace(/^breach_/, '') as BreachKind,
      at: r.ts as number,
    }));
  }
}
