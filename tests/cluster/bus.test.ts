/**
 * Messages between instances over LISTEN/NOTIFY: delivered to the others, not echoed to the
 * sender, too-big bodies refused and counted, and listening resumes after the listening
 * connection is killed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ClusterBus, type ClusterMessage } from '../../src/cluster/bus.ts';
import { PgStateDb } from '../../src/state/pg-db.ts';
import { createTestPgDatabase, PG_ADMIN_URL } from '../helpers/state-db.ts';
import { waitFor } from '../helpers/wait.ts';
import pg from 'pg';

describe('cluster bus on postgresql', () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f().catch(() => {});
  });

  it('delivers to the other instances, not back to the sender, and resumes after a lost connection', async () => {
    const d = await createTestPgDatabase();
    cleanup.push(() => d.drop());
    const dbA = new PgStateDb({ url: d.url });
    const dbB = new PgStateDb({ url: d.url });
    cleanup.push(() => dbA.close(), () => dbB.close());
    const a = new ClusterBus({ db: dbA, url: d.url, instance: 'a', backoff: { baseMs: 50, maxMs: 200 } });
    const b = new ClusterBus({ db: dbB, url: d.url, instance: 'b', backoff: { baseMs: 50, maxMs: 200 } });
    cleanup.push(() => a.stop(), () => b.stop());
    await a.start();
    await b.start();
    const atA: ClusterMessage[] = [];
    const atB: ClusterMessage[] = [];
    a.on('alarm', (m) => atA.push(m));
    b.on('alarm', (m) => atB.push(m));

    expect(await a.send('alarm', { id: 'hs-001/high_temp', state: 'unacked' })).toBe(true);
    await waitFor(() => atB.length === 1, 5000, 'b got the alarm');
    expect(atB[0]).toEqual({ from: 'a', topic: 'alarm', body: { id: 'hs-001/high_temp', state: 'unacked' } });
    expect(await a.send('alarm', { text: 'x'.repeat(9000) })).toBe(false);
    expect(a.oversize).toBe(1);

    // the server ends b's listening session (a restart, a cut connection): b listens again
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'heatwatch-bus-b'");
    await admin.end();
    await waitFor(() => !b.connected, 5000, 'b saw the loss');
    await waitFor(() => b.connected, 5000, 'b listening again');
    await a.send('alarm', { id: 'after' });
    await waitFor(() => atB.some((m) => (m.body as { id?: string }).id === 'after'), 5000, 'b got the message after reconnecting');
    expect(atA).toEqual([]);
  });
});
