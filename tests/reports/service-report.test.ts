// The service report's figures on hand-built tickets and timelines: periods between local
// midnights of the site's zone, deadline outcomes at their edges (and across a reopen), repeat
// repairs inside and outside the window, callbacks and satisfaction with unreached calls,
// breaches by team.
import { describe, expect, it } from 'vitest';
import type { ReportEntry } from '../../src/reports/deadlines.ts';
import { deadlineOutcomes } from '../../src/reports/deadlines.ts';
import { localMidnight, parsePeriod, PeriodError, type Period } from '../../src/reports/period.ts';
import { serviceReport, type ReportCallback, type ReportTicket } from '../../src/reports/service-report.ts';
import type { Ticket } from '../../src/tickets/types.ts';

const TZ = 'Asia/Shanghai';
const MIN = 60_000;
const HOUR = 3_600_000;
const WINDOW = 72 * HOUR;
/** 2026-12-01 00:00 in Shanghai is 2026-11-30 16:00 UTC */
const D0 = Date.UTC(2026, 10, 30, 16);
const D1 = D0 + 24 * HOUR;
const NOW = D1 + 30 * 24 * HOUR;
const day = (date: string, now = NOW): Period => parsePeriod({ date }, TZ, now);

let nextId = 1;
function ticket(over: Partial<Ticket>): Ticket {
  const createdAt = over.createdAt ?? D0 + HOUR;
  return {
    id: nextId++, key: null, kind: 'single', source: 'customer', status: 'open', priority: 'P2', title: 't', description: 'd', station: 'hs-001', area: 'north',
    faultClass: null, equipment: null, category: 'no_heat', customer: { name: '王', phone: '13800000000', address: '学府路12号 3单元' }, stations: ['hs-001'], alarmIds: [],
    occurrences: 1, firstSeen: createdAt, lastSeen: createdAt, peakValue: null, repeat: false, linkedTo: null, incidentId: null, team: null, assignee: null,
    createdAt, updatedAt: createdAt, respondedAt: null, onSiteAt: null, resolvedAt: null, closedAt: null, breaches: {}, escalation: 0, callbackDone: false,
    respondBy: createdAt + 2 * HOUR, onSiteBy: null, resolveBy: createdAt + 24 * HOUR,
    ...over,
  };
}
const row = (t: Ticket, entries: ReportEntry[] = []): ReportTicket => ({ ticket: t, entries });
const report = (tickets: ReportTicket[], period: Period, callbacks: ReportCallback[] = [], now = NOW) => serviceReport({ period, now, tickets, callbacks, repeatWindowMs: WINDOW });
const tr = (ts: number, to: Ticket['status'], kind = 'transition'): ReportEntry => ({ ts, kind, to, detail: null });

describe('periods in the site time zone', () => {
  it('a day and a month run between local midnights', () => {
    expect(day('2026-12-01')).toMatchObject({ kind: 'day', from: D0, to: D1, timeZone: TZ });
    const m = parsePeriod({ date: '2026-12' }, TZ, NOW);
    expect(m).toMatchObject({ kind: 'month', from: D0, to: Date.UTC(2026, 11, 31, 16) });
    // a day of a summer-time change is 23 hours long
    const spring = parsePeriod({ date: '2026-03-29' }, 'Europe/Berlin', NOW);
    expect(spring.to - spring.from).toBe(23 * HOUR);
    expect(localMidnight(2026, 3, 29, 'Europe/Berlin')).toBe(Date.UTC(2026, 2, 28, 23));
  });

  it('refuses a malformed date, a period that does not match it, and a period in the future, naming the field', () => {
    for (const date of ['2026-13-01', '2026-02-30', '2026/12/01', '12-01', '2026-1']) {
      expect(() => parsePeriod({ date }, TZ, NOW), date).toThrow(PeriodError);
    }
    expect(() => parsePeriod({ period: 'month', date: '2026-12-01' }, TZ, NOW)).toThrow(/period=month needs YYYY-MM/);
    // today (local) is reportable while it runs; tomorrow is not, though it is still "today" in UTC
    const now = D1 - MIN; // 2026-12-01 23:59 local, 15:59 UTC
    expect(day('2026-12-01', now).from).toBe(D0);
    let err: unknown;
    try {
      parsePeriod({ date: '2026-12-02' }, TZ, now);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PeriodError);
    expect((err as PeriodError).field).toBe('querystring.date');
    expect((err as PeriodError).message).toMatch(/in the future/);
  });
});

describe('on-time response and resolution', () => {
  it('met at the deadline exactly is on time; a millisecond after is late, counted at the deadline', () => {
    const onTheDot = ticket({ respondedAt: D0 + 3 * HOUR, respondBy: D0 + 3 * HOUR });
    const late = ticket({ respondBy: D0 + 4 * HOUR, respondedAt: D0 + 4 * HOUR + 1 });
    const r = report([row(onTheDot), row(late)], day('2026-12-01'));
    expect(r.onTime.respond).toEqual({ onTime: 1, late: 1, percent: 50 });
  });

  it('an unmet deadline is late once it passed, and counted nowhere while it runs', () => {
    const passed = ticket({ respondBy: D0 + 5 * HOUR });
    const running = ticket({ respondBy: D0 + 20 * HOUR });
    const now = D0 + 10 * HOUR;
    const r = report([row(passed), row(running)], day('2026-12-01', now), [], now);
    expect(r.onTime.respond).toEqual({ onTime: 0, late: 1, percent: 0 });
    expect(r.breaches.byTeam).toEqual([{ team: null, label: '未分派', respond: 1, on_site: 0, resolve: 0, total: 1 }]);
  });

  it('counts an outcome in the period it was decided: the deadline for a miss, the work for a meet, split at local midnight', () => {
    // due 23:59 local on the 1st, responded 01:00 on the 2nd: late on the 1st, nothing on the 2nd
    const missed = ticket({ respondBy: D1 - MIN, respondedAt: D1 + HOUR });
    // responded exactly at local midnight, due later that day: on time on the 2nd, not the 1st
    const atMidnight = ticket({ respondBy: D1 + 6 * HOUR, respondedAt: D1 });
    // filed at 23:59:59.999 local on the 1st: created that day
    const lastMs = ticket({ createdAt: D1 - 1, respondBy: D1 + 2 * HOUR });
    const t = [row(missed), row(atMidnight), row(lastMs)];
    const first = report(t, day('2026-12-01'));
    const second = report(t, day('2026-12-02'));
    expect(first.onTime.respond).toMatchObject({ onTime: 0, late: 1 });
    expect(second.onTime.respond).toMatchObject({ onTime: 1, late: 1 });
    expect(first.created.total).toBe(3);
    expect(second.created.total).toBe(0);
    // a month is the sum of its days
    const month = report(t, parsePeriod({ date: '2026-12' }, TZ, NOW));
    expect(month.onTime.respond).toMatchObject({ onTime: 1, late: 2 });
  });

  it('on time resolution by priority, and a reopened ticket keeps the miss of its first cycle', () => {
    const created = D0 + HOUR;
    const firstDue = created + 2 * HOUR;
    // first cycle: breached respond (marked by the SLA clock), dispatched late, resolved; reopened at 10:00; second cycle met
    const entries: ReportEntry[] = [
      { ts: firstDue + 5000, kind: 'breach_respond', to: null, detail: { deadline: firstDue } },
      tr(firstDue + HOUR, 'dispatched'),
      tr(firstDue + 2 * HOUR, 'in_progress'),
      tr(firstDue + 3 * HOUR, 'resolved'),
      tr(D0 + 10 * HOUR, 'reopened'),
      tr(D0 + 10 * HOUR + 10 * MIN, 'dispatched'),
    ];
    const t = ticket({ createdAt: created, priority: 'P1', respondBy: D0 + 12 * HOUR, respondedAt: D0 + 10 * HOUR + 10 * MIN, resolveBy: D0 + 20 * HOUR, resolvedAt: D0 + 15 * HOUR, team: 'north-crew' });
    expect(deadlineOutcomes(t, entries, NOW).map((o) => [o.kind, o.late])).toEqual([
      ['respond', true],
      ['resolve', false],
      ['respond', false],
      ['resolve', false],
    ]);
    const r = report([row(t, entries), row(ticket({ priority: 'P3', resolveBy: D0 + 22 * HOUR, respondedAt: D0 + 2 * HOUR, resolvedAt: D0 + 23 * HOUR }))], day('2026-12-01'));
    expect(r.onTime.respond).toMatchObject({ onTime: 2, late: 1, percent: 66.7 });
    expect(r.onTime.resolve).toMatchObject({ onTime: 2, late: 1, percent: 66.7 });
    expect(r.onTime.byPriority.find((p) => p.priority === 'P1')?.resolve).toEqual({ onTime: 2, late: 0, percent: 100 });
    expect(r.onTime.byPriority.find((p) => p.priority === 'P4')?.resolve).toEqual({ onTime: 0, late: 0, percent: null });
    expect(r.breaches.byTeam.map((b) => [b.label, b.respond, b.resolve])).toEqual([
      ['north-crew', 1, 0],
      ['未分派', 0, 1],
    ]);
  });
});

describe('repeat repairs', () => {
  const resolvedAt = D0 - 10 * HOUR;
  const alarm = (over: Partial<Ticket>) => ticket({ source: 'alarm', category: null, customer: null, key: 'hs-001|leak|plc', faultClass: 'leak', equipment: 'plc', ...over });

  it('a new ticket for the same equipment within the window repeats the fix; one after the window does not', () => {
    const fixed = alarm({ createdAt: resolvedAt - 5 * HOUR, resolvedAt, status: 'closed', closedAt: resolvedAt + HOUR });
    const inside = alarm({ createdAt: resolvedAt + 71 * HOUR });
    const outside = alarm({ createdAt: resolvedAt + 73 * HOUR });
    const other = alarm({ createdAt: resolvedAt + 20 * HOUR, key: 'hs-001|leak|plc/pump1' });
    const r = report([fixed, inside, outside, other].map((t) => row(t)), parsePeriod({ date: '2026-12' }, TZ, NOW));
    expect(r.repeats.items.map((x) => [x.ticketId, x.previousId, x.kind])).toEqual([[inside.id, fixed.id, 'same_equipment']]);
  });

  it('a customer calling again from the same address (spelt with other spaces) within the window is a repeat', () => {
    const first = ticket({ createdAt: resolvedAt - 3 * HOUR, resolvedAt, customer: { name: '王', phone: '1', address: '学府路12号 3单元' } });
    const again = ticket({ createdAt: resolvedAt + 30 * HOUR, customer: { name: '王', phone: '1', address: '学府路12号3单元 ' } });
    const elsewhere = ticket({ createdAt: resolvedAt + 30 * HOUR, customer: { name: '李', phone: '2', address: '学府路14号' } });
    const r = report([row(first), row(again), row(elsewhere)], day('2026-12-01'));
    expect(r.repeats).toMatchObject({ total: 1, reopened: 0, newTickets: 1 });
    expect(r.repeats.items[0]).toMatchObject({ ticketId: again.id, previousId: first.id, kind: 'same_address', previousResolvedAt: resolvedAt });
  });

  it('a reopen within the window after the resolution is a repeat, a later one only when the service marked it so', () => {
    const at = (address: string) => ({ name: '王', phone: '1', address });
    const soon = ticket({ status: 'reopened', createdAt: D0 - 80 * HOUR, customer: at('学府路1号') });
    const late = ticket({ status: 'reopened', createdAt: D0 - 110 * HOUR, customer: at('学府路2号') });
    const marked = alarm({ status: 'reopened', createdAt: D0 - 110 * HOUR, repeat: true });
    const entries = (fixedAt: number, reopenAt: number, kind = 'transition') => [tr(fixedAt - HOUR, 'dispatched'), tr(fixedAt, 'resolved'), { ...tr(reopenAt, 'reopened'), kind }];
    // 71 h after the fix; 101 h after; 101 h after, but an alarm re-raised within the reopen window of its closing
    const r = report(
      [row(soon, entries(D0 - 69 * HOUR, D0 + 2 * HOUR)), row(late, entries(D0 - 99 * HOUR, D0 + 2 * HOUR)), row(marked, entries(D0 - 98 * HOUR, D0 + 3 * HOUR, 'reopened_repeat'))],
      day('2026-12-01'),
    );
    expect(r.repeats.items.map((x) => [x.ticketId, x.kind])).toEqual([
      [soon.id, 'reopened'],
      [marked.id, 'reopened'],
    ]);
    expect(r.repeats).toMatchObject({ total: 2, reopened: 2, newTickets: 0 });
  });
});

describe('callbacks and satisfaction', () => {
  it('the callback rate counts resolved customer tickets with a callback after the fix; satisfaction only reached callbacks', () => {
    const called = ticket({ respondedAt: D0 + 2 * HOUR, resolvedAt: D0 + 5 * HOUR, status: 'closed', closedAt: D0 + 9 * HOUR });
    const calledBefore = ticket({ respondedAt: D0 + 2 * HOUR, resolvedAt: D0 + 6 * HOUR, status: 'resolved' });
    const alarmTicket = ticket({ source: 'alarm', category: null, customer: null, respondedAt: D0 + 2 * HOUR, resolvedAt: D0 + 6 * HOUR });
    const callbacks: ReportCallback[] = [
      { ticketId: called.id, ts: D0 + 7 * HOUR, reached: false, satisfied: null },
      { ticketId: called.id, ts: D0 + 8 * HOUR, reached: true, satisfied: true },
      { ticketId: calledBefore.id, ts: D0 + 4 * HOUR, reached: true, satisfied: false },
      { ticketId: calledBefore.id, ts: D0 + 4 * HOUR + MIN, reached: false, satisfied: null },
      // the next day: not this day's satisfaction
      { ticketId: called.id, ts: D1 + HOUR, reached: true, satisfied: true },
    ];
    const r = report([row(called), row(calledBefore), row(alarmTicket)], day('2026-12-01'), callbacks);
    expect(r.callbacks).toEqual({ resolved: 2, withCallback: 1, callbackRate: 50, made: 4, reached: 2, unreached: 2, satisfied: 1, dissatisfied: 1, satisfaction: 50 });
    const none = report([row(called)], day('2026-12-01'), []);
    expect(none.callbacks.satisfaction).toBeNull();
    expect(none.callbacks.callbackRate).toBe(0);
  });
});

describe('tickets created', () => {
  it('by source, category, fault class (incidents apart) and priority', () => {
    const r = report(
      [
        ticket({ category: 'no_heat', priority: 'P2' }),
        ticket({ category: 'leak', priority: 'P1' }),
        ticket({ category: 'no_heat', priority: 'P2' }),
        ticket({ source: 'alarm', category: null, customer: null, faultClass: 'pump_trip', priority: 'P2' }),
        ticket({ source: 'alarm', category: null, customer: null, faultClass: 'pump_trip', priority: 'P2' }),
        ticket({ source: 'alarm', kind: 'incident', category: null, customer: null, faultClass: 'comm_loss', priority: 'P1' }),
        ticket({ source: 'manual', category: null, customer: null, priority: 'P4' }),
        ticket({ createdAt: D1, category: 'repair' }),
      ].map((t) => row(t)),
      day('2026-12-01'),
    );
    expect(r.created.total).toBe(7);
    expect(r.created.bySource).toEqual({ alarm: 3, customer: 3, manual: 1 });
    expect(r.created.byCategory).toEqual({ no_heat: 2, repair: 0, leak: 1, complaint: 0, consult: 0, fee_dispute: 0 });
    expect(r.created.byFaultClass).toEqual([
      { faultClass: 'pump_trip', count: 2 },
      { faultClass: 'incident', count: 1 },
    ]);
    expect(r.created.byPriority).toEqual({ P1: 2, P2: 4, P3: 0, P4: 1 });
  });
});
