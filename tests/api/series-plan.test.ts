// A series query that would read raw samples over a long range is refused (400, naming the
// limit and the field) or snapped to whole minutes and answered from rollups, by one rule
// (src/store/query-plan.ts) that the route applies and reports.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sample } from '../../src/model.ts';
import { SqliteSeriesStore } from '../../src/store/sqlite-series.ts';
import { DAY, HOUR, MAX_RAW_ROWS, MINUTE, planQuery, QueryPlanError, snapStep, sourceFor } from '../../src/store/query-plan.ts';
import { bearer, lightApp, VIEWER, type LightApp } from './light-app.ts';

describe('planQuery', () => {
  const T = Date.UTC(2024, 0, 1);

  it.each<[string, number, number, number, string]>([
    // label, range, step asked, step used, source
    ['fine step, short range', HOUR, 10_000, 10_000, 'raw'],
    ['90 s over 6 h: raw answers any step', 6 * HOUR, 90_000, 90_000, 'raw'],
    ['90 s over 30 d: snapped up to 2 min', 30 * DAY, 90_000, 2 * MINUTE, 'rollup_1m'],
    ['61 s over 7 h: snapped up to 2 min', 7 * HOUR, 61_000, 2 * MINUTE, 'rollup_1m'],
    ['whole minutes over 30 d', 30 * DAY, 5 * MINUTE, 5 * MINUTE, 'rollup_1m'],
    ['whole hours over 30 d', 30 * DAY, HOUR, HOUR, 'rollup_1h'],
    ['90 min over 30 d: whole minutes, 1-minute rollup', 30 * DAY, 90 * MINUTE, 90 * MINUTE, 'rollup_1m'],
    ['whole hours over 7 d', 7 * DAY, HOUR, HOUR, 'rollup_1m'],
  ])('%s', (_label, range, asked, used, source) => {
    const plan = planQuery({ from: T, to: T + range, stepMs: asked }, [5000]);
    expect(plan).toMatchObject({ stepMs: used, source });
    expect(plan.requestedStepMs).toBe(asked === used ? undefined : asked);
    // what the stores will pick for the snapped step is the same rule
    expect(sourceFor({ from: T, to: T + range, stepMs: snapStep({ from: T, to: T + range, stepMs: asked }) })).toBe(source);
  });

  it('caps raw reads by the expected rows: range × points ÷ poll period', () => {
    // 10 s step over a day of 1 s points: 86,400 rows a point; 11 points pass the limit, 11 do not
    const q = { from: T, to: T + DAY, stepMs: 10_000 };
    expect(planQuery(q, Array(11).fill(1000)).rows).toBe(11 * 86_400);
    const err = (() => {
      try {
        planQuery(q, Array(12).fill(1000));
      } catch (e) {
        return e as QueryPlanError;
      }
    })();
    expect(err).toBeInstanceOf(QueryPlanError);
    expect(err?.field).toBe('step');
    expect(err?.message).toContain(`the limit is ${MAX_RAW_ROWS} raw rows`);
    // a short range of many fast points: the range is to blame
    expect(() => planQuery({ from: T, to: T + 6 * HOUR, stepMs: MINUTE }, Array(50).fill(100))).toThrow(expect.objectContaining({ field: 'from' }));
    // the same points from rollups: no cap
    expect(planQuery({ from: T, to: T + 30 * DAY, stepMs: 90_000 }, Array(50).fill(100)).source).toBe('rollup_1m');
  });
});

describe('/api/series applies the plan', () => {
  const dir = mkdtempSync(join(tmpdir(), 'heatwatch-series-plan-'));
  const store = new SqliteSeriesStore({ path: join(dir, 'series.db') });
  const NOW = Date.UTC(2024, 2, 1);
  let light: LightApp;
  const get = (q: string) => light.app.inject({ url: `/api/series?points=hs-001.plc.t&${q}`, headers: bearer(VIEWER) });

  beforeAll(async () => {
    await store.init();
    // one sample a minute over the last 30 days, value = minute of the day
    const batch: Sample[] = [];
    for (let t = NOW - 30 * DAY; t < NOW; t += MINUTE) batch.push({ point: 'hs-001.plc.t', ts: t, value: (t % DAY) / MINUTE, quality: 'good' });
    await store.write(batch);
    // points polled every 100 ms, so a fine-step day of two of them passes the raw limit
    light = await lightApp({ series: store, now: () => NOW, yaml: (t) => t.replaceAll('endpoint: "modbus+tcp://127.0.0.1:5020"', 'endpoint: "modbus+tcp://127.0.0.1:5020", pollMs: 100') });
  });
  afterAll(async () => {
    await light.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a 90 s step over 10 days is answered at 2 min from the 1-minute rollup, and says so', async () => {
    const r = await get(`from=${NOW - 10 * DAY}&to=${NOW}&step=90s`);
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body).toMatchObject({ stepMs: 120_000, requestedStepMs: 90_000 });
    expect(r.headers['x-heatwatch-step-ms']).toBe('120000');
    expect(body.series[0].source).toBe('rollup_1m');
    expect(body.series[0].points).toHaveLength(10 * 720);
    // each 2-minute bucket holds minutes m and m+1 of the day: mean m + 0.5
    expect(body.series[0].points[1]).toEqual([NOW - 10 * DAY + 120_000, 2.5]);
  });

  it('100 days at 90 s is still refused by the bucket limit once snapped (72,000 two-minute buckets)', async () => {
    const r = await get(`from=${NOW - 100 * DAY}&to=${NOW}&step=90s`);
    expect(r.statusCode).toBe(400);
    expect(r.json()).toMatchObject({ field: 'step', message: 'step: gives 72000 buckets of 2 min (90s rounded up to whole minutes); at most 44640' });
  });

  it('a month of minutes is one query: 30 days at 1m gives 43,200 buckets per point', async () => {
    const r = await get(`from=${NOW - 30 * DAY}&to=${NOW}&step=1m`);
    expect(r.statusCode).toBe(200);
    expect(r.json().series[0].points).toHaveLength(43_200);
  });

  it('a whole-minute step is not snapped and has no requestedStepMs', async () => {
    const body = (await get(`from=${NOW - 30 * DAY}&to=${NOW}&step=5m`)).json();
    expect(body.stepMs).toBe(300_000);
    expect(body).not.toHaveProperty('requestedStepMs');
  });

  it('a fine step over a day of fast points is refused with 400 naming step and the limit', async () => {
    const r = await light.app.inject({ url: `/api/series?points=hs-001.plc.t,hs-002.plc.t&from=${NOW - DAY}&to=${NOW}&step=30s`, headers: bearer(VIEWER) });
    expect(r.statusCode).toBe(400);
    expect(r.json()).toMatchObject({ field: 'step' });
    expect(r.json().message).toMatch(/^step: a step under 1m reads raw samples \(~1728000 expected rows for 2 points over 1 d\); the limit is 1000000 raw rows per query/);
    // one of them is within the limit
    expect((await get(`from=${NOW - DAY}&to=${NOW}&step=30s`)).statusCode).toBe(200);
  });
});
