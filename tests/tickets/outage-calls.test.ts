// A no-heat call while a planned stop or an incident covers the caller's station joins it instead
// of opening a ticket, and the reply names the restoration time; linked (related) tickets; the
// customer's account number. Pure rules first, then the service on a real SQLite state file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PlannedStop } from '../../src/modes/config.ts';
import { openSqliteState, type SqliteState } from '../helpers/sqlite-state.ts';
import type { SqliteStateDb } from '../../src/state/sqlite-db.ts';
import { resolveTicketSettings } from '../../src/tickets/config.ts';
import { coveringOutage, outageReplyText } from '../../src/tickets/outage.ts';
import { TicketService, type CreatedTicket, type LinkedCallResult } from '../../src/tickets/service.ts';
import type { Ticket } from '../../src/tickets/types.ts';
import { Clock, ev, HOUR, MIN, T0, TestAlarmSource, openTestState } from './helpers.ts';

const OP = { name: 'desk-1', role: 'operator' };
const STATIONS = [
  { id: 'hs-001', area: 'nangang' },
  { id: 'hs-002', area: 'nangang' },
  { id: 'hs-003', area: 'daoli' },
];
const stop = (p: Partial<PlannedStop>): PlannedStop => ({ id: 'ps-1', stations: ['hs-001'], area: null, from: T0 - HOUR, to: T0 + 6 * HOUR, reason: '换热器清洗', by: 'config', ...p });
const ticket = (p: Partial<Ticket>): Ticket => ({ id: 9, kind: 'single', priority: 'P1', resolveBy: T0 + 48 * HOUR, title: '漏水', ...p }) as Ticket;

describe('which outage covers a station (pure)', () => {
  const base = { station: 'hs-001', area: 'nangang', now: T0, stops: [] as PlannedStop[], openAlarmTickets: [] as Ticket[] };

  it('a planned stop of the station, or of its area, in force now', async () => {
    expect(coveringOutage({ ...base, stops: [stop({})] })).toEqual({ kind: 'planned_stop', id: 'ps-1', title: '换热器清洗', restoreBy: T0 + 6 * HOUR });
    expect(coveringOutage({ ...base, stops: [stop({ stations: null, area: 'nangang' })] })?.kind).toBe('planned_stop');
    expect(coveringOutage({ ...base, stops: [stop({ stations: null, area: 'daoli' })] })).toBeNull();
    expect(coveringOutage({ ...base, stops: [stop({ stations: ['hs-002'] })] })).toBeNull();
    // not yet begun, or already over
    expect(coveringOutage({ ...base, stops: [stop({ from: T0 + MIN })] })).toBeNull();
    expect(coveringOutage({ ...base, stops: [stop({ to: T0 })] })).toBeNull();
  });

  it('an open incident or a P1 alarm ticket; a P2 (the standby pump took over) does not stop the heat', async () => {
    expect(coveringOutage({ ...base, openAlarmTickets: [ticket({ kind: 'incident', priority: 'P2', id: 4 })] })).toMatchObject({ kind: 'incident', id: 4 });
    expect(coveringOutage({ ...base, openAlarmTickets: [ticket({})] })).toMatchObject({ kind: 'alarm_ticket', id: 9, restoreBy: T0 + 48 * HOUR });
    expect(coveringOutage({ ...base, openAlarmTickets: [ticket({ priority: 'P2' })] })).toBeNull();
  });

  it('an outage past its restoration time covers nothing: the call is news and opens a ticket', async () => {
    expect(coveringOutage({ ...base, openAlarmTickets: [ticket({ resolveBy: T0 - 1 })] })).toBeNull();
  });

  it('a planned stop is named before an incident; the reply names the restoration time in the site zone', async () => {
    const o = coveringOutage({ ...base, stops: [stop({})], openAlarmTickets: [ticket({ kind: 'incident' })] })!;
    expect(o.kind).toBe('planned_stop');
    // T0 is 12:00 in Shanghai; restoration 18:00 the same day
    expect(outageReplyText('zh-CN', { callId: 3, outage: o, now: T0 }, 'Asia/Shanghai')).toBe(
      '您的来电已登记（编号 C3）。您所在地址因计划停热（换热器清洗）暂停供热，预计 18:00 前恢复供热。届时仍不热，请再次来电，我们将立即派单处理。',
    );
    expect(outageReplyText('en', { callId: 3, outage: { ...o, restoreBy: T0 + 30 * HOUR }, now: T0 }, 'Asia/Shanghai')).toContain('expected back by 2025-01-16 18:00');
  });
});

describe('the service window under an outage', () => {
  let dir: string;
  let stateDb: SqliteStateDb;
  let state: SqliteState;
  let clock: Clock;
  let svc: TicketService;
  let stops: PlannedStop[];
  const customer = { name: '张三', phone: '138-0000 0001', address: '学府路12号3单元201', account: 'HRB-000123' };
  const call = (p: Record<string, unknown> = {}) => svc.fileCall({ source: 'customer', category: 'no_heat', customer, description: '暖气不热', ...p }, OP);
  const isLinked = (r: CreatedTicket | LinkedCallResult): r is LinkedCallResult => 'call' in r;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'heatwatch-outage-'));
    ({ stateDb, state } = await openTestState(join(dir, 'state.db')));
    clock = new Clock();
    stops = [];
    svc = new TicketService({
      db: stateDb,
      settings: resolveTicketSettings({ addresses: [{ address: '学府路12号', station: 'hs-001' }] }),
      stations: STATIONS,
      source: new TestAlarmSource(),
      now: clock.now,
      audit: (e) => state.audit(e),
      plannedStops: () => stops,
    });
    await svc.init();
  });
  afterEach(async () => {
    await svc.stop();
    await stateDb.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a planned stop: the call is recorded against it, no ticket opens, the reply names when heat returns', async () => {
    stops.push(stop({}));
    const r = await call();
    expect(isLinked(r)).toBe(true);
    if (!isLinked(r)) return;
    expect(r.outage).toMatchObject({ kind: 'planned_stop', id: 'ps-1', restoreBy: T0 + 6 * HOUR });
    expect(r.replies['zh-CN']).toContain('预计 18:00 前恢复供热');
    expect(r.replies.en).toContain('expected back by 18:00');
    expect(await svc.list({ statuses: ['open', 'closed'] })).toEqual([]);
    expect((await svc.calls.forOutage('planned_stop', 'ps-1')).map((c) => c.customer.name)).toEqual(['张三']);
    // the caller's history finds it by phone (spaces and dashes ignored), account or address prefix
    expect(await svc.calls.forCustomer({ phone: '13800000001' })).toHaveLength(1);
    expect(await svc.calls.forCustomer({ account: 'HRB-000123' })).toHaveLength(1);
    expect(await svc.calls.forCustomer({ address: '学府路12号' })).toHaveLength(1);
    expect(state.db.prepare("SELECT COUNT(*) AS n FROM audit WHERE action = 'tickets.call.linked'").get()).toEqual({ n: 1 });
  });

  it('other categories, a station outside the stop, or the clerk saying it is unrelated: a ticket as usual', async () => {
    stops.push(stop({}));
    expect(isLinked(await call({ category: 'repair' }))).toBe(false);
    expect(isLinked(await call({ linkToOutage: false }))).toBe(false);
    expect(isLinked(await call({ customer: { ...customer, address: '友谊路1号' }, station: 'hs-003' }))).toBe(false);
    expect(await svc.list()).toHaveLength(3);
  });

  it('after the stop ends, the same call opens a ticket with deadlines', async () => {
    stops.push(stop({}));
    expect(isLinked(await call())).toBe(true);
    clock.advance(6 * HOUR);
    const r = await call();
    expect(isLinked(r)).toBe(false);
    if (!isLinked(r)) expect(r.ticket).toMatchObject({ category: 'no_heat', station: 'hs-001', respondBy: clock.t + 2 * HOUR });
  });

  it('an open P1 alarm ticket: calls are counted on it, in its timeline, and listed for call-back', async () => {
    await svc.handleAlarmEvents([ev({ station: 'hs-001', ts: T0, priority: 1 })]);
    const [leak] = await svc.list();
    expect(leak.priority).toBe('P1');
    for (let i = 0; i < 3; i++) expect(isLinked(await call({ customer: { ...customer, phone: `1380000000${i}` } }))).toBe(true);
    const d = await svc.detail(leak.id);
    expect(d.ticket.linkedCalls).toBe(3);
    expect(d.timeline.filter((e) => e.kind === 'call_linked')).toHaveLength(3);
    expect(d.linkedCalls.map((c) => c.customer.phone)).toEqual(['13800000000', '13800000001', '13800000002']);
    expect(await svc.list()).toHaveLength(1);
  });

  it('related tickets: linked both ways, created related, refused when self, unknown or already linked', async () => {
    const a = (await call({ category: 'repair' })) as CreatedTicket;
    const b = (await call({ category: 'complaint' })) as CreatedTicket;
    await svc.link(a.ticket.id, b.ticket.id, '同一户', OP);
    expect((await svc.get(a.ticket.id))!.related).toEqual([b.ticket.id]);
    expect((await svc.get(b.ticket.id))!.related).toEqual([a.ticket.id]);
    expect((await svc.detail(b.ticket.id)).timeline.at(-1)).toMatchObject({ kind: 'link', note: '同一户', detail: { ticket: a.ticket.id } });
    // a new need found on a callback becomes a new linked ticket
    const c = (await call({ category: 'repair', relatedTo: a.ticket.id })) as CreatedTicket;
    expect(c.ticket.related).toEqual([a.ticket.id]);
    expect((await svc.get(a.ticket.id))!.related).toEqual([b.ticket.id, c.ticket.id]);
    await expect(svc.link(a.ticket.id, a.ticket.id, null, OP)).rejects.toThrow(expect.objectContaining({ field: 'body.ticket' }));
    await expect(svc.link(a.ticket.id, 999, null, OP)).rejects.toThrow(expect.objectContaining({ code: 'bad_request', field: 'body.ticket' }));
    await expect(svc.link(a.ticket.id, b.ticket.id, null, OP)).rejects.toThrow(expect.objectContaining({ code: 'conflict' }));
    await expect(call({ category: 'repair', relatedTo: 999 })).rejects.toThrow(expect.objectContaining({ field: 'body.relatedTo' }));
  });

  it('the queue finds a customer by account number, exactly and in the text search', async () => {
    await call({ category: 'repair' });
    await call({ category: 'repair', customer: { ...customer, account: 'HRB-000999' } });
    expect(await svc.list({ account: 'HRB-000123' })).toHaveLength(1);
    expect(await svc.list({ text: 'HRB-000999' })).toHaveLength(1);
  });
});
