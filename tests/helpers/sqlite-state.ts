/**
 * The state store on a SQLite file for tests whose modules still speak better-sqlite3: the
 * audit trail through the port ({@link StateStore}) and, as `db`, the same connection for them.
 *
 * @example
 * const state = await openSqliteState(join(dir, 'state.db'));
 * new TicketService({ db: state.db, audit: (e) => state.audit(e), ... });
 * await state.listAudit();
 */
import { SqliteStateDb } from '../../src/state/sqlite-db.ts';
import { StateStore, type AuditEntry } from '../../src/state/state-store.ts';

export async function openSqliteState(path: string) {
  const stateDb = new SqliteStateDb(path);
  const store = await StateStore.open(stateDb);
  return {
    stateDb,
    store,
    /** the port's connection, for modules not on the port */
    db: stateDb.raw,
    audit: (e: AuditEntry) => store.audit(e),
    listAudit: (opts?: Parameters<StateStore['listAudit']>[0]) => store.listAudit(opts),
    close: () => stateDb.close(),
  };
}

export type SqliteState = Awaited<ReturnType<typeof openSqliteState>>;
