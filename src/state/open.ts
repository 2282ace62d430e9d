/**
 * Opens the state database that `storage.state` names. A PostgreSQL server that cannot be
 * reached at start-up stops the start with one line naming `storage.state.url` (the CLI exits
 * 2): starting without the shared state would raise alarms and open tickets nobody else sees.
 */
import type { StateStorageSettings } from './config.ts';
import type { StateDb } from './db.ts';
import { PgStateDb, redactPgUrl } from './pg-db.ts';
import { SqliteStateDb } from './sqlite-db.ts';

export class StateUnreachableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StateUnreachableError';
  }
}

export async function openStateDb(s: StateStorageSettings, o: { applicationName?: string } = {}): Promise<StateDb> {
  if (s.kind === 'sqlite') return new SqliteStateDb(s.path);
  const db = new PgStateDb({ url: s.url, max: s.pool, applicationName: o.applicationName });
  try {
    await db.get('SELECT 1 AS one');
  } catch (err) {
    await db.close().catch(() => {});
    const e = err as Error & { code?: string };
    throw new StateUnreachableError(`storage.state.url: cannot reach PostgreSQL at ${redactPgUrl(s.url)}: ${e.message || e.code || String(err)}`);
  }
  return db;
}
