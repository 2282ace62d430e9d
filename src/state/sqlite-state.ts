import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

export interface AuditEntry {
  ts: number;
  user: string;
  role: string;
  action: string;
  target: string;
  detail?: unknown;
}

export interface AuditRow extends AuditEntry {
  id: number;
}

/**
 * The state store: audit trail now; alarm state, events and tickets live here
 * too. SQLite by default; a shared PostgreSQL is the path for several serve
 * instances.
 */
export class SqliteStateStore {
  readonly db: Database.Database;
  private readonly insertAudit: Database.Statement;

  /** a file path, or the connection of the state database port (src/state/sqlite-db.ts) it shares */
  constructor(path: string | Database.Database) {
    if (typeof path === 'string') {
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      this.db = new Database(path);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
    } else this.db = path;
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        ts INTEGER NOT NULL,
        user TEXT NOT NULL,
        role TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL,
        detail TEXT
      );
      CREATE INDEX IF NOT EXISTS audit_ts ON audit(ts);
    `);
    this.insertAudit = this.db.prepare(
      'INSERT INTO audit (ts, user, role, action, target, detail) VALUES (?, ?, ?, ?, ?, ?)',
    );
  }

  audit(e: AuditEntry): number {
    const r = this.insertAudit.run(e.ts, e.user, e.role, e.action, e.target, e.detail === undefined ? null : JSON.stringify(e.detail));
    return Number(r.lastInsertRowid);
  }

  listAudit(opts: { from?: number; to?: number; limit?: number } = {}): AuditRow[] {
    const rows = this.db
      .prepare('SELECT * FROM audit WHERE ts >= ? AND ts < ? ORDER BY id DESC LIMIT ?')
      .all(opts.from ?? 0, opts.to ?? Number.MAX_SAFE_INTEGER, opts.limit ?? 1000) as Array<
      Omit<AuditRow, 'detail'> & { detail: string | null }
    >;
    return rows.map((r) => ({ ...r, detail: r.detail === null ? undefined : JSON.parse(r.detail) }));
  }

  close(): void {
    this.db.close();
  }
}
