import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bucketSums, counterStep, minuteIncreases } from '../../src/analytics/increase.ts';
import { increaseSeries } from '../../src/analytics/increase-query.ts';
import { readMinutes } from '../../src/analytics/minutes.ts';
import { SqliteSeriesStore } from '../../src/store/sqlite-series.ts';
import { COUNTER_DAY, COUNTER_POINT, COUNTER_ROLLOVER, counterHistory } from './counter-fixture.ts';

const M = 60_000;
const list = (a: Float64Array) => Array.from(a, (v) => (Number.isNaN(v) ? null : Math.round(v * 1e9) / 1e9));

describe('counterStep', () => {
  it('is the difference when the counter went up', () => {
    expect(counterStep(100, 102.5, null)).toBe(2.5);
    expect(counterStep(100, 100, 1000)).toBe(0);
  });
  it('takes a drop for a reset: the new value counts from 0', () => {
    expect(counterStep(650_000, 3.2, null)).toBe(3.2);
  });
  it('takes a drop near the top of the register for a wrap with rolloverAt', () => {
    expect(counterStep(99_998, 3, 100_000)).toBe(5);
  });
  it('takes a drop too big for a wrap for a replaced meter even with rolloverAt', () => {
    // 650,000 → 3 is a wrap of 42 million GJ in a uint32 of 0.01 GJ: no, a new meter
    expect(counterStep(650_000, 3, 42_949_672.96)).toBe(3);
  });
});

describe('minuteIncreases', () => {
  it('gives each minute its step, unknown before the first value', () => {
    expect(list(minuteIncreases([10, 11, 13, 13], null))).toEqual([null, 1, 2, 0]);
  });
  it('spreads a gap evenly over its minutes and leaves the minutes after the last value unknown', () => {
    expect(list(minuteIncreases([10, null, null, null, 14, null], null))).toEqual([null, 1, 1, 1, 1, null]);
    expect(list(minuteIncreases([10, Number.NaN, 12], null))).toEqual([null, 1, 1]);
  });
  it('counts a reset from 0 and a wrap at rolloverAt', () => {
    expect(list(minuteIncreases([500, 501, 2, 3], null))).toEqual([null, 1, 2, 1]);
    expect(list(minuteIncreases([98, 99.5, 0.5, 1], 100))).toEqual([null, 1.5, 1, 0.5]);
  });
  it('spreads a wrap inside a gap like any step', () => {
    expect(list(minuteIncreases([96, null, null, 2], 100))).toEqual([null, 2, 2, 2]);
  });
});

describe('bucketSums', () => {
  it('splits a gap across a bucket boundary between the buckets by its minutes', () => {
    // minutes 0..9; a value at minute 2 and at minute 7 (+10): the gap's minutes 3..7 get 2 each
    const values = [0, 1, 2, null, null, null, null, 12, 13, 14];
    const amounts = minuteIncreases(values, null);
    const t0 = 1_000 * M;
    // buckets of 5 minutes from t0: minutes 0–4 and 5–9
    expect(bucketSums(amounts, t0, t0, 5 * M, 2)).toEqual([2 + 2 + 2, 2 + 2 + 2 + 1 + 1]);
  });
  it('is null for a bucket none of whose minutes is known, and ignores minutes outside the buckets', () => {
    const amounts = minuteIncreases([null, null, null, 5, 6], null);
    expect(bucketSums(amounts, 0, M, 2 * M, 2)).toEqual([null, 1]);
  });
});

describe('raw samples and the 1-minute rollup give the same increase', () => {
  const point = COUNTER_POINT;
  const day = COUNTER_DAY;
  let dir: string;
  let store: SqliteSeriesStore;
  let truth = 0; // what the counter really went up by over the day

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'heatwatch-increase-'));
    store = new SqliteSeriesStore({ path: join(dir, 'series.db') });
    await store.init();
    const h = counterHistory();
    truth = h.truth;
    for (let i = 0; i < h.samples.length; i += 5000) await store.write(h.samples.slice(i, i + 5000));
  });

  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads the same per-minute last values from raw samples and from the rollup', async () => {
    const raw = await readMinutes(store, [point], day - 86_400_000, day + 2 * 86_400_000, 'last', { chunkMinutes: 360 });
    const rollup = await readMinutes(store, [point], day - 86_400_000, day + 2 * 86_400_000, 'last');
    expect(raw.source).toBe('raw');
    expect(rollup.source).toBe('rollup_1m');
    expect(list(rollup.values.get(point)!)).toEqual(list(raw.values.get(point)!));
    expect(raw.values.get(point)!.filter((v) => v === v).length).toBeGreaterThan(4000);
  });

  it('gives the same hourly and daily increase from both, the outage spread across midnight', async () => {
    const counters = new Map([[point, { rolloverAt: COUNTER_ROLLOVER }]]);
    const q = { points: [point], from: day - 86_400_000, to: day + 2 * 86_400_000, stepMs: 3_600_000, now: day + 3 * 86_400_000 };
    const [raw] = await increaseSeries(store, counters, q, { chunkMinutes: 360 });
    const [rollup] = await increaseSeries(store, counters, q);
    expect(rollup.points).toEqual(raw.points);
    // the hour before midnight lost its last 20 minutes of samples and the first hour after its
    // first 27: the step over the outage is spread, so both hours still get about 24 GJ
    const hour = (h: number) => raw.points.find(([t]) => t === day + h * 3_600_000)![1]!;
    expect(hour(-1)).toBeCloseTo(24, 0);
    expect(hour(0)).toBeCloseTo(24, 0);
    // the local day (midnight to midnight) adds up to what the meter counted, wrap and reset
    // included (to its 0.01 GJ resolution)
    const dayTotal = raw.points.filter(([t]) => t >= day && t < day + 86_400_000).reduce((a, [, v]) => a + (v ?? 0), 0);
    expect(Math.abs(dayTotal - truth)).toBeLessThan(0.02);
    expect(truth).toBeGreaterThan(576);
  });
});
