// The analytics reports over HTTP, against the API listening on a loopback port with a seeded
// state database: the daily table (two seasons of rows for five stations, one over-supplied),
// alarm events and tickets. The daily station report and the monthly network report as JSON,
// XLSX and CSV with the figures the seed adds up to; the schedule run by its job on an injected
// clock, writing into the reports folder beside the state database (from a day of samples in a
// real series store for the day it refreshes), listed and downloaded; a blocked folder failing
// and the next tick writing; bad input refused naming the field.
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlarmPersistence, eventRow } from '../../src/alarms/persist.ts';
import type { AlarmEvent } from '../../src/alarms/types.ts';
import { AnalyticsService } from '../../src/analytics/service.ts';
import { buildApp } from '../../src/api/app.ts';
import { TokenAuth } from '../../src/api/auth.ts';
import type { LiveView } from '../../src/api/deps.ts';
import { parseConfigText } from '../../src/config/load.ts';
import type { ResolvedConfig } from '../../src/config/resolve.ts';
import type { Sample } from '../../src/model.ts';
import type { StationDailyReport } from '../../src/reports/analytics-daily.ts';
import { ReportFolder } from '../../src/reports/analytics-folder.ts';
import { AnalyticsReportJob, analyticsReportJob } from '../../src/reports/analytics-job.ts';
import type { NetworkMonthlyReport } from '../../src/reports/analytics-monthly.ts';
import { AnalyticsReports } from '../../src/reports/analytics-reports.ts';
import { localMidnight } from '../../src/reports/period.ts';
import type { SqliteStateDb } from '../../src/state/sqlite-db.ts';
import { openSqliteState, type SqliteState } from '../helpers/sqlite-state.ts';
import { openTestState } from '../tickets/helpers.ts';
import { SqliteSeriesStore } from '../../src/store/sqlite-series.ts';
import { TicketService } from '../../src/tickets/service.ts';
import { seedRows, totalBy } from './analytics-seed.ts';
import { csvSections, readCsv } from './csv-read.ts';
import { readWorkbook } from './xlsx-read.ts';

const TZ = 'Asia/Shanghai';
const AREAS = [40_000, 60_000, 50_000, 80_000, 30_000];
const points = `[ ${['heat_energy', 'v_makeup', 't_outdoor', 't_sec_supply', 't_sec_return', 't_pri_return', 'f_sec'].map((id, i) => `{ id: ${id}, table: holding, address: ${2 * i}, type: float32 }`).join(', ')} ]`;
const yaml = (dir: string) => `
site: { name: 测试热力, timezone: ${TZ} }
storage: { state: { kind: sqlite, path: ${join(dir, 'state.db')} } }
stations:
${AREAS.map((a, i) => `  - { id: hs-00${i + 1}, name: 测试${i + 1}号站, area: ${i < 3 ? 'north' : 'south'}, heatedAreaM2: ${a}, systemVolumeM3: ${a / 400}, devices: [ { id: plc, endpoint: "modbus+tcp://127.0.0.1:5020", points: ${points} } ] }`).join('\n')}
operations: { season: { start: "10-20", end: "04-10" } }
analytics: { reports: { dailyAt: "06:30" } }
auth: { tokens: [ { name: v, token: view-0123456789abcdef, role: viewer } ] }
`;
const AUTH = { authorization: 'Bearer view-0123456789abcdef' };
/** local wall-clock time in Shanghai */
const at = (y: number, m: number, d: number, hh = 0, mm = 0) => localMidnight(y, m, d, TZ) + (hh * 60 + mm) * 60_000;
/** the service's clock: 5 January 2027, 10:00 local, unless a test moves it */
let clock = at(2027, 1, 5, 10);
const now = () => clock;

let dir: string;
let cfg: ResolvedConfig;
let stateDb: SqliteStateDb;
let state: SqliteState;
let series: SqliteSeriesStore;
let analytics: AnalyticsService;
let tickets: TicketService;
let app: FastifyInstance;
let url: string;
const OVER = 'hs-004';
const thisSeason = () => seedRows(cfg.stations, '2026-10-20', '2027-01-04', { over: OVER });
const lastSeason = () => seedRows(cfg.stations, '2025-10-20', '2026-01-10', { over: OVER, lastSeason: true });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'heatwatch-areports-'));
  cfg = parseConfigText(yaml(dir), 'test');
  ({ stateDb, state } = await openTestState((cfg.storage.state as { path: string }).path));
  series = new SqliteSeriesStore({ path: join(dir, 'series.db') });
  await series.init();
  const logger = pino({ level: 'silent' });
  analytics = await AnalyticsService.open({ db: stateDb, stations: cfg.stations, settings: cfg.analytics, timeZone: TZ, season: cfg.operations.season, series, now, logger });
  await analytics.daily.upsert([...lastSeason(), ...thisSeason()], clock);

  // 1 December: three raises at hs-001 (one just before midnight the day before does not count), an ack, one raise at hs-003
  const ev = (id: number, ts: number, station: string, type: AlarmEvent['type']): AlarmEvent => ({
    id, alarmId: `${station}.leak`, ruleId: 'leak', station, device: 'plc', point: `${station}.plc.p_sec_return`, ts, type, from: 'normal', to: 'unacked', priority: 2, value: 0.1, message: 'leak', class: 'leak',
  });
  await (await AlarmPersistence.open(stateDb)).record(
    [ev(1, at(2026, 12, 1) - 1, 'hs-001', 'raise'), ev(2, at(2026, 12, 1, 3), 'hs-001', 'raise'), ev(3, at(2026, 12, 1, 4), 'hs-001', 'ack'), ev(4, at(2026, 12, 1, 9), 'hs-001', 'raise'), ev(5, at(2026, 12, 1, 23, 59), 'hs-001', 'raise'), ev(6, at(2026, 12, 1, 12), 'hs-003', 'raise'), ev(7, at(2026, 12, 2), 'hs-003', 'raise')].map(eventRow),
    [],
  );
  tickets = new TicketService({ db: stateDb, settings: cfg.tickets, stations: cfg.stations, now, attachmentsDir: join(dir, 'attachments') });
  await tickets.init();
  const desk = { name: 'desk', role: 'operator' };
  for (const [t, station] of [[at(2026, 12, 1, 8), 'hs-002'], [at(2026, 12, 1, 15), 'hs-002'], [at(2026, 12, 1, 16), 'hs-005'], [at(2026, 12, 2, 1), 'hs-005']] as const) {
    clock = t;
    await tickets.createTicket({ source: 'manual', priority: 'P3', station, description: 'seeded' }, desk);
  }
  clock = at(2027, 1, 5, 10);

  const live: LiveView = { latest: () => undefined, deviceStatus: () => undefined, onSamples: () => () => {}, health: () => ({ status: 'ok' }) };
  app = await buildApp({ config: cfg, auth: new TokenAuth(cfg.tokens), live, series, state: state.store, stateDb, metrics: new Registry(), logger: logger, tickets, analytics, now });
  url = await app.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await app?.close();
  await tickets?.stop();
  await analytics?.stop();
  await series?.close();
  await stateDb?.close();
  rmSync(dir, { recursive: true, force: true });
});

const get = (path: string) => fetch(`${url}${path}`, { headers: AUTH });
async function json<T>(path: string): Promise<T> {
  const r = await get(path);
  expect(r.status, path).toBe(200);
  return (await r.json()) as T;
}
const r3 = (v: number) => Math.round(v * 1000) / 1000;
const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);

describe('the daily station report', () => {
  it('gives each station its day from the daily table, with the alarms raised and tickets opened in the local day', async () => {
    const r = await json<StationDailyReport>('/api/reports/station-daily?date=2026-12-01');
    const seed = thisSeason().filter((x) => x.day === '2026-12-01');
    expect(r.stations.map((s) => s.station)).toEqual(['hs-001', 'hs-002', 'hs-003', 'hs-004', 'hs-005']);
    r.stations.forEach((s, i) => {
      expect(s.heatGJ).toBe(r3(seed[i].heatGJ!));
      expect(s.makeupM3).toBe(r3(seed[i].makeupM3!));
      expect(s.meanSupplyC).toBe(Math.round(seed[i].meanSupplyC! * 10) / 10);
      expect(s.meanOutdoorC).toBe(seed[i].meanOutdoorC);
    });
    expect(r.stations.map((s) => [s.alarmsRaised, s.ticketsOpened])).toEqual([[3, 0], [0, 2], [1, 0], [0, 0], [0, 1]]);
    expect(r.totals).toMatchObject({ reporting: 5, stations: 5, alarmsRaised: 4, ticketsOpened: 3, heatGJ: r3(r.stations.reduce((a, s) => a + s.heatGJ!, 0)) });
  });

  it('as XLSX and CSV: the same lines, a sheet named for the report, the file named for the day', async () => {
    const r = await json<StationDailyReport>('/api/reports/station-daily?date=2026-12-01');
    const x = await get('/api/reports/station-daily?date=2026-12-01&format=xlsx');
    expect(x.headers.get('content-disposition')).toContain(`filename*=UTF-8''${encodeURIComponent('站点运行日报-2026-12-01.xlsx')}`);
    const ws = (await readWorkbook(x)).getWorksheet('站点日报')!;
    expect(String(ws.getCell('A1').value)).toContain('站点运行日报 · 2026-12-01');
    const lines = ws.getSheetValues().slice(3, 8).map((row) => (row as unknown[]).slice(1));
    expect(lines.map((l) => [l[0], l[3], l[4], l[8], l[9]])).toEqual(r.stations.map((s) => [s.station, s.heatGJ, s.makeupM3, s.alarmsRaised, s.ticketsOpened]));
    const csv = await get('/api/reports/station-daily?date=2026-12-01&format=csv&lang=en');
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const sheet = csvSections(readCsv((await csv.text()).slice(1))).get('Stations')!;
    expect(sheet.header.slice(3, 5)).toEqual(['Heat (GJ)', 'Make-up (m³)']);
    expect(sheet.rows.at(-1)!.slice(0, 4)).toEqual(['Total', '', '', String(r.totals.heatGJ)]);
  });
});

describe('the monthly network report', () => {
  it("ranks the month's stations (the over-supplied one first, as the ranking route does) and compares the season with last season's same days", async () => {
    const r = await json<NetworkMonthlyReport>('/api/reports/network-monthly?month=2026-12');
    const ranking = await json<{ stations: Array<{ station: string; heatGJ: number; intensity: number }> }>('/api/analytics/ranking?from=2026-12-01&to=2026-12-31');
    expect(r.period.days).toEqual({ from: '2026-12-01', to: '2026-12-31' });
    expect(r.ranking.stations[0]).toMatchObject({ rank: 1, station: OVER, outliers: { intensity: 'high' } });
    expect(r.ranking.stations.map((s) => s.station)).toEqual(ranking.stations.map((s) => s.station));
    expect(r.ranking.stations.map((s) => s.heatGJ)).toEqual(ranking.stations.map((s) => r3(s.heatGJ)));

    const cur = thisSeason().filter((x) => x.day <= '2026-12-31');
    const prev = lastSeason().filter((x) => x.day <= '2025-12-31');
    const s = r.season;
    expect(s.current).toMatchObject({ from: '2026-10-20', to: '2026-12-31', days: 73, heatGJ: r3(sum(totalBy(cur, 'heatGJ'))), makeupM3: r3(sum(totalBy(cur, 'makeupM3'))) });
    expect(s.previous).toMatchObject({ from: '2025-10-20', to: '2025-12-31', days: 73, heatGJ: r3(sum(totalBy(prev, 'heatGJ'))) });
    // network intensity: Σ heat / Σ (area × degree-days)
    const areaHdd = (rows: typeof cur) => cfg.stations.reduce((a, st) => a + st.heatedAreaM2! * totalBy(rows, 'hdd').get(st.id)!, 0);
    // (to four significant digits, as the report gives intensities)
    expect(Math.abs(s.current.intensity! / (sum(totalBy(cur, 'heatGJ')) / areaHdd(cur)) - 1)).toBeLessThan(5e-4);
    // last season used 5 % more heat per degree-day: this season's intensity is about 4.8 % lower
    expect(s.change.intensity).toBeCloseTo(-4.8, 0);
    expect(s.change.heatGJ).toBeLessThan(0);
    expect(s.stations.find((x) => x.station === OVER)!.current.heatGJ).toBe(r3(totalBy(cur, 'heatGJ').get(OVER)!));
  });

  it('a month still running covers its days so far; its season ends today', async () => {
    const r = await json<NetworkMonthlyReport>('/api/reports/network-monthly?month=2027-01');
    expect(r.period.days).toEqual({ from: '2027-01-01', to: '2027-01-05' });
    expect(r.season.current).toMatchObject({ to: '2027-01-05', days: 78 });
    expect(r.season.previous.to).toBe('2026-01-05');
  });

  it('as XLSX: the ranking, the season and the season by station, the figures of the JSON report', async () => {
    const r = await json<NetworkMonthlyReport>('/api/reports/network-monthly?month=2026-12');
    const x = await get('/api/reports/network-monthly?month=2026-12&format=xlsx');
    expect(x.status).toBe(200);
    const wb = await readWorkbook(x);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['管网排名', '本季对比', '本季分站']);
    const rank = wb.getWorksheet('管网排名')!.getSheetValues().slice(3, 8).map((row) => (row as unknown[]).slice(1));
    // intensities in kJ/(m²·HDD) in the file
    expect(rank.map((l) => [l[0], l[1], l[5], l[7]])).toEqual(r.ranking.stations.map((s) => [s.rank, s.station, s.heatGJ, Math.round(s.intensity! * 1e8) / 100]));
    const season = wb.getWorksheet('本季对比')!;
    expect((season.getRow(5).values as unknown[]).slice(1)).toEqual(['供热量(GJ)', r.season.current.heatGJ, r.season.previous.heatGJ, r.season.change.heatGJ]);
  });
});

describe('bad input', () => {
  it('a day or month in the future, malformed, or a stray parameter is a 400 naming the field', async () => {
    const cases: Array<[string, string]> = [
      ['/api/reports/station-daily?date=2027-01-06', 'querystring.date'],
      ['/api/reports/station-daily?date=2026-13-01', 'querystring.date'],
      ['/api/reports/station-daily?date=2026-12', 'querystring.date'],
      ['/api/reports/network-monthly?month=2027-02', 'querystring.month'],
      ['/api/reports/network-monthly?month=2026-1', 'querystring.month'],
      ['/api/reports/network-monthly?month=2026-12-01', 'querystring.month'],
      ['/api/reports/network-monthly', 'querystring.month'],
      ['/api/reports/network-monthly?month=2026-12&format=pdf', 'querystring.format'],
      ['/api/reports/station-daily?date=2026-12-01&station=hs-001', 'querystring.station'],
    ];
    for (const [path, field] of cases) {
      const r = await get(path);
      expect(r.status, path).toBe(400);
      const body = (await r.json()) as { field: string; message: string };
      expect(body.field, path).toBe(field);
      expect(body.message, path).toContain(field);
    }
    expect(((await (await get('/api/reports/network-monthly?month=2027-02')).json()) as { message: string }).message).toMatch(/future/);
  });

  it('the reports need a token', async () => {
    expect((await fetch(`${url}/api/reports/network-monthly?month=2026-12`)).status).toBe(401);
    expect((await fetch(`${url}/api/reports/files`)).status).toBe(401);
  });
});

/** A day of per-minute samples at hs-001 around local day `day`: 0.01 GJ and 0.0005 m³ a minute. */
async function writeDay(y: number, m: number, d: number): Promise<void> {
  const from = at(y, m, d) - 30 * 60_000;
  const batch: Sample[] = [];
  for (let i = 0; i <= 1500; i++) {
    const ts = from + i * 60_000;
    const v = (leaf: string, value: number): Sample => ({ point: `hs-001.plc.${leaf}`, ts, value, quality: 'good' });
    batch.push(v('heat_energy', 1000 + 0.01 * i), v('v_makeup', 5 + 0.0005 * i), v('t_outdoor', -10), v('t_sec_supply', 50), v('t_sec_return', 40), v('t_pri_return', 45), v('f_sec', 20));
  }
  await series.write(batch);
}

describe('the schedule', () => {
  const folderPath = () => join(dir, 'reports');
  const logs: string[] = [];
  let job: AnalyticsReportJob;

  beforeAll(async () => {
    await writeDay(2027, 1, 4);
    job = analyticsReportJob({
      analytics,
      db: stateDb,
      stations: cfg.stations,
      timeZone: TZ,
      season: cfg.operations.season,
      now,
      dailyAt: cfg.analytics.reports.dailyAt,
      dir: folderPath(),
      // the service's wiring: the day's rows computed again from the series store before its report
      refreshDay: (day) => analytics.job.computeDay(day, clock),
      logger: pino({ level: 'info' }, { write: (s: string) => void logs.push(s) }),
    });
  });

  it('writes the reports due into the folder beside the state database, each file once', async () => {
    clock = at(2027, 1, 5, 6, 0);
    const first = await job.run();
    // before 06:30 the newest day due is the 3rd; December's report has been due since 1 January 06:30
    expect(first).toEqual({ written: ['daily-2027-01-03.xlsx', 'daily-2027-01-03.csv', 'monthly-2026-12.xlsx', 'monthly-2026-12.csv'], failed: [] });
    const mtime = statSync(join(folderPath(), 'monthly-2026-12.xlsx')).mtimeMs;
    expect(await job.run()).toEqual({ written: [], failed: [] });
    clock = at(2027, 1, 5, 6, 30);
    expect((await job.run()).written).toEqual(['daily-2027-01-04.xlsx', 'daily-2027-01-04.csv']);
    expect(statSync(join(folderPath(), 'monthly-2026-12.xlsx')).mtimeMs).toBe(mtime);
    // nothing else in the folder: no temp file left behind
    expect(readdirSync(folderPath()).sort()).toEqual(['daily-2027-01-03.csv', 'daily-2027-01-03.xlsx', 'daily-2027-01-04.csv', 'daily-2027-01-04.xlsx', 'monthly-2026-12.csv', 'monthly-2026-12.xlsx']);
  });

  it("the daily file carries the day computed from the samples: heat from the counter's increase", async () => {
    const sheet = csvSections(readCsv((await (await get('/api/reports/files/daily-2027-01-04.csv')).text()).slice(1))).get('站点日报')!;
    const line = sheet.rows.find((r) => r[0] === 'hs-001')!;
    // 1,440 minutes × 0.01 GJ and × 0.0005 m³
    expect(Number(line[3])).toBeCloseTo(14.4, 1);
    expect(Number(line[4])).toBeCloseTo(0.72, 2);
    expect(line.slice(5, 8)).toEqual(['50', '40', '-10']);
  });

  it('lists the files newest first and serves them by name; a name that is not a report file is a 400, a missing one a 404', async () => {
    const list = await json<{ dir: string; files: Array<{ name: string; kind: string; label: string; size: number }> }>('/api/reports/files');
    expect(list.dir).toBe(folderPath());
    expect(list.files.map((f) => f.name)).toEqual(['daily-2027-01-04.xlsx', 'daily-2027-01-04.csv', 'daily-2027-01-03.xlsx', 'daily-2027-01-03.csv', 'monthly-2026-12.xlsx', 'monthly-2026-12.csv']);
    expect(list.files.every((f) => f.size > 0)).toBe(true);

    const file = await get('/api/reports/files/monthly-2026-12.xlsx');
    expect(file.headers.get('content-type')).toContain('spreadsheetml');
    const wb = await readWorkbook(await file.arrayBuffer());
    const r = await json<NetworkMonthlyReport>('/api/reports/network-monthly?month=2026-12');
    const ranked = wb.getWorksheet('管网排名')!.getSheetValues().slice(3, 8).map((row) => (row as unknown[])[2]);
    expect(ranked).toEqual(r.ranking.stations.map((s) => s.station));

    writeFileSync(join(dir, 'secret.txt'), 'not a report');
    for (const name of ['..%2Fsecret.txt', '..%2F..%2Fetc%2Fpasswd', 'daily-2027-01-04.xlsx.tmp', '.daily-2027-01-04.xlsx', 'daily-2027-1-04.csv']) {
      const bad = await get(`/api/reports/files/${name}`);
      expect(bad.status, name).toBe(400);
      expect(((await bad.json()) as { field: string }).field).toBe('params.name');
    }
    expect((await get('/api/reports/files/daily-2020-01-01.csv')).status).toBe(404);
  });

  it('a run that fails is logged and the next tick writes what is still due', async () => {
    // the folder cannot be made: a file stands where it should be
    const blocked = join(dir, 'blocked');
    writeFileSync(blocked, '');
    const reports = new AnalyticsReports({ analytics, db: stateDb, stations: cfg.stations, timeZone: TZ, season: cfg.operations.season, now });
    const logger = pino({ level: 'info' }, { write: (s: string) => void logs.push(s) });
    const other = new AnalyticsReportJob({ reports, folder: new ReportFolder(join(blocked, 'reports')), schedule: { timeZone: TZ, dailyAtMin: 390 }, now, logger });
    const failed = await other.run();
    expect(failed.written).toEqual([]);
    expect(failed.failed.map((f) => f.label)).toEqual(['2027-01-04', '2026-12']);
    expect(logs.some((l) => l.includes('could not be written; trying again at the next tick') && l.includes('"period":"2026-12"'))).toBe(true);
    unlinkSync(blocked);
    expect((await other.run()).written).toEqual(['daily-2027-01-04.xlsx', 'daily-2027-01-04.csv', 'monthly-2026-12.xlsx', 'monthly-2026-12.csv']);
    expect(existsSync(join(blocked, 'reports', 'monthly-2026-12.csv'))).toBe(true);
  });
});
