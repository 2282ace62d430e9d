/**
 * Operator-set station modes and planned stops entered from the page or API, in the state
 * database. Every change is written with its audit row in one transaction.
 */
import type { StateDb } from '../state/db.ts';
import { migrate, type Migration } from '../state/migrate.ts';
import type { AuditEntry } from '../state/state-store.ts';
import type { PlannedStop } from './config.ts';
import type { OperatorMode } from './schedule.ts';

// `user` is a reserved word in PostgreSQL: quoted everywhere (SQLite takes the quotes too)
export const modeMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'station modes and planned stops',
    up: `
      CREATE TABLE IF NOT EXISTS station_mode (
        station TEXT PRIMARY KEY,
        mode TEXT NOT NULL,
        comment TEXT NOT NULL,
        "user" TEXT NOT NULL,
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
        "user" TEXT NOT NULL,
        created INTEGER NOT NULL,
        cancelled INTEGER
      );
    `,
  },
];

type Row = Record<string, unknown>;

const toStop = (r: Row): PlannedStop => ({
  id: String(r.id),
  stations: r.stations === null ? null : (JSON.parse(r.stations as string) as string[]),
  area: (r.area as string | null) ?? null,
  from: r.from_ts as number,
  to: r.to_ts as number,
  reason: r.reason as string,
  by: r.user as string,
});

/** Planned stops entered in the page and not cancelled, by start; none when the table is not there (an old file read by replay). */
export async function readStops(db: StateDb): Promise<PlannedStop[]> {
  if ((await db.columns('planned_stop')).length === 0) return [];
  return (await db.all<Row>('SELECT * FROM planned_stop WHERE cancelled IS NULL ORDER BY from_ts, id')).map(toStop);
}

export class ModeStore {
  private constructor(
    readonly db: StateDb,
    private readonly audit: (e: AuditEntry) => unknown,
  ) {}

  /** The store over `db`, its tables created first; `audit` is awaited inside each change's transaction. */
  static async open(db: StateDb, audit: (e: AuditEntry) => unknown): Promise<ModeStore> {
    await migrate(db, 'modes', modeMigrations);
    return new ModeStore(db, audit);
  }

  async modes(): Promise<OperatorMode[]> {
    const rows = await this.db.all<Row>('SELECT * FROM station_mode ORDER BY station');
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
  async setModes(modes: readonly OperatorMode[], role: string): Promise<void> {
    await this.db.tx(async () => {
      for (const m of modes) {
        await this.db.run(
          `INSERT INTO station_mode (station, mode, comment, "user", from_ts, until_ts, set_at, resume) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (station) DO UPDATE SET mode = excluded.mode, comment = excluded.comment, "user" = excluded."user",
             from_ts = excluded.from_ts, until_ts = excluded.until_ts, set_at = excluded.set_at, resume = excluded.resume`,
          [m.station, m.mode, m.comment, m.user, m.from, m.until, m.setAt, m.then ? JSON.stringify(m.then) : null],
        );
        await this.audit({
          ts: m.setAt,
          user: m.user,
          role,
          action: 'station.mode',
          target: m.station,
          detail: { mode: m.mode, comment: m.comment, from: m.from, until: m.until, ...(m.then ? { then: m.then.mode } : {}) },
        });
      }
    });
  }

  stops(): Promise<PlannedStop[]> {
    return readStops(this.db);
  }

  async addStop(s: Omit<PlannedStop, 'id'>, role: string, now: number): Promise<PlannedStop> {
    return this.db.tx(async () => {
      const id = await this.db.insert('INSERT INTO planned_stop (stations, area, from_ts, to_ts, reason, "user", created) VALUES (?, ?, ?, ?, ?, ?, ?)', [
        s.stations ? JSON.stringify(s.stations) : null,
        s.area,
        s.from,
        s.to,
        s.reason,
        s.by,
        now,
      ]);
      const stop = { ...s, id: String(id) };
      await this.audit({ ts: now, user: s.by, role, action: 'planned_stop.add', target: `planned_stop:${stop.id}`, detail: stop });
      return stop;
    });
  }

  async cancelStop(id: string, user: string, role: string, now: number): Promise<boolean> {
    return this.db.tx(async () => {
      const n = await this.db.run('UPDATE planned_stop SET cancelled = ? WHERE id = ? AND cancelled IS NULL', [now, Number(id)]);
      if (n) await this.audit({ ts: now, user, role, action: 'planned_stop.cancel', target: `planned_stop:${id}` });
      return n > 0;
    });
  }
}
