// The ticket queue on a seeded store: every open ticket reachable by paging, in deadline order,
// filters, counts, and the per-station open counts behind the station tiles.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStateDb } from '../../src/state/sqlite-db.ts';
import { nextDeadline, ticketQuery, TicketQueryError, type TicketQuery } from '../../src/tickets/query.ts';
import { TicketStore } from '../../src/tickets/store.ts';
import { TICKET_STATUSES, type Ticket, type TicketPriority, type TicketStatus } from '../../src/tickets/types.ts';
import { HOUR, MIN, T0 } from './helpers.ts';

const OPEN = 600;
const CLOSED = 5000;
const PRIOS: TicketPriority[] = ['P1', 'P2', 'P3', 'P4'];
const WORKING: TicketStatus[] = ['open', 'dispatched', 'in_progress', 'resolved', 'reopened'];

function ticket(i: number, over: Partial<Ticket>): Omit<Ticket, 'id'> {
  const createdAt = T0 + i * MIN;
  return {
    key: null, kind: 'single', source: 'customer', status: 'open', priority: PRIOS[i % 4], title: `ticket ${i}`, description: 'radiators cold',
    station: `hs-${String(i % 50).padStart(3, '0')}`, area: i % 2 ? 'north' : 'south', faultClass: null, equipment: null, category: 'no_heat',
    customer: { name: `Wang ${i}`, phone: `138${String(i).padStart(8, '0')}`, address: `友谊路${i}号` }, stations: [], alarmIds: [], occurrences: 1,
    firstSeen: createdAt, lastSeen: createdAt, peakValue: null, repeat: false, linkedTo: null, incidentId: null, team: i % 3 ? 'north-crew' : 'south-crew',
    assignee: null, createdAt, updatedAt: createdAt, respondedAt: null, onSiteAt: null, resolvedAt: null, closedAt: null, breaches: {}, escalation: 0,
    callbackDone: false, respondBy: createdAt + ((i * 7919) % 600) * MIN, onSiteBy: null, resolveBy: createdAt + 24 * HOUR, ...over,
  };
}

let dir: string;
let db: SqliteStateDb;
let store: TicketStore;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'heatwatch-queue-'));
  db = new SqliteStateDb(join(dir, 'state.db'));
  store = new TicketStore(db);
  await store.init();
  await db.tx(async () => {
    // closed ones first (the older history of a season), then the open queue
    for (let i = 0; i < CLOSED; i++) await store.insert(ticket(i, { status: 'closed', respondedAt: T0, resolvedAt: T0, closedAt: T0 + HOUR, source: i % 2 ? 'alarm' : 'customer', station: 'hs-001' }));
    for (let i = 0; i < OPEN; i++) {
      const status = WORKING[i % WORKING.length];
      const responded = status !== 'open' && status !== 'reopened';
      await store.insert(ticket(CLOSED + i, { status, respondedAt: responded ? T0 : null, resolvedAt: status === 'resolved' ? T0 : null, escalation: i % 10 === 0 ? 1 : 0 }));
    }
    await store.insert(ticket(CLOSED + OPEN, { kind: 'incident', source: 'alarm', station: null, stations: ['hs-900', 'hs-901'], title: 'comm loss, area north' }));
  });
});
afterAll(async () => {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

async function all(q: TicketQuery): Promise<{ tickets: Ticket[]; pages: number }> {
  const tickets: Ticket[] = [];
  let cursor = q.cursor;
  let pages = 0;
  for (;;) {
    const page = await store.list({ ...q, cursor });
    pages++;
    tickets.push(...page.tickets);
    if (!page.next) return { tickets, pages };
    cursor = page.next;
  }
}

describe('the ticket queue', () => {
  it('pages through every open ticket once, next deadline first, and none of the closed ones', async () => {
    const { tickets, pages } = await all({ sort: 'deadline', limit: 100 });
    expect(tickets).toHaveLength(OPEN + 1);
    expect(pages).toBe(7);
    expect(new Set(tickets.map((t) => t.id)).size).toBe(tickets.length);
    expect(tickets.every((t) => t.status !== 'closed')).toBe(true);
    const due = tickets.map((t) => nextDeadline(t)?.at ?? Infinity);
    expect(due).toEqual([...due].sort((a, b) => a - b));
  });

  it('a ticket closed between two pages shifts nothing: the rest still come, once each', async () => {
    const first = await store.list({ sort: 'deadline', limit: 50 });
    const gone = first.tickets[10];
    await store.save({ ...gone, status: 'closed', closedAt: T0 + 2 * HOUR });
    try {
      const rest = (await all({ sort: 'deadline', limit: 50, cursor: first.next! })).tickets;
      expect(first.tickets.length + rest.length).toBe(OPEN + 1);
      expect(new Set([...first.tickets, ...rest].map((t) => t.id)).size).toBe(OPEN + 1);
    } finally {
      await store.save(gone);
    }
  });

  it('the priority order puts escalated tickets first, then P1..P4, oldest first', async () => {
    const { tickets } = await all({ limit: 250 });
    const key = (t: Ticket) => [-t.escalation, t.priority, t.createdAt, t.id] as const;
    for (let i = 1; i < tickets.length; i++) {
      const [a, b] = [key(tickets[i - 1]), key(tickets[i])];
      expect(a[0] < b[0] || (a[0] === b[0] && (a[1] < b[1] || (a[1] === b[1] && a[2] <= b[2]))), `${i}`).toBe(true);
    }
  });

  it('filters by status set, priority set, area, team, escalation and text', async () => {
    const count = async (q: TicketQuery) => (await all({ ...q, limit: 5000 })).tickets;
    expect(await count({ statuses: TICKET_STATUSES })).toHaveLength(OPEN + 1 + CLOSED);
    expect(await count({ statuses: ['closed'] })).toHaveLength(CLOSED);
    const p12 = await count({ priorities: ['P1', 'P2'], statuses: ['open', 'reopened'] });
    expect(p12.length).toBeGreaterThan(0);
    expect(p12.every((t) => ['P1', 'P2'].includes(t.priority) && ['open', 'reopened'].includes(t.status))).toBe(true);
    expect((await count({ area: 'north' })).every((t) => t.area === 'north')).toBe(true);
    expect((await count({ team: 'south-crew' })).every((t) => t.team === 'south-crew')).toBe(true);
    expect(await count({ escalated: true })).toHaveLength(OPEN / 10);
    const byPhone = await count({ text: '13800005123' });
    expect(byPhone.map((t) => t.customer?.phone)).toEqual(['13800005123']);
    expect(await count({ text: '友谊路5123号' })).toHaveLength(1);
    expect((await count({ text: 'area north' })).map((t) => t.kind)).toEqual(['incident']);
    expect(await count({ text: '100%' })).toHaveLength(0); // % is a character, not a wildcard
    expect((await count({ station: 'hs-901' })).map((t) => t.kind)).toEqual(['incident']);
  });

  it('counts per status (status filter left out) and per priority', async () => {
    const c = await store.counts({ statuses: ['open'] });
    expect(c.byStatus.closed).toBe(CLOSED);
    expect(c.byStatus.open).toBe(OPEN / 5 + 1);
    expect(c.total).toBe(OPEN / 5 + 1);
    expect(Object.values(c.byPriority).reduce((a, b) => a + b, 0)).toBe(c.total);
  });

  it('open tickets per station count incidents at each station they name', async () => {
    const per = await store.openPerStation();
    expect(per.get('hs-900')).toBe(1);
    expect([...per.values()].reduce((a, b) => a + b, 0)).toBe(OPEN + 2);
    expect(per.get('hs-000')).toBe(OPEN / 50);
  });

  it("a station's open alarm tickets are all found, however many closed ones it has", async () => {
    // hs-001 has 5,000 closed tickets, older than any open one: a first page of 500 holds none of the open ones
    expect(await store.openAlarmTickets('hs-001')).toEqual([]);
    await store.insert(ticket(9999, { source: 'alarm', station: 'hs-001', key: 'hs-001|pump_trip|pump1' }));
    expect((await store.openAlarmTickets('hs-001')).map((t) => t.key)).toEqual(['hs-001|pump_trip|pump1']);
  });

  it('a cursor that was not given out, or is for another order, is refused naming the field', async () => {
    expect(() => ticketQuery({ cursor: 'nonsense' })).toThrow(TicketQueryError);
    const next = (await store.list({ sort: 'deadline', limit: 5 })).next!;
    expect(() => ticketQuery({ cursor: next, sort: 'priority' })).toThrow(/sort=deadline/);
    expect(() => ticketQuery({ cursor: Buffer.from('{"s":"deadline","k":[1,{}, 2]}').toString('base64url'), sort: 'deadline' })).toThrow(TicketQueryError);
  });
});
