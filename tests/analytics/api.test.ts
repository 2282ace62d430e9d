/**
 * The analytics over HTTP on the simulator's stations polled over Modbus TCP: `agg=increase` of
 * the heat meters, the daily table filled by the service's job, the ranking, and the 400s that
 * name the field.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localDate } from '../../src/reports/period.ts';
import { startSimService, type SimService } from '../helpers/sim-service.ts';
import { waitFor } from '../helpers/wait.ts';

const READ = { authorization: 'Bearer demo-read' };
const M = 60_000;
const POINT = 'hs-001.plc.heat_energy';
let both: SimService;
/** the minute of the first stored heat meter reading */
let firstMinute: number;

beforeAll(async () => {
  // model time 60× the wall clock: a minute of polling is an hour of heat
  both = await startSimService({ name: 'analytics-api', sim: { stations: 3, seed: 4, speed: 60 }, pollMs: 500 });
  const first = await waitFor(async () => (await both.svc.series.latest([POINT])).get(POINT)?.ts, 10_000, 'a stored heat meter reading');
  firstMinute = Math.floor(first / M) * M;
  // every meter has counted up into the next minute: the step from the first minute's last reading is known
  const meters = ['hs-001', 'hs-002', 'hs-003'].map((s) => `${s}.plc.heat_energy`);
  await waitFor(async () => {
    const r = await both.svc.series.query({ points: meters, from: firstMinute, to: firstMinute + 2 * M, stepMs: M, agg: 'last' });
    return r.every((x) => x.points[0][1] !== null && x.points[1][1] !== null && x.points[1][1] > x.points[0][1]);
  }, 75_000, 'every meter counting in the next minute', 500);
}, 150_000);

afterAll(async () => {
  await both?.stop();
});

const get = (url: string, headers: Record<string, string> = READ) => both.svc.app.inject({ method: 'GET', url, headers });
const today = () => localDate(Date.now(), 'Asia/Shanghai');
const tomorrow = () => localDate(Date.now() + 86_400_000, 'Asia/Shanghai');

describe('agg=increase', () => {
  it('gives per step how much a heat meter went up, as the minute values stored show', async () => {
    const point = POINT;
    const from = firstMinute;
    const to = from + 2 * M;
    // the minute is still filling: compare what the API and the store say at the same moment
    const seen = await waitFor(async () => {
      const before = (await both.svc.series.query({ points: [point], from, to, stepMs: M, agg: 'last' }))[0].points;
      const r = await get(`/api/series?points=${point}&from=${from}&to=${to}&step=1m&agg=increase`);
      const after = (await both.svc.series.query({ points: [point], from, to, stepMs: M, agg: 'last' }))[0].points;
      return JSON.stringify(before) === JSON.stringify(after) ? { body: r.json(), last: after, status: r.statusCode } : null;
    }, 10_000, 'a stable minute');
    expect(seen.status).toBe(200);
    expect(seen.body).toMatchObject({ agg: 'increase', stepMs: M, series: [{ point, unit: 'GJ', source: expect.any(String) }] });
    const step = seen.last[1][1]! - seen.last[0][1]!;
    expect(step).toBeGreaterThan(0);
    expect(seen.body.series[0].points[1][1]).toBeCloseTo(step, 6);
  });

  it('is a 400 naming querystring.agg for a point that is no counter, and naming step for less than a minute', async () => {
    const r = await get('/api/series?points=hs-001.plc.heat_energy,hs-001.plc.t_sec_supply&agg=increase');
    expect(r.statusCode).toBe(400);
    expect(r.json()).toMatchObject({ error: 'bad_request', field: 'querystring.agg' });
    expect(r.json().message).toContain('hs-001.plc.t_sec_supply');
    const s = await get('/api/series?points=hs-001.plc.heat_energy&agg=increase&from=now-10m&step=30s');
    expect(s.statusCode).toBe(400);
    expect(s.json().field).toBe('step');
  });
});

describe('the daily table and the ranking', () => {
  it('fills today from the polled series and serves it with the figures that follow from the facts', async () => {
    const run = await both.svc.analytics.job.run(Date.now());
    expect(run.days[0]).toBe(today());
    const r = await get(`/api/analytics/daily?from=${today()}&to=${today()}`);
    expect(r.statusCode).toBe(200);
    const rows = r.json() as Array<Record<string, number | string | null>>;
    expect(rows.map((x) => x.station)).toEqual(['hs-001', 'hs-002', 'hs-003']);
    const facts = both.svc.analytics.stations;
    rows.forEach((x, i) => {
      expect(x.day).toBe(today());
      expect(x.heatGJ as number).toBeGreaterThan(0);
      expect(x.hdd as number).toBeGreaterThan(15);
      expect(x.intensity).toBeCloseTo((x.heatGJ as number) / (facts[i].heatedAreaM2! * (x.hdd as number)), 12);
      expect(x.flowPerM2).toBeCloseTo(((x.meanFlowSec as number) / facts[i].heatedAreaM2!) * 1000, 9);
      expect(x.coverage as number).toBeGreaterThan(0);
    });
    const one = await get(`/api/analytics/daily?station=hs-002&period=month`);
    expect(one.json().map((x: { station: string }) => x.station)).toEqual(['hs-002']);
  });

  it('ranks the stations by intensity, descending, with the network median', async () => {
    const r = await get('/api/analytics/ranking?period=month');
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body.to).toBe(today());
    expect(body.median.intensity).toBeGreaterThan(0);
    const values = body.stations.map((s: { intensity: number }) => s.intensity);
    expect(values).toHaveLength(3);
    expect([...values].sort((a, b) => b - a)).toEqual(values);
    expect(body.stations[0]).toMatchObject({ name: expect.any(String), area: expect.any(String), heatedAreaM2: expect.any(Number), outliers: {} });
  });

  it.each([
    ['a day in the future', () => `/api/analytics/daily?to=${tomorrow()}`, 'querystring.to'],
    ['a month in the future', () => `/api/analytics/ranking?from=${tomorrow().slice(0, 4)}-13`, 'querystring.from'],
    ['a malformed day', () => '/api/analytics/ranking?from=yesterday', 'querystring.from'],
    ['from after to', () => `/api/analytics/daily?from=${today()}&to=2026-01-01`, 'querystring.from'],
    ['more than 400 days', () => `/api/analytics/ranking?from=2020-01-01&to=${today()}`, 'querystring.to'],
    ['an unknown sort', () => '/api/analytics/ranking?sort=colour', 'querystring.sort'],
  ])('%s is a 400 naming the field', async (_name, url, field) => {
    const r = await get(url());
    expect(r.statusCode).toBe(400);
    expect(r.json()).toMatchObject({ error: 'bad_request', field });
  });

  it('needs a token, and an unknown station is a 404', async () => {
    expect((await get('/api/analytics/ranking', {})).statusCode).toBe(401);
    expect((await get('/api/analytics/daily?station=hs-999')).statusCode).toBe(404);
  });
});
