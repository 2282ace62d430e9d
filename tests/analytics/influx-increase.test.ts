/**
 * `increase` from InfluxDB equals the SQLite store's on the same samples, from raw samples and
 * from the 1-minute rollup alike (the global influxd of tests/setup).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { increaseSeries } from '../../src/analytics/increase-query.ts';
import { readMinutes } from '../../src/analytics/minutes.ts';
import { InfluxSeriesStore } from '../../src/store/influx/store.ts';
import { SqliteSeriesStore } from '../../src/store/sqlite-series.ts';
import { COUNTER_DAY, COUNTER_POINT, COUNTER_ROLLOVER, counterHistory } from './counter-fixture.ts';

const day = COUNTER_DAY;
let dir: string;
let sqlite: SqliteSeriesStore;
let influx: InfluxSeriesStore;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'heatwatch-influx-increase-'));
  sqlite = new SqliteSeriesStore({ path: join(dir, 'series.db') });
  // back-dated samples: retention by the store, not by influxd's policy durations
  influx = new InfluxSeriesStore({ url: inject('influxUrl'), database: `hw_increase_${process.pid}_${Date.now().toString(36)}`, serverRetention: false });
  await sqlite.init();
  await influx.init();
  const { samples } = counterHistory();
  for (let i = 0; i < samples.length; i += 5000) {
    await sqlite.write(samples.slice(i, i + 5000));
    await influx.write(samples.slice(i, i + 5000));
  }
}, 60_000);

afterAll(async () => {
  await sqlite?.close();
  if (influx) {
    await influx.close();
    await influx.dropDatabase();
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('increase on InfluxDB', () => {
  it('reads the same per-minute last values from raw samples and the rollup as SQLite does', async () => {
    const range = [day - 86_400_000, day + 2 * 86_400_000] as const;
    const base = (await readMinutes(sqlite, [COUNTER_POINT], ...range, 'last', { chunkMinutes: 360 })).values.get(COUNTER_POINT)!;
    const raw = await readMinutes(influx, [COUNTER_POINT], ...range, 'last', { chunkMinutes: 360 });
    const rollup = await readMinutes(influx, [COUNTER_POINT], ...range, 'last');
    expect(raw.source).toBe('raw');
    expect(rollup.source).toBe('rollup_1m');
    expect(Array.from(raw.values.get(COUNTER_POINT)!)).toEqual(Array.from(base));
    expect(Array.from(rollup.values.get(COUNTER_POINT)!)).toEqual(Array.from(base));
  });

  it('gives the same hourly increase as SQLite', async () => {
    const counters = new Map([[COUNTER_POINT, { rolloverAt: COUNTER_ROLLOVER }]]);
    const q = { points: [COUNTER_POINT], from: day - 86_400_000, to: day + 2 * 86_400_000, stepMs: 3_600_000, now: day + 3 * 86_400_000 };
    const [a] = await increaseSeries(sqlite, counters, q);
    const [b] = await increaseSeries(influx, counters, q);
    expect(b.points).toEqual(a.points);
    expect(b.points.filter(([, v]) => v !== null).length).toBeGreaterThan(60);
  });
});
