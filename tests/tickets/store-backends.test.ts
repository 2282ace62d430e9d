/**
 * The ticket store and its unit of work on both state backends: what the SQL does (filters,
 * orders and cursor paging, counts kept by triggers), that a failed change leaves nothing, that
 * two instances raising one alarm key open one ticket, and that an older SQLite file upgrades.
 */
import { describe, expect, it } from 'vitest';
import type { StateDb } from '../../src/state/db.ts';
import { SqliteStateDb } from '../../src/state/sqlite-db.ts';
import { resolveTicketSettings } from '../../src/tickets/config.ts';
import { nextDeadline, type TicketQuery } from '../../src/tickets/query.ts';
import { TicketService } from '../../src/tickets/service.ts';
import { TicketStore } from '../../src/tickets/store.ts';
import type { Ticket, TicketPriority, TicketStatus } from '../../src/tickets/types.ts';
import { stateBackends, useStateDbs } from '../helpers/state-db.ts';
import { ev, HOUR, MIN, T0 } from './helpers.ts';

const PRIOS: TicketPriority[] = ['P1', 'P2', 'P3', 'P4'];
const STATUSES: TicketStatus[] = ['open', 'dispatched', 'in_progress', 'resolved', 'closed'];

function ticket(i: number, over: Partial<Ticket> = {}): Omit<Ticket, 'id'> {
  const createdAt = T0 + (i % 7) * MIN; // ties in created_at: the id decides
  const status = STATUSES[i % STATUSES.length];
  return {
    key: null, kind: 'single', source: 'customer', status, priority: PRIOS[i % 4], title: `Ticket ${i}`, description: i % 5 === 0 ? 'Radiator 100% cold' : 'radiators cold',
    station: `hs-00${i % 3}`, area: i % 2 ? 'north' : 'south', faultClass: null, equipment: null, category: i % 2 ? 'no_heat' : 'leak',
    customer: { name: `Wang ${i}`, phone: `138-0000 ${String(i).padStart(4, '0')}`, address: `Xuefu Road ${i}` }, stations: [], alarmIds: [], occurrences: 1,
    firstSeen: createdAt, lastSeen: createdAt, peakValue: null, repeat: false, linkedTo: null, incidentId: null, team: i % 3 ? 'north-crew' : 'south-crew',
    assignee: null, createdAt, updatedAt: createdAt, respondedAt: status === 'open' ? null : createdAt, onSiteAt: null, resolvedAt: status === 'resolved' || status === 'closed' ? createdAt : null,
    closedAt: status === 'closed' ? createdAt + HOUR : null, breaches: {}, escalation: i % 6 === 0 ? 1 : 0, callbackDone: false,
    respondBy: createdAt + ((i * 37) % 50) * MIN, onSiteBy: null, resolveBy: createdAt + ((i * 53) % 90) * MIN, ...over,
  };
}

async function openStore(db: StateDb): Promise<TicketStore> {
  const store = new TicketStore(db);
  await store.init();
  return store;
}

async function pages(store: TicketStore, q: TicketQuery): Promise<Ticket[]> {
  const out: Ticket[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await store.list({ ...q, ...(cursor ? { cursor } : {}) });
    out.push(...page.tickets);
    if (!page.next) return out;
    cursor = page.next;
  }
}

const settings = resolveTicketSettings({});
const STATIONS = [{ id: 'hs-001', area: 'north' }, { id: 'hs-002', area: 'north' }];
const ids = (ts: Ticket[]) => ts.map((t) => t.id);

describe.each(stateBackends)('ticket store on %s', (kind) => {
  const dbs = useStateDbs(kind);
  const service = (db: StateDb, o: Partial<ConstructorParameters<typeof TicketService>[0]> = {}) => new TicketService({ db, settings, stations: STATIONS, now: () => T0, ...o });
  /** PostgreSQL: two connections, as two serve instances have; SQLite: one writer, one connection */
  const twoInstances = async (): Promise<[TicketService, TicketService]> => {
    const first = await dbs.fresh();
    const pair: [TicketService, TicketService] = [service(first), service(kind === 'postgresql' ? dbs.again() : first)];
    for (const svc of pair) await svc.init();
    return pair;
  };

  it('inserts, saves and reads a ticket whole', async () => {
    const store = await openStore(await dbs.fresh());
    const t = await store.insert(ticket(1));
    expect(await store.get(t.id)).toEqual(t);
    await store.save({ ...t, status: 'dispatched', team: 'crew-9', escalation: 2 });
    expect(await store.get(t.id)).toMatchObject({ status: 'dispatched', team: 'crew-9', escalation: 2 });
    expect(await store.list({ team: 'crew-9' })).toMatchObject({ tickets: [{ id: t.id }], next: null });
    expect(await store.get(t.id + 100)).toBeUndefined();
  });

  it('filters, orders and pages the queue the same way, a cursor continuing exactly where the page ended', async () => {
    const db = await dbs.fresh();
    const store = await openStore(db);
    const made = await db.tx(async () => {
      const out: Ticket[] = [];
      for (let i = 0; i < 40; i++) out.push(await store.insert(ticket(i)));
      out.push(await store.insert(ticket(40, { kind: 'incident', source: 'alarm', station: null, stations: ['hs-900', 'hs_901'], customer: null, category: null, title: 'Storm north' })));
      return out;
    });
    const open = made.filter((t) => t.status !== 'closed');

    // every order, paged 7 at a time, equals the one big page and the order it promises
    const deadline = await pages(store, { sort: 'deadline', limit: 7 });
    expect(ids(deadline)).toEqual(ids((await store.list({ sort: 'deadline', limit: 1000 })).tickets));
    const due = (t: Ticket) => nextDeadline(t)?.at ?? Number.MAX_SAFE_INTEGER;
    expect(ids(deadline)).toEqual(ids([...open].sort((a, b) => due(a) - due(b) || a.priority.localeCompare(b.priority) || a.id - b.id)));
    const priority = await pages(store, { limit: 7 });
    expect(ids(priority)).toEqual(ids([...open].sort((a, b) => b.escalation - a.escalation || a.priority.localeCompare(b.priority) || a.createdAt - b.createdAt || a.id - b.id)));
    const newest = await pages(store, { sort: 'newest', limit: 7, statuses: STATUSES });
    expect(ids(newest)).toEqual(ids([...made].sort((a, b) => b.createdAt - a.createdAt || b.id - a.id)));

    const all = { statuses: STATUSES, limit: 1000 } as const;
    const find = async (q: TicketQuery) => ids((await store.list({ ...all, ...q })).tickets).sort((a, b) => a - b);
    const where = (f: (t: Ticket) => boolean) => ids(made.filter(f)).sort((a, b) => a - b);
    expect(await find({ station: 'hs-001' })).toEqual(where((t) => t.station === 'hs-001'));
    expect(await find({ station: 'hs_901' })).toEqual([made[40].id]); // `_` is not a wildcard
    expect(await find({ category: 'leak', priorities: ['P1', 'P3'] })).toEqual(where((t) => t.category === 'leak' && (t.priority === 'P1' || t.priority === 'P3')));
    expect(await find({ team: 'south-crew', escalated: true })).toEqual(where((t) => t.team === 'south-crew' && t.escalation > 0));
    expect(await find({ phone: '13800000007' })).toEqual([made[7].id]);
    expect(await find({ address: 'xuefu road 1' })).toEqual(where((t) => /^Xuefu Road 1/.test(t.customer?.address ?? '')));
    expect(await find({ text: 'RADIATOR 100%' })).toEqual(where((t) => t.description.startsWith('Radiator 100%')));
    expect(await find({ text: '100%cold' })).toEqual([]);
    expect(await find({ text: `#${made[3].id}` })).toEqual([made[3].id]);
    expect(await find({ text: 'storm' })).toEqual([made[40].id]);

    const c = await store.counts({ statuses: ['open'], area: 'north' });
    expect(c.byStatus).toEqual(Object.fromEntries(STATUSES.map((s) => [s, made.filter((t) => t.area === 'north' && t.status === s).length]).filter(([, n]) => n)));
    expect(c.total).toBe(made.filter((t) => t.area === 'north' && t.status === 'open').length);
    const per = await store.openPerStation();
    expect(per.get('hs-900')).toBe(1);
    expect(per.get('hs-001')).toBe(open.filter((t) => t.station === 'hs-001').length);
  });

  it('keeps open tickets by priority through status and priority changes', async () => {
    const store = await openStore(await dbs.fresh());
    const a = await store.insert(ticket(0, { status: 'open', priority: 'P1' }));
    const b = await store.insert(ticket(1, { status: 'open', priority: 'P2' }));
    await store.insert(ticket(2, { status: 'closed', priority: 'P2' }));
    expect(await store.countOpenByPriority()).toEqual({ P1: 1, P2: 1 });
    await store.save({ ...a, status: 'closed' });
    await store.save({ ...b, priority: 'P3' });
    expect(await store.countOpenByPriority()).toEqual({ P3: 1 });
    await store.save({ ...a, status: 'reopened' });
    expect(await store.countOpenByPriority()).toEqual({ P1: 1, P3: 1 });
  });

  it('a unit of work that fails leaves no ticket, timeline or audit row, and the counts as they were', async () => {
    const db = await dbs.fresh();
    await db.exec('CREATE TABLE test_audit (id INTEGER PRIMARY KEY, action TEXT NOT NULL)');
    const svc = service(db, {
      audit: (e) => db.run('INSERT INTO test_audit (id, action) VALUES (?, ?)', [1, e.action]),
      onChange: () => {
        throw new Error('notification hook failed');
      },
    });
    await svc.init();
    await expect(svc.createTicket({ source: 'manual', priority: 'P2', description: 'x' }, { name: 'desk-1', role: 'operator' })).rejects.toThrow('hook failed');
    const n = await db.get<{ n: number }>('SELECT (SELECT COUNT(*) FROM tk_tickets) + (SELECT COUNT(*) FROM tk_timeline) + (SELECT COUNT(*) FROM test_audit) AS n');
    expect(Number(n?.n)).toBe(0);
    expect(await svc.store.countOpenByPriority()).toEqual({});
    await svc.stop();
  });

  it('one alarm key raised through two instances at once opens one ticket', async () => {
    const [a, b] = await twoInstances();
    for (let round = 0; round < 3; round++) {
      // two rules seeing one leak: two alarms, one dedup key (station, class, equipment)
      const raise = (alarmId: string) => ev({ station: 'hs-001', ts: T0, priority: 1, alarmId: `${alarmId}-${round}`, class: `leak${round}` });
      await Promise.all([a.handleAlarmEvents([raise('rule-a')]), b.handleAlarmEvents([raise('rule-b')])]);
    }
    const tickets = await a.list();
    expect(tickets.map((t) => t.key).sort()).toEqual(['hs-001|leak0|plc', 'hs-001|leak1|plc', 'hs-001|leak2|plc']);
    expect(tickets.every((t) => t.occurrences === 2 && t.alarmIds.length === 2)).toBe(true);
    expect(await a.store.pendingCount()).toBe(0);
    await a.stop();
    await b.stop();
  });

  it('two instances changing one ticket at once take turns: neither change is lost', async () => {
    const [a, b] = await twoInstances();
    const op = { name: 'desk', role: 'operator' };
    for (let round = 0; round < 5; round++) {
      const { ticket } = await a.createTicket({ source: 'manual', priority: 'P3', station: 'hs-001', description: `round ${round}` }, op);
      await Promise.all([a.transition(ticket.id, { to: 'dispatched', assignee: 'crew-3' }, op), b.changePriority(ticket.id, { priority: 'P1', reason: 'school on the line' }, op)]);
      const t = (await a.get(ticket.id))!;
      expect([t.status, t.assignee, t.priority]).toEqual(['dispatched', 'crew-3', 'P1']);
    }
    await a.stop();
    await b.stop();
  });
});

describe('an SQLite file of an older release', () => {
  const dbs = useStateDbs('sqlite');

  it('opens after the migrations: callbacks without a channel were by phone, old tickets are found by the queue', async () => {
    const db = (await dbs.fresh()) as SqliteStateDb;
    const t = { ...ticket(4, { status: 'open', priority: 'P2' }), id: 1 } as Ticket;
    // the tables as the release before the callback channel made them
    db.raw.exec(`
      CREATE TABLE tk_tickets (id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT, kind TEXT NOT NULL, source TEXT NOT NULL, status TEXT NOT NULL, priority TEXT NOT NULL,
        station TEXT, area TEXT, escalation INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL, closed_at INTEGER, data TEXT NOT NULL);
      CREATE TABLE tk_callbacks (id INTEGER PRIMARY KEY AUTOINCREMENT, ticket_id INTEGER NOT NULL, ts INTEGER NOT NULL, actor TEXT NOT NULL, reached INTEGER NOT NULL, satisfied INTEGER, note TEXT);
    `);
    db.raw
      .prepare('INSERT INTO tk_tickets (id, key, kind, source, status, priority, station, area, escalation, created_at, closed_at, data) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)')
      .run(1, null, t.kind, t.source, t.status, t.priority, t.station, t.area, t.escalation, t.createdAt, null, JSON.stringify(t));
    db.raw.prepare('INSERT INTO tk_callbacks (ticket_id, ts, actor, reached, satisfied, note) VALUES (1, ?, ?, 1, 0, ?)').run(T0, 'desk-1', 'still cold');

    const store = await openStore(db);
    expect(await store.callbacks(1)).toEqual([{ id: 1, ticketId: 1, ts: T0, actor: 'desk-1', reached: true, satisfied: false, channel: 'phone', note: 'still cold' }]);
    expect(await store.get(1)).toEqual(t);
    expect(ids((await store.list({ phone: '13800000004', category: 'leak', sort: 'deadline' })).tickets)).toEqual([1]);
    expect(await store.countOpenByPriority()).toEqual({ P2: 1 });
    const added = await store.addCallback({ ticketId: 1, ts: T0 + 1, actor: 'crew', reached: true, satisfied: true, channel: 'visit', note: null });
    expect((await store.callbacks(1)).find((c) => c.id === added)?.channel).toBe('visit');
    // and again: nothing left to do
    await store.init();
    expect(await store.get(1)).toEqual(t);
  });
});
