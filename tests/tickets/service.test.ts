import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteState, type SqliteState } from '../helpers/sqlite-state.ts';
import type { SqliteStateDb } from '../../src/state/sqlite-db.ts';
import { resolveTicketSettings, type TicketsConfigInput } from '../../src/tickets/config.ts';
import { TicketService } from '../../src/tickets/service.ts';
import { TICKET_STATUSES, type TicketEvent } from '../../src/tickets/types.ts';
import { Clock, clearOf, ev, HOUR, MIN, T0, TestAlarmSource, openTestState } from './helpers.ts';

const OP = { name: 'desk-1', role: 'operator' };
const ENG = { name: 'eng-1', role: 'engineer' };
const QA = { name: 'qa-1', role: 'qa' };
const STATIONS = Array.from({ length: 60 }, (_, i) => ({ id: `hs-${String(i + 1).padStart(3, '0')}`, area: i < 55 ? 'nangang' : 'daoli' }));

let dir: string;
let stateDb: SqliteStateDb;
let state: SqliteState;
let clock: Clock;
let source: TestAlarmSource;
let svc: TicketService;
let events: TicketEvent[];

async function make(cfg: TicketsConfigInput = {}) {
  const s = new TicketService({
    db: stateDb,
    settings: resolveTicketSettings({ addresses: [{ address: '学府路12号', station: 'hs-001' }], ...cfg }),
    stations: STATIONS,
    source,
    now: clock.now,
    audit: (e) => state.audit(e),
  });
  await s.init();
  s.onEvent((e) => events.push(e));
  return s;
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'heatwatch-tickets-'));
  ({ stateDb, state } = await openTestState(join(dir, 'state.db')));
  clock = new Clock();
  source = new TestAlarmSource();
  events = [];
  svc = await make();
});
afterEach(async () => {
  await svc.stop();
  await stateDb.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('alarm → ticket', () => {
  it('a leak (priority 1) opens exactly one P1 ticket at once; ten re-raises count as occurrences', async () => {
    const leak = ev({ station: 'hs-001', ts: T0, priority: 1, value: 0.12 });
    await svc.handleAlarmEvents([leak]);
    let list = await svc.list();
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ priority: 'P1', source: 'alarm', status: 'open', station: 'hs-001', faultClass: 'leak', occurrences: 1, respondBy: T0 + 5 * MIN, onSiteBy: T0 + 30 * MIN });
    for (let i = 1; i <= 10; i++) {
      clock.advance(MIN);
      await svc.handleAlarmEvents([clearOf(leak, clock.t - 1000), ev({ station: 'hs-001', ts: clock.t, priority: 1, value: 0.12 + i / 100 })]);
    }
    list = await svc.list();
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ occurrences: 11, lastSeen: clock.t, firstSeen: T0, respondBy: T0 + 5 * MIN });
    expect(list[0].peakValue).toBeCloseTo(0.22);
    expect(events.map((e) => e.type)).toEqual(['created', ...Array(10).fill('updated')]);
  });

  it('a chattering alarm never opens a ticket; a shelved or suppressed one neither', async () => {
    const a = ev({ station: 'hs-002', ts: T0, priority: 2, alarmId: 'x' });
    source.views.set('x', { state: 'unacked', chattering: true });
    await svc.handleAlarmEvents([a]);
    source.views.set('y', { state: 'shelved', chattering: false });
    await svc.handleAlarmEvents([ev({ station: 'hs-003', ts: T0, priority: 1, alarmId: 'y' })]);
    // our own count: 3 raises of one alarm in 60 s
    const z = { station: 'hs-004', priority: 1 as const, alarmId: 'z' };
    await svc.handleAlarmEvents([ev({ ...z, ts: T0 - 20_000, priority: 4 }), ev({ ...z, ts: T0 - 10_000, priority: 4 }), ev({ ...z, ts: T0 })]);
    await svc.tick(clock.advance(HOUR));
    expect(await svc.list()).toEqual([]);
  });

  it('priority 3 opens only after 30 min active; cleared earlier → no ticket ever', async () => {
    const a = ev({ station: 'hs-005', ts: T0, priority: 3, class: 'sensor', point: 'hs-005.plc.t_outdoor' });
    const b = ev({ station: 'hs-006', ts: T0, priority: 3, class: 'sensor', point: 'hs-006.plc.t_outdoor' });
    await svc.handleAlarmEvents([a, b]);
    await svc.tick(clock.advance(29 * MIN));
    expect(await svc.list()).toEqual([]);
    await svc.handleAlarmEvents([clearOf(b, clock.t)]);
    const r = await svc.tick(clock.advance(2 * MIN));
    expect(r.opened).toHaveLength(1);
    expect((await svc.list()).map((t) => [t.station, t.priority, t.firstSeen])).toEqual([['hs-005', 'P3', T0]]);
    await svc.tick(clock.advance(HOUR));
    expect(await svc.list()).toHaveLength(1);
  });

  it('pump trip (priority 2) → P2 after the group wait; pumps 1 and 2 are separate equipment', async () => {
    await svc.handleAlarmEvents([
      ev({ station: 'hs-007', ts: T0, priority: 2, class: 'pump_trip', point: 'hs-007.plc.pump1_run' }),
      ev({ station: 'hs-007', ts: T0, priority: 2, class: 'pump_trip', point: 'hs-007.plc.pump2_run' }),
    ]);
    expect(await svc.list()).toEqual([]);
    await svc.tick(clock.advance(30_000));
    expect((await svc.list()).map((t) => [t.priority, t.equipment])).toEqual([['P2', 'plc/pump1'], ['P2', 'plc/pump2']]);
  });

  it('a re-raise within 72 h of closing reopens as repeat repair (返修); later → new ticket linked to the old', async () => {
    const leak = ev({ station: 'hs-008', ts: T0, priority: 1 });
    await svc.handleAlarmEvents([leak]);
    const [t] = await svc.list();
    await svc.transition(t.id, { to: 'dispatched', assignee: 'crew-3' }, OP);
    await svc.transition(t.id, { to: 'in_progress' }, OP);
    await svc.transition(t.id, { to: 'resolved', note: 'pipe welded' }, ENG);
    await svc.transition(t.id, { to: 'verified' }, QA);
    await svc.transition(t.id, { to: 'closed' }, OP);
    clock.advance(10 * HOUR);
    await svc.handleAlarmEvents([ev({ station: 'hs-008', ts: clock.t, priority: 1 })]);
    const re = (await svc.get(t.id))!;
    expect(re).toMatchObject({ status: 'reopened', repeat: true, occurrences: 2, closedAt: null, respondBy: clock.t + 5 * MIN });
    expect(await svc.list()).toHaveLength(1);
    await svc.transition(t.id, { to: 'dispatched' }, OP);
    await svc.transition(t.id, { to: 'in_progress' }, OP);
    await svc.transition(t.id, { to: 'resolved' }, ENG);
    await svc.transition(t.id, { to: 'verified' }, QA);
    await svc.transition(t.id, { to: 'closed' }, OP);
    clock.advance(73 * HOUR);
    await svc.handleAlarmEvents([ev({ station: 'hs-008', ts: clock.t, priority: 1 })]);
    const all = await svc.list({ statuses: TICKET_STATUSES });
    expect(all).toHaveLength(2);
    expect(all.find((x) => x.id !== t.id)).toMatchObject({ status: 'open', linkedTo: t.id, repeat: false });
    const kinds = (await svc.detail(t.id)).timeline.map((e) => `${e.kind}:${e.to ?? ''}:${e.actor}`);
    expect(kinds.slice(0, 6)).toEqual(['created:open:heatwatch', 'transition:dispatched:desk-1', 'transition:in_progress:desk-1', 'transition:resolved:eng-1', 'transition:verified:qa-1', 'transition:closed:desk-1']);
    expect(kinds[6]).toBe('reopened_repeat:reopened:heatwatch');
  });

  it('comm loss on 50 stations of one area within minutes → one incident listing them', async () => {
    const raises = STATIONS.slice(0, 50).map((s, i) => ev({ station: s.id, ts: T0 + i * 1000, priority: 2, class: 'comm_loss', point: `${s.id}.plc`, alarmId: `${s.id}:comm_loss_15m` }));
    // arriving in a few batches over 50 s, as the runner would deliver them
    for (let i = 0; i < 50; i += 10) {
      clock.t = T0 + (i + 9) * 1000;
      await svc.handleAlarmEvents(raises.slice(i, i + 10));
      await svc.tick();
    }
    await svc.tick(clock.advance(MIN));
    const list = await svc.list();
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ kind: 'incident', area: 'nangang', priority: 'P2', occurrences: 50 });
    expect(new Set(list[0].stations)).toEqual(new Set(STATIONS.slice(0, 50).map((s) => s.id)));
    // another area is not part of it
    await svc.handleAlarmEvents([ev({ station: 'hs-058', ts: clock.t, priority: 2, class: 'comm_loss', point: 'hs-058.plc' })]);
    await svc.tick(clock.advance(MIN));
    expect((await svc.list()).map((t) => t.kind).sort()).toEqual(['incident', 'single']);
  });

  it('an unresponded P2 escalates after 2 h (injected clock), once; deadlines survive a restart', async () => {
    await svc.handleAlarmEvents([ev({ station: 'hs-009', ts: T0, priority: 2, class: 'pump_trip', point: 'hs-009.plc.pump1_run' })]);
    await svc.tick(clock.advance(30_000));
    const [t] = await svc.list();
    expect(t.respondBy).toBe(T0 + 2 * HOUR);
    expect((await svc.tick(clock.advance(HOUR))).escalated).toEqual([]);
    await svc.stop();
    svc = await make(); // restart on the same database
    const r = await svc.tick((clock.t = T0 + 2 * HOUR + 1));
    expect(r.escalated).toEqual([{ id: t.id, kind: 'respond' }]);
    expect((await svc.tick(clock.advance(MIN))).escalated).toEqual([]);
    expect(await svc.get(t.id)).toMatchObject({ escalation: 1, breaches: { respond: T0 + 2 * HOUR + 1 } });
    expect(events.filter((e) => e.type === 'escalated').map((e) => e.change)).toEqual(['breach_respond']);
    // escalated tickets list first
    await svc.createTicket({ source: 'manual', priority: 'P1', description: 'x' }, OP);
    expect((await svc.list())[0].id).toBe(t.id);
  });

  it('a candidate pending at restart still opens when due', async () => {
    await svc.handleAlarmEvents([ev({ station: 'hs-010', ts: T0, priority: 3, class: 'tank', point: 'hs-010.plc.tank_level' })]);
    await svc.stop();
    svc = await make();
    await svc.tick(clock.advance(31 * MIN));
    expect(await svc.list()).toHaveLength(1);
  });
});

describe('customer tickets', () => {
  const customer = { name: '张三', phone: '13800000000', address: '学府路12号3单元501' };
  it('maps the address to its station, links the open alarm ticket and states the deadline', async () => {
    await svc.handleAlarmEvents([ev({ station: 'hs-001', ts: T0, priority: 1 })]);
    const alarmTicket = (await svc.list())[0];
    const c = await svc.createTicket({ source: 'customer', category: 'no_heat', customer, description: '暖气不热' }, OP);
    expect(c.ticket).toMatchObject({ station: 'hs-001', priority: 'P2', linkedTo: alarmTicket.id, respondBy: T0 + 2 * HOUR, resolveBy: T0 + 24 * HOUR });
    expect(c.replies['zh-CN']).toContain('我们将在 2 小时内响应（14:00 前）');
    expect(c.replies.en).toContain('we will respond within 2 hours by 14:00'.replace('we', 'We'));
    expect((await svc.related('hs-001')).alarmTicket?.id).toBe(alarmTicket.id);
  });

  it('three no-heat complaints for a station within an hour raise a station alarm, once; it clears later', async () => {
    for (let i = 0; i < 2; i++) await svc.createTicket({ source: 'customer', category: 'no_heat', customer, description: 'cold' }, OP);
    expect(source.external).toEqual([]);
    clock.advance(50 * MIN);
    const third = await svc.createTicket({ source: 'customer', category: 'no_heat', customer, description: 'cold' }, OP);
    expect(third.noHeatAlarm).toBe(true);
    await svc.createTicket({ source: 'customer', category: 'no_heat', customer, description: 'cold' }, OP);
    expect(source.external).toHaveLength(1);
    expect(source.external[0]).toMatchObject({ station: 'hs-001', class: 'no_heat', priority: 2, active: true });
    await svc.tick(clock.advance(2 * HOUR));
    expect(source.external.at(-1)).toMatchObject({ station: 'hs-001', active: false });
  });

  it('leak is P1; a customer ticket closes only after a callback that reached the customer', async () => {
    const { ticket } = await svc.createTicket({ source: 'customer', category: 'leak', customer, description: '楼道漏水' }, OP);
    expect(ticket.priority).toBe('P1');
    await svc.transition(ticket.id, { to: 'dispatched', team: 'leak-crew' }, OP);
    await svc.transition(ticket.id, { to: 'in_progress' }, OP);
    await svc.transition(ticket.id, { to: 'resolved' }, ENG);
    await svc.transition(ticket.id, { to: 'verified' }, QA);
    await expect(svc.transition(ticket.id, { to: 'closed' }, OP)).rejects.toThrow(/callback/);
    await svc.recordCallback(ticket.id, { reached: false, note: 'no answer' }, OP);
    await expect(svc.transition(ticket.id, { to: 'closed' }, OP)).rejects.toThrow(/callback/);
    await svc.recordCallback(ticket.id, { reached: true, satisfied: true }, OP);
    expect((await svc.transition(ticket.id, { to: 'closed' }, OP)).status).toBe('closed');
    expect(events.at(-1)?.type).toBe('closed');
    expect((await state.listAudit()).some((a) => a.action === 'ticket.transition' && a.user === 'qa-1')).toBe(true);
  });

  it('nothing is half-written: a failing change leaves no ticket, timeline or outbox row', async () => {
    const count = () => state.db.prepare('SELECT (SELECT COUNT(*) FROM tk_tickets) + (SELECT COUNT(*) FROM tk_timeline) AS n').get() as { n: number };
    const broken = new TicketService({
      db: stateDb,
      settings: resolveTicketSettings({}),
      stations: STATIONS,
      now: clock.now,
      audit: () => {
        throw new Error('disk full');
      },
    });
    await expect(broken.createTicket({ source: 'manual', priority: 'P2', description: 'x' }, OP)).rejects.toThrow('disk full');
    expect(count().n).toBe(0);
    await expect(svc.createTicket({ source: 'customer', description: 'x' } as never, OP)).rejects.toThrow(/category/);
    await expect(svc.createTicket({ source: 'manual', priority: 'P2', description: 'x', station: 'nope' }, OP)).rejects.toThrow(/unknown station/);
    expect(count().n).toBe(0);
  });
});
