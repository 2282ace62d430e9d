/**
 * Alarm writes kept on local disk while the state database cannot be reached (a PostgreSQL
 * outage): the runner goes on evaluating, and what it would have written is appended here, so
 * an outage that outlasts the process loses nothing. The write queue drains the journal first,
 * oldest first, when the database answers, and at start-up before the alarm state is restored.
 *
 * @example
 * const j = new AlarmJournal('data/alarm-journal.db');
 * j.append([{ events, rows }]); const units = j.oldest(100); j.remove(units);
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { AlarmEventRow, AlarmRow } from './persist.ts';

export interface JournalUnit {
  id: number;
  events: AlarmEventRow[];
  rows: AlarmRow[];
}

export class AlarmJournal {
  private readonly db: Database.Database;
  private readonly insert: Database.Statement;
  private readonly select: Database.Statement;
  private readonly del: Database.Statement;
  /** what it holds, counted once at open and then kept here: the write queue asks on every flush */
  private held: { units: number; events: number };

  constructor(readonly path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    // each append is on disk when it returns: the journal exists for a process that dies
    this.db.pragma('synchronous = FULL');
    this.db.exec('CREATE TABLE IF NOT EXISTS units (id INTEGER PRIMARY KEY AUTOINCREMENT, n INTEGER NOT NULL, events TEXT NOT NULL, rows TEXT NOT NULL)');
    this.insert = this.db.prepare('INSERT INTO units (n, events, rows) VALUES (?, ?, ?)');
    this.select = this.db.prepare('SELECT id, events, rows FROM units ORDER BY id LIMIT ?');
    this.del = this.db.prepare('DELETE FROM units WHERE id <= ?');
    this.held = this.db.prepare('SELECT COUNT(*) AS units, COALESCE(SUM(n), 0) AS events FROM units').get() as { units: number; events: number };
  }

  append(units: ReadonlyArray<{ events: readonly AlarmEventRow[]; rows: readonly AlarmRow[] }>): void {
    this.db.transaction(() => {
      for (const u of units) this.insert.run(u.events.length, JSON.stringify(u.events), JSON.stringify(u.rows));
    })();
    this.held = { units: this.held.units + units.length, events: this.held.events + units.reduce((n, u) => n + u.events.length, 0) };
  }

  oldest(limit: number): JournalUnit[] {
    return (this.select.all(limit) as Array<{ id: number; events: string; rows: string }>).map((r) => ({ id: r.id, events: JSON.parse(r.events), rows: JSON.parse(r.rows) }));
  }

  /** Removes written units: {@link oldest}'s answer, all of it. */
  remove(written: readonly JournalUnit[]): void {
    if (!written.length) return;
    this.del.run(written[written.length - 1].id);
    this.held = { units: this.held.units - written.length, events: this.held.events - written.reduce((n, u) => n + u.events.length, 0) };
  }

  size(): { units: number; events: number } {
    return this.held;
  }

  close(): void {
    this.db.close();
  }
}
