// Retention of the state database: alarm events, audit, delivered and long-dead outbox rows are
// pruned past their configured age, in batches that yield to the event loop; what is young, and
// every undelivered row, stays. SQLite in a temporary folder.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AlarmPersistence } from '../../src/alarms/persist.ts';
import { SqliteStateDb } from '../../src/state/sqlite-db.ts';
import { parseConfigText } from '../../src/config/load.ts';
import { pruneState, resolveStateRetention } from '../../src/state/retention.ts';
import { openSqliteState, type SqliteState } from '../helpers/sqlite-state.ts';
import { Outbox } from '../../src/tickets/outbox.ts';

const DAY = 86_400_000;
const NOW = Date.UTC(2025, 5, 1);
let dir: string;
let state: SqliteState;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'heatwatch-retention-'));
  state = await openSqliteState(join(dir, 'state.db'));
});
afterEach(() => {
  state.close();
  rmSync(dir, { recursive: true, force: true });
});

async function fill(n: { oldEvents: number; newEvents: number }) {
  const stateDb = new SqliteStateDb(join(dir, 'state.db'));
  await AlarmPersistence.open(stateDb);
  await stateDb.close();
  const outbox = new Outbox(state.stateDb, []);
  await outbox.init();
  const ev = state.db.prepare('INSERT INTO alarm_events (id, ts, alarm_id, station, type, priority, event) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const ob = state.db.prepare('INSERT INTO tk_outbox (receiver, event_id, type, body, created_at, next_at, delivered_at, dead) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  state.db.transaction(() => {
    let id = 0;
    for (let i = 0; i < n.oldEvents; i++) ev.run(++id, NOW - 500 * DAY + i, 'a', 'hs-001', 'raise', 1, '{}');
    for (let i = 0; i < n.newEvents; i++) ev.run(++id, NOW - 10 * DAY + i, 'a', 'hs-001', 'raise', 1, '{}');
    for (const ts of [NOW - 401 * DAY, NOW - 401 * DAY, NOW - DAY]) state.audit({ ts, user: 'u', role: 'operator', action: 'x', target: 't' });
    ob.run('ext', 'e1', 'created', '{}', NOW - 60 * DAY, NOW - 60 * DAY, NOW - 60 * DAY, 0); // delivered long ago: pruned
    ob.run('ext', 'e2', 'created', '{}', NOW - 5 * DAY, NOW - 5 * DAY, NOW - 5 * DAY, 0); // delivered lately: kept
    ob.run('ext', 'e3', 'created', '{}', NOW - 200 * DAY, NOW, null, 0); // never delivered: kept, however old
    ob.run('ext', 'e4', 'created', '{}', NOW - 100 * DAY, NOW, null, 1); // dead past 90 days: pruned
    ob.run('ext', 'e5', 'created', '{}', NOW - 10 * DAY, NOW, null, 1); // dead lately: kept
  })();
  return outbox;
}

const count = (sql: string) => (state.db.prepare(sql).get() as { n: number }).n;

describe('state retention', () => {
  it('prunes each table past its age and keeps the rest; counters follow', async () => {
    const outbox = await fill({ oldEvents: 50, newEvents: 20 });
    expect(await outbox.stats()).toEqual({ pending: 1, dead: 2, delivered: 2 });
    const removed = await pruneState(state.stateDb, resolveStateRetention(undefined), NOW);
    expect(removed).toEqual({ alarm_events: 50, audit: 2, outbox_delivered: 1, outbox_dead: 1 });
    expect(count('SELECT COUNT(*) AS n FROM alarm_events')).toBe(20);
    expect(count('SELECT COUNT(*) AS n FROM audit')).toBe(1);
    expect((state.db.prepare('SELECT event_id FROM tk_outbox ORDER BY id').all() as Array<{ event_id: string }>).map((r) => r.event_id)).toEqual(['e2', 'e3', 'e5']);
    expect(await outbox.stats()).toEqual({ pending: 1, dead: 1, delivered: 1 });
  });

  it('deletes in batches of batchRows and lets the event loop run between them', async () => {
    await fill({ oldEvents: 1050, newEvents: 5 });
    const batches: number[] = [];
    let turns = 0;
    let ticking = true;
    const tick = () => {
      if (!ticking) return;
      turns++;
      setImmediate(tick);
    };
    setImmediate(tick);
    const started = turns;
    await pruneState(state.stateDb, resolveStateRetention({ batchRows: 100 }), NOW, (t, n) => t === 'alarm_events' && batches.push(n));
    ticking = false;
    expect(batches).toEqual([100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 50]);
    expect(turns - started).toBeGreaterThanOrEqual(10);
  });

  it('takes its ages from storage.state.retention (days), with defaults', () => {
    const base = 'stations: []\nstorage:\n  state: { kind: sqlite, path: data/state.db, retention: { alarmEventsDays: 30, outboxDeliveredDays: 7 } }\n';
    const cfg = parseConfigText(base, 'retention.yaml');
    expect(resolveStateRetention(cfg.storage.state.retention)).toEqual({ alarmEventsMs: 30 * DAY, auditMs: 400 * DAY, outboxDeliveredMs: 7 * DAY, outboxDeadMs: 90 * DAY, batchRows: 5000 });
    expect(() => parseConfigText(base.replace('alarmEventsDays: 30', 'alarmEventDays: 30'), 'typo.yaml')).toThrow(/storage\.state\.retention/);
  });
});
