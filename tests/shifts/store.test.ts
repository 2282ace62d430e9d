/**
 * Shift notes in the state database, on both backends: a note added and edited with its audit
 * row, listed by the shift it was written in; the deadlines tickets missed, read from the
 * tickets' timeline once those tables are there; a notes table of an older release opens.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { resolveShifts } from '../../src/shifts/config.ts';
import { ShiftError, ShiftLog } from '../../src/shifts/log.ts';
import { ShiftNoteStore } from '../../src/shifts/store.ts';
import { ddlFor, type StateDb } from '../../src/state/db.ts';
import { SqliteStateDb } from '../../src/state/sqlite-db.ts';
import { StateStore } from '../../src/state/state-store.ts';
import { stateBackends, useStateDbs } from '../helpers/state-db.ts';

const MIN = 60_000;
// 2026-11-15 10:00 in Shanghai: inside a day shift
const T0 = Date.UTC(2026, 10, 15, 2);
const STATIONS = new Map([['hs-001', {}], ['hs-002', {}]]);
const OP1 = { name: 'desk-1', role: 'operator' };
const OP2 = { name: 'desk-2', role: 'operator' };

async function shiftLog(db: StateDb, now: () => number, ticketExists?: (id: number) => Promise<boolean>) {
  const state = await StateStore.open(db);
  const store = await ShiftNoteStore.open(db);
  const log = new ShiftLog({ store, settings: resolveShifts(undefined, []), timeZone: 'Asia/Shanghai', stations: STATIONS, audit: (e) => state.audit(e), now, ...(ticketExists ? { ticketExists } : {}) });
  return { state, store, log };
}

/** the ticket module's two tables, as far as the breach read goes */
async function ticketTables(db: StateDb): Promise<void> {
  await db.exec(
    ddlFor(
      db.dialect,
      `CREATE TABLE tk_tickets (id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT, kind TEXT NOT NULL, source TEXT NOT NULL, status TEXT NOT NULL, priority TEXT NOT NULL,
         station TEXT, area TEXT, escalation INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL, closed_at INTEGER, data TEXT NOT NULL);
       CREATE TABLE tk_timeline (id INTEGER PRIMARY KEY AUTOINCREMENT, ticket_id INTEGER NOT NULL, ts INTEGER NOT NULL,
         actor TEXT NOT NULL, role TEXT NOT NULL, kind TEXT NOT NULL, from_status TEXT, to_status TEXT, note TEXT, detail TEXT);`,
    ),
  );
}

describe.each(stateBackends)('shift notes on %s', (kind) => {
  const dbs = useStateDbs(kind);

  it('adds, edits and lists notes by shift, each change with its audit row', async () => {
    const db = await dbs.fresh();
    let now = T0;
    const { log, state, store } = await shiftLog(db, () => now, async (id) => id === 7);
    const a = await log.add({ text: ' 南岗区降温 ', station: 'hs-001' }, OP1);
    now += MIN;
    const b = await log.add({ text: '7号工单待回访', ticket: 7 }, OP2);
    now += MIN;
    await expect(log.add({ text: 'x', ticket: 8 }, OP1)).rejects.toThrow(ShiftError);
    await expect(log.edit(a.id, { text: '改' }, OP2)).rejects.toMatchObject({ status: 403 });
    const edited = await log.edit(a.id, { text: '南岗区降温改为明早6点', station: 'hs-002' }, OP1);
    expect(edited).toMatchObject({ id: a.id, text: '南岗区降温改为明早6点', station: 'hs-002', editedAt: now });

    const shift = log.calendar.at(now);
    expect(await log.notesOf(shift)).toEqual([edited, b]);
    expect(await store.between(shift.end, shift.end + 1)).toEqual([]);
    expect(await store.get(b.id)).toEqual({ ...b, id: b.id, ticket: 7, station: null, corrects: null, editedAt: null });
    expect((await state.listAudit()).map((e) => [e.action, e.target])).toEqual([
      ['shift.note_edit', `shift-note:${a.id}`],
      ['shift.note', `shift-note:${b.id}`],
      ['shift.note', `shift-note:${a.id}`],
    ]);

    // after the shift: stays as written; a correction points at it
    now = shift.end;
    await expect(log.edit(a.id, { text: 'late' }, OP1)).rejects.toMatchObject({ status: 409 });
    const fix = await log.add({ text: '更正', corrects: a.id }, OP1);
    expect(fix.corrects).toBe(a.id);
    await expect(log.add({ text: '更正', corrects: 999 }, OP1)).rejects.toMatchObject({ field: 'corrects' });
  });

  it('a note whose audit row fails is not stored', async () => {
    const db = await dbs.fresh();
    await StateStore.open(db);
    const store = await ShiftNoteStore.open(db);
    const log = new ShiftLog({ store, settings: resolveShifts(undefined, []), timeZone: 'Asia/Shanghai', stations: STATIONS, audit: async () => Promise.reject(new Error('audit refused')), now: () => T0 });
    await expect(log.add({ text: 'x' }, OP1)).rejects.toThrow('audit refused');
    expect(await store.between(0, T0 + 1)).toEqual([]);
  });

  it("reads the deadlines tickets missed, once the ticket tables are there, oldest first, with the ticket's title", async () => {
    const db = await dbs.fresh();
    const before = await ShiftNoteStore.open(db);
    expect(await before.breaches(0, T0 * 2, 10)).toEqual([]);
    await ticketTables(db);
    const t1 = await db.insert('INSERT INTO tk_tickets (kind, source, status, priority, station, area, created_at, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', ['station', 'alarm', 'dispatched', 'P1', 'hs-001', 'north', T0, JSON.stringify({ title: '1号站漏水' })]);
    const t2 = await db.insert('INSERT INTO tk_tickets (kind, source, status, priority, station, area, created_at, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', ['incident', 'manual', 'open', 'P2', null, 'south', T0, '{}']);
    const tl = 'INSERT INTO tk_timeline (ticket_id, ts, actor, role, kind) VALUES (?, ?, ?, ?, ?)';
    await db.run(tl, [t1, T0 + 10 * MIN, 'system', 'system', 'breach_respond']);
    await db.run(tl, [t2, T0 + 10 * MIN, 'system', 'system', 'breach_on_site']);
    await db.run(tl, [t1, T0 + 5 * MIN, 'desk-1', 'operator', 'transition']);
    await db.run(tl, [t1, T0 + 90 * MIN, 'system', 'system', 'breach_resolve']);
    // a later start finds the ticket tables (the index comes with them)
    const store = await ShiftNoteStore.open(kind === 'postgresql' ? dbs.again() : db);
    expect(await db.get('SELECT name FROM schema_migrations WHERE module = ?', ['shifts.breach-index'])).toBeDefined();
    expect(await store.breaches(T0, T0 + 60 * MIN, 10)).toEqual([
      { ticket: t1, title: '1号站漏水', station: 'hs-001', area: 'north', priority: 'P1', status: 'dispatched', deadline: 'respond', at: T0 + 10 * MIN },
      { ticket: t2, title: '', station: null, area: 'south', priority: 'P2', status: 'open', deadline: 'on_site', at: T0 + 10 * MIN },
    ]);
    expect(await store.breaches(T0, T0 + 120 * MIN, 1)).toHaveLength(1);
  });
});

describe('shift notes written by an older release (SQLite)', () => {
  it('open as they are', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hw-shifts-old-'));
    try {
      const file = join(dir, 'state.db');
      const old = new Database(file);
      old.exec(`
        CREATE TABLE shift_notes (id INTEGER PRIMARY KEY AUTOINCREMENT, ts INTEGER NOT NULL, shift_start INTEGER NOT NULL, shift_end INTEGER NOT NULL,
          author TEXT NOT NULL, role TEXT NOT NULL, text TEXT NOT NULL, station TEXT, ticket INTEGER, corrects INTEGER, edited_at INTEGER);
        CREATE INDEX shift_notes_ts ON shift_notes(ts);
      `);
      old.prepare('INSERT INTO shift_notes (ts, shift_start, shift_end, author, role, text) VALUES (?, ?, ?, ?, ?, ?)').run(T0, T0 - MIN, T0 + MIN, 'desk-9', 'operator', '旧的交接');
      old.close();
      const db = new SqliteStateDb(file);
      try {
        const store = await ShiftNoteStore.open(db);
        expect(await store.between(0, T0 + 1)).toMatchObject([{ id: 1, author: 'desk-9', text: '旧的交接', editedAt: null }]);
      } finally {
        await db.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
