/**
 * The daily job on a heat meter that is silent from 22:00 to 03:00: the five hours' heat is spread
 * over both days, whether the days are read whole or today is kept up to date run by run (then
 * the closing of the gap after midnight makes the job read yesterday again for that station).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnalyticsJob } from '../../src/analytics/job.ts';
import { DailyStore } from '../../src/analytics/store.ts';
import type { Sample } from '../../src/model.ts';
import { SqliteStateDb } from '../../src/state/sqlite-db.ts';
import { SqliteSeriesStore } from '../../src/store/sqlite-series.ts';
import type { SeriesStore } from '../../src/store/port.ts';

const TZ = 'Asia/Shanghai';
const A = '2026-12-07';
const B = '2026-12-08';
const a0 = Date.parse(`${A}T00:00:00+08:00`);
const b0 = a0 + 86_400_000;
const gap = (t: number) => t >= b0 - 2 * 3_600_000 && t < b0 + 3 * 3_600_000;
const RATE = 0.4 / 60_000; // GJ per ms: 576 GJ a day
const stations = ['hs-001', 'hs-002'].map((id) => ({ id, devices: [{ id: 'plc', points: [{ id: 'heat_energy' }, { id: 't_outdoor' }] }] }));

let dir: string;
let store: SqliteSeriesStore;
const samples: Sample[] = [];
for (let t = a0 - 86_400_000; t < b0 + 86_400_000; t += 30_000) {
  for (const s of stations) {
    if (s.id === 'hs-001' && gap(t)) continue;
    samples.push({ point: `${s.id}.plc.heat_energy`, ts: t, value: Math.round((1000 + RATE * (t - a0)) * 100) / 100, quality: 'good' });
    samples.push({ point: `${s.id}.plc.t_outdoor`, ts: t, value: -12, quality: 'good' });
  }
}
const until = (t: number) => samples.filter((x) => x.ts < t);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'heatwatch-job-'));
  store = new SqliteSeriesStore({ path: join(dir, 'series.db') });
  await store.init();
});

afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const newJob = (daily: DailyStore, series: Pick<SeriesStore, 'query'> = store, chunk?: number) =>
  new AnalyticsJob({ stations, settings: { hddBaseC: 18, curveDeviationK: 3 }, timeZone: TZ, series, daily, ...(chunk ? { chunk } : {}) });
const heat = async (daily: DailyStore, day: string) => Object.fromEntries((await daily.rows(day, day)).map((r) => [r.station, r.heatGJ]));

describe('a counter gap across midnight', () => {
  it('run by run: yesterday is read again for the station once its gap closes, and both days get their heat', async () => {
    const daily = await DailyStore.open(new SqliteStateDb(':memory:'));
    const job = newJob(daily);
    let written = 0;
    for (let t = a0 + 12 * 3_600_000; t <= b0 + 6 * 3_600_000; t += 15 * 60_000) {
      const batch = until(t).slice(written);
      written += batch.length;
      await store.write(batch);
      job.noteSamples(batch);
      await job.run(t);
      // before the gap closes, yesterday has only the heat up to 22:00 (and the gap's share is unknown)
      if (t === b0 + 2 * 3_600_000) expect((await heat(daily, A))['hs-001']).toBeCloseTo(22 * 24, 1);
    }
    expect((await heat(daily, A))['hs-001']).toBeCloseTo(576, 1);
    expect((await heat(daily, A))['hs-002']).toBeCloseTo(576, 1);
    // today so far: 6 hours, three of them spread over the gap
    expect((await heat(daily, B))['hs-001']).toBeCloseTo(6 * 24, 1);
  });

  it('read whole: the counters are read a day beyond the margin for the silent station', async () => {
    await store.write(until(b0 + 86_400_000));
    const daily = await DailyStore.open(new SqliteStateDb(':memory:'));
    const job = newJob(daily);
    const now = b0 + 86_400_000 - 60_000;
    await job.computeDay(A, now);
    await job.computeDay(B, now);
    expect(await heat(daily, A)).toEqual({ 'hs-001': expect.closeTo(576, 1), 'hs-002': expect.closeTo(576, 1) });
    expect((await heat(daily, B))['hs-001']).toBeCloseTo(1439 * 0.4, 1);
  });

  it('a run the store fails part-way folds nothing in: the next run gives what one whole read gives', async () => {
    await store.write(until(b0 + 86_400_000));
    let calls = 0;
    let failAt = -1;
    const flaky: Pick<SeriesStore, 'query'> = {
      query: async (q) => {
        if (calls++ === failAt) throw new Error('store unavailable');
        return store.query(q);
      },
    };
    const daily = await DailyStore.open(new SqliteStateDb(':memory:'));
    const job = newJob(daily, flaky, 1);
    await job.run(b0 + 12 * 3_600_000);
    // the next run fails at its third read: after the first station's settled minutes were read
    failAt = calls + 2;
    await expect(job.run(b0 + 12 * 3_600_000 + 15 * 60_000)).rejects.toThrow('store unavailable');
    const now = b0 + 12 * 3_600_000 + 30 * 60_000;
    await job.run(now);
    const whole = await DailyStore.open(new SqliteStateDb(':memory:'));
    await newJob(whole).computeDay(B, now);
    const [got, want] = [await daily.rows(B, B), await whole.rows(B, B)];
    expect(got.map((r) => r.station)).toEqual(['hs-001', 'hs-002']);
    got.forEach((r, i) => {
      expect(r.heatGJ).toBeCloseTo(want[i].heatGJ!, 9);
      expect(r.samplesOk).toBeCloseTo(want[i].samplesOk, 9);
      expect(r.meanOutdoorC).toBeCloseTo(want[i].meanOutdoorC!, 9);
    });
  });
});
