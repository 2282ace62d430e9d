/**
 * The daily table on the simulator's stations, whose heated areas are known (simulators/model/
 * facts.ts): a simulated day on the model's clock, in this process, polled every 30 s into a real
 * SQLite series store, then the daily job. Checks: the day's GJ from `increase` equals the
 * integral of the model's own heat power within 1 %, also across a wrap of the meter's register
 * and a 45-minute outage; the same rows come from raw samples and from the 1-minute rollup, and
 * from the job's runs every 15 minutes through the day as from reading the day whole; the
 * over-supplied station tops the ranking.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnalyticsJob } from '../../src/analytics/job.ts';
import { periodTotals, rankStations, type DailyRow } from '../../src/analytics/ranking.ts';
import { DailyStore } from '../../src/analytics/store.ts';
import { validateConfig } from '../../src/config/load.ts';
import type { ResolvedConfig } from '../../src/config/resolve.ts';
import type { Sample } from '../../src/model.ts';
import { SqliteStateDb } from '../../src/state/sqlite-db.ts';
import { SqliteSeriesStore } from '../../src/store/sqlite-series.ts';
import { stationId } from '../../simulators/ids.ts';
import { createNetwork, type Network } from '../../simulators/model.ts';
import { METER_WRAP_GJ } from '../../simulators/model/layout.ts';
import { loadTemplate } from '../../simulators/templates.ts';

const STATIONS = 6;
const OVER = 2; // over-supplied (fault `oversupply`)
const WRAP = 4; // its heat meter's register wraps around noon
const OUTAGE = 1; // answers no poll 10:07–10:52
const outage = (t: number) => t >= day0 + (10 * 60 + 7) * 60_000 && t < day0 + (10 * 60 + 52) * 60_000;
const DAY = '2026-12-07';
const day0 = Date.parse(`${DAY}T00:00:00+08:00`);
const day1 = day0 + 86_400_000;
const STEP_MS = 5_000;
const POLL_MS = 30_000;
const POINTS = ['heat_energy', 'v_makeup', 't_outdoor', 't_sec_supply', 't_sec_return', 't_pri_return', 'f_sec'];

let dir: string;
let store: SqliteSeriesStore;
let db: SqliteStateDb;
let net: Network;
let cfg: ResolvedConfig;
const ids = Array.from({ length: STATIONS }, (_, i) => stationId(i, STATIONS));
/** the model's heat power integrated over the day, GJ */
const integral = new Array<number>(STATIONS).fill(0);
let wrapped = false;
/** the job run every 15 minutes of the day as the data arrive, into its own table */
let incremental: DailyStore;
let lastRun = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'heatwatch-simday-'));
  store = new SqliteSeriesStore({ path: join(dir, 'series.db') });
  await store.init();
  db = new SqliteStateDb(join(dir, 'state.db'));
  const template = loadTemplate('hs-plc');
  net = createNetwork({ stations: STATIONS, seed: 11, template, startMs: day0 - 2 * 3_600_000, stepMs: STEP_MS });
  net.setFault(OVER, 'oversupply', true);
  // the register wraps about half a day in
  net.presetMeter(WRAP, METER_WRAP_GJ - net.heatPower(WRAP) * 12);
  cfg = validateConfig({
    site: { name: 'sim', timezone: 'Asia/Shanghai' },
    templates: { 'hs-plc': template },
    stations: ids.map((id, i) => {
      const info = net.stationInfo(i);
      return { id, name: id, curve: info.curve, heatingType: info.heatingType, ...info.facts, devices: [{ id: 'plc', template: 'hs-plc', endpoint: 'modbus+tcp://127.0.0.1:1' }] };
    }),
  });
  const readers = POINTS.map((p) => net.reader(p));
  incremental = await DailyStore.open(new SqliteStateDb(':memory:'));
  const incJob = job(incremental);
  let batch: Sample[] = [];
  for (let t = day0 - 3_600_000; t <= day1 + 60_000; t += STEP_MS) {
    net.advance(t);
    if (t > day0 && t <= day1) for (let s = 0; s < STATIONS; s++) integral[s] += (net.heatPower(s) * STEP_MS) / 3_600_000;
    if (t >= day0 && t < day1 && t % 900_000 === 0) {
      await store.write(batch);
      batch = [];
      await incJob.run(t);
    }
    if (t % POLL_MS !== 0) continue;
    for (let s = 0; s < STATIONS; s++) {
      if (s === OUTAGE && outage(t)) continue;
      POINTS.forEach((p, k) => batch.push({ point: `${ids[s]}.plc.${p}`, ts: t, value: readers[k](s), quality: 'good' }));
    }
    if (t > day0 && (readers[0](WRAP) as number) < 1000) wrapped = true;
    if (batch.length >= 5000) {
      await store.write(batch);
      batch = [];
    }
  }
  await store.write(batch);
  // the last run of the day, a second before midnight
  lastRun = day1 - 1000;
  await incJob.run(lastRun);
});

afterAll(async () => {
  await store?.close();
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

const job = (daily: DailyStore, chunkMinutes?: number) =>
  new AnalyticsJob({ stations: cfg.stations, settings: cfg.analytics, timeZone: 'Asia/Shanghai', series: store, daily, ...(chunkMinutes ? { chunkMinutes } : {}) });

describe('a simulated day in the daily table', () => {
  let rows: DailyRow[];
  beforeAll(async () => {
    const daily = await DailyStore.open(db);
    await job(daily).computeDay(DAY, day1 + 60_000);
    rows = await daily.rows(DAY, DAY);
  });

  it('gives each station the heat its model delivered, within 1 %, across a wrap of the meter register', () => {
    expect(wrapped).toBe(true);
    expect(rows.map((r) => r.station)).toEqual(ids);
    rows.forEach((r, s) => {
      expect(integral[s]).toBeGreaterThan(50);
      expect(Math.abs(r.heatGJ! - integral[s]) / integral[s], `${r.station}: ${r.heatGJ} GJ, model ${integral[s]} GJ`).toBeLessThan(0.01);
    });
  });

  it('has degree-days, means, make-up and full coverage from the polled series', () => {
    for (const r of rows) {
      expect(r.hdd).toBeCloseTo(18 - r.meanOutdoorC!, 9);
      expect(r.meanOutdoorC).toBeLessThan(-5);
      expect(r.meanSupplyC! - r.meanReturnC!).toBeGreaterThan(5);
      expect(r.meanPriReturnC).toBeGreaterThan(r.meanReturnC!);
      expect(r.meanFlowSec).toBeGreaterThan(30);
      expect(r.makeupM3).toBeGreaterThan(0);
    }
    rows.forEach((r, s) => expect(r.samplesOk).toBe(s === OUTAGE ? 1 - 45 / 1440 : 1));
    // the over-supplied station runs 6 K above its curve all day; the others follow it
    expect(rows[OVER].curveDeviationMin).toBeGreaterThan(1400);
    for (const r of rows.filter((_, s) => s !== OVER)) expect(r.curveDeviationMin).toBeLessThan(60);
  });

  it('computes the same rows from raw samples as from the 1-minute rollup', async () => {
    const other = new SqliteStateDb(':memory:');
    const daily = await DailyStore.open(other);
    await job(daily, 360).computeDay(DAY, day1 + 60_000);
    const raw = await daily.rows(DAY, DAY);
    await other.close();
    expect(raw.map((r) => r.heatGJ)).toEqual(rows.map((r) => r.heatGJ));
    expect(raw.map((r) => r.makeupM3)).toEqual(rows.map((r) => r.makeupM3));
    raw.forEach((r, i) => {
      for (const k of ['meanOutdoorC', 'meanSupplyC', 'meanReturnC', 'meanPriReturnC', 'meanFlowSec', 'hdd'] as const) expect(r[k]).toBeCloseTo(rows[i][k]!, 9);
      expect(r.curveDeviationMin).toBe(rows[i].curveDeviationMin);
    });
  });

  it('keeps today up to date run by run as reading the day whole would', async () => {
    const other = new SqliteStateDb(':memory:');
    const whole = await DailyStore.open(other);
    await job(whole).computeDay(DAY, lastRun);
    const a = await incremental.rows(DAY, DAY);
    const b = await whole.rows(DAY, DAY);
    await other.close();
    expect(a.map((r) => r.station)).toEqual(ids);
    a.forEach((r, i) => {
      for (const [k, v] of Object.entries(b[i])) {
        if (typeof v === 'number') expect(r[k as keyof DailyRow], `${r.station}.${k}`).toBeCloseTo(v, 9);
        else expect(r[k as keyof DailyRow], `${r.station}.${k}`).toBe(v);
      }
    });
  });

  it('ranks the over-supplied station first by GJ/(m²·HDD) and by flow per m², flagged high', async () => {
    const totals = await (await DailyStore.open(db)).totals(DAY, DAY);
    const r = rankStations(cfg.stations, totals, { from: DAY, to: DAY, outlierFactor: cfg.analytics.outlierFactor });
    expect(r).toEqual(rankStations(cfg.stations, periodTotals(rows), { from: DAY, to: DAY, outlierFactor: cfg.analytics.outlierFactor }));
    expect(r.stations[0].station).toBe(ids[OVER]);
    expect(r.stations[0].outliers.intensity).toBe('high');
    // the healthy stations lie within ±15 % of the network median
    for (const s of r.stations.slice(1)) expect(Math.abs(s.intensity! / r.median.intensity! - 1)).toBeLessThan(0.15);
    expect(rankStations(cfg.stations, totals, { from: DAY, to: DAY, outlierFactor: 1.5, sort: 'flowPerM2' }).stations[0].station).toBe(ids[OVER]);
  });
});
