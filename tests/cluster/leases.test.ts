/**
 * Leases between instances sharing one PostgreSQL database: division, takeover after a crash
 * (an instance that stops renewing without letting go), a row edited by hand, self-fencing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Leases, ownedStations, type LeaseChange } from '../../src/cluster/leases.ts';
import { ownerByHash } from '../../src/cluster/plan.ts';
import type { StateDb } from '../../src/state/db.ts';
import { useStateDbs } from '../helpers/state-db.ts';
import { waitFor } from '../helpers/wait.ts';

const names = [...Array.from({ length: 40 }, (_, i) => `station:hs-${String(i + 1).padStart(3, '0')}`), 'job:sla', 'job:outbox'];
const FAST = { ttlMs: 1500, renewMs: 300 };

describe('cluster leases on postgresql', () => {
  const dbs = useStateDbs('postgresql');
  const running: Leases[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((l) => l.stop(false)));
  });
  const instance = (db: StateDb, id: string, changes: LeaseChange[] = []) => {
    const l = new Leases({ db, instance: id, names: () => names, ...FAST, onChange: (c) => changes.push(c) });
    running.push(l);
    return l;
  };
  const holders = (ls: Leases[]) => {
    const by = new Map<string, string[]>();
    for (const l of ls) for (const n of l.heldNames()) by.set(n, [...(by.get(n) ?? []), l.status().instance]);
    return by;
  };

  it('divides the names between two instances, each held by exactly one', async () => {
    const a = instance(await dbs.fresh(), 'serve-a');
    const b = instance(dbs.again(), 'serve-b');
    await a.start();
    expect(a.heldNames()).toHaveLength(names.length); // alone, it takes everything
    await b.start();
    await waitFor(() => {
      const by = holders([a, b]);
      return names.every((n) => by.get(n)?.length === 1 && by.get(n)![0] === ownerByHash(n, ['serve-a', 'serve-b']));
    }, 10_000, 'each name with its hash owner');
    expect(a.heldNames().length).toBeGreaterThan(5);
    expect(b.heldNames().length).toBeGreaterThan(5);
    expect(a.status().members.map((m) => m.instance)).toEqual(['serve-a', 'serve-b']);
  });

  it('takes over a crashed instance\'s names within the lease time', async () => {
    const a = instance(await dbs.fresh(), 'serve-a');
    const changesB: LeaseChange[] = [];
    const b = instance(dbs.again(), 'serve-b', changesB);
    await a.start();
    await b.start();
    await waitFor(() => a.heldNames().length + b.heldNames().length === names.length && b.heldNames().length > 0, 10_000, 'divided');
    const aHeld = a.heldNames();
    const t0 = Date.now();
    await a.stop(false); // kill -9: no release, the rows still name serve-a
    await waitFor(() => b.heldNames().length === names.length, 10_000, 'serve-b holds everything');
    expect(Date.now() - t0).toBeLessThan(FAST.ttlMs + 3 * FAST.renewMs + 1000);
    expect(changesB.flatMap((c) => c.gained)).toEqual(expect.arrayContaining(aHeld));
  });

  it('a clean stop hands over at once; a row naming a dead instance is repaired', async () => {
    const db = await dbs.fresh();
    const a = instance(db, 'serve-a');
    await a.init();
    // edited by hand: a station owned by an instance that is not running, for an hour
    await db.run('INSERT INTO cluster_leases (name, owner, expires_at) VALUES (?, ?, ?)', ['station:hs-001', 'ghost', Date.now() + 3_600_000]);
    await a.start();
    expect(a.holds('station:hs-001')).toBe(true);
    const b = instance(dbs.again(), 'serve-b');
    await b.start();
    await a.stop(true);
    await b.round();
    expect(b.heldNames()).toHaveLength(names.length);
  });

  it('keeps holding while the database is away; a station another took meanwhile is fenced at write time, then lost', async () => {
    const lost: string[] = [];
    const db = await dbs.fresh();
    const a = new Leases({ db: dbs.again(), instance: 'serve-a', names: () => names, ...FAST, onChange: (c) => lost.push(...c.lost) });
    running.push(a);
    await a.start();
    expect(a.heldNames()).toHaveLength(names.length);
    const cutOff = dbs.again();
    const b = new Leases({ db: cutOff, instance: 'serve-b', names: () => names, ...FAST });
    await cutOff.close(); // b cannot reach the database at all
    await b.round();
    expect(b.status().error).toBeTruthy();
    // a's own database goes too: it keeps what it holds (nobody can claim through a database that is away)
    const aDb = (a as unknown as { o: { db: StateDb } }).o.db;
    await aDb.close();
    await a.round();
    expect(a.heldNames()).toHaveLength(names.length);
    expect(a.status().error).toBeTruthy();
    expect(lost).toEqual([]);
    // meanwhile another instance took hs-001: writes checked against the rows see it is no longer a's
    await db.run("UPDATE cluster_leases SET owner = 'serve-c' WHERE name = 'station:hs-001'");
    const owned = await db.tx(() => ownedStations(db, 'serve-a', ['hs-001', 'hs-002']));
    expect([...owned]).toEqual(['hs-002']);
  });
});
