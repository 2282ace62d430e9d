/**
 * The audit trail of the state database: who did what to which target, when. Other modules get
 * the writer as a callback (`audit: (e) => state.audit(e)`) and call it inside their own unit of
 * work, so the audit row commits or rolls back with the change it records.
 *
 * @example
 * const state = await StateStore.open(stateDb);
 * await state.audit({ ts: Date.now(), user: 'op-1', role: 'operator', action: 'alarm.ack', target: 'hs-001.flood' });
 * await state.listAudit({ from, to, limit: 100 }); // newest first
 */
import type { StateDb } from './db.ts';
import { migrate, type Migration } from './migrate.ts';

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

// `user` is a reserved word in PostgreSQL: quoted everywhere (SQLite takes the quotes too)
export const auditMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'audit table',
    up: `
      CREATE TABLE IF NOT EXISTS audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        ts INTEGER NOT NULL,
        "user" TEXT NOT NULL,
        role TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL,
        detail TEXT
      );
      CREATE INDEX IF NOT EXISTS audit_ts ON audit(ts);
    `,
  },
];

export class StateStore {
  private constructor(readonly db: StateDb) {}

  /** The store over `db`, its table created or upgraded first. */
  static async open(db: StateDb): Promise<StateStore> {
    await migrate(db, 'audit', auditMigrations);
    return new StateStore(db);
  }

  /**
   * Writes one audit row; its id. Inside `db.tx` it joins that transaction. On SQLite, called
   * while no port transaction is open, the row is inserted before the promise is returned, so a
   * caller still inside a synchronous better-sqlite3 transaction gets it in that transaction
   * (a failure then only rejects the promise: it does not roll that transaction back).
   */
  async audit(e: AuditEntry): Promise<number> {
    return this.db.insert('INSERT INTO audit (ts, "user", role, action, target, detail) VALUES (?, ?, ?, ?, ?, ?)', [
      e.ts,
      e.user,
      e.role,
      e.action,
      e.target,
      e.detail === undefined ? null : JSON.stringify(e.detail),
    ]);
  }

  /** Rows with `from <= ts < to`, newest written first, at most `limit` (default 1000). */
  async listAudit(opts: { from?: number; to?: number; limit?: number } = {}): Promise<AuditRow[]> {
    const rows = await this.db.all<Omit<AuditRow, 'detail'> & { detail: string | null }>(
      'SELECT id, ts, "user", role, action, target, detail FROM audit WHERE ts >= ? AND ts < ? ORDER BY id DESC LIMIT ?',
      [opts.from ?? 0, opts.to ?? Number.MAX_SAFE_INTEGER, opts.limit ?? 1000],
    );
    return rows.map((r) => ({ ...r, detail: r.detail === null ? undefined : JSON.parse(r.detail) }));
  }
}
