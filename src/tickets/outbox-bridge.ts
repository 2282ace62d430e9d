/**
 * Bridge while the ticket core still runs its changes as synchronous better-sqlite3
 * transactions: the outbox is on the state port, so the core needs a port over its own
 * connection, and `tk_outbox` must exist before the core's first (synchronous) change, before
 * an awaited `outbox.init()` could have run. Goes away with the core's conversion, whose async
 * start awaits `outbox.init()` instead.
 */
import type Database from 'better-sqlite3';
import { ensureGroupCounts } from '../state/counts.ts';
import type { StateDb } from '../state/db.ts';
import { SqliteStateDb } from '../state/sqlite-db.ts';
import { OUTBOX_COUNTS, OUTBOX_MIGRATIONS } from './outbox-rows.ts';

/** The port to give the outbox (`port`, else one over `db`), with `tk_outbox` made on `db` now. */
export function outboxPortFor(db: Database.Database, port?: StateDb): StateDb {
  const v1 = OUTBOX_MIGRATIONS[0].up;
  if (typeof v1 !== 'string') throw new Error('outbox migration 1 is DDL');
  // the same end state as the migrations; idempotent, and the migrations later find it made
  db.exec(v1);
  const has = new Set((db.prepare('PRAGMA table_info(tk_outbox)').all() as Array<{ name: string }>).map((c) => c.name));
  for (const [col, type] of [['since', 'INTEGER'], ['claimed_by', 'TEXT'], ['claim_until', 'INTEGER']]) if (!has.has(col)) db.exec(`ALTER TABLE tk_outbox ADD COLUMN ${col} ${type}`);
  db.exec(`CREATE INDEX IF NOT EXISTS tk_outbox_dead ON tk_outbox(id) WHERE dead = 1;
    CREATE INDEX IF NOT EXISTS tk_outbox_delivered ON tk_outbox(delivered_at) WHERE delivered_at IS NOT NULL;`);
  ensureGroupCounts(db, OUTBOX_COUNTS);
  return port ?? new SqliteStateDb(db);
}
