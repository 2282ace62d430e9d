/**
 * Child process for the webhook restart test: opens the given state database
 * with one webhook target, `produce N` writes N ticket changes and then idles
 * (the parent SIGKILLs it while deliveries are pending); `deliver` only runs
 * the senders. Prints `ready` on stdout when its part is done. A short webhook timeout: a child
 * killed mid-attempt holds its claim on the row for that long (and a margin) only.
 */
import { openSqliteState, type SqliteState } from '../helpers/sqlite-state.ts';
import { SqliteStateDb } from '../../src/state/sqlite-db.ts';
import { resolveTicketSettings } from '../../src/tickets/config.ts';
import { TicketService } from '../../src/tickets/service.ts';

const [dbPath, url, mode, n] = process.argv.slice(2);
const stateDb = new SqliteStateDb(dbPath);
const svc = new TicketService({
  db: stateDb,
  settings: resolveTicketSettings({ webhooks: [{ name: 'ext', url, secret: 'test-secret-1', timeoutMs: 2000 }], retry: { baseMs: 20, maxMs: 100 } }),
  stations: [{ id: 'hs-001' }],
});
await svc.init();
svc.start();
if (mode === 'produce') {
  for (let i = 0; i < Number(n); i++) await svc.createTicket({ source: 'manual', priority: 'P3', description: `child ticket ${i}` }, { name: 'child', role: 'operator' });
}
process.stdout.write('ready\n');
setInterval(() => {}, 1000);
