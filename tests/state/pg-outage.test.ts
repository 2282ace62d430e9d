/**
 * The PostgreSQL state database going away under a transaction (its own server, stopped and
 * started again): the transaction fails, the process keeps running, and the next one works.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { PgStateDb } from '../../src/state/pg-db.ts';
import { startPostgres } from '../setup/postgres.ts';
import type { ManagedServer } from '../setup/servers.ts';

describe('PgStateDb with its server going away', () => {
  let pg: ManagedServer | undefined;
  let db: PgStateDb | undefined;
  afterAll(async () => {
    await db?.close();
    await pg?.destroy();
  });

  it('fails a transaction whose client loses its server between two statements, and keeps the process running', async () => {
    pg = await startPostgres();
    db = new PgStateDb({ url: pg.url, connectTimeoutMs: 2000 });
    await db.exec('CREATE TABLE t (v integer)');
    const uncaught: Error[] = [];
    const onUncaught = (err: Error) => uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    try {
      let entered!: () => void;
      const inside = new Promise<void>((r) => (entered = r));
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const d = db;
      const tx = d.tx(async () => {
        await d.run('INSERT INTO t (v) VALUES (?)', [1]);
        entered();
        // the client is checked out and idle here when the server stops
        await gate;
        await d.run('INSERT INTO t (v) VALUES (?)', [2]);
      });
      const failed = tx.then(
        () => null,
        (err: Error) => err,
      );
      await inside;
      await pg.stop();
      release();
      expect(await failed).toBeInstanceOf(Error);
      await pg.start();
      // a fresh client from the pool; the failed transaction left nothing behind
      expect(await d.get<{ n: number }>('SELECT count(*) AS n FROM t')).toEqual({ n: 0 });
      await d.tx(() => d.run('INSERT INTO t (v) VALUES (?)', [3]));
      expect(await d.all<{ v: number }>('SELECT v FROM t')).toEqual([{ v: 3 }]);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
    expect(uncaught.map((e) => e.message)).toEqual([]);
  });
});
