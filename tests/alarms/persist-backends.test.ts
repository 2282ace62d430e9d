/**
 * Alarm persistence on both state backends: events and records written together and read back
 * by time, station and alarm in a total order; the checkpoint and the records restored by a
 * second connection (a restart, or another instance); bounded counts; the runner's write chain
 * riding out a database that goes away and writing what it kept once it is back; and an SQLite
 * file of an older release upgrading in place.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { compileRules } from '../../src/alarms/compile.ts';
import { DEFAULT_RULES } from '../../src/alarms/default-rules.ts';
import { AlarmPersistence, eventRow, type AlarmMeta, type AlarmRow } from '../../src/alarms/persist.ts';
import { AlarmRunner } from '../../src/alarms/runner.ts';
import type { AlarmEvent, AlarmRecord, StoredState } from '../../src/alarms/types.ts';
import type { Sample } from '../../src/model.ts';
import { DelegatingStateDb } from '../../src/state/db.ts';
import { SqliteStateDb } from '../../src/state/sqlite-db.ts';
import { spyLogger } from '../helpers/spy-logger.ts';
import { stateBackends, useStateDbs } from '../helpers/state-db.ts';

const T0 = Date.UTC(2026, 11, 3, 8);
const FLOOD = 'hs-001.plc.flood:flood';

const ev = (id: number, ts: number, station: string, type: AlarmEvent['type'] = 'raise', alarmId = `${station}.plc.flood:flood`): AlarmEvent => ({
  id, alarmId, ruleId: 'flood', station, device: 'plc', point: `${station}.plc.flood`, ts, type, from: 'normal', to: 'unacked', priority: 1, value: true, message: 'flood', class: 'flood',
});
const meta = (ts: number): AlarmMeta => ({ raisedAt: ts, lastChange: ts, ackedBy: null, ackedAt: null, comment: null, value: true, raises: [ts] });
const row = (id: string, record: object, m: AlarmMeta, kind: AlarmRow['kind'] = 'rule'): AlarmRow => ({ id, kind, record: JSON.stringify(record), meta: JSON.stringify(m) });

/** The runner's handle on a database that can go away and come back (a restarted server). */
class SwitchDb extends DelegatingStateDb {}

describe.each(stateBackends)('alarm persistence on %s', (kind) => {
  const dbs = useStateDbs(kind);

  it('writes events and records in one transaction and reads them back by time, station and alarm, in a total order', async () => {
    const p = await AlarmPersistence.open(await dbs.fresh());
    // several events at one millisecond: the order is the event id's on both engines
    const events = [ev(1, T0, 'hs-001'), ev(2, T0, 'hs-002'), ev(3, T0, 'hs-001', 'ack'), ev(4, T0 + 1000, 'hs-001', 'clear'), ev(5, T0 + 2000, 'hs-002', 'raise', 'hs-002.plc:comm_loss'), ev(6, T0 + 3000, 'hs-003')];
    await p.record(events.map(eventRow), [row(FLOOD, { id: FLOOD, st: 'normal' }, meta(T0)), row(FLOOD, { id: FLOOD, st: 'acked' }, meta(T0))]);
    const ids = (es: AlarmEvent[]) => es.map((e) => e.id);
    expect(ids(await p.history({ from: T0, to: T0 + 3000, limit: 100 }))).toEqual([5, 4, 3, 2, 1]);
    expect(ids(await p.history({ from: T0, to: T0 + 3001, station: 'hs-001', limit: 100 }))).toEqual([4, 3, 1]);
    expect(ids(await p.history({ from: 0, to: T0 + 10_000, station: 'hs-002', alarmId: 'hs-002.plc:comm_loss', limit: 100 }))).toEqual([5]);
    expect(ids(await p.history({ from: 0, to: T0 + 10_000, limit: 2 }))).toEqual([6, 5]);
    expect(await p.history({ from: T0, to: T0 + 1000, station: 'hs-001', limit: 100 })).toEqual([events[2], events[0]]);
    expect(ids(await p.events(T0, T0 + 2001))).toEqual([1, 2, 3, 4, 5]);
    // an event written again (a retry after a lost commit) stays one event
    await p.record([eventRow(events[0])], []);
    expect(ids(await p.events(0, T0 + 10_000))).toEqual([1, 2, 3, 4, 5, 6]);
    // the last form of a record given twice is the one kept
    expect((await p.restore()).records.get(FLOOD)).toEqual({ id: FLOOD, st: 'acked' });
  });

  it('writes nothing when the transaction fails part-way', async () => {
    const p = await AlarmPersistence.open(await dbs.fresh());
    await expect(p.record([eventRow(ev(1, T0, 'hs-001'))], [row(FLOOD, { id: FLOOD }, meta(T0))], async () => { throw new Error('audit refused'); })).rejects.toThrow('audit refused');
    expect(await p.events(0, T0 + 1)).toEqual([]);
    expect((await p.restore()).records.size).toBe(0);
  });

  it('counts the events of a window up to a cap', async () => {
    const p = await AlarmPersistence.open(await dbs.fresh());
    // 300 events: more than one multi-row statement, with a remainder
    await p.record(Array.from({ length: 300 }, (_, i) => eventRow(ev(i + 1, T0 + i * 1000, `hs-00${(i % 3) + 1}`))), []);
    expect(await p.countUpTo(T0, T0 + 300_000, 1000)).toBe(300);
    expect(await p.countUpTo(T0, T0 + 300_000, 51)).toBe(51);
    expect(await p.countUpTo(T0 + 10_000, T0 + 20_000, 1000)).toBe(10);
    expect(await p.countUpTo(T0 - 10_000, T0, 1000)).toBe(0);
  });

  it('restores the checkpoint, records, externals and the event counter from a second connection', async () => {
    const a = await AlarmPersistence.open(await dbs.fresh());
    const rec = { id: FLOOD, st: 'acked', raw: true } as unknown as AlarmRecord;
    const ext = { id: 'hs-001:customer_no_heat', source: 'external', station: 'hs-001', st: 'unacked', active: true };
    const cp: StoredState = { v: 1, seq: 7, t0: -1, points: [], alarms: [rec], devices: [] };
    await a.record([ev(7, T0, 'hs-001'), ev(3, T0, 'hs-001')].map(eventRow), [row(FLOOD, rec, meta(T0)), row(ext.id, ext, meta(T0 + 1), 'external')]);
    await a.checkpoint(JSON.stringify(cp), T0);
    await a.checkpoint(JSON.stringify({ ...cp, seq: 8 }), T0 + 15_000);
    const b = await AlarmPersistence.open(dbs.again());
    const r = await b.restore();
    expect(r.checkpoint).toEqual({ ...cp, seq: 8 });
    expect([...r.records]).toEqual([[FLOOD, rec]]);
    expect(r.externals).toEqual([ext]);
    expect(r.meta.get(ext.id)).toEqual(meta(T0 + 1));
    expect(r.maxEventId).toBe(7);
  });

  it('a runner restarted on another connection has the same alarms, acknowledgement included, and continues the event ids', async () => {
    const points = ['flood', 'power_ok'].map((point) => ({ station: 'hs-001', device: 'plc', point, pollMs: 1000 }));
    const compiled = compileRules([], points, { defaults: DEFAULT_RULES });
    let t = T0;
    const s = (v: boolean): Sample => ({ point: 'hs-001.plc.flood', ts: t, value: v, quality: 'good' });
    const a = await AlarmRunner.open({ compiled, db: await dbs.fresh(), logger: spyLogger(), now: () => t });
    a.samples([s(true)]);
    expect((await a.ack(FLOOD, 'desk-1', 'crew sent')).ok).toBe(true);
    await a.stop();
    t += 5000;
    const b = await AlarmRunner.open({ compiled, db: dbs.again(), logger: spyLogger(), now: () => t });
    expect(b.get(FLOOD)).toMatchObject({ state: 'acked', ackedBy: 'desk-1', comment: 'crew sent' });
    expect(b.list({ state: 'all' }).map((x) => [x.id, x.state])).toEqual(a.list({ state: 'all' }).map((x) => [x.id, x.state]));
    b.samples([s(false)]);
    const history = await b.history({ from: 0, to: t + 1, alarmId: FLOOD });
    expect(history.map((e) => e.type)).toEqual(['clear', 'ack', 'raise']);
    expect(history[0].id).toBeGreaterThan(history[1].id);
    await b.stop();
  });

  it('keeps what it could not write, reports it, and writes it with the next flush once the database is back', async () => {
    const points = ['flood', 'power_ok'].map((point) => ({ station: 'hs-001', device: 'plc', point, pollMs: 1000 }));
    const compiled = compileRules([], points, { defaults: DEFAULT_RULES });
    let t = T0;
    const s = (v: boolean): Sample => ({ point: 'hs-001.plc.flood', ts: t, value: v, quality: 'good' });
    const db = new SwitchDb(await dbs.fresh());
    const log = spyLogger();
    const r = await AlarmRunner.open({ compiled, db, logger: log, now: () => t });
    const heard: string[] = [];
    r.onEvents((es) => heard.push(...es.map((e) => e.type)));

    await db.target.close();
    r.samples([s(true)]);
    // the polling path went on: the listeners heard the raise while its write failed
    expect(heard).toEqual(['raise']);
    await r.written();
    expect(r.writeStats()).toMatchObject({ failing: true, backlog: 1 });
    expect(r.writeStats().failures).toBeGreaterThan(0);
    expect(log.error).toHaveBeenCalledWith(expect.objectContaining({ backlog: 1 }), expect.stringContaining('could not persist alarm events'));
    // an operator action while writes fail is refused before it changes anything: its audit row could not go with it
    t += 1000;
    expect(await r.ack(FLOOD, 'desk-1', 'seen')).toMatchObject({ ok: false, status: 503 });
    expect(r.get(FLOOD)?.state).toBe('unacked');
    expect(r.writeStats().backlog).toBe(1);

    db.target = dbs.again();
    t += 1000;
    r.samples([s(false)]);
    await r.written();
    expect(r.writeStats()).toMatchObject({ failing: false, backlog: 0 });
    expect(log.info).toHaveBeenCalledWith(expect.anything(), expect.stringContaining('written again'));
    expect((await r.history({ from: 0, to: t + 1, alarmId: FLOOD })).map((e) => e.type)).toEqual(['clear', 'raise']);
    // and once the database is back, it is taken
    expect((await r.ack(FLOOD, 'desk-1', 'seen')).ok).toBe(true);
    await r.stop();
    const restored = await AlarmPersistence.open(dbs.again()).then((p) => p.restore());
    expect(restored.checkpoint).not.toBeNull();
    expect(JSON.parse(JSON.stringify(restored.meta.get(FLOOD)))).toMatchObject({ ackedBy: 'desk-1', comment: 'seen' });
  });
});

describe('an SQLite state file of an older release', () => {
  it('keeps its alarm events, records and checkpoint after the migration', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hw-alarms-old-'));
    try {
      const file = join(dir, 'state.db');
      const old = new Database(file);
      // the DDL as the release before the state port created it
      old.exec(`
        CREATE TABLE IF NOT EXISTS alarm_events (id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, alarm_id TEXT NOT NULL, station TEXT NOT NULL, type TEXT NOT NULL, priority INTEGER NOT NULL, event TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS alarm_events_ts ON alarm_events(ts);
        CREATE INDEX IF NOT EXISTS alarm_events_station_ts ON alarm_events(station, ts);
        CREATE TABLE IF NOT EXISTS alarm_current (id TEXT PRIMARY KEY, kind TEXT NOT NULL, record TEXT NOT NULL, meta TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS alarm_checkpoint (k INTEGER PRIMARY KEY CHECK (k = 1), ts INTEGER NOT NULL, state TEXT NOT NULL);
      `);
      const e = ev(41, T0, 'hs-001');
      old.prepare('INSERT OR IGNORE INTO alarm_events (id, ts, alarm_id, station, type, priority, event) VALUES (?, ?, ?, ?, ?, ?, ?)').run(e.id, e.ts, e.alarmId, e.station, e.type, e.priority, JSON.stringify(e));
      old.prepare('INSERT INTO alarm_current (id, kind, record, meta) VALUES (?, ?, ?, ?)').run(FLOOD, 'rule', JSON.stringify({ id: FLOOD, st: 'unacked' }), JSON.stringify(meta(T0)));
      old.prepare('INSERT INTO alarm_checkpoint (k, ts, state) VALUES (1, ?, ?)').run(T0, JSON.stringify({ v: 1, seq: 41, t0: -1, points: [], alarms: [], devices: [] }));
      old.close();

      const db = new SqliteStateDb(file);
      try {
        const p = await AlarmPersistence.open(db);
        expect(await p.history({ from: 0, to: T0 + 1, limit: 10 })).toEqual([e]);
        const r = await p.restore();
        expect(r.records.get(FLOOD)).toEqual({ id: FLOOD, st: 'unacked' });
        expect(r).toMatchObject({ maxEventId: 41, checkpoint: { seq: 41 } });
        await p.record([eventRow(ev(42, T0 + 1, 'hs-001', 'ack'))], []);
        expect(await p.countUpTo(0, T0 + 2, 10)).toBe(2);
        expect(await db.all('SELECT module, version FROM schema_migrations ORDER BY version')).toEqual([{ module: 'alarms', version: 1 }, { module: 'alarms', version: 2 }]);
      } finally {
        await db.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
