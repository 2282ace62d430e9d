// A season's state database for report tests, seeded straight into the ticket tables (one
// transaction): old closed tickets, one busy day of 600 tickets whose deadlines are met or
// missed by rule, callbacks, and a few repeat repairs around the day. The figures the report
// must give are counted here, as the tickets are made, from the rules that make them.
import type { TicketStore } from '../../src/tickets/store.ts';
import { CUSTOMER_CATEGORIES, type Ticket, type TicketPriority } from '../../src/tickets/types.ts';

const MIN = 60_000;
const HOUR = 3_600_000;
const PRIOS: TicketPriority[] = ['P1', 'P2', 'P3', 'P4'];
const CLASSES = ['leak', 'pump_trip', 'comm_loss'];
const TEAMS = ['north-crew', 'south-crew'];

export interface SeedExpect {
  created: { total: number; bySource: Record<string, number>; byCategory: Record<string, number>; byPriority: Record<string, number>; byFaultClass: Record<string, number> };
  respond: { onTime: number; late: number };
  resolve: { onTime: number; late: number };
  callbacks: { resolved: number; withCallback: number; made: number; reached: number; unreached: number; satisfied: number; dissatisfied: number };
  repeats: { total: number; reopened: number; newTickets: number };
  /** team label → breaches */
  breaches: Map<string, { respond: number; resolve: number }>;
  /** tickets in the whole database */
  all: number;
}

/** A ticket with every field set, as the store keeps it; `over` gives what the case needs. */
export function seedTicket(over: Partial<Ticket> & { createdAt: number }): Omit<Ticket, 'id'> {
  const c = over.createdAt;
  return {
    key: null, kind: 'single', source: 'manual', status: 'open', priority: 'P2', title: 'seeded', description: 'seeded', station: 'hs-001', area: 'north',
    faultClass: null, equipment: null, category: null, customer: null, stations: ['hs-001'], alarmIds: [], occurrences: 1, firstSeen: c, lastSeen: c,
    peakValue: null, repeat: false, linkedTo: null, incidentId: null, team: null, assignee: null, updatedAt: c, respondedAt: null, onSiteAt: null,
    resolvedAt: null, closedAt: null, breaches: {}, escalation: 0, callbackDone: false, respondBy: c + 48 * HOUR, onSiteBy: null, resolveBy: c + 72 * HOUR,
    ...over,
  };
}

/**
 * Seeds the day starting at local midnight `from` (and `background` closed tickets in the weeks
 * before it). Deadlines of the day's tickets all fall within the day; call the report once the
 * day is over.
 */
export async function seedServiceDay(store: TicketStore, from: number, background = 5000): Promise<SeedExpect> {
  const ex: SeedExpect = {
    created: { total: 0, bySource: { alarm: 0, customer: 0, manual: 0 }, byCategory: Object.fromEntries(CUSTOMER_CATEGORIES.map((c) => [c, 0])), byPriority: { P1: 0, P2: 0, P3: 0, P4: 0 }, byFaultClass: {} },
    respond: { onTime: 0, late: 0 },
    resolve: { onTime: 0, late: 0 },
    callbacks: { resolved: 0, withCallback: 0, made: 0, reached: 0, unreached: 0, satisfied: 0, dissatisfied: 0 },
    repeats: { total: 3, reopened: 1, newTickets: 2 },
    breaches: new Map(),
    all: 0,
  };
  const made = (t: Omit<Ticket, 'id'>): Promise<Ticket> => {
    ex.all++;
    if (t.createdAt >= from && t.createdAt < from + 24 * HOUR) {
      ex.created.total++;
      ex.created.bySource[t.source]++;
      ex.created.byPriority[t.priority]++;
      if (t.category) ex.created.byCategory[t.category]++;
      if (t.source === 'alarm' && t.faultClass) ex.created.byFaultClass[t.faultClass] = (ex.created.byFaultClass[t.faultClass] ?? 0) + 1;
    }
    return store.insert(t);
  };
  const breach = (team: string | null, kind: 'respond' | 'resolve') => {
    const label = team ?? '未分派';
    const b = ex.breaches.get(label) ?? { respond: 0, resolve: 0 };
    b[kind]++;
    ex.breaches.set(label, b);
  };

  await store.db.tx(async () => {
    // weeks of history, closed more than the repeat window before the day
    for (let i = 0; i < background; i++) {
      const c = from - 30 * 24 * HOUR + i * 5 * MIN;
      await made(seedTicket({ createdAt: c, priority: PRIOS[i % 4], status: 'closed', respondedAt: c + MIN, resolvedAt: c + HOUR, closedAt: c + 2 * HOUR, source: i % 2 ? 'alarm' : 'manual', team: TEAMS[i % 2] }));
    }
    // the day: 600 tickets, two minutes apart
    for (let i = 0; i < 600; i++) {
      const c = from + i * 2 * MIN;
      const alarm = i % 3 === 0;
      const respondBy = c + HOUR;
      const resolveBy = c + 3 * HOUR;
      const respondedAt = i % 5 === 0 ? null : i % 5 === 1 ? respondBy + 1 : c + 30 * MIN;
      const resolvedAt = i % 5 < 2 ? null : i % 9 === 4 ? resolveBy + HOUR : c + 2 * HOUR;
      const team = i % 7 === 0 ? null : TEAMS[i % 2];
      const t = await made(
        seedTicket({
          createdAt: c, source: alarm ? 'alarm' : 'customer', priority: PRIOS[i % 4], team,
          category: alarm ? null : CUSTOMER_CATEGORIES[Math.floor(i / 3) % 6], faultClass: alarm ? CLASSES[Math.floor(i / 3) % CLASSES.length] : null,
          customer: alarm ? null : { name: `客户${i}`, phone: `139${String(i).padStart(8, '0')}`, address: `学府路${i}号` },
          title: alarm ? `告警 ${i}` : `来电 ${i}`, status: resolvedAt ? 'resolved' : respondedAt ? 'dispatched' : 'open',
          respondBy, resolveBy, respondedAt, resolvedAt,
        }),
      );
      if (respondedAt !== null && respondedAt <= respondBy) ex.respond.onTime++;
      else (ex.respond.late++, breach(team, 'respond'));
      if (resolvedAt !== null && resolvedAt <= resolveBy) ex.resolve.onTime++;
      else (ex.resolve.late++, breach(team, 'resolve'));
      if (!alarm && resolvedAt !== null) {
        ex.callbacks.resolved++;
        if (i % 2 === 0) {
          const reached = i % 4 === 0;
          const satisfied = reached ? i % 3 === 1 : null;
          await store.addCallback({ ticketId: t.id, ts: resolvedAt + MIN, actor: 'desk-1', reached, satisfied, channel: 'phone', note: null });
          ex.callbacks.withCallback++;
          ex.callbacks.made++;
          if (reached) (ex.callbacks.reached++, satisfied ? ex.callbacks.satisfied++ : ex.callbacks.dissatisfied++);
          else ex.callbacks.unreached++;
        }
      }
    }
    // repeat repairs: a caller again 14 h after the fix; the same leak 3 h after its fix; a reopen
    // marked as a repeat; and the same pump 85 h after its fix, outside the window
    const closedCustomer = await made(seedTicket({ createdAt: from - 30 * HOUR, source: 'customer', category: 'repair', customer: { name: '赵', phone: '13600000000', address: '和平路1号' }, respondedAt: from - 29 * HOUR, resolvedAt: from - 4 * HOUR, closedAt: from - 3 * HOUR, status: 'closed' }));
    await made(seedTicket({ createdAt: from + 10 * HOUR, source: 'customer', category: 'no_heat', customer: { name: '赵', phone: '13600000000', address: '和平路 1号' } }));
    await made(seedTicket({ createdAt: from - 9 * HOUR, source: 'alarm', key: 'hs-001|leak|plc', faultClass: 'leak', equipment: 'plc', respondedAt: from - 8 * HOUR, resolvedAt: from - 2 * HOUR, closedAt: from - HOUR, status: 'closed' }));
    await made(seedTicket({ createdAt: from + HOUR, source: 'alarm', key: 'hs-001|leak|plc', faultClass: 'leak', equipment: 'plc' }));
    await made(seedTicket({ createdAt: from - 90 * HOUR, source: 'alarm', key: 'hs-002|pump_trip|plc/pump1', faultClass: 'pump_trip', equipment: 'plc/pump1', respondedAt: from - 89 * HOUR, resolvedAt: from - 80 * HOUR, closedAt: from - 79 * HOUR, status: 'closed' }));
    await made(seedTicket({ createdAt: from + 5 * HOUR, source: 'alarm', key: 'hs-002|pump_trip|plc/pump1', faultClass: 'pump_trip', equipment: 'plc/pump1' }));
    const reopened = await made(seedTicket({ createdAt: from - 20 * HOUR, source: 'alarm', key: 'hs-002|leak|plc', faultClass: 'leak', equipment: 'plc', status: 'reopened', repeat: true, respondBy: from + 51 * HOUR, resolveBy: from + 75 * HOUR }));
    for (const [ts, to, kind] of [[from - 19 * HOUR, 'dispatched', 'transition'], [from - 10 * HOUR, 'resolved', 'transition'], [from - 9 * HOUR, 'closed', 'transition'], [from + 3 * HOUR, 'reopened', 'reopened_repeat']] as const) {
      await store.addTimeline({ ticketId: reopened.id, ts, actor: 'heatwatch', role: 'system', kind, from: null, to, note: null, detail: null });
    }
    void closedCustomer;
  });
  return ex;
}
