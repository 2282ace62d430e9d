/**
 * Versioned schema migrations of the state database. Each module owns its tables and lists its
 * steps; `schema_migrations` records which ran. A module's pending steps run in one
 * transaction under one lock, so two `serve` instances starting together never migrate at
 * once (the second waits, then finds nothing to do), and a failed step leaves nothing behind.
 *
 * @example
 * await migrate(db, 'audit', [{ version: 1, name: 'audit table', up: 'CREATE TABLE IF NOT EXISTS audit (...)' }]);
 */
import { ddlFor, type StateDb } from './db.ts';

export interface Migration {
  version: number;
  name: string;
  /** DDL in SQLite's spelling (translated for PostgreSQL), or a step that needs to look first */
  up: string | ((db: StateDb) => Promise<void>);
}

const LOCK = 'heatwatch:schema-migrations';

/** Apply `module`'s steps that have not run yet; returns how many ran. */
export async function migrate(db: StateDb, module: string, steps: readonly Migration[]): Promise<number> {
  for (let i = 1; i < steps.length; i++) {
    if (steps[i].version <= steps[i - 1].version) throw new Error(`migrations of ${module}: version ${steps[i].version} after ${steps[i - 1].version}`);
  }
  return db.tx(async () => {
    await db.lock(LOCK);
    await db.exec(ddlFor(db.dialect, 'CREATE TABLE IF NOT EXISTS schema_migrations (module TEXT NOT NULL, version INTEGER NOT NULL, name TEXT NOT NULL, applied_at INTEGER NOT NULL, PRIMARY KEY (module, version))'));
    const done = new Set((await db.all<{ version: number }>('SELECT version FROM schema_migrations WHERE module = ?', [module])).map((r) => Number(r.version)));
    let ran = 0;
    for (const step of steps) {
      if (done.has(step.version)) continue;
      try {
        if (typeof step.up === 'string') await db.exec(ddlFor(db.dialect, step.up));
        else await step.up(db);
      } catch (err) {
        throw new Error(`state migration ${module} ${step.version} (${step.name}) failed: ${(err as Error).message}`, { cause: err });
      }
      await db.run('INSERT INTO schema_migrations (module, version, name, applied_at) VALUES (?, ?, ?, ?)', [module, step.version, step.name, Date.now()]);
      ran++;
    }
    return ran;
  });
}
