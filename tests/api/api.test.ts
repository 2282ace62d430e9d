import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.ts';
import { startService, type Service } from '../../src/service.ts';
import { startSimulator, type Simulator } from '../../simulators/index.ts';
import { waitFor } from '../helpers/wait.ts';

const READ = { authorization: 'Bearer demo-read' };

let sim: Simulator;
let svc: Service;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'heatwatch-api-'));
  sim = await startSimulator({ stations: 3, seed: 7, modbusPort: 0, controlPort: 0 });
  const cfg = parseConfigText(sim.configYaml({ pollMs: 200 }), 'test');
  cfg.storage.series = { kind: 'sqlite', path: join(dir, 'series.db') };
  cfg.storage.state = { kind: 'sqlite', path: join(dir, 'state.db') };
  cfg.ingest.maxDelayMs = 50;
  svc = await startService(cfg, { logger: pino({ level: 'silent' }), listen: false });
  await waitFor(async () => (await svc.series.latest([`${sim.stations[2].id}.plc.t_sec_supply`])).size === 1, 10_000, 'first stored sample');
});

afterAll(async () => {
  await svc?.stop();
  await sim?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const get = (url: string, headers: Record<string, string> = READ) => svc.app.inject({ method: 'GET', url, headers });

describe('auth', () => {
  it.each(['/api/stations', '/api/stations/hs-001', '/api/series?points=hs-001.plc.t_sec_supply'])('%s needs a token', async (url) => {
    expect((await get(url, {})).statusCode).toBe(401);
    expect((await get(url, { authorization: 'Bearer wrong' })).statusCode).toBe(401);
    expect((await get(url)).statusCode).toBe(200);
  });

  it('takes ?token= only where a browser cannot send a header: a CSV link, not the JSON API', async () => {
    expect((await get('/api/stations?token=demo-read', {})).statusCode).toBe(401);
    expect((await get('/api/series?points=hs-001.plc.t_sec_supply&token=demo-read', {})).statusCode).toBe(401);
    expect((await get('/api/series?points=hs-001.plc.t_sec_supply&format=csv&token=demo-read', {})).statusCode).toBe(200);
  });

  it('health and metrics are open for monitoring', async () => {
    const h = await get('/api/health', {});
    expect(h.statusCode).toBe(200);
    expect(h.json()).toMatchObject({ status: 'ok', stations: 3, polls: { devices: 3, late: expect.any(Number), skipped: expect.any(Number) } });
    expect(h.json().ingest).toMatchObject({ queueAgeMs: expect.any(Number), queueGrowthPerSecond: expect.any(Number), writesInFlight: expect.any(Number) });
    const m = await get('/metrics', {});
    expect(m.statusCode).toBe(200);
    for (const name of ['heatwatch_samples_stored_total', 'heatwatch_ingest_queue_depth', 'heatwatch_store_write_seconds', 'heatwatch_poll_errors_total', 'heatwatch_samples_per_second', 'heatwatch_ingest_queue_age_seconds', 'heatwatch_polls_late_total', 'heatwatch_polls_skipped_total', 'heatwatch_store_writes_in_flight']) {
      expect(m.body).toContain(name);
    }
    expect(m.body).toMatch(/heatwatch_polls_total\{station="hs-001",device="plc"\} [1-9]/);
  });
});

describe('stations', () => {
  it('lists every station with comm status and good key values', async () => {
    const list = await waitFor(async () => {
      const body = (await get("/api/stations")).json() as Array<{ id: string; comm: string; values: Record<string, { quality: string } | null> }>;
      return body.every((s) => s.comm === 'online' && s.values.t_sec_supply?.quality === 'good') ? body : null;
    }, 10_000, 'all stations online');
    expect(list.map((s) => s.id)).toEqual(sim.stations.map((s) => s.id));
    const v = (list[0].values.t_sec_supply as unknown as { value: number }).value;
    expect(v).toBeGreaterThan(20);
    expect(v).toBeLessThan(90);
  });

  it('gives one station with every point and its latest sample', async () => {
    const r = await get('/api/stations/hs-001');
    expect(r.statusCode).toBe(200);
    const body = r.json();
    const points = body.devices[0].points as Array<{ id: string; unit: string | null; latest: { quality: string } | null }>;
    expect(points.length).toBeGreaterThan(25);
    expect(points.find((p) => p.id === 'hs-001.plc.t_sec_supply')).toMatchObject({ unit: 'degC', latest: { quality: 'good' } });
    expect(typeof points.find((p) => p.id === 'hs-001.plc.pump1_run')?.latest).toBe('object');
  });

  it('404 for an unknown station, 400 for a malformed id', async () => {
    expect((await get('/api/stations/hs-999')).statusCode).toBe(404);
    const bad = await get('/api/stations/HS!');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().field).toBe('params.id');
  });
});

describe('series', () => {
  const P = 'hs-001.plc.t_sec_supply';

  it.each([
    ['/api/series', 'querystring.points'],
    [`/api/series?points=${P}&agg=median`, 'querystring.agg'],
    [`/api/series?points=${P}&from=yesterday`, 'from'],
    [`/api/series?points=${P}&to=13:00`, 'to'],
    [`/api/series?points=${P}&step=fast`, 'step'],
    [`/api/series?points=${P}&from=now-1h&to=now-2h`, 'from'],
    [`/api/series?points=${P}&from=now-30d&step=1s`, 'step'],
    ['/api/series?points=nodots', 'points'],
  ])('%s → 400 naming %s', async (url, field) => {
    const r = await get(url);
    expect(r.statusCode).toBe(400);
    expect(r.json().field).toBe(field);
    expect(r.json().message).toContain(field);
  });

  it('404 for an unknown point', async () => {
    const r = await get('/api/series?points=hs-001.plc.nope');
    expect(r.statusCode).toBe(404);
    expect(r.json().message).toContain('hs-001.plc.nope');
  });

  it('returns aggregated buckets equal to what the store holds', async () => {
    const to = Date.now();
    const from = to - 10_000;
    // per point, samples are stored in push order: once one of P after the range is stored, all
    // of the range are, and the two reads below see the same samples (ingest goes on meanwhile)
    await waitFor(async () => ((await svc.series.latest([P])).get(P)?.ts ?? 0) >= to, 10_000, `a sample of ${P} after the range`);
    const r = await get(`/api/series?points=${P},hs-001.plc.pump1_run&from=${from}&to=${to}&step=1s&agg=max`);
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body.series.map((s: { point: string }) => s.point)).toEqual([P, 'hs-001.plc.pump1_run']);
    expect(body.series[0]).toMatchObject({ unit: 'degC', source: 'raw' });
    expect(body.series[0].points.length).toBe(Math.ceil(to / 1000) - Math.floor(from / 1000));
    const direct = await svc.series.query({ points: [P], from, to, stepMs: 1000, agg: 'max' });
    expect(body.series[0].points).toEqual(direct[0].points);
    expect(body.series[0].points.filter((p: [number, number | null]) => p[1] !== null).length).toBeGreaterThan(0);
  });

  it('gives CSV with Accept: text/csv or format=csv', async () => {
    const r = await svc.app.inject({ method: 'GET', url: `/api/series?points=${P}&from=now-10s&step=1s`, headers: { ...READ, accept: 'text/csv' } });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toContain('text/csv');
    const lines = r.body.trim().split('\n');
    expect(lines[0]).toBe(`time,${P}`);
    expect(lines.length).toBeGreaterThan(5);
    expect(lines[1]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z,(\d+(\.\d+)?)?$/);
    const r2 = await get(`/api/series?points=${P}&from=now-10s&step=1s&format=csv`);
    expect(r2.body.split('\n')[0]).toBe(`time,${P}`);
  });
});

describe('live feed /ws', () => {
  it('streams batched samples and honours a station subscription', async () => {
    await svc.app.ready();
    const ws = await svc.app.injectWS('/ws', { headers: READ });
    const messages: Array<{ type: string; samples?: Array<{ point: string }> }> = [];
    ws.on('message', (d) => messages.push(JSON.parse(String(d))));
    ws.send(JSON.stringify({ subscribe: { stations: ['hs-002'] } }));
    await waitFor(() => messages.some((m) => m.type === 'subscribed'), 5000, 'subscribed');
    const start = messages.length;
    await waitFor(() => messages.slice(start).some((m) => m.type === 'sample'), 5000, 'a sample batch');
    const points = messages.slice(start).filter((m) => m.type === 'sample').flatMap((m) => m.samples!.map((s) => s.point));
    expect(points.length).toBeGreaterThan(0);
    expect(points.every((p) => p.startsWith('hs-002.'))).toBe(true);
    ws.send('not json');
    await waitFor(() => messages.some((m) => m.type === 'error'), 5000, 'an error reply');
    ws.terminate();
  });

  it('refuses a connection without a token', async () => {
    await expect(svc.app.injectWS('/ws')).rejects.toThrow();
  });
});

describe('OpenAPI', () => {
  it('documents every route at /docs', async () => {
    const r = await get('/docs/json', {});
    expect(r.statusCode).toBe(200);
    const paths = Object.keys(r.json().paths);
    for (const p of ['/api/health', '/api/stations', '/api/stations/{id}', '/api/series', '/metrics']) expect(paths).toContain(p);
  });
});
