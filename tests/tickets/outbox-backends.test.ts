// The webhook outbox on both state backends: rows written in the change's transaction, the
// trigger-kept counts, two senders draining one queue (each row sent once, in order, one at a
// time), dead letters listed and re-sent; and an SQLite file of an older release upgraded.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { StateDb } from '../../src/state/db.ts';
import type { SqliteStateDb } from '../../src/state/sqlite-db.ts';
import type { WebhookTarget } from '../../src/tickets/config.ts';
import { Outbox, WebhookDispatcher } from '../../src/tickets/outbox.ts';
import { claimOutboxRow, listOutbox, markOutboxDelivered, markOutboxFailed, migrateOutbox, outboxCounts, retryDeadLetter } from '../../src/tickets/outbox-rows.ts';
import type { TicketEvent } from '../../src/tickets/types.ts';
import { stateBackends, useStateDbs } from '../helpers/state-db.ts';
import { waitFor } from '../helpers/wait.ts';

const T0 = Date.UTC(2026, 11, 3, 8, 0, 0);

const event = (ticket: number, n: number, change = 'created'): TicketEvent =>
  ({ id: `${ticket}:${n}`, type: change === 'created' ? 'created' : 'updated', ts: T0, change, ticket: { id: ticket, description: `ticket ${ticket}` } }) as never;

/** A real HTTP receiver on loopback: answers each POST after a few ms, records the event ids and how many were in flight at once. */
class Receiver {
  ids: string[] = [];
  inFlight = 0;
  maxInFlight = 0;
  server!: Server;
  url = '';
  async start() {
    this.server = createServer((req, res) => {
      this.inFlight++;
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        this.ids.push((JSON.parse(body) as { id: string }).id);
        // a slow receiver: the other sender has time to try the same queue meanwhile
        setTimeout(() => {
          this.inFlight--;
          res.writeHead(204).end();
        }, 5);
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
    return this;
  }
  stop() {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(r));
  }
}

const target = (url = 'http://127.0.0.1:9/hook'): WebhookTarget => ({ name: 'ext', url, secret: 'test-secret-1', events: ['created', 'updated', 'escalated', 'closed'], timeoutMs: 5000 });

const receivers: Receiver[] = [];
const dispatchers: WebhookDispatcher[] = [];
afterEach(async () => {
  await Promise.all(dispatchers.splice(0).map((d) => d.stop()));
  await Promise.all(receivers.splice(0).map((r) => r.stop()));
});

async function openOutbox(db: StateDb, url?: string): Promise<Outbox> {
  const outbox = new Outbox(db, [target(url)]);
  await outbox.init();
  return outbox;
}

const ids = async (db: StateDb) => (await db.all<{ id: number }>('SELECT id FROM tk_outbox ORDER BY id')).map((r) => r.id);

describe.each(stateBackends)('the outbox on %s', (kind) => {
  const dbs = useStateDbs(kind);

  it('rows enqueued in a transaction that rolls back are not there, nor counted', async () => {
    const db = await dbs.fresh();
    const outbox = await openOutbox(db);
    await expect(
      db.tx(async () => {
        expect(await outbox.enqueue(event(1, 1), T0)).toBe(1);
        await outbox.enqueueRows([{ receiver: 'ops', eventId: '1:1:p1_open:ops', type: 'notify', body: '{}' }], T0);
        throw new Error('the change failed later');
      }),
    ).rejects.toThrow('later');
    expect(await ids(db)).toEqual([]);
    expect(await outbox.stats()).toEqual({ pending: 0, dead: 0, delivered: 0 });
    await db.tx(async () => {
      await outbox.enqueue(event(1, 2), T0);
      await outbox.enqueueRows([{ receiver: 'ops', eventId: '1:2:p1_open:ops', type: 'notify', body: '{}' }], T0);
    });
    expect(await ids(db)).toHaveLength(2);
    expect(await outbox.stats()).toEqual({ pending: 2, dead: 0, delivered: 0 });
  });

  it('counts pending, dead and delivered rows; lists them newest first by status and receiver, paging on', async () => {
    const db = await dbs.fresh();
    const outbox = await openOutbox(db);
    for (let i = 1; i <= 5; i++) await outbox.enqueue(event(i, 10 + i, i % 2 ? 'created' : 'assigned'), T0 + i);
    await outbox.enqueueRows([{ receiver: 'ops', eventId: '9:1:p1_open:ops', type: 'notify', body: JSON.stringify({ change: 'created', ticket: { id: 9 } }) }], T0);
    const [a, b] = await ids(db);
    expect(await claimOutboxRow(db, a, 'me', T0 + 10, T0 + 20)).toBeDefined();
    expect(await markOutboxDelivered(db, a, 'me', T0 + 11)).toBe(true);
    expect(await claimOutboxRow(db, b, 'me', T0 + 10, T0 + 20)).toBeDefined();
    expect(await markOutboxFailed(db, b, 'me', { nextAt: T0 + 100, error: 'HTTP 404', dead: true })).toBe(true);
    expect(await outboxCounts(db)).toEqual({ pending: 4, dead: 1, delivered: 1 });

    const pending = await listOutbox(db, { status: 'pending', limit: 10 });
    expect(pending.map((r) => [r.receiver, r.ticket, r.change])).toEqual([
      ['ops', 9, 'created'],
      ['ext', 5, 'created'],
      ['ext', 4, 'assigned'],
      ['ext', 3, 'created'],
    ]);
    expect(pending[0]).not.toHaveProperty('body');
    const page = await listOutbox(db, { status: 'pending', receiver: 'ext', limit: 2 });
    expect(page.map((r) => r.ticket)).toEqual([5, 4]);
    expect((await listOutbox(db, { status: 'pending', receiver: 'ext', limit: 2, beforeId: page[1].id })).map((r) => r.ticket)).toEqual([3]);
    expect(await listOutbox(db, { status: 'delivered', limit: 10 })).toEqual([expect.objectContaining({ id: a, ticket: 1, change: 'created', status: 'delivered', attempts: 1, deliveredAt: T0 + 11, lastError: null })]);
    expect(await listOutbox(db, { status: 'dead', limit: 10 })).toEqual([expect.objectContaining({ id: b, ticket: 2, status: 'dead', attempts: 1, lastError: 'HTTP 404' })]);
  });

  it('of two senders claiming the same row at once, one gets it', async () => {
    const db = await dbs.fresh();
    const outbox = await openOutbox(db);
    // PostgreSQL: a second instance, its own connections; SQLite: one process, one connection
    const other = kind === 'postgresql' ? dbs.again() : db;
    for (let i = 1; i <= 10; i++) await outbox.enqueue(event(i, 1), T0);
    for (const id of await ids(db)) {
      const got = await Promise.all([claimOutboxRow(db, id, 'a', T0, T0 + 1000), claimOutboxRow(other, id, 'b', T0, T0 + 1000)]);
      expect(got.filter((r) => r !== undefined)).toHaveLength(1);
      // a claim that ran out is free again, and a sender only records the outcome of its own claim
      const holder = got[0] ? 'a' : 'b';
      const taker = holder === 'a' ? 'b' : 'a';
      expect(await claimOutboxRow(db, id, taker, T0 + 999, T0 + 2000)).toBeUndefined();
      expect(await claimOutboxRow(db, id, taker, T0 + 1000, T0 + 2000)).toBeDefined();
      expect(await markOutboxDelivered(db, id, holder, T0 + 1001)).toBe(false);
      expect(await markOutboxDelivered(db, id, taker, T0 + 1001)).toBe(true);
    }
    expect(await outbox.stats()).toEqual({ pending: 0, dead: 0, delivered: 10 });
  });

  it('two dispatchers draining one queue send each row once, in order, one at a time', async () => {
    const rx = await new Receiver().start();
    receivers.push(rx);
    const db = await dbs.fresh();
    const outbox = await openOutbox(db, rx.url);
    const other = kind === 'postgresql' ? dbs.again() : db;
    const n = 30;
    await db.tx(async () => {
      for (let i = 1; i <= n; i++) await outbox.enqueue(event(i, 1), Date.now());
    });
    for (const d of [db, other]) {
      const dispatcher = new WebhookDispatcher({ db: d, targets: [target(rx.url)], retry: { baseMs: 10, maxMs: 50 }, idlePollMs: 5 });
      dispatchers.push(dispatcher);
      dispatcher.start();
    }
    // each POST comes before its row is marked delivered: once all are marked, every POST has arrived
    await waitFor(async () => (await outbox.stats()).delivered === n, 20_000, 'every row delivered');
    expect(rx.ids).toEqual(Array.from({ length: n }, (_, i) => `${i + 1}:1`));
    expect(rx.maxInFlight).toBe(1);
    expect(await outbox.stats()).toEqual({ pending: 0, dead: 0, delivered: n });
  });

  it('a dead letter is listed and re-sent once, as a new round; unknown rows and receivers are refused', async () => {
    const db = await dbs.fresh();
    const outbox = await openOutbox(db);
    await outbox.enqueue(event(7, 1), T0);
    await outbox.enqueueRows([{ receiver: 'gone', eventId: '7:1:p1_open:gone', type: 'notify', body: '{}' }], T0);
    const [ext, gone] = await ids(db);
    for (const id of [ext, gone]) {
      await claimOutboxRow(db, id, 'me', T0, T0 + 10);
      await markOutboxFailed(db, id, 'me', { nextAt: T0 + 5, error: 'HTTP 500', dead: true });
    }
    expect((await listOutbox(db, { status: 'dead', limit: 10 })).map((r) => r.id)).toEqual([gone, ext]);
    const known = new Set(['ext']);
    const retry = (id: number) => db.tx(() => retryDeadLetter(db, id, T0 + 1000, known));
    expect(await retry(ext)).toEqual({ ok: true, entry: { id: ext, receiver: 'ext', eventId: '7:1' } });
    expect(await retry(ext)).toEqual({ ok: false, reason: 'not_dead' });
    expect(await retry(gone)).toEqual({ ok: false, reason: 'unknown_receiver', receiver: 'gone' });
    expect(await retry(9999)).toEqual({ ok: false, reason: 'not_found' });
    expect(await listOutbox(db, { status: 'pending', limit: 10 })).toEqual([expect.objectContaining({ id: ext, attempts: 0, nextAt: T0 + 1000, status: 'pending' })]);
    expect(await outbox.stats()).toEqual({ pending: 1, dead: 1, delivered: 0 });
    // a new round: the first attempt of it may fail again without being dead at once
    const row = await claimOutboxRow(db, ext, 'me', T0 + 1000, T0 + 2000);
    expect(row).toMatchObject({ attempts: 0, since: T0 + 1000 });
  });

  it('migrating twice, or from a second instance, changes nothing', async () => {
    const db = await dbs.fresh();
    await migrateOutbox(db);
    const again = kind === 'postgresql' ? dbs.again() : db;
    await Promise.all([migrateOutbox(db), migrateOutbox(again)]);
    expect((await db.columns('tk_outbox')).sort()).toEqual(
      ['attempts', 'body', 'claim_until', 'claimed_by', 'created_at', 'dead', 'delivered_at', 'event_id', 'id', 'last_error', 'next_at', 'receiver', 'since', 'type'].sort(),
    );
    expect(await db.all('SELECT version FROM schema_migrations WHERE module = ? ORDER BY version', ['outbox'])).toEqual([1, 2, 3, 4].map((version) => ({ version })));
  });
});

describe('an SQLite file of an older release', () => {
  const dbs = useStateDbs('sqlite');

  it.each([
    ['without the dead-letter column and counts', false],
    ['with the counts its release kept', true],
  ])('%s upgrades, keeps its rows, counts them and sends them', async (_name, counted) => {
    const db = (await dbs.fresh()) as SqliteStateDb;
    // the table as the first releases made it
    db.raw.exec(`
      CREATE TABLE tk_outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        receiver TEXT NOT NULL, event_id TEXT NOT NULL, type TEXT NOT NULL, body TEXT NOT NULL,
        created_at INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL,
        delivered_at INTEGER, dead INTEGER NOT NULL DEFAULT 0, last_error TEXT
      );
      CREATE INDEX tk_outbox_pending ON tk_outbox(receiver, delivered_at, dead, id);`);
    const put = db.raw.prepare('INSERT INTO tk_outbox (receiver, event_id, type, body, created_at, next_at, delivered_at, dead, attempts) VALUES (?,?,?,?,?,?,?,?,?)');
    put.run('ext', '1:1', 'created', JSON.stringify({ id: '1:1', change: 'created', ticket: { id: 1 } }), T0, T0, T0 + 5, 0, 1);
    put.run('ext', '2:1', 'created', JSON.stringify({ id: '2:1', change: 'created', ticket: { id: 2 } }), T0, T0, null, 1, 3);
    put.run('ext', '3:1', 'created', JSON.stringify({ id: '3:1', change: 'created', ticket: { id: 3 } }), T0, T0, null, 0, 0);
    if (counted) {
      // the later release: a since column, and the counts table with its triggers (state/counts.ts groupCountsStep)
      const k = (p: string) => `(CASE WHEN ${p}dead = 1 THEN 'dead' WHEN ${p}delivered_at IS NULL THEN 'pending' ELSE 'delivered' END)`;
      const inc = (p: string) => `INSERT INTO tk_outbox_counts (k, n) SELECT ${k(p)}, 1 WHERE ${k(p)} IS NOT NULL ON CONFLICT(k) DO UPDATE SET n = n + 1;`;
      const dec = (p: string) => `UPDATE tk_outbox_counts SET n = n - 1 WHERE k = ${k(p)};`;
      db.raw.exec(`ALTER TABLE tk_outbox ADD COLUMN since INTEGER;
        CREATE TABLE tk_outbox_counts (k TEXT PRIMARY KEY, n INTEGER NOT NULL);
        INSERT INTO tk_outbox_counts (k, n) SELECT g, COUNT(*) FROM (SELECT ${k('')} AS g FROM tk_outbox) GROUP BY g;
        CREATE TRIGGER tk_outbox_counts_ins AFTER INSERT ON tk_outbox BEGIN ${inc('NEW.')} END;
        CREATE TRIGGER tk_outbox_counts_del AFTER DELETE ON tk_outbox BEGIN ${dec('OLD.')} END;
        CREATE TRIGGER tk_outbox_counts_upd AFTER UPDATE OF dead, delivered_at ON tk_outbox WHEN ${k('OLD.')} IS NOT ${k('NEW.')} BEGIN ${dec('OLD.')} ${inc('NEW.')} END;`);
    }
    const outbox = await openOutbox(db);
    expect(await outbox.stats()).toEqual({ pending: 1, dead: 1, delivered: 1 });
    expect((await listOutbox(db, { status: 'dead', limit: 10 })).map((r) => [r.ticket, r.attempts])).toEqual([[2, 3]]);
    const row = await claimOutboxRow(db, 3, 'me', T0 + 1, T0 + 100);
    expect(row).toMatchObject({ event_id: '3:1', since: null });
    await markOutboxDelivered(db, 3, 'me', T0 + 2);
    await outbox.enqueue(event(4, 1), T0 + 3);
    expect(await outbox.stats()).toEqual({ pending: 1, dead: 1, delivered: 2 });
  });
});
