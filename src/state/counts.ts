/**
 * Row counts kept by triggers, so `/metrics` reads a few counter rows instead of counting
 * (or summing) a table that only grows. The triggers run in the writer's transaction: a rolled
 * back change leaves the counts as they were, and every process writing the database keeps them.
 *
 * @example
 *   await migrate(db, 'outbox', [..., groupCountsStep(3, { name: 'tk_outbox_counts', table: 'tk_outbox', columns: ['dead', 'delivered_at'],
 *     key: (r) => `CASE WHEN ${r}dead = 1 THEN 'dead' WHEN ${r}delivered_at IS NULL THEN 'pending' ELSE 'delivered' END` })]);
 *   await readGroupCountsOf(db, 'tk_outbox_counts'); // → { pending: 3, dead: 1 }
 */
import type { StateDb } from './db.ts';
import type { Migration } from './migrate.ts';

export interface GroupCountSpec {
  /** the counts table, `(k TEXT PRIMARY KEY, n INTEGER)` */
  name: string;
  /** the counted table */
  table: string;
  /** the columns the key reads: the update trigger fires only when one of them is written */
  columns: readonly string[];
  /** SQL of a row's group with each column prefixed by `NEW.`, `OLD.` or nothing; NULL = not counted */
  key: (prefix: 'NEW.' | 'OLD.' | '') => string;
}

const IDENT = /^[a-z_][a-z0-9_]*$/;

function checkIdents(spec: GroupCountSpec): void {
  for (const id of [spec.name, spec.table, ...spec.columns]) if (!IDENT.test(id)) throw new Error(`group counts: bad identifier '${id}'`);
}

/**
 * The migration step that creates the counts table and its triggers on either dialect, and
 * counts the rows already there. A file whose counts table an earlier release made is left as
 * it is.
 */
export function groupCountsStep(version: number, spec: GroupCountSpec): Migration {
  checkIdents(spec);
  const { name, table } = spec;
  const k = spec.key;
  return {
    version,
    name: `${name}: counts of ${table} kept by triggers`,
    up: async (db: StateDb) => {
      if ((await db.columns(name)).length) return;
      await db.exec(`CREATE TABLE ${name} (k TEXT PRIMARY KEY, n ${db.dialect === 'postgresql' ? 'BIGINT' : 'INTEGER'} NOT NULL);
        INSERT INTO ${name} (k, n) SELECT g, COUNT(*) FROM (SELECT ${k('')} AS g FROM ${table}) AS rows WHERE g IS NOT NULL GROUP BY g;`);
      if (db.dialect === 'sqlite') {
        const inc = (p: 'NEW.' | 'OLD.') => `INSERT INTO ${name} (k, n) SELECT ${k(p)}, 1 WHERE (${k(p)}) IS NOT NULL ON CONFLICT(k) DO UPDATE SET n = n + 1;`;
        const dec = (p: 'NEW.' | 'OLD.') => `UPDATE ${name} SET n = n - 1 WHERE k = (${k(p)});`;
        await db.exec(`
          CREATE TRIGGER ${name}_ins AFTER INSERT ON ${table} BEGIN ${inc('NEW.')} END;
          CREATE TRIGGER ${name}_del AFTER DELETE ON ${table} BEGIN ${dec('OLD.')} END;
          CREATE TRIGGER ${name}_upd AFTER UPDATE OF ${spec.columns.join(', ')} ON ${table}
            WHEN (${k('OLD.')}) IS NOT (${k('NEW.')}) BEGIN ${dec('OLD.')} ${inc('NEW.')} END;`);
        return;
      }
      await db.exec(`
        CREATE FUNCTION ${name}_count() RETURNS trigger LANGUAGE plpgsql AS $fn$
        BEGIN
          IF TG_OP IN ('UPDATE', 'DELETE') THEN UPDATE ${name} SET n = n - 1 WHERE k = (${k('OLD.')}); END IF;
          IF TG_OP IN ('UPDATE', 'INSERT') AND (${k('NEW.')}) IS NOT NULL THEN
            INSERT INTO ${name} (k, n) VALUES (${k('NEW.')}, 1) ON CONFLICT (k) DO UPDATE SET n = ${name}.n + 1;
          END IF;
          RETURN NULL;
        END $fn$;
        CREATE TRIGGER ${name}_insdel AFTER INSERT OR DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION ${name}_count();
        CREATE TRIGGER ${name}_upd AFTER UPDATE OF ${spec.columns.join(', ')} ON ${table} FOR EACH ROW
          WHEN ((${k('OLD.')}) IS DISTINCT FROM (${k('NEW.')})) EXECUTE FUNCTION ${name}_count();`);
    },
  };
}

/** The counts by group (groups never seen are absent), on the state database port. */
export async function readGroupCountsOf(db: StateDb, name: string): Promise<Record<string, number>> {
  if (!IDENT.test(name)) throw new Error(`readGroupCounts: bad identifier '${name}'`);
  const rows = await db.all<{ k: string; n: number }>(`SELECT k, n FROM ${name}`);
  return Object.fromEntries(rows.map((r) => [r.k, Number(r.n)]));
}

