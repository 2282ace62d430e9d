// What the reports read of the state database, the same on SQLite and PostgreSQL: the service
// report's tickets, lifecycle entries and callbacks of a small seeded day (counts by category and
// priority, on-time response, callbacks), the trend markers of a station (its tickets and the
// incidents naming it), tickets opened per station; and the analytics daily table written,
// replaced and read back, from a second connection too. An analytics table made by the release
// before the migrations opens and reads.
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ticketEvents } from '../../src/analytics/views/ticket-events.ts';
import type { DailyRow } from '../../src/analytics/ranking.ts';
import { DailyStore } from '../../src/analytics/store.ts';
import { ticketsOpenedByStation } from '../../src/reports/analytics-reader.ts';
import { parsePeriod } from '../../src/reports/period.ts';
import { readReportInput } from '../../src/reports/reader.ts';
import { serviceReport } from '../../src/reports/service-report.ts';
import type { StateDb } from '../../src/state/db.ts';
import { migrate } from '../../src/state/migrate.ts';
import { SqliteStateDb } from '../../src/state/sqlite-db.ts';
import type { Ticket } from '../../src/tickets/types.ts';
import { stateBackends, useStateDbs } from '../helpers/state-db.ts';
import { seedTicket } from './seed.ts';

const MIN = 60_000;
const HOUR = 3_600_000;
/** 2026-12-01 00:00 in Shanghai */
const DAY = Date.UTC(2026, 10, 30, 16);
const NOW = DAY + 40 * HOUR;
const period = parsePeriod({ period: 'day', date: '2026-12-01' }, 'Asia/Shanghai', NOW);

/** The ticket tables a report reads, as the ticket module (src/tickets/store.ts) makes them. */
const ticketTables = (db: StateDb) =>
  migrate(db, 'tickets', [
    {
      version: 1,
      name: 'ticket tables',
      up: `CREATE TABLE IF NOT EXISTS tk_tickets (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        key TEXT, kind TEXT NOT NULL, source TEXT NOT NULL, status TEXT NOT NULL, priority TEXT NOT NULL,
        station TEXT, area TEXT, escalation INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL, closed_at INTEGER, data TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS tk_tickets_station ON tk_tickets(station, status);
      CREATE TABLE IF NOT EXISTS tk_timeline (
        id INTEGER PRIMARY KEY AUTOINCREMENT, ticket_id INTEGER NOT NULL, ts INTEGER NOT NULL,
        actor TEXT NOT NULL, role TEXT NOT NULL, kind TEXT NOT NULL, from_status TEXT, to_status TEXT, note TEXT, detail TEXT
      );
      CREATE INDEX IF NOT EXISTS tk_timeline_ticket ON tk_timeline(ticket_id, id);
      CREATE TABLE IF NOT EXISTS tk_callbacks (
        id INTEGER PRIMARY KEY AUTOINCREMENT, ticket_id INTEGER NOT NULL, ts INTEGER NOT NULL, actor TEXT NOT NULL,
        reached INTEGER NOT NULL, satisfied INTEGER, note TEXT, channel TEXT NOT NULL DEFAULT 'phone'
      );`,
    },
  ]);

async function addTicket(db: StateDb, t: Omit<Ticket, 'id'>): Promise<Ticket> {
  const id = await db.insert('INSERT INTO tk_tickets (key, kind, source, status, priority, station, area, escalation, created_at, closed_at, data) VALUES (?,?,?,?,?,?,?,?,?,?,?)', [
    t.key, t.kind, t.source, t.status, t.priority, t.station, t.area, t.escalation, t.createdAt, t.closedAt, '{}',
  ]);
  const ticket = { ...t, id } as Ticket;
  await db.run('UPDATE tk_tickets SET data = ? WHERE id = ?', [JSON.stringify(ticket), id]);
  await entry(db, id, t.createdAt, 'created', 'open');
  return ticket;
}

const entry = (db: StateDb, ticketId: number, ts: number, kind: string, to: string | null, detail: Record<string, unknown> | null = null) =>
  db.run('INSERT INTO tk_timeline (ticket_id, ts, actor, role, kind, from_status, to_status, note, detail) VALUES (?,?,?,?,?,?,?,?,?)', [
    ticketId, ts, 'desk-1', 'operator', kind, null, to, null, detail === null ? null : JSON.stringify(detail),
  ]);

const callback = (db: StateDb, ticketId: number, ts: number, reached: boolean, satisfied: boolean | null) =>
  db.run('INSERT INTO tk_callbacks (ticket_id, ts, actor, reached, satisfied, note) VALUES (?,?,?,?,?,?)', [ticketId, ts, 'desk-1', reached, satisfied, null]);

/** A small day: two customer calls (one answered late), an alarm nobody answered, a manual ticket resolved late, an incident, an old closed ticket. */
async function seedDay(db: StateDb) {
  await ticketTables(db);
  return db.tx(async () => {
    const old = await addTicket(db, seedTicket({ createdAt: DAY - 20 * 24 * HOUR, status: 'closed', respondedAt: DAY - 20 * 24 * HOUR + MIN, closedAt: DAY - 19 * 24 * HOUR }));
    let c = DAY + 8 * HOUR;
    const call = await addTicket(db, seedTicket({ createdAt: c, source: 'customer', category: 'no_heat', priority: 'P2', status: 'resolved', respondBy: c + HOUR, resolveBy: c + 3 * HOUR, respondedAt: c + 30 * MIN, resolvedAt: c + 2 * HOUR }));
    await entry(db, call.id, c + 30 * MIN, 'transition', 'dispatched');
    await entry(db, call.id, c + HOUR, 'note', null);
    await entry(db, call.id, c + 2 * HOUR, 'transition', 'resolved');
    await callback(db, call.id, c + 2 * HOUR + MIN, true, true);
    c = DAY + 9 * HOUR;
    const late = await addTicket(db, seedTicket({ createdAt: c, source: 'customer', category: 'repair', priority: 'P3', station: 'hs-002', status: 'resolved', respondBy: c + HOUR, resolveBy: c + 3 * HOUR, respondedAt: c + HOUR + 1, resolvedAt: c + 4 * HOUR }));
    await entry(db, late.id, c + HOUR + 1, 'transition', 'dispatched');
    await entry(db, late.id, c + 3 * HOUR, 'breach_resolve', null, { deadline: c + 3 * HOUR });
    await entry(db, late.id, c + 4 * HOUR, 'transition', 'resolved');
    await callback(db, late.id, c + 5 * HOUR, false, null);
    c = DAY + 10 * HOUR;
    const alarm = await addTicket(db, seedTicket({ createdAt: c, source: 'alarm', faultClass: 'leak', priority: 'P1', respondBy: c + HOUR, resolveBy: c + 3 * HOUR }));
    // `breachX` is not a breach mark: the underscore in LIKE 'breach\_%' is literal on both engines
    await entry(db, alarm.id, c + HOUR, 'breachX', null);
    await entry(db, alarm.id, c + HOUR, 'breach_respond', null, { deadline: c + HOUR });
    c = DAY + 11 * HOUR;
    const manual = await addTicket(db, seedTicket({ createdAt: c, source: 'manual', priority: 'P4', status: 'dispatched', respondBy: c + HOUR, resolveBy: c + 3 * HOUR, respondedAt: c + 10 * MIN }));
    await entry(db, manual.id, c + 10 * MIN, 'transition', 'dispatched');
    c = DAY + 12 * HOUR;
    const incident = await addTicket(db, seedTicket({ createdAt: c, kind: 'incident', source: 'alarm', key: 'incident|north', station: null, stations: ['hs-002', 'hs-003'], title: '北区停热', priority: 'P2', respondBy: c + 10 * HOUR, resolveBy: c + 20 * HOUR, respondedAt: c + MIN }));
    return { old, call, late, alarm, manual, incident };
  });
}

describe.each(stateBackends)('what the reports read on %s', (kind) => {
  const dbs = useStateDbs(kind);

  it("the service report of a seeded day: counts by category and priority, on-time response, callbacks", async () => {
    const db = await dbs.fresh();
    const t = await seedDay(db);
    const input = await readReportInput(db, period, 72 * HOUR);
    // the old ticket was closed before the day less the repeat window: not read
    expect(input.tickets.map((r) => r.ticket.id)).toEqual([t.call.id, t.late.id, t.alarm.id, t.manual.id, t.incident.id]);
    expect(input.tickets.map((r) => r.entries.map((e) => e.kind))).toEqual([['transition', 'transition'], ['transition', 'breach_resolve', 'transition'], ['breach_respond'], ['transition'], []]);
    expect(input.tickets[1].entries[1]).toEqual({ ts: DAY + 12 * HOUR, kind: 'breach_resolve', to: null, detail: { deadline: DAY + 12 * HOUR } });
    expect(input.callbacks).toEqual([
      { ticketId: t.call.id, ts: DAY + 10 * HOUR + MIN, reached: true, satisfied: true },
      { ticketId: t.late.id, ts: DAY + 14 * HOUR, reached: false, satisfied: null },
    ]);

    const r = serviceReport({ ...input, period, now: NOW, repeatWindowMs: 72 * HOUR });
    expect(r.created).toMatchObject({
      total: 5,
      bySource: { alarm: 2, customer: 2, manual: 1 },
      byCategory: { no_heat: 1, repair: 1, leak: 0, complaint: 0, consult: 0, fee_dispute: 0 },
      byPriority: { P1: 1, P2: 2, P3: 1, P4: 1 },
    });
    // responses: the first call, the manual ticket and the incident on time, the second call a millisecond late, the alarm never answered
    expect(r.onTime.respond).toEqual({ onTime: 3, late: 2, percent: 60 });
    // the incident's resolution is due after the day: not decided in it
    expect(r.onTime.resolve).toEqual({ onTime: 1, late: 3, percent: 25 });
    expect(r.callbacks).toEqual({ resolved: 2, withCallback: 2, callbackRate: 100, made: 2, reached: 1, unreached: 1, satisfied: 1, dissatisfied: 0, satisfaction: 100 });
  });

  it("a station's trend markers: its tickets and the incidents naming it, the newest kept", async () => {
    const db = await dbs.fresh();
    const t = await seedDay(db);
    const events = await ticketEvents(db, { station: 'hs-002', from: DAY, to: DAY + 24 * HOUR, limit: 10 });
    expect(events.map((e) => [e.ticket, e.kind, e.toStatus])).toEqual([
      [t.late.id, 'created', 'open'],
      [t.late.id, 'transition', 'dispatched'],
      [t.late.id, 'breach_resolve', null],
      [t.incident.id, 'created', 'open'],
      [t.late.id, 'transition', 'resolved'],
    ]);
    expect(events[3]).toMatchObject({ priority: 'P2', title: '北区停热' });
    expect((await ticketEvents(db, { station: 'hs-002', from: DAY, to: DAY + 24 * HOUR, limit: 2 })).map((e) => e.ticket)).toEqual([t.incident.id, t.late.id]);
    expect((await ticketEvents(db, { station: 'hs-003', from: DAY, to: DAY + 24 * HOUR, limit: 10 })).map((e) => e.ticket)).toEqual([t.incident.id]);
    // hs-00 is a prefix of the stations named, not one of them
    expect(await ticketEvents(db, { station: 'hs-00', from: DAY, to: DAY + 24 * HOUR, limit: 10 })).toEqual([]);
    expect(await ticketsOpenedByStation(db, period)).toEqual(new Map([['hs-001', 3], ['hs-002', 1]]));
  });
});

const row = (station: string, day: string, heatGJ: number | null, over: Partial<DailyRow> = {}): DailyRow => ({
  station, day, heatGJ, makeupM3: 0.5, hdd: 30, meanOutdoorC: -12, meanSupplyC: 60.25, meanReturnC: 40, meanPriReturnC: 45, meanFlowSec: 100, curveDeviationMin: 12, samplesOk: 0.75, ...over,
});

describe.each(stateBackends)('the analytics daily table on %s', (kind) => {
  const dbs = useStateDbs(kind);

  it('writes a day, replaces a row, reads it back by day and by station and totals it, from another connection too', async () => {
    const daily = await DailyStore.open(await dbs.fresh());
    const rows = [row('a', '2026-12-01', 300), row('b', '2026-12-01', null, { hdd: null, makeupM3: null }), row('a', '2026-12-02', 310)];
    await daily.upsert(rows, 1);
    await daily.upsert([row('a', '2026-12-02', 320.5)], 2);
    const want = [rows[0], rows[1], row('a', '2026-12-02', 320.5)];

    const again = await DailyStore.open(dbs.again());
    for (const d of [daily, again]) {
      expect(await d.rows('2026-12-01', '2026-12-02')).toEqual(want);
      expect(await d.rows('2026-12-01', '2026-12-31', 'a')).toEqual([want[0], want[2]]);
      expect(await d.missingDays(['2026-11-30', '2026-12-01', '2026-12-02', '2026-12-03'])).toEqual(['2026-11-30', '2026-12-03']);
    }
    const totals = await again.totals('2026-12-01', '2026-12-02');
    expect(totals.get('a')).toEqual({ station: 'a', heatGJ: 620.5, hdd: 60, heatWithHdd: 620.5, hddWithHeat: 60, priReturnC: 45, flowM3h: 100, makeupM3: 1, makeupDays: 2, curveDeviationMin: 24, days: 2, coverage: 0.75 });
    expect(totals.get('b')).toEqual({ station: 'b', heatGJ: null, hdd: null, heatWithHdd: null, hddWithHeat: null, priReturnC: 45, flowM3h: 100, makeupM3: null, makeupDays: 0, curveDeviationMin: 12, days: 1, coverage: 0.75 });
  });
});

describe('an analytics table of the release before the migrations', () => {
  const dbs = useStateDbs('sqlite');

  it('opens, reads its rows and takes new ones', async () => {
    const db = (await dbs.fresh()) as SqliteStateDb;
    const file = db.where;
    await db.close();
    const old = new Database(file);
    old.exec(`CREATE TABLE analytics_daily (day TEXT NOT NULL, station TEXT NOT NULL, heat_gj REAL, makeup_m3 REAL, hdd REAL, mean_outdoor_c REAL, mean_supply_c REAL,
      mean_return_c REAL, mean_pri_return_c REAL, mean_flow_sec REAL, curve_deviation_min REAL, samples_ok REAL NOT NULL, computed_at INTEGER NOT NULL, PRIMARY KEY (day, station)) WITHOUT ROWID;
      CREATE INDEX analytics_daily_station ON analytics_daily (station, day);`);
    old.prepare('INSERT INTO analytics_daily VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)').run('2026-12-01', 'a', 300, 0.5, 30, -12, 60.25, 40, 45, 100, 12, 0.75, 1);
    old.close();

    const daily = await DailyStore.open(dbs.again());
    expect(await daily.rows('2026-12-01', '2026-12-01')).toEqual([row('a', '2026-12-01', 300)]);
    await daily.upsert([row('a', '2026-12-01', 301), row('a', '2026-12-02', 302)], 2);
    expect((await daily.rows('2026-12-01', '2026-12-02', 'a')).map((r) => r.heatGJ)).toEqual([301, 302]);
  });
});
