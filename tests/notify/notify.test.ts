// Notifications end to end in one process with real receivers: a WeCom-format robot, a
// DingTalk-format robot checking the signature, and an SMTP server, all on loopback port 0. The
// ticket service and its dispatcher run as in production; the API is driven with inject.
//
// The service's clock starts 12 h behind the wall clock and the test moves it forward to breach
// deadlines. Rows are due from the service's time while the dispatcher retries on the wall clock:
// a service clock behind never holds a row back, and the age cap is set above the 12 h gap.
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
import { NotifyService } from '../../src/notify/service.ts';
import { openSqliteState, type SqliteState } from '../helpers/sqlite-state.ts';
import type { SqliteStateDb } from '../../src/state/sqlite-db.ts';
import { openTestState } from '../tickets/helpers.ts';
import type { SeriesStore } from '../../src/store/port.ts';
import { registerTicketMetrics } from '../../src/tickets/metrics.ts';
import { TicketService } from '../../src/tickets/service.ts';
import { waitFor } from '../helpers/wait.ts';
import { MailSink, Robot } from './receivers.ts';

const MIN = 60_000;
const SECRET = 'SECtest-signing-secret';
const H = (token: string) => ({ authorization: `Bearer ${token}-0123456789abcdef` });

let wecom: Robot;
let ding: Robot;
let smtp: MailSink;
let dir: string;
let stateDb: SqliteStateDb;
let state: SqliteState;
let tickets: TicketService;
let notify: NotifyService;
let app: FastifyInstance;
let metrics: Registry;
let t = Date.now() - 12 * 60 * MIN;
const now = () => t;

const yaml = () => `
stations:
  - { id: hs-001, name: 南岗1号站, area: 南岗区, devices: [ { id: plc, endpoint: "modbus+tcp://127.0.0.1:5020", points: [ { id: t, table: holding, address: 0, type: float32 } ] } ] }
  - { id: hs-002, name: 道里1号站, area: 道里区, devices: [ { id: plc, endpoint: "modbus+tcp://127.0.0.1:5020", points: [ { id: t, table: holding, address: 0, type: float32 } ] } ] }
tickets:
  sla: { P1: { respondMin: 5, onSiteMin: 30, resolveMin: 120 } }
notify:
  teams:
    - { id: south, name: 南岗维修班, areas: [南岗区], channels: [ops-wecom, mail] }
    - { id: north, name: 道里维修班, areas: [道里区], channels: [ops-ding, broken] }
  channels:
    - { name: ops-wecom, kind: wecom, url: "${wecom.url('/cgi-bin/webhook/send', '?key=k1')}" }
    - { name: ops-ding, kind: dingtalk, url: "${ding.url('/robot/send', '?access_token=t1')}", secret: ${SECRET} }
    - { name: broken, kind: wecom, url: "${wecom.url('/broken', '?key=k2')}" }
    - { name: mail, kind: email }
  smtp: { host: 127.0.0.1, port: ${smtp.port}, starttls: off, from: "供热监控 <noc@heat.example>" }
  retry: { baseMs: 20, maxMs: 200, maxAttempts: 3, maxAgeH: 48 }
auth:
  tokens:
    - { name: v, token: view-0123456789abcdef, role: viewer }
    - { name: desk-1, token: op-0123456789abcdef, role: operator }
    - { name: eng-1, token: eng-0123456789abcdef, role: engineer }
    - { name: qa-1, token: qa-0123456789abcdef, role: qa }
    - { name: lead-1, token: lead-0123456789abcdef, role: supervisor }
    - { name: root, token: admin-0123456789abcdef, role: admin }
`;

const ROSTER = [
  { team: 'south', level: 1, name: '张三', mobile: '13800138000', email: 'zhang@heat.example' },
  { team: 'south', level: 2, name: '李四', mobile: '13900139000', email: 'li@heat.example' },
  { team: 'south', level: 3, name: '王五', email: 'wang@heat.example' },
  { team: 'south', level: 'qa', name: '孙七', email: 'sun@heat.example' },
  { team: 'north', area: '道里区', level: 1, name: '赵六', mobile: '13700137000' },
];

beforeAll(async () => {
  [wecom, ding, smtp] = await Promise.all([new Robot('wecom').start(), new Robot('dingtalk', SECRET).start(), new MailSink().start()]);
  dir = mkdtempSync(join(tmpdir(), 'heatwatch-notify-'));
  const cfg = parseConfigText(yaml(), 'test');
  ({ stateDb, state } = await openTestState(join(dir, 'state.db')));
  const logger = pino({ level: 'silent' });
  notify = new NotifyService({ db: stateDb, settings: cfg.notify, stations: cfg.stations, timeZone: cfg.site.timezone, now, audit: (e) => state.audit(e), logger });
  await notify.init();
  tickets = new TicketService({ db: stateDb, settings: cfg.tickets, stations: cfg.stations, timezone: cfg.site.timezone, now, audit: (e) => state.audit(e), onChange: notify.onChange, receivers: notify.receivers, logger });
  await tickets.init();
  metrics = new Registry();
  registerTicketMetrics(metrics, tickets);
  const live: LiveView = { latest: () => undefined, deviceStatus: () => undefined, onSamples: () => () => {}, health: () => ({ status: 'ok' }) };
  app = await buildApp({ config: cfg, auth: new TokenAuth(cfg.tokens), live, series: {} as SeriesStore, state: state.store, metrics, logger, tickets, notify, now });
  tickets.start();
});

afterAll(async () => {
  await app?.close();
  await tickets?.stop();
  await stateDb?.close();
  await Promise.all([wecom?.stop(), ding?.stop(), smtp?.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const p1 = async (station: string, title: string): Promise<number> => {
  const r = await app.inject({ method: 'POST', url: '/api/tickets', headers: H('op'), payload: { source: 'manual', priority: 'P1', station, title, description: title } });
  expect(r.statusCode).toBe(201);
  return r.json().ticket.id as number;
};
const notifications = async (ticket: number) => (await app.inject({ url: `/api/oncall/notifications?ticket=${ticket}`, headers: H('view') })).json().items as Array<Record<string, unknown>>;

describe('the roster over the API', () => {
  it('a supervisor sets it; an unknown team is a 400 naming the field; a viewer or operator may not', async () => {
    const bad = [...ROSTER.slice(0, 3), { team: 'east', level: 1, name: '钱八' }];
    const refused = await app.inject({ method: 'PUT', url: '/api/oncall/roster', headers: H('lead'), payload: { entries: bad } });
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toMatchObject({ error: 'bad_request', field: 'body.entries.3.team' });
    expect(refused.json().message).toMatch(/unknown team 'east'/);
    const badEmail = await app.inject({ method: 'PUT', url: '/api/oncall/roster', headers: H('lead'), payload: { entries: [{ ...ROSTER[0], email: 'zhang@' }] } });
    expect(badEmail.json()).toMatchObject({ field: 'body.entries.0.email' });
    const badLevel = await app.inject({ method: 'PUT', url: '/api/oncall/roster', headers: H('lead'), payload: { entries: [{ ...ROSTER[0], level: 4 }] } });
    expect(badLevel.statusCode).toBe(400);
    expect(badLevel.json().field).toMatch(/^body\.entries\.0\.level/);
    for (const who of ['view', 'op']) expect((await app.inject({ method: 'PUT', url: '/api/oncall/roster', headers: H(who), payload: { entries: ROSTER } })).statusCode).toBe(403);
    // nothing was written by the refusals
    expect((await app.inject({ url: '/api/oncall', headers: H('view') })).json().roster).toEqual([]);

    const ok = await app.inject({ method: 'PUT', url: '/api/oncall/roster', headers: H('lead'), payload: { entries: ROSTER } });
    expect(ok.statusCode).toBe(200);
    const view = ok.json();
    expect(view.roster).toHaveLength(5);
    expect(view.canEdit).toBe(true);
    const cell = (team: string, area: string, level: number | string) => view.onCall.find((c: { team: string; area: string; level: unknown }) => c.team === team && c.area === area && c.level === level).people.map((p: { name: string }) => p.name);
    expect(cell('south', '南岗区', 1)).toEqual(['张三']);
    expect(cell('north', '道里区', 2)).toEqual([]);
    expect((await app.inject({ url: '/api/oncall', headers: H('view') })).json().canEdit).toBe(false);
    // one team's roster at a time, as the page saves it: the other teams' entries stay
    const mixed = await app.inject({ method: 'PUT', url: '/api/oncall/roster', headers: H('lead'), payload: { team: 'north', entries: [ROSTER[4], ROSTER[0]] } });
    expect(mixed.json()).toMatchObject({ field: 'body.entries.1.team' });
    const north = await app.inject({ method: 'PUT', url: '/api/oncall/roster', headers: H('admin'), payload: { team: 'north', entries: [ROSTER[4]] } });
    expect(north.json().roster.map((e: { name: string }) => e.name)).toEqual(['赵六', '张三', '李四', '王五', '孙七']);
    const audit = state.db.prepare("SELECT user, action, target FROM audit WHERE action = 'oncall.roster' ORDER BY id").all();
    expect(audit).toEqual([
      { user: 'lead-1', action: 'oncall.roster', target: 'roster' },
      { user: 'root', action: 'oncall.roster', target: 'team:north' },
    ]);
  });
});

describe('notifications through the outbox', () => {
  it('a P1 ticket notifies the on-call at once: WeCom mentioning the mobile (after a rate limit, retried, delivered once) and email', async () => {
    wecom.script('/cgi-bin/webhook/send', [45009, 0]);
    const id = await p1('hs-001', '二次侧压力过高');
    const msg = await waitFor(() => wecom.accepted('/cgi-bin/webhook/send').find((m) => m.content.includes(`#${id}`)), 10_000, 'the WeCom message');
    expect(msg.mentioned).toEqual(['13800138000']);
    expect(msg.content).toContain(`【P1 紧急】新工单 #${id}`);
    expect(msg.content).toContain('站点：南岗1号站（南岗区）');
    expect(msg.content).toContain('一级（值班人员） 张三');
    // the rate limit was one refused request, then exactly one accepted delivery
    expect(wecom.requests.filter((r) => r.content === msg.content).map((r) => r.errcode)).toEqual([45009, 0]);
    const mail = await waitFor(() => smtp.to('zhang@heat.example').find((m) => m.subject.includes(`#${id}`)), 10_000, 'the email');
    expect(mail.subject).toBe(`【P1 紧急】新工单 #${id} · 南岗1号站`);
    expect(mail.text).toContain('标题：二次侧压力过高');
    expect(mail.from).toBe('noc@heat.example');
    const rows = await waitFor(async () => {
      const r = await notifications(id);
      return r.length === 2 && r.every((n) => n.state === 'delivered') ? r : null;
    }, 10_000, 'both delivered');
    expect(rows.find((n) => n.channel === 'ops-wecom')).toMatchObject({ rule: 'p1_open', level: 1, attempts: 2, recipients: ['张三'], state: 'delivered' });
    // and nobody else was written to
    expect(smtp.mails.filter((m) => m.subject.includes(`#${id}`)).map((m) => m.to)).toEqual([['zhang@heat.example']]);
  });

  it('a response breach (the service clock) notifies level 2; a resolve breach the manager', async () => {
    const id = await p1('hs-001', '补水泵故障');
    await waitFor(() => smtp.to('zhang@heat.example').some((m) => m.subject.includes(`#${id}`)), 10_000, 'the level-1 email');
    t += 6 * MIN;
    expect((await tickets.tick(t)).escalated).toContainEqual({ id, kind: 'respond' });
    const lead = await waitFor(() => wecom.accepted().find((m) => m.content.includes(`工单 #${id} 超过响应期限`)), 10_000, 'the level-2 WeCom message');
    expect(lead.mentioned).toEqual(['13900139000']);
    expect(lead.content).toContain('二级（值班长） 李四');
    expect(lead.content).toMatch(/已超过响应期限：\d\d:\d\d（超时 1 分钟）/);
    await waitFor(() => smtp.to('li@heat.example').find((m) => m.subject.includes(`#${id} 超过响应期限`)), 10_000, 'the level-2 email');

    t += 120 * MIN;
    const kinds = (await tickets.tick(t)).escalated.filter((e) => e.id === id).map((e) => e.kind);
    expect(kinds.sort()).toEqual(['on_site', 'resolve']);
    const boss = await waitFor(() => smtp.to('wang@heat.example').find((m) => m.subject.includes(`#${id} 超过处理期限`)), 10_000, 'the manager email');
    expect(boss.text).toContain('三级（主管） 王五');
    // the manager has no mobile: the group message names him without a mention
    const group = await waitFor(() => wecom.accepted().find((m) => m.content.includes(`工单 #${id} 超过处理期限`)), 10_000, 'the level-3 WeCom message');
    expect(group.mentioned).toEqual([]);
  });

  it('DingTalk is signed and mentions; a permanently failing receiver is dead-lettered and visible, and an admin re-sends it', async () => {
    wecom.script('/broken', [93000]);
    const id = await p1('hs-002', '水浸报警');
    const msg = await waitFor(() => ding.accepted().find((m) => m.content.includes(`#${id}`)), 10_000, 'the DingTalk message');
    expect(msg.signed).toBe(true);
    expect(msg.mentioned).toEqual(['13700137000']);
    expect(msg.content.endsWith('@13700137000')).toBe(true);
    const dead = await waitFor(async () => (await notifications(id)).find((n) => n.channel === 'broken' && n.state === 'dead'), 10_000, 'the dead letter');
    expect(dead.lastError).toMatch(/^broken: POST http:\/\/127\.0\.0\.1:\d+\/broken\?…: errcode 93000/);
    expect(dead.attempts).toBe(1);

    const admin = (await app.inject({ url: '/api/outbox?status=dead', headers: H('admin') })).json();
    const row = admin.items.find((r: { receiver: string; ticket: number }) => r.receiver === 'broken' && r.ticket === id);
    expect(row).toMatchObject({ type: 'notify', change: 'created', status: 'dead' });
    expect(admin.counts.dead).toBeGreaterThanOrEqual(1);
    const text = await metrics.metrics();
    expect(text).toContain('heatwatch_webhook_dead_letters_total{receiver="broken",reason="permanent"} 1');
    expect(text).toMatch(/heatwatch_webhook_outbox\{state="dead"\} [1-9]/);

    wecom.script('/broken', [0]);
    const retry = await app.inject({ method: 'POST', url: `/api/outbox/${row.id}/retry`, headers: H('admin'), payload: { comment: 'robot key fixed' } });
    expect(retry.statusCode).toBe(200);
    await waitFor(async () => (await notifications(id)).find((n) => n.channel === 'broken' && n.state === 'delivered'), 10_000, 'the re-sent notification');
    expect(wecom.accepted('/broken').filter((m) => m.content.includes(`#${id}`))).toHaveLength(1);
  });

  it('an unhappy callback that reopens a customer ticket tells the QA lead', async () => {
    const created = await app.inject({
      method: 'POST',
      url: '/api/tickets',
      headers: H('op'),
      payload: { category: 'repair', station: 'hs-001', customer: { name: '李女士', phone: '13600000000', address: '学府路12号' }, description: '暖气片漏水' },
    });
    const id = created.json().ticket.id as number;
    const move = async (who: string, payload: Record<string, unknown>) => expect((await app.inject({ method: 'POST', url: `/api/tickets/${id}/transition`, headers: H(who), payload })).statusCode).toBe(200);
    await move('op', { to: 'dispatched', team: 'south' });
    await move('op', { to: 'in_progress' });
    await move('eng', { to: 'resolved', resolution: 'valve_replaced' });
    await move('qa', { to: 'verified' });
    const cb = await app.inject({ method: 'POST', url: `/api/tickets/${id}/callback`, headers: H('op'), payload: { reached: true, satisfied: false, note: '仍然漏水' } });
    expect(cb.statusCode).toBe(201);
    const mail = await waitFor(() => smtp.to('sun@heat.example').find((m) => m.subject.includes(`#${id}`)), 10_000, 'the QA email');
    expect(mail.subject).toBe(`【回访不满意】工单 #${id} 已重新打开 · 南岗1号站`);
    expect(mail.text).toContain('回访：客户不满意，请质检复核（报修，学府路12号）');
    expect(mail.text).not.toContain('13600000000');
    // a P3 reopened is no page for the on-call
    expect((await notifications(id)).map((n) => n.rule)).toEqual(['callback_unhappy', 'callback_unhappy']);
  });
});
