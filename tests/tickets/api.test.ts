import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.ts';
import { TokenAuth } from '../../src/api/auth.ts';
import type { LiveView } from '../../src/api/deps.ts';
import { parseConfigText } from '../../src/config/load.ts';
import type { Sample } from '../../src/model.ts';
import type { PlannedStop } from '../../src/modes/config.ts';
import { openSqliteState, type SqliteState } from '../helpers/sqlite-state.ts';
import type { SqliteStateDb } from '../../src/state/sqlite-db.ts';
import type { SeriesStore } from '../../src/store/port.ts';
import { registerTicketMetrics } from '../../src/tickets/metrics.ts';
import { TicketService } from '../../src/tickets/service.ts';
import { Clock, ev, T0, TestAlarmSource, openTestState } from './helpers.ts';

const YAML = `
stations:
  - id: hs-001
    name: 南岗1号站
    devices: [ { id: plc, endpoint: "modbus+tcp://127.0.0.1:5020", points: [ { id: t_sec_supply, table: holding, address: 0, type: float32 } ] } ]
  - id: hs-002
    devices: [ { id: plc, endpoint: "modbus+tcp://127.0.0.1:5020", points: [ { id: t_sec_supply, table: holding, address: 0, type: float32 } ] } ]
tickets:
  addresses: [ { address: 学府路12号, station: hs-001 } ]
  attachments: { maxBytes: 1000 }
auth:
  tokens:
    - { name: v, token: view-0123456789abcdef, role: viewer }
    - { name: desk-1, token: op-0123456789abcdef, role: operator }
    - { name: eng-1, token: eng-0123456789abcdef, role: engineer }
    - { name: qa-1, token: qa-0123456789abcdef, role: qa }
`;

/** tokens have at least 16 characters; the tests name them by their prefix */
const H = (token: string) => ({ authorization: `Bearer ${token}-0123456789abcdef` });
let app: FastifyInstance;
let svc: TicketService;
let stateDb: SqliteStateDb;
let state: SqliteState;
let dir: string;
let metrics: Registry;
const clock = new Clock();
/** the planned stops the service sees (the mode service's, in the running service) */
const plannedStops: PlannedStop[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'heatwatch-tickets-api-'));
  const cfg = parseConfigText(YAML, 'test');
  ({ stateDb, state } = await openTestState(join(dir, 'state.db')));
  svc = new TicketService({
    db: stateDb,
    settings: cfg.tickets,
    stations: cfg.stations,
    source: new TestAlarmSource(),
    now: clock.now,
    attachmentsDir: join(dir, 'attachments'),
    audit: (e) => state.audit(e),
    plannedStops: () => plannedStops,
  });
  await svc.init();
  metrics = new Registry();
  registerTicketMetrics(metrics, svc);
  const latest = new Map<string, Sample>([['hs-001.plc.t_sec_supply', { point: 'hs-001.plc.t_sec_supply', ts: T0, value: 52.5, quality: 'good' }]]);
  const live: LiveView = { latest: (p) => latest.get(p), deviceStatus: () => undefined, onSamples: () => () => {}, health: () => ({ status: 'ok' }) };
  app = await buildApp({ config: cfg, auth: new TokenAuth(cfg.tokens), live, series: {} as SeriesStore, state: state.store, metrics, logger: pino({ level: 'silent' }), tickets: svc, now: clock.now });
});
afterAll(async () => {
  await app?.close();
  await svc?.stop();
  state?.close();
  rmSync(dir, { recursive: true, force: true });
});

const customer = { name: '张三', phone: '13800000000', address: '学府路12号 3单元' };
const count = () => (state.db.prepare('SELECT COUNT(*) AS n FROM tk_tickets').get() as { n: number }).n;

function multipart(filename: string, type: string, data: Buffer) {
  const b = '----hwtest';
  const head = `--${b}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: ${type}\r\n\r\n`;
  return { payload: Buffer.concat([Buffer.from(head), data, Buffer.from(`\r\n--${b}--\r\n`)]), headers: { 'content-type': `multipart/form-data; boundary=${b}` } };
}

describe('write routes: auth', () => {
  const writes: Array<[string, string, unknown]> = [
    ['POST', '/api/tickets', { category: 'repair', customer, description: 'x' }],
    ['POST', '/api/tickets/1/transition', { to: 'dispatched', assignee: 'a' }],
    ['POST', '/api/tickets/1/callback', { reached: true }],
    ['POST', '/api/tickets/1/attachments', undefined],
    ['POST', '/api/tickets/addresses/import', undefined],
  ];
  it.each(writes)('%s %s: 401 without a token, 403 for a viewer, nothing stored', async (method, url, payload) => {
    const before = count();
    expect((await app.inject({ method: method as 'POST', url, payload: payload as object })).statusCode).toBe(401);
    expect((await app.inject({ method: method as 'POST', url, payload: payload as object, headers: H('view') })).statusCode).toBe(403);
    expect(count()).toBe(before);
  });
  it('reads need a token; a viewer reads', async () => {
    expect((await app.inject({ url: '/api/tickets' })).statusCode).toBe(401);
    expect((await app.inject({ url: '/api/tickets', headers: H('view') })).statusCode).toBe(200);
  });
});

describe('bad bodies: 400 naming the field, nothing stored', () => {
  it.each([
    [{ category: 'broken_pipe', customer, description: 'x' }, 'body.category'],
    [{ category: 'no_heat', customer: { ...customer, phone: 'call me' }, description: 'x' }, 'body.customer.phone'],
    [{ category: 'no_heat', customer }, 'body.description'],
    [{ category: 'no_heat', description: 'x' }, 'body.customer'],
    [{ source: 'manual', description: 'x' }, 'body.priority'],
    [{ source: 'manual', priority: 'P2', description: 'x', station: 'hs-999' }, 'body.station'],
    [{ source: 'manual', priority: 'P2', description: 'x', colour: 'red' }, 'body.colour'],
  ])('%j → %s', async (payload, field) => {
    const before = count();
    const r = await app.inject({ method: 'POST', url: '/api/tickets', payload, headers: H('op') });
    expect(r.statusCode).toBe(400);
    expect(r.json().field).toBe(field);
    expect(count()).toBe(before);
  });
  it('transition: bad target names body.to; unknown ticket 404', async () => {
    const r = await app.inject({ method: 'POST', url: '/api/tickets/1/transition', payload: { to: 'done' }, headers: H('op') });
    expect(r.statusCode).toBe(400);
    expect(r.json().field).toBe('body.to');
    expect((await app.inject({ method: 'POST', url: '/api/tickets/999/transition', payload: { to: 'dispatched', assignee: 'a' }, headers: H('op') })).statusCode).toBe(404);
    expect((await app.inject({ url: '/api/tickets/999', headers: H('view') })).statusCode).toBe(404);
  });
});

describe('customer ticket through its lifecycle', () => {
  it('files, shows station values and the open alarm ticket, moves with role checks, closes after callback', async () => {
    await svc.handleAlarmEvents([ev({ station: 'hs-001', ts: clock.t, priority: 1 })]);
    const alarmTicket = (await svc.list({ station: 'hs-001' }))[0];
    // the P1 would take the call as an outage (outage-calls.test.ts); the clerk files it as a ticket of its own
    const r = await app.inject({ method: 'POST', url: '/api/tickets', payload: { category: 'no_heat', customer, description: '暖气不热', linkToOutage: false }, headers: H('op') });
    expect(r.statusCode).toBe(201);
    const body = r.json();
    expect(body.ticket).toMatchObject({ priority: 'P2', station: 'hs-001', linkedTo: alarmTicket.id, status: 'open' });
    expect(body.station).toMatchObject({ id: 'hs-001', name: '南岗1号站', openAlarmTicket: alarmTicket.id, values: { t_sec_supply: { value: 52.5 } } });
    expect(body.replies['zh-CN']).toContain('我们将在 2 小时内响应（14:00 前）');
    const id = body.ticket.id as number;
    const tr = (token: string, payload: object) => app.inject({ method: 'POST', url: `/api/tickets/${id}/transition`, payload, headers: H(token) });

    expect((await tr('op', { to: 'dispatched' })).json().field).toBe('body.assignee');
    expect((await tr('op', { to: 'dispatched', assignee: 'crew-7', note: '派单' })).statusCode).toBe(200);
    expect((await tr('op', { to: 'in_progress' })).statusCode).toBe(200);
    expect((await tr('op', { to: 'resolved' })).statusCode).toBe(403);
    expect((await tr('eng', { to: 'resolved', note: 'valve fixed' })).statusCode).toBe(200);
    expect((await tr('eng', { to: 'verified' })).statusCode).toBe(403);
    expect((await tr('qa', { to: 'verified' })).statusCode).toBe(200);
    expect((await tr('op', { to: 'closed' })).statusCode).toBe(409);
    expect((await app.inject({ method: 'POST', url: `/api/tickets/${id}/callback`, payload: { reached: true, satisfied: true }, headers: H('op') })).statusCode).toBe(201);
    expect((await tr('op', { to: 'closed' })).json().ticket.status).toBe('closed');

    const d = (await app.inject({ url: `/api/tickets/${id}`, headers: H('view') })).json();
    expect(d.timeline.map((e: { kind: string; actor: string }) => `${e.kind}/${e.actor}`)).toEqual([
      'created/desk-1', 'transition/desk-1', 'transition/desk-1', 'transition/eng-1', 'transition/qa-1', 'callback/desk-1', 'transition/desk-1',
    ]);
    expect(d.timeline[1]).toMatchObject({ from: 'open', to: 'dispatched', note: '派单' });
    const en = (await app.inject({ url: `/api/tickets/${id}/reply?lang=en`, headers: H('view') })).json();
    expect(en.text).toMatch(/We will respond within 2 hours by 14:00/);
    const list = (await app.inject({ url: '/api/tickets?status=closed&priority=P2&station=hs-001', headers: H('view') })).json();
    expect(list.map((t: { id: number }) => t.id)).toEqual([id]);
  });

  it('GET /api/session gives the page the rules the API enforces: qa writes and verifies, an operator does not verify, a viewer does nothing', async () => {
    const session = async (who: string) => (await app.inject({ url: '/api/session', headers: H(who) })).json();
    const qa = await session('qa');
    expect(qa).toMatchObject({ role: 'qa', write: true });
    expect(qa.transitions.resolved).toEqual(['verified', 'reopened']);
    expect(qa.transitions.open).toEqual(['dispatched']);
    const op = await session('op');
    expect(op.write).toBe(true);
    expect(op.transitions.resolved).toEqual([]);
    expect(op.transitions.in_progress).toEqual([]);
    expect((await session('eng')).transitions.in_progress).toEqual(['resolved']);
    const view = await session('view');
    expect(view.write).toBe(false);
    expect(Object.values(view.transitions).flat()).toEqual([]);
  });

  it('a customer not satisfied on callback reopens the ticket; it closes only after a satisfied one', async () => {
    const r = await app.inject({ method: 'POST', url: '/api/tickets', payload: { category: 'repair', customer, description: '阀门漏水' }, headers: H('op') });
    const id = r.json().ticket.id as number;
    const tr = (token: string, to: string, extra: object = {}) => app.inject({ method: 'POST', url: `/api/tickets/${id}/transition`, payload: { to, ...extra }, headers: H(token) });
    const callback = (payload: object) => app.inject({ method: 'POST', url: `/api/tickets/${id}/callback`, payload, headers: H('op') });
    expect((await tr('op', 'dispatched', { team: 'crew-2' })).statusCode).toBe(200);
    expect((await tr('op', 'in_progress')).statusCode).toBe(200);
    const bad = await tr('eng', 'resolved', { resolution: 'fixed_it' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ field: 'body.resolution' });
    expect(bad.json().message).toContain('leak_repaired');
    expect((await tr('eng', 'resolved', { resolution: 'leak_repaired', note: '更换密封圈' })).statusCode).toBe(200);
    expect((await tr('qa', 'verified')).statusCode).toBe(200);
    // the case library: resolved tickets by resolution code and words
    const cases = (await app.inject({ url: '/api/tickets?status=resolved,verified,closed&resolution=leak_repaired&q=阀门', headers: H('view') })).json();
    expect(cases.map((t: { id: number; resolutionCode: string }) => [t.id, t.resolutionCode])).toEqual([[id, 'leak_repaired']]);
    expect((await app.inject({ url: '/api/tickets/resolution-codes', headers: H('view') })).json()).toContain('no_fault_found');
    expect((await callback({ reached: true, satisfied: false, channel: 'visit', note: '仍在漏' })).statusCode).toBe(201);
    const reopened = (await app.inject({ url: `/api/tickets/${id}`, headers: H('view') })).json();
    expect(reopened.ticket).toMatchObject({ status: 'reopened', callbackDone: false, respondedAt: null, resolutionCode: null });
    expect(reopened.callbacks.at(-1)).toMatchObject({ reached: true, satisfied: false, channel: 'visit' });
    expect(reopened.timeline.at(-1)).toMatchObject({ kind: 'transition', from: 'verified', to: 'reopened' });
    for (const [who, to] of [['op', 'dispatched'], ['op', 'in_progress'], ['eng', 'resolved'], ['qa', 'verified']]) expect((await tr(who, to)).statusCode, to).toBe(200);
    expect((await tr('op', 'closed')).statusCode).toBe(409); // the unhappy callback does not count
    expect((await callback({ reached: true, satisfied: true })).statusCode).toBe(201);
    expect((await tr('op', 'closed')).json().ticket.status).toBe('closed');
  });

  it('a callback on an alarm ticket and a priority change without a reason get a 400 naming the field; a change with one is audited', async () => {
    // a priority-3 alarm opens its ticket (P3) after 30 min active
    const raise = ev({ station: 'hs-002', ts: clock.t, priority: 3, class: 'sensor', point: 'hs-002.plc.t_outdoor' });
    await svc.handleAlarmEvents([raise]);
    await svc.tick(clock.advance(31 * 60_000));
    const alarmTicket = (await svc.list({ station: 'hs-002' })).find((t) => t.source === 'alarm')!;
    const cb = await app.inject({ method: 'POST', url: `/api/tickets/${alarmTicket.id}/callback`, payload: { reached: true }, headers: H('op') });
    expect(cb.statusCode).toBe(400);
    expect(cb.json().field).toBe('params.id');
    const prio = (payload: object, token = 'op') => app.inject({ method: 'POST', url: `/api/tickets/${alarmTicket.id}/priority`, payload, headers: H(token) });
    expect((await prio({ priority: 'P1', reason: ' ' })).json().field).toBe('body.reason');
    expect((await prio({ priority: 'P1' })).statusCode).toBe(400);
    expect((await prio({ priority: 'P1', reason: 'hospital on this station' }, 'view')).statusCode).toBe(403);
    const before = (await svc.get(alarmTicket.id))!;
    const up = await prio({ priority: 'P1', reason: 'hospital on this station' });
    expect(up.statusCode).toBe(200);
    expect(up.json().ticket.priority).toBe('P1');
    expect(up.json().ticket.respondBy).toBeLessThanOrEqual(before.respondBy);
    expect(up.json().timeline.at(-1)).toMatchObject({ kind: 'priority', note: 'hospital on this station', detail: { from: before.priority, to: 'P1' } });
    const audit = state.db.prepare("SELECT * FROM audit WHERE action = 'ticket.priority' ORDER BY id DESC LIMIT 1").get() as { user: string; detail: string };
    expect(audit.user).toBe('desk-1');
    expect(JSON.parse(audit.detail)).toMatchObject({ reason: 'hospital on this station', priority: { to: 'P1' } });
    // the alarm raising again at its own (lower) priority leaves the dispatcher's P1
    await svc.handleAlarmEvents([{ ...raise, id: raise.id + 100_000, ts: clock.advance(60_000) }]);
    await svc.tick(clock.advance(31 * 60_000));
    expect((await svc.get(alarmTicket.id))!.priority).toBe('P1');
  });

  it("the service window's lookup: a caller's past tickets by phone or address, and the serving station", async () => {
    const look = (q: string) => app.inject({ url: `/api/customers/lookup?${q}`, headers: H('view') });
    const byPhone = (await look(`phone=${encodeURIComponent('138 0000 0000')}`)).json();
    expect(byPhone.tickets.length).toBeGreaterThanOrEqual(2);
    expect(byPhone.tickets.every((t: { customer: { phone: string } }) => t.customer.phone === customer.phone)).toBe(true);
    const created = byPhone.tickets.map((t: { createdAt: number; id: number }) => [t.createdAt, t.id]);
    expect(created).toEqual([...created].sort((a: number[], b: number[]) => b[0] - a[0] || b[1] - a[1]));
    expect(byPhone.tickets.some((t: { status: string }) => t.status === 'closed')).toBe(true); // history, not only the queue
    // a building's address finds its flats' tickets, and the address map names the serving station
    const byAddress = (await look(`address=${encodeURIComponent('学府路12号')}`)).json();
    expect(byAddress.tickets.map((t: { id: number }) => t.id).sort()).toEqual(byPhone.tickets.map((t: { id: number }) => t.id).sort());
    expect(byAddress.station).toMatchObject({ id: 'hs-001', values: { t_sec_supply: { value: 52.5 } } });
    expect(byAddress.plannedStops).toEqual([]);
    expect((await look(`address=${encodeURIComponent('100%')}`)).json().tickets).toEqual([]);
    expect((await look('')).statusCode).toBe(400);
    expect((await look('phone=abc')).statusCode).toBe(400);
  });

  it('the queue: not closed by default, paged with X-Next-Cursor, counted, and a bad filter named', async () => {
    for (let i = 0; i < 3; i++) await svc.createTicket({ source: 'manual', priority: 'P4', description: `queue ${i}`, station: 'hs-002' }, { name: 'x', role: 'operator' });
    const get = (q: string) => app.inject({ url: `/api/tickets?${q}`, headers: H('view') });
    const open = (await get('')).json() as Array<{ status: string }>;
    expect(open.length).toBeGreaterThanOrEqual(3);
    expect(open.every((t) => t.status !== 'closed')).toBe(true);
    expect((await get('status=all')).json().length).toBeGreaterThan(open.length); // a closed one exists (the walk above)
    // one page at a time, deadline first, the cursor carrying on where the last page ended
    const seen: number[] = [];
    let next: string | undefined;
    for (let pages = 0; pages < 20; pages++) {
      const r = await get(`sort=deadline&limit=2${next ? `&cursor=${next}` : ''}`);
      expect(r.statusCode).toBe(200);
      seen.push(...r.json().map((t: { id: number }) => t.id));
      next = r.headers['x-next-cursor'] as string | undefined;
      if (!next) break;
    }
    expect(seen.sort((a, b) => a - b)).toEqual(open.map((t) => (t as unknown as { id: number }).id).sort((a, b) => a - b));
    const counts = (await app.inject({ url: '/api/tickets/counts?priority=P4&station=hs-002', headers: H('view') })).json();
    expect(counts.byPriority).toEqual({ P4: counts.total });
    expect(counts.total).toBe(3);
    for (const [q, field] of [['status=opened', 'querystring.status'], ['priority=P5', 'querystring.priority'], ['cursor=abc', 'querystring.cursor'], ['sort=age', 'querystring.sort']]) {
      const r = await get(q);
      expect(r.statusCode, q).toBe(400);
      expect(r.json().field ?? r.json().message, q).toContain(field.replace('querystring.', ''));
    }
    // the station tiles count the open tickets at each station
    const tiles = (await app.inject({ url: '/api/stations', headers: H('view') })).json() as Array<{ id: string; openTickets: number }>;
    expect(tiles.find((s) => s.id === 'hs-002')!.openTickets).toBe((await get('station=hs-002')).json().length);
    expect(tiles.find((s) => s.id === 'hs-002')!.openTickets).toBeGreaterThanOrEqual(3);
  });

  it('attachments: type and size limits; upload and download', async () => {
    const { ticket } = await svc.createTicket({ source: 'manual', priority: 'P3', description: 'photo' }, { name: 'x', role: 'operator' });
    const url = `/api/tickets/${ticket.id}/attachments`;
    const exe = multipart('a.exe', 'application/x-msdownload', Buffer.from('MZ'));
    const bad = await app.inject({ method: 'POST', url, payload: exe.payload, headers: { ...H('op'), ...exe.headers } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().field).toBe('file');
    const big = multipart('big.jpg', 'image/jpeg', Buffer.alloc(2000, 1));
    expect((await app.inject({ method: 'POST', url, payload: big.payload, headers: { ...H('op'), ...big.headers } })).statusCode).toBe(400);
    const ok = multipart('现场.jpg', 'image/jpeg', Buffer.from([0xff, 0xd8, 1, 2, 3]));
    const up = await app.inject({ method: 'POST', url, payload: ok.payload, headers: { ...H('op'), ...ok.headers } });
    expect(up.statusCode).toBe(201);
    expect(up.json()).toMatchObject({ filename: '现场.jpg', mime: 'image/jpeg', size: 5 });
    const down = await app.inject({ url: `${url}/${up.json().id}`, headers: H('view') });
    expect(down.statusCode).toBe(200);
    expect(down.headers['content-type']).toBe('image/jpeg');
    expect([...down.rawPayload]).toEqual([0xff, 0xd8, 1, 2, 3]);
    expect((await svc.detail(ticket.id)).attachments).toHaveLength(1);
  });

  it('address CSV import: all rows or none; lookup', async () => {
    const imp = (csv: string) => app.inject({ method: 'POST', url: '/api/tickets/addresses/import', payload: csv, headers: { ...H('op'), 'content-type': 'text/csv' } });
    const bad = await imp('address,station\n友谊路1号,hs-002\n友谊路2号,hs-404\n');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toContain("line 3: unknown station 'hs-404'");
    expect((await app.inject({ url: '/api/tickets/addresses/lookup?address=友谊路1号', headers: H('view') })).statusCode).toBe(404);
    expect((await imp('address,station\n友谊路1号,hs-002\n')).json()).toEqual({ imported: 1 });
    expect((await app.inject({ url: '/api/tickets/addresses/lookup?address=友谊路1号 5栋', headers: H('view') })).json()).toMatchObject({ station: 'hs-002' });
  });

  it('metrics: open tickets by priority and breaches', async () => {
    await svc.tick(clock.advance(3 * 3_600_000));
    const text = await metrics.metrics();
    expect(text).toMatch(/heatwatch_tickets_open\{priority="P1"\} [1-9]/);
    expect(text).toMatch(/heatwatch_ticket_breaches_total\{kind="respond"\} [1-9]/);
    expect(text).toContain('heatwatch_webhook_outbox{state="pending"} 0');
    const m = await svc.metrics();
    expect(m.breaches.respond).toBeGreaterThanOrEqual(1);
  });
});

describe('the service window under a planned stop, related tickets, account numbers (HTTP)', () => {
  it('a no-heat call under a planned stop: 200 with the call and a reply naming the restoration time; no ticket', async () => {
    const before = count();
    plannedStops.push({ id: 'ps-9', stations: ['hs-001'], area: null, from: clock.t - 60_000, to: clock.t + 5 * 3_600_000, reason: '二次网抢修', by: 'desk-1' });
    const caller = { name: '王五', phone: '13911112222', address: '学府路12号 5单元', account: 'HRB-7788' };
    const r = await app.inject({ method: 'POST', url: '/api/tickets', payload: { category: 'no_heat', customer: caller, description: '不热' }, headers: H('op') });
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body).toMatchObject({ outage: { kind: 'planned_stop', id: 'ps-9', restoreBy: clock.t + 5 * 3_600_000 }, call: { customer: caller, station: 'hs-001' } });
    expect(body.replies['zh-CN']).toMatch(/二次网抢修.*预计 .+ 前恢复供热/);
    expect(count()).toBe(before);
    // the lookup by account number shows the call and the outage covering the address now
    const look = (await app.inject({ url: '/api/customers/lookup?account=HRB-7788', headers: H('view') })).json();
    expect(look.calls.map((c: { id: number }) => c.id)).toEqual([body.call.id]);
    expect(look).toMatchObject({ station: { id: 'hs-001' }, outage: { kind: 'planned_stop', id: 'ps-9' } });
    expect((await app.inject({ url: '/api/customers/lookup?account=x', headers: H('view') })).json()).toMatchObject({ field: 'querystring.account' });
    // the station the clerk chose decides: the stop does not cover another station, an unknown one is named
    const other = (await app.inject({ url: '/api/customers/lookup?account=HRB-7788&station=hs-002', headers: H('view') })).json();
    expect(other.station.id).toBe('hs-002');
    expect(other.outage?.kind).not.toBe('planned_stop');
    expect((await app.inject({ url: '/api/customers/lookup?account=HRB-7788&station=hs-999', headers: H('view') })).json()).toMatchObject({ field: 'querystring.station' });
    // the clerk judges the call unrelated: a ticket, with the account kept and searchable
    const opened = await app.inject({ method: 'POST', url: '/api/tickets', payload: { category: 'no_heat', customer: caller, description: '停热前就不热', linkToOutage: false }, headers: H('op') });
    expect(opened.statusCode).toBe(201);
    expect((await app.inject({ url: '/api/tickets?account=HRB-7788', headers: H('view') })).json().map((t: { id: number }) => t.id)).toEqual([opened.json().ticket.id]);
    plannedStops.length = 0;
  });

  it('related tickets over HTTP: linked both ways; a new need on a callback becomes a new linked ticket; bad links named', async () => {
    const file = async (payload: object) => (await app.inject({ method: 'POST', url: '/api/tickets', payload, headers: H('op') })).json().ticket.id as number;
    const a = await file({ category: 'repair', customer, description: '阀门漏' });
    const b = await file({ category: 'repair', customer, description: '另一处' });
    const linked = await app.inject({ method: 'POST', url: `/api/tickets/${a}/links`, payload: { ticket: b, note: '同户' }, headers: H('op') });
    expect(linked.statusCode).toBe(200);
    expect(linked.json().ticket.related).toEqual([b]);
    const c = await file({ category: 'complaint', customer, description: '回访时提出：楼道暖气片不热', relatedTo: a });
    expect((await app.inject({ url: `/api/tickets/${a}`, headers: H('view') })).json().ticket.related).toEqual([b, c]);
    const bad = (payload: object) => app.inject({ method: 'POST', url: `/api/tickets/${a}/links`, payload, headers: H('op') });
    expect((await bad({ ticket: 99_999 })).json()).toMatchObject({ field: 'body.ticket' });
    expect((await bad({ ticket: a })).statusCode).toBe(400);
    expect((await bad({ ticket: b })).statusCode).toBe(409);
    expect((await app.inject({ method: 'POST', url: `/api/tickets/${a}/links`, payload: { ticket: b }, headers: H('view') })).statusCode).toBe(403);
  });
});
