/**
 * Station modes and planned stops in the state database, on both backends: a mode, a stop and
 * its cancellation written with their audit rows, read back by a restarted service (modes in
 * force, stops, the history past contexts are computed from); a file of an older release opens.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { operatorModeHistory } from '../../src/modes/history.ts';
import { ModeService } from '../../src/modes/service.ts';
import { ModeStore } from '../../src/modes/store.ts';
import { resolveOperations, type OperationsSettings } from '../../src/modes/config.ts';
import type { StateDb } from '../../src/state/db.ts';
import { SqliteStateDb } from '../../src/state/sqlite-db.ts';
import { StateStore } from '../../src/state/state-store.ts';
import { stateBackends, useStateDbs } from '../helpers/state-db.ts';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 15, 2);
const STATIONS = [
  { id: 'hs-001', area: 'north' },
  { id: 'hs-002', area: 'north' },
  { id: 'hs-003', area: 'south' },
];
const settings: OperationsSettings = resolveOperations(undefined, { stations: new Set(STATIONS.map((s) => s.id)), areas: new Set(['north', 'south']) }).settings;
const OP = { name: 'desk-1', role: 'operator' };

async function service(db: StateDb, now: () => number): Promise<{ modes: ModeService; state: StateStore }> {
  const state = await StateStore.open(db);
  const store = await ModeStore.open(db, (e) => state.audit(e));
  return { state, modes: await ModeService.open({ settings, stations: STATIONS, timeZone: 'Asia/Shanghai', store, now }) };
}

describe.each(stateBackends)('mode store on %s', (kind) => {
  const dbs = useStateDbs(kind);

  it('another instance sharing the database sees a mode and a stop once it reads them again', async () => {
    const db = await dbs.fresh();
    const now = T0;
    const a = await service(db, () => now);
    const b = await service(kind === 'postgresql' ? dbs.again() : db, () => now);
    let told = 0;
    a.modes.onChange(() => told++);
    await a.modes.setMode(['hs-002'], { mode: 'maintenance', comment: '检修', until: now + HOUR }, OP);
    const stop = await a.modes.addStop({ stations: ['hs-003'], from: new Date(now + HOUR).toISOString(), to: new Date(now + 2 * HOUR).toISOString(), reason: '换阀' }, OP);
    expect(told).toBe(2);
    expect(b.modes.plannedStops().map((x) => x.id)).not.toContain(stop.id);
    await b.modes.reload();
    expect(b.modes.plannedStops().map((x) => x.id)).toContain(stop.id);
    expect(b.modes.contextCodes(['hs-002'], now + 1)).toEqual(a.modes.contextCodes(['hs-002'], now + 1));
    expect(b.modes.contextCodes(['hs-002'], now + 1)).not.toEqual(b.modes.contextCodes(['hs-001'], now + 1));
  });

  it('sets modes, enters and cancels planned stops, each with its audit row; a restart reads them back', async () => {
    const db = await dbs.fresh();
    let now = T0;
    const { modes, state } = await service(db, () => now);
    await modes.setMode(['hs-001', 'hs-002'], { mode: 'commissioning', comment: '调试' }, OP);
    now += HOUR;
    // a crew's visit with an end interrupts commissioning, which resumes after it
    await modes.setMode(['hs-001'], { mode: 'maintenance', comment: '班组检修', until: now + 2 * HOUR }, OP);
    const kept = await modes.addStop({ stations: ['hs-003'], from: new Date(now + HOUR).toISOString(), to: new Date(now + 5 * HOUR).toISOString(), reason: '爆管抢修' }, OP);
    const gone = await modes.addStop({ area: 'north', from: new Date(now + HOUR).toISOString(), to: new Date(now + 3 * HOUR).toISOString(), reason: '计划检修' }, OP);
    await modes.cancelStop(gone.id, OP);

    const audit = await state.listAudit();
    expect(audit.map((a) => [a.action, a.target])).toEqual([
      ['planned_stop.cancel', `planned_stop:${gone.id}`],
      ['planned_stop.add', `planned_stop:${gone.id}`],
      ['planned_stop.add', `planned_stop:${kept.id}`],
      ['station.mode', 'hs-001'],
      ['station.mode', 'hs-002'],
      ['station.mode', 'hs-001'],
    ]);
    expect(audit[3].detail).toEqual({ mode: 'maintenance', comment: '班组检修', from: T0 + HOUR, until: T0 + 3 * HOUR, then: 'commissioning' });

    const again = await service(kind === 'postgresql' ? dbs.again() : db, () => now);
    expect(again.modes.modeOf('hs-001')).toMatchObject({ mode: 'maintenance', source: 'operator' });
    expect(again.modes.modeOf('hs-002')).toMatchObject({ mode: 'commissioning', source: 'operator' });
    expect(again.modes.plannedStops()).toEqual([{ ...kept }]);
    now += 3 * HOUR;
    expect(again.modes.modeOf('hs-001')).toMatchObject({ mode: 'commissioning' });
    // what past contexts read: the same history as the running service recorded
    expect(again.modes.past()).toEqual(modes.past());
    expect(modes.past().history.get('hs-001')!.map((m) => [m.mode, m.then?.mode ?? null])).toEqual([
      ['commissioning', null],
      ['maintenance', 'commissioning'],
    ]);
    expect(modes.past().stops).toEqual([kept]);
  });

  it('a failed audit row leaves the mode unchanged', async () => {
    const db = await dbs.fresh();
    const state = await StateStore.open(db);
    const store = await ModeStore.open(db, async (e) => {
      await state.audit(e);
      throw new Error('audit refused');
    });
    const m = { station: 'hs-001', mode: 'stopped' as const, comment: 'x', user: 'desk-1', from: T0, until: null, setAt: T0, then: null };
    await expect(store.setModes([m], 'operator')).rejects.toThrow('audit refused');
    expect(await store.modes()).toEqual([]);
    expect(await state.listAudit()).toEqual([]);
    expect(await operatorModeHistory(db)).toEqual(new Map());
  });
});

describe('modes and stops written by an older release (SQLite)', () => {
  it('open as they are', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hw-modes-old-'));
    try {
      const file = join(dir, 'state.db');
      const old = new Database(file);
      old.exec(`
        CREATE TABLE audit (id INTEGER PRIMARY KEY AUTOINCREMENT, ts INTEGER NOT NULL, user TEXT NOT NULL, role TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL, detail TEXT);
        CREATE TABLE station_mode (station TEXT PRIMARY KEY, mode TEXT NOT NULL, comment TEXT NOT NULL, user TEXT NOT NULL, from_ts INTEGER NOT NULL, until_ts INTEGER, set_at INTEGER NOT NULL, resume TEXT);
        CREATE TABLE planned_stop (id INTEGER PRIMARY KEY AUTOINCREMENT, stations TEXT, area TEXT, from_ts INTEGER NOT NULL, to_ts INTEGER NOT NULL, reason TEXT NOT NULL, user TEXT NOT NULL, created INTEGER NOT NULL, cancelled INTEGER);
      `);
      old.prepare('INSERT INTO station_mode VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run('hs-002', 'stopped', '停运', 'desk-9', T0, null, T0, null);
      old.prepare('INSERT INTO audit (ts, user, role, action, target, detail) VALUES (?, ?, ?, ?, ?, ?)').run(T0, 'desk-9', 'operator', 'station.mode', 'hs-002', JSON.stringify({ mode: 'stopped', comment: '停运', from: T0, until: null }));
      old.prepare('INSERT INTO planned_stop (stations, area, from_ts, to_ts, reason, user, created) VALUES (?, ?, ?, ?, ?, ?, ?)').run('["hs-003"]', null, T0, T0 + HOUR, '检修', 'desk-9', T0);
      old.close();

      const db = new SqliteStateDb(file);
      try {
        const { modes } = await service(db, () => T0 + 1);
        expect(modes.modeOf('hs-002')).toMatchObject({ mode: 'stopped', source: 'operator' });
        expect(modes.plannedStops()).toEqual([{ id: '1', stations: ['hs-003'], area: null, from: T0, to: T0 + HOUR, reason: '检修', by: 'desk-9' }]);
        expect(modes.past().history.get('hs-002')).toHaveLength(1);
      } finally {
        await db.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
