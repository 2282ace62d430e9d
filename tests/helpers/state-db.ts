/**
 * State databases for tests, on both backends: a temp SQLite file, or a fresh PostgreSQL
 * database on the machine's server (127.0.0.1:5432, trust auth, user postgres), created for the
 * test and dropped after it. A behaviour suite runs the same cases on both with
 * {@link stateBackends}.
 *
 * @example
 * describe.each(stateBackends)('tickets on %s', (kind) => {
 *   const dbs = useStateDbs(kind);
 *   it('...', async () => { const db = await dbs.fresh(); ... });
 * });
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach } from 'vitest';
import type { StateDb, StateDialect } from '../../src/state/db.ts';
import { PgStateDb } from '../../src/state/pg-db.ts';
import { SqliteStateDb } from '../../src/state/sqlite-db.ts';

export const stateBackends: StateDialect[] = ['sqlite', 'postgresql'];

/** The server's maintenance database; tests create theirs beside it. */
export const PG_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestStateDatabase {
  /** a URL (PostgreSQL) or a file path (SQLite) */
  where: string;
  open(): StateDb;
  drop(): Promise<void>;
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 5000 });
  try {
    await c.connect();
  } catch (err) {
    throw new Error(`PostgreSQL at ${PG_ADMIN_URL} is not reachable (${(err as Error).message}); start it: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`);
  }
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** A new empty PostgreSQL database; `drop()` ends its connections and removes it. */
export async function createTestPgDatabase(): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const name = `hw_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  return {
    name,
    url: `postgres://postgres@127.0.0.1:5432/${name}`,
    drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

export async function createTestStateDatabase(kind: StateDialect): Promise<TestStateDatabase> {
  if (kind === 'postgresql') {
    const d = await createTestPgDatabase();
    return { where: d.url, open: () => new PgStateDb({ url: d.url, max: 4 }), drop: d.drop };
  }
  const dir = mkdtempSync(join(tmpdir(), 'hw-state-'));
  const file = join(dir, 'state.db');
  return { where: file, open: () => new SqliteStateDb(file), drop: async () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Per-test databases of one backend: `fresh()` makes an empty one and opens it, `again()` opens
 * the last one once more (a second instance, or a restart); all are closed and dropped after
 * each test.
 */
export function useStateDbs(kind: StateDialect): { fresh(): Promise<StateDb>; again(): StateDb } {
  const made: TestStateDatabase[] = [];
  const opened: StateDb[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((d) => d.close().catch(() => {})));
    await Promise.all(made.splice(0).map((d) => d.drop()));
  });
  return {
    async fresh() {
      const d = await createTestStateDatabase(kind);
      made.push(d);
      const db = d.open();
      opened.push(db);
      return db;
    },
    again() {
      const d = made.at(-1);
      if (!d) throw new Error('again() before fresh()');
      const db = d.open();
      opened.push(db);
      return db;
    },
  };
}
