/**
 * The audit trail and state retention on both backends: rows listed by time range newest written
 * first, an audit file of an older release opened as it is, and pruning in batches that keeps
 * what is young and every undelivered outbox row.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ddlFor, type StateDb } from '../../src/state/db.ts';
import { pruneState, resolveStateRetention } from '../../src/state/retention.ts';
import { SqliteStateDb } from '../../src/state/sqlite-db.ts';
import { StateStore } from '../../src/state/state-store.ts';
import { stateBackends, useStateDbs } from '../helpers/state-db.ts';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 15, 8);
const entry = (ts: number, action: string, detail?: unknown) => ({ ts, user: 'desk-1', role: 'operator', action, target: 'hs-001', ...(detail === undefined ? {} : { detail }) });

/** The tables retention prunes that other modules own, as they define them (the columns pruning reads). */
async function prunedTables(db: StateDb): Promise<void> {
  await db.exec(
    ddlFor(
      db.dialect,
      `CREATE TABLE alarm_events (id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, alarm_id TEXT NOT NULL, station TEXT NOT NULL, type TEXT NOT NULL, priority INTEGER NOT NULL, event TEXT NOT NULL);
       CREATE INDEX alarm_events_ts ON alarm_events(ts);
       CREATE TABLE tk_outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, receiver TEXT NOT NULL, event_id TEXT NOT NULL, created_at INTEGER NOT NULL, delivered_at INTEGER, dead INTEGER NOT NULL DEFAULT 0);`,
    ),
  );
}

describe.each(stateBackends)('audit trail on %s', (kind) => {
  const dbs = useStateDbs(kind);

  it('lists a time range newest written first, ties on ts by id, with the detail as written', async () => {
    const state = await StateStore.open(await dbs.fresh());
    const a = await state.audit(entry(NOW, 'station.mode', { mode: 'maintenance', until: null, stations: ['hs-001'] }));
    const b = await state.audit(entry(NOW, 'alarm.ack'));
    const c = await state.audit(entry(NOW - DAY, 'planned_stop.add'));
    await state.audit(entry(NOW + DAY, 'outside'));
    expect(b).toBeGreaterThan(a);
    const rows = await state.listAudit({ from: NOW - DAY, to: NOW + 1 });
    expect(rows.map((r) => r.id)).toEqual([c, b, a]);
    expect(rows[2]).toEqual({ id: a, ts: NOW, user: 'desk-1', role: 'operator', action: 'station.mode', target: 'hs-001', detail: { mode: 'maintenance', until: null, stations: ['hs-001'] } });
    expect(rows[1].detail).toBeUndefined();
    expect((await state.listAudit({ from: NOW - DAY, to: NOW + 1, limit: 2 })).map((r) => r.id)).toEqual([c, b]);
    expect(await state.listAudit()).toHaveLength(4);
  });

  it('an audit row written in a transaction that fails is not kept', async () => {
    const db = await dbs.fresh();
    const state = await StateStore.open(db);
    await expect(
      db.tx(async () => {
        await state.audit(entry(NOW, 'ticket.transition'));
        throw new Error('the change itself failed');
      }),
    ).rejects.toThrow('the change itself failed');
    expect(await state.listAudit()).toEqual([]);
  });

  it('retention prunes old rows in batches and keeps the young ones and every undelivered outbox row', async () => {
    const db = await dbs.fresh();
    const state = await StateStore.open(db);
    await prunedTables(db);
    await db.tx(async () => {
      for (let i = 0; i < 250; i++) await db.run('INSERT INTO alarm_events (id, ts, alarm_id, station, type, priority, event) VALUES (?, ?, ?, ?, ?, ?, ?)', [i + 1, NOW - 500 * DAY + i, 'a', 'hs-001', 'raise', 1, '{}']);
      for (let i = 0; i < 5; i++) await db.run('INSERT INTO alarm_events (id, ts, alarm_id, station, type, priority, event) VALUES (?, ?, ?, ?, ?, ?, ?)', [1000 + i, NOW - DAY, 'a', 'hs-001', 'raise', 1, '{}']);
      for (const ts of [NOW - 401 * DAY, NOW - 401 * DAY, NOW - DAY]) await state.audit(entry(ts, 'x'));
      const ob = 'INSERT INTO tk_outbox (receiver, event_id, created_at, delivered_at, dead) VALUES (?, ?, ?, ?, ?)';
      await db.run(ob, ['ext', 'delivered-long-ago', NOW - 60 * DAY, NOW - 60 * DAY, 0]);
      await db.run(ob, ['ext', 'delivered-lately', NOW - 5 * DAY, NOW - 5 * DAY, 0]);
      await db.run(ob, ['ext', 'never-delivered', NOW - 200 * DAY, null, 0]);
      await db.run(ob, ['ext', 'dead-long-ago', NOW - 100 * DAY, null, 1]);
      await db.run(ob, ['ext', 'dead-lately', NOW - 10 * DAY, null, 1]);
    });
    const batches: Array<[string, number]> = [];
    const removed = await pruneState(db, resolveStateRetention({ batchRows: 100 }), NOW, (t, n) => batches.push([t, n]));
    expect(removed).toEqual({ alarm_events: 250, audit: 2, outbox_delivered: 1, outbox_dead: 1 });
    expect(batches.filter(([t]) => t === 'alarm_events').map(([, n]) => n)).toEqual([100, 100, 50]);
    expect((await db.all<{ id: number }>('SELECT id FROM alarm_events ORDER BY id')).map((r) => r.id)).toEqual([1000, 1001, 1002, 1003, 1004]);
    expect((await state.listAudit()).map((r) => r.ts)).toEqual([NOW - DAY]);
    expect((await db.all<{ event_id: string }>('SELECT event_id FROM tk_outbox ORDER BY id')).map((r) => r.event_id)).toEqual(['delivered-lately', 'never-delivered', 'dead-lately']);
    // again: nothing left to do
    expect(await pruneState(db, resolveStateRetention({ batchRows: 100 }), NOW)).toEqual({ alarm_events: 0, audit: 0, outbox_delivered: 0, outbox_dead: 0 });
  });

  it('retention skips the tables of modules not deployed, and stops when aborted', async () => {
    const db = await dbs.fresh();
    const state = await StateStore.open(db);
    await state.audit(entry(NOW - 500 * DAY, 'x'));
    expect(await pruneState(db, resolveStateRetention(undefined), NOW)).toEqual({ alarm_events: 0, audit: 1, outbox_delivered: 0, outbox_dead: 0 });
    await state.audit(entry(NOW - 500 * DAY, 'x'));
    const stop = new AbortController();
    stop.abort();
    expect(await pruneState(db, resolveStateRetention(undefined), NOW, undefined, stop.signal)).toEqual({ alarm_events: 0 });
    expect(await state.listAudit()).toHaveLength(1);
  });
});

describe('an audit trail written by an older release (SQLite)', () => {
  it('opens as it is and takes new rows after the old ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hw-audit-old-'));
    try {
      const file = join(dir, 'state.db');
      const old = new Database(file);
      old.exec(`
        CREATE TABLE IF NOT EXISTS audit (
          id INTEGER PRIMARY KEY AUTOINCREMENT, ts INTEGER NOT NULL, user TEXT NOT NULL, role TEXT NOT NULL,
          action TEXT NOT NULL, target TEXT NOT NULL, detail TEXT
        );
        CREATE INDEX IF NOT EXISTS audit_ts ON audit(ts);
      `);
      old.prepare('INSERT INTO audit (ts, user, role, action, target, detail) VALUES (?, ?, ?, ?, ?, ?)').run(NOW - DAY, 'eng-1', 'engineer', 'alarm.oos', 'hs-001.flood', '{"comment":"sensor swap"}');
      old.close();

      const db = new SqliteStateDb(file);
      try {
        const state = await StateStore.open(db);
        const id = await state.audit(entry(NOW, 'alarm.ack'));
        const rows = await state.listAudit();
        expect(rows.map((r) => r.id)).toEqual([id, id - 1]);
        expect(rows[1]).toEqual({ id: id - 1, ts: NOW - DAY, user: 'eng-1', role: 'engineer', action: 'alarm.oos', target: 'hs-001.flood', detail: { comment: 'sensor swap' } });
      } finally {
        await db.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a caller still in a better-sqlite3 transaction gets the audit row in it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hw-audit-sync-'));
    const db = new SqliteStateDb(join(dir, 'state.db'));
    try {
      const state = await StateStore.open(db);
      db.raw.exec('CREATE TABLE change (id INTEGER PRIMARY KEY, what TEXT NOT NULL)');
      // the insert runs before audit() returns, so the synchronous transaction's rollback takes it too
      expect(() =>
        db.raw.transaction(() => {
          db.raw.prepare('INSERT INTO change (what) VALUES (?)').run('ack');
          void state.audit(entry(NOW, 'alarm.ack'));
          expect(db.raw.prepare('SELECT COUNT(*) AS n FROM audit').get()).toEqual({ n: 1 });
          throw new Error('rolled back');
        })(),
      ).toThrow('rolled back');
      expect(await state.listAudit()).toEqual([]);
    } finally {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
