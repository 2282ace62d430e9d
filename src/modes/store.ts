/**
 * Operator-set station modes and planned stops entered from the page or API, in the state
 * database. Every change is written with its audit row in one transaction.
 */
import type Database from 'better-sqlite3';
import type { AuditEntry } from '../state/sqlite-state.ts';
import type { PlannedStop } from './config.ts';
import type { OperatorMode } from './schedule.ts';

export class ModeStore {
  private readonly upMode: Database.Statement;
  private readonly insStop: Database.Statement;
  private readonly cancel: Database.Statement;

  constructor(
    private readonly db: Database.Database,
    private readonly audit: (e: AuditEntry) => unknown,
  ) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS station_mode (
        station TEXT PRIMARY KEY,
        mode TEXT NOT NULL,
        comment TEXT NOT NULL,
        user TEXT NOT NULL,
        from_ts INTEGER NOT NULL,
        until_ts INTEGER,
        set_at INTEGER NOT NULL,
        resume TEXT
      );
      CREATE TABLE IF NOT EXISTS planned_stop (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        stations TEXT,
        area TEXT,
        from_ts INTEGER NOT NULL,
        to_ts INTEGER NOT NULL,
        reason TEXT NOT NULL,
        user TEXT NOT NULL,
        created INTEGER NOT NULL,
        cancelled INTEGER
      );
    `);
    this.upMode = db.prepare(
      `INSERT INTO station_mode (station, mode, comment, user, from_ts, until_ts, set_at, resume) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(station) DO UPDATE SET mode = excluded.mode, comment = excluded.comment, user = excluded.user,
         from_ts = excluded.from_ts, until_ts = excluded.until_ts, set_at = excluded.set_at, resume = excluded.resume`,
    );
    this.insStop = db.prepare('INSERT INTO planned_stop (stations, area, from_ts, to_ts, reason, user, created) VALUES (?, ?, ?, ?, ?, ?, ?)');
    this.cancel = db.prepare('UPDATE planned_stop SET cancelled = ? WHERE id = ? AND cancelled IS NULL');
  }

  modes(): OperatorMode[] {
    const rows = this.db.prepare('SELECT * FROM station_mode').all() as Array<Record<string, unknown>>;
    return rows.map((r) => ({
      station: r.station as string,
      mode: r.mode as OperatorMode['mode'],
      comment: r.comment as string,
      user: r.user as string,
      from: r.from_ts as number,
      until: (r.until_ts as number | null) ?? null,
      setAt: r.set_at as number,
      then: r.resume ? (JSON.parse(r.resume as string) as OperatorMode) : null,
    }));
  }

  /** Sets the modes of several stations at once (one transaction, one audit row each). */
  setModes(modes: readonly OperatorMode[], role: string): void {
    this.db.transaction(() => {
      for (const m of modes) {
        this.upMode.run(m.station, m.mode, m.comment, m.user, m.from, m.until, m.setAt, m.then ? JSON.stringify(m.then) : null);
        this.audit({
          ts: m.setAt,
          user: m.user,
          role,
          action: 'station.mode',
          target: m.station,
          detail: { mode: m.mode, comment: m.comment, from: m.from, until: m.until, ...(m.then ? { then: m.then.mode } : {}) },
        });
      }
    })();
  }

  stops(): PlannedStop[] {
    const rows = this.db.prepare('SELECT * FROM planned_stop WHERE cancelled IS NULL ORDER BY from_ts').all() as Array<Record<string, unknown>>;
    return rows.map((r) => ({
      id: String(r.id),
      stations: r.stations === null ? null : (JSON.parse(r.stations as string) as string[]),
      area: (r.area as string | null) ?? null,
      from: r.from_ts as number,
      to: r.to_ts as number,
      reason: r.reason as string,
      by: r.user as string,
    }));
  }

  addStop(s: Omit<PlannedStop, 'id'>, role: string, now: number): PlannedStop {
    return this.db.transaction(() => {
      const r = this.insStop.run(s.stations ? JSON.stringify(s.stations) : null, s.area, s.from, s.to, s.reason, s.by, now);
      const stop = { ...s, id: String(r.lastInsertRowid) };
      this.audit({ ts: now, user: s.by, role, action: 'planned_stop.add', target: `planned_stop:${stop.id}`, detail: stop });
      return stop;
    })();
  }

  cancelStop(id: string, user: string, role: string, now: number): boolean {
    return this.db.transaction(() => {
      const n = this.cancel.run(now, Number(id)).changes;
      if (n) this.audit({ ts: now, user, role, action: 'planned_stop.cancel', target: `planned_stop:${id}` });
      return n > 0;
    })();
  }
}
