// Service reports and the ticket export over HTTP, against the API listening on a loopback port
// with a seeded state database (5,600 old tickets, one busy day): the JSON figures of the day,
// the XLSX and CSV read back to the same figures, the export honouring the queue's filters
// across pages, and bad input refused naming the field.
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
import type { ServiceReport } from '../../src/reports/service-report.ts';
import type { SqliteStateDb } from '../../src/state/sqlite-db.ts';
import { openSqliteState, type SqliteState } from '../helpers/sqlite-state.ts';
import { openTestState } from '../tickets/helpers.ts';
import type { SeriesStore } from '../../src/store/port.ts';
import { TicketService } from '../../src/tickets/service.ts';
import type { Ticket } from '../../src/tickets/types.ts';
import { csvSections, readCsv } from './csv-read.ts';
import { seedServiceDay, type SeedExpect } from './seed.ts';
import { expectedOnTimeTotal, expectedSummary, readWorkbook, summaryFigures } from './xlsx-read.ts';

const YAML = `
site: { name: 测试热力, timezone: Asia/Shanghai }
stations:
  - id: hs-001
    devices: [ { id: plc, endpoint: "modbus+tcp://127.0.0.1:5020", points: [ { id: t_sec_supply, table: holding, address: 0, type: float32 } ] } ]
  - id: hs-002
    devices: [ { id: plc, endpoint: "modbus+tcp://127.0.0.1:5020", points: [ { id: t_sec_supply, table: holding, address: 0, type: float32 } ] } ]
reports: { exportMaxRows: 5000 }
auth:
  tokens:
    - { name: v, token: view-0123456789abcdef, role: viewer }
`;
const AUTH = { authorization: 'Bearer view-0123456789abcdef' };
/** 2026-12-01 00:00 in Shanghai */
const DAY = Date.UTC(2026, 10, 30, 16);
/** the service's clock: the next day, 16:00 local */
const NOW = DAY + 40 * 3_600_000;

let app: FastifyInstance;
let svc: TicketService;
let stateDb: SqliteStateDb;
let state: SqliteState;
let dir: string;
let url: string;
let ex: SeedExpect;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'heatwatch-reports-api-'));
  const cfg = parseConfigText(YAML, 'test');
  ({ stateDb, state } = await openTestState(join(dir, 'state.db')));
  svc = new TicketService({ db: stateDb, settings: cfg.tickets, stations: cfg.stations, now: () => NOW, attachmentsDir: join(dir, 'attachments') });
  await svc.init();
  ex = await seedServiceDay(svc.store, DAY);
  const live: LiveView = { latest: () => undefined, deviceStatus: () => undefined, onSamples: () => () => {}, health: () => ({ status: 'ok' }) };
  app = await buildApp({ config: cfg, auth: new TokenAuth(cfg.tokens), live, series: {} as SeriesStore, state: state.store, stateDb, metrics: new Registry(), logger: pino({ level: 'silent' }), tickets: svc, now: () => NOW });
  url = await app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await app?.close();
  await svc?.stop();
  await stateDb?.close();
  rmSync(dir, { recursive: true, force: true });
});

const get = (path: string, headers: Record<string, string> = AUTH) => fetch(`${url}${path}`, { headers });
/** The status of a GET, its body read to the end (an unread body would hold the connection busy and the server's close with it). */
const statusOf = async (path: string, headers?: Record<string, string>) => {
  const r = await get(path, headers);
  await r.arrayBuffer();
  return r.status;
};

async function report(): Promise<ServiceReport> {
  const r = await get('/api/reports/service?period=day&date=2026-12-01');
  expect(r.status).toBe(200);
  return (await r.json()) as ServiceReport;
}

describe('the service report of a seeded day', () => {
  it('JSON: created, on time, callbacks, repeats and breaches as the seed made them', async () => {
    const r = await report();
    expect(r.period).toMatchObject({ kind: 'day', date: '2026-12-01', from: DAY, to: DAY + 86_400_000, timeZone: 'Asia/Shanghai' });
    expect(r.created.total).toBe(ex.created.total);
    expect(r.created.total).toBe(603);
    expect(r.created.bySource).toEqual(ex.created.bySource);
    expect(r.created.byCategory).toEqual(ex.created.byCategory);
    expect(r.created.byPriority).toEqual(ex.created.byPriority);
    expect(Object.fromEntries(r.created.byFaultClass.map((f) => [f.faultClass, f.count]))).toEqual(ex.created.byFaultClass);
    expect(r.onTime.respond).toMatchObject(ex.respond);
    expect(r.onTime.respond.percent).toBe(60);
    expect(r.onTime.resolve).toMatchObject(ex.resolve);
    expect(r.callbacks).toMatchObject(ex.callbacks);
    expect(r.callbacks.satisfaction).toBe(Math.round((1000 * ex.callbacks.satisfied) / ex.callbacks.reached) / 10);
    expect(r.repeats).toMatchObject(ex.repeats);
    expect(new Map(r.breaches.byTeam.map((b) => [b.label, { respond: b.respond, resolve: b.resolve }]))).toEqual(ex.breaches);
    expect(r.breaches.byTeam.some((b) => b.team === null && b.label === '未分派')).toBe(true);
  });

  it('XLSX: one sheet per section with Chinese headers, a title row naming the day and zone, the JSON figures', async () => {
    const json = await report();
    const res = await get('/api/reports/service?period=day&date=2026-12-01&format=xlsx');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('spreadsheetml');
    expect(res.headers.get('content-disposition')).toContain(`filename*=UTF-8''${encodeURIComponent('服务报表-2026-12-01.xlsx')}`);
    const wb = await readWorkbook(res);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['概况', '新建工单', '按时率', '回访', '返修', '超时']);
    const summary = wb.getWorksheet('概况')!;
    expect(String(summary.getCell('A1').value)).toMatch(/^服务报表 · 日报 2026-12-01 .*时区 Asia\/Shanghai$/);
    expect(summary.getRow(2).values).toEqual([undefined, '指标', '数值']);
    expect(summaryFigures(wb)).toEqual(expectedSummary(json));
    const onTime = wb.getWorksheet('按时率')!;
    expect(onTime.getRow(2).values).toEqual([undefined, '优先级', '按时响应', '超时响应', '按时响应率(%)', '按时处理', '超时处理', '按时处理率(%)']);
    expect(onTime.getRow(7).values).toEqual([undefined, ...expectedOnTimeTotal(json)]);
    const breaches = wb.getWorksheet('超时')!;
    const teams = breaches.getSheetValues().slice(3).map((row) => (row as unknown[]).slice(1));
    expect(teams).toEqual([...json.breaches.byTeam.map((b) => [b.label, b.respond, b.on_site, b.resolve, b.total]), ['合计', json.breaches.total.respond, json.breaches.total.on_site, json.breaches.total.resolve, json.breaches.total.total]]);
    expect(wb.getWorksheet('返修')!.rowCount).toBe(2 + json.repeats.total);
    expect(breaches.getColumn(1).width).toBe(20);
  });

  it('XLSX in English with lang=en', async () => {
    const wb = await readWorkbook(await get('/api/reports/service?date=2026-12-01&format=xlsx&lang=en'));
    expect(wb.worksheets.map((w) => w.name)).toEqual(['Summary', 'Created', 'On time', 'Callbacks', 'Repeat repairs', 'Breaches']);
    expect(String(wb.getWorksheet('Summary')!.getCell('A1').value)).toMatch(/^Service report · day 2026-12-01 .*time zone Asia\/Shanghai$/);
    expect(wb.getWorksheet('Breaches')!.getSheetValues().slice(3).map((r) => (r as unknown[])[1])).toContain('unassigned');
  });

  it('CSV: BOM, sections read back to the JSON figures', async () => {
    const json = await report();
    const res = await get('/api/reports/service?period=day&date=2026-12-01&format=csv');
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const bytes = Buffer.from(await res.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const s = csvSections(readCsv(bytes.toString('utf8').slice(1)));
    expect(s.get('按时率')?.rows.at(-1)).toEqual(['合计', ...[json.onTime.respond.onTime, json.onTime.respond.late, json.onTime.respond.percent, json.onTime.resolve.onTime, json.onTime.resolve.late, json.onTime.resolve.percent].map(String)]);
    expect(s.get('回访')?.rows.map((r) => r[1])).toEqual([json.callbacks.resolved, json.callbacks.withCallback, json.callbacks.callbackRate, json.callbacks.made, json.callbacks.reached, json.callbacks.unreached, json.callbacks.satisfied, json.callbacks.dissatisfied, json.callbacks.satisfaction].map(String));
    expect(s.get('返修')?.rows.map((r) => Number(r[0]))).toEqual(json.repeats.items.map((x) => x.ticketId));
  });

  it('a month adds up its days', async () => {
    const m = (await (await get('/api/reports/service?date=2026-12')).json()) as ServiceReport;
    expect(m.period).toMatchObject({ kind: 'month', from: DAY, to: Date.UTC(2026, 11, 31, 16) });
    expect(m.created.total).toBe(ex.created.total);
    expect(m.onTime.respond).toMatchObject(ex.respond);
  });

  it('bad input: 400 naming the field; no token: 401', async () => {
    const cases: Array<[string, string]> = [
      ['/api/reports/service?period=day&date=2026-12-03', 'querystring.date'], // tomorrow at the service's clock
      ['/api/reports/service?period=month&date=2027-01', 'querystring.date'],
      ['/api/reports/service?period=day&date=2026-13-01', 'querystring.date'],
      ['/api/reports/service?period=day&date=yesterday', 'querystring.date'],
      ['/api/reports/service?period=month&date=2026-12-01', 'querystring.date'],
      ['/api/reports/service?period=week&date=2026-12-01', 'querystring.period'],
      ['/api/reports/service?period=day', 'querystring.date'],
      ['/api/reports/service?date=2026-12-01&format=pdf', 'querystring.format'],
      ['/api/tickets/export?format=pdf', 'querystring.format'],
      ['/api/tickets/export', 'querystring.format'],
      ['/api/tickets/export?format=csv&status=lost', 'querystring.status'],
    ];
    for (const [path, field] of cases) {
      const r = await get(path);
      expect(r.status, path).toBe(400);
      const body = (await r.json()) as { error: string; field: string; message: string };
      expect(body.field, path).toBe(field);
      expect(body.message, path).toContain(field);
    }
    expect(await (await get('/api/reports/service?date=2026-12-03')).json()).toMatchObject({ message: expect.stringMatching(/in the future/) });
    expect(await statusOf('/api/reports/service?date=2026-12-01', {})).toBe(401);
    expect(await statusOf('/api/tickets/export?format=csv', {})).toBe(401);
  });
});

/** Every ticket id the queue API lists for the filters, page after page. */
async function queueIds(filters: string): Promise<number[]> {
  const ids: number[] = [];
  for (let cursor = ''; ; ) {
    const r = await get(`/api/tickets?${filters}&limit=500${cursor ? `&cursor=${cursor}` : ''}`);
    ids.push(...((await r.json()) as Ticket[]).map((t) => t.id));
    cursor = r.headers.get('x-next-cursor') ?? '';
    if (!cursor) return ids;
  }
}

describe('the ticket export', () => {
  it('honours the queue filters and holds every matching ticket across pages, in the queue order (CSV)', async () => {
    const res = await get('/api/tickets/export?format=csv&priority=P1&status=all');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toContain(encodeURIComponent('工单导出-2026-12-02.csv'));
    const [header, ...rows] = readCsv((await res.text()).replace(/^\uFEFF/, ''));
    expect(header.slice(0, 3)).toEqual(['编号', '优先级', '状态']);
    const expected = await queueIds('priority=P1&status=all');
    expect(expected.length).toBeGreaterThan(1000); // more than one page of the export's walk
    expect(rows.map((r) => Number(r[0]))).toEqual(expected);
    expect(new Set(rows.map((r) => r[1]))).toEqual(new Set(['P1']));
    // times on the site's clock
    const t = (await svc.get(expected[0]))!;
    expect(rows[0][header.indexOf('创建时间')]).toBe(new Date(t.createdAt + 8 * 3_600_000).toISOString().slice(0, 16).replace('T', ' '));
  });

  it('XLSX with Chinese headers; the default filter is the working queue, like the queue', async () => {
    const res = await get('/api/tickets/export?format=xlsx&team=north-crew&sort=deadline');
    expect(res.status).toBe(200);
    const ws = (await readWorkbook(res)).worksheets[0];
    expect(ws.name).toBe('工单导出');
    expect((ws.getRow(1).values as unknown[]).slice(1, 4)).toEqual(['编号', '优先级', '状态']);
    const ids = ws.getSheetValues().slice(2).map((r) => (r as unknown[])[1]);
    expect(ids).toEqual(await queueIds('team=north-crew&sort=deadline'));
    expect(ids.length).toBeGreaterThan(0);
  });

  it('more matching tickets than reports.exportMaxRows: 400 naming the query, nothing streamed', async () => {
    const r = await get('/api/tickets/export?format=csv&status=all');
    expect(r.status).toBe(400);
    const body = (await r.json()) as { error: string; field: string; message: string };
    expect(body).toMatchObject({ error: 'too_large', field: 'querystring' });
    expect(body.message).toContain(`${ex.all} tickets match`);
  });

  it('does not collide with /api/tickets/:id', async () => {
    expect(await statusOf('/api/tickets/1')).toBe(200);
    expect(await statusOf('/api/tickets/export?format=csv&q=nothing-matches-this')).toBe(200);
  });
});
