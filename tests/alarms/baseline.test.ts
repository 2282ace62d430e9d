import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BaselineJob } from '../../src/alarms/baseline/job.ts';
import { compare, learnAtLoad, learnDaily, trimmedMean, type BaselineFigures } from '../../src/alarms/baseline/learn.ts';
import { compileRules } from '../../src/alarms/compile.ts';
import { DEFAULT_RULES } from '../../src/alarms/default-rules.ts';
import { createEngine } from '../../src/alarms/engine.ts';
import { contextCode } from '../../src/alarms/modes.ts';
import type { PointInfo } from '../../src/alarms/compiled.ts';
import type { Sample } from '../../src/model.ts';
import { SqliteSeriesStore } from '../../src/store/sqlite-series.ts';

const H = 3_600_000;
const T0 = Date.parse('2026-12-01T00:00:00Z');
const P = { factor: 3, offset: 0, minimum: 0.05 };

/** hourly make-up of a station: ~0.05 m3/h with the pump's bursts (one or two an hour) */
const normalHour = (h: number): number => (h % 3 === 2 ? 0.08 : 0.04);

describe('baselines learnt from history (pure)', () => {
  it('daily: the median day, so a day with a riser refill does not raise the normal', () => {
    const week = Array.from({ length: 7 * 24 }, (_, h) => normalHour(h));
    for (let h = 50; h < 53; h++) week[h] = 3.2; // a refill on day 3
    const l = learnDaily(week)!;
    expect(l).toMatchObject({ method: 'daily' });
    expect(l.method === 'daily' && l.base).toBeCloseTo(0.0533, 3);
  });

  it('daily: unknown with fewer than 3 days, and hours out of service (NaN) do not count', () => {
    expect(learnDaily(Array.from({ length: 2 * 24 }, () => 0.05))).toBeNull();
    const gappy = Array.from({ length: 5 * 24 }, (_, h) => (h % 24 < 14 ? NaN : 0.05)); // 10 h a day known
    expect(learnDaily(gappy)).toBeNull();
  });

  it('daily: a repaired leak or a refill of a few hours does not raise; a slow leak all day does', () => {
    const learnt = learnDaily(Array.from({ length: 7 * 24 }, (_, h) => normalHour(h)))!;
    const withRefill = Array.from({ length: 24 }, (_, h) => (h >= 10 && h < 14 ? 3.5 : normalHour(h)));
    const f1 = compare(P, learnt, withRefill)!;
    expect(f1.value).toBeLessThan(f1.limit);
    // the plain mean of that day would have raised: the trim is what keeps it quiet
    expect(withRefill.reduce((a, b) => a + b) / 24).toBeGreaterThan(f1.limit);
    const slowLeak = Array.from({ length: 24 }, (_, h) => 4 * normalHour(h));
    const f2 = compare(P, learnt, slowLeak)!;
    expect(f2.value).toBeGreaterThan(f2.limit);
  });

  it('daily: the minimum threshold guards a station whose make-up is near zero', () => {
    const learnt = learnDaily(Array.from({ length: 7 * 24 }, () => 0.001))!;
    const f = compare(P, learnt, Array.from({ length: 24 }, () => 0.01))!;
    expect(f.limit).toBe(0.05);
    expect(f.value).toBeLessThan(f.limit);
  });

  it('daily: a recent window with less than half its hours known is unknown', () => {
    const learnt = learnDaily(Array.from({ length: 7 * 24 }, () => 0.05))!;
    expect(compare(P, learnt, Array.from({ length: 24 }, (_, h) => (h < 13 ? NaN : 1)))).toBeNull();
    expect(trimmedMean([NaN, 1, 2, 3, 10], 3)).toBeCloseTo(2, 6);
  });

  const approach = (load: number, fouled = 0) => 5 * (0.3 + 0.7 * load) + fouled;
  const loadAt = (h: number) => 0.35 + 0.3 * Math.sin((h / 24) * 2 * Math.PI) + (h % 7) * 0.03;

  it('atLoad: a cold snap (higher load, higher approach) is no fouling', () => {
    const n = 30 * 24;
    const load = Array.from({ length: n }, (_, h) => loadAt(h) * 100);
    const value = load.map((l) => approach(l / 100));
    const learnt = learnAtLoad(value, load, 5);
    if (learnt?.method !== 'atLoad') throw new Error('no clean level learnt');
    // a day at the top of the learnt loads: the approach is high, but as high as it always was there
    const snapLoad = Array.from({ length: 24 }, () => 0.92 * learnt.high);
    const f = compare({ factor: 1, offset: 5, minimum: null }, learnt, snapLoad.map((l) => approach(l / 100)), snapLoad)!;
    expect(f.limit).toBe(5);
    expect(Math.abs(f.value)).toBeLessThan(1.5);
    expect(approach(0.92 * learnt.high / 100) - approach(0.35)).toBeGreaterThan(1);
  });

  it('atLoad: fouling raises the approach at equal load, and an idle station is not judged', () => {
    const n = 30 * 24;
    const load = Array.from({ length: n }, (_, h) => loadAt(h) * 100);
    const learnt = learnAtLoad(load.map((l) => approach(l / 100)), load, 5)!;
    const recentLoad = Array.from({ length: 24 }, (_, h) => loadAt(h) * 100);
    const fouled = compare({ factor: 1, offset: 5, minimum: null }, learnt, recentLoad.map((l) => approach(l / 100, 6)), recentLoad)!;
    expect(fouled.value).toBeGreaterThan(5);
    const idle = Array.from({ length: 24 }, () => 1);
    expect(compare({ factor: 1, offset: 5, minimum: null }, learnt, idle.map(() => 20), idle)).toBeNull();
  });
});

function station(id: string): PointInfo[] {
  return ['f_makeup', 'f_sec', 't_pri_return', 't_sec_return', 'heat_power', 'p_sec_return', 'flood'].map((point) => ({ station: id, device: 'plc', point, pollMs: 10_000 }));
}

describe('baseline alarms in the engine and from a real store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hw-baseline-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const compiled = compileRules([], [...station('hs-001'), ...station('hs-002')], { defaults: DEFAULT_RULES });

  it('raises on figures beyond the limit, keeps its state while they are unknown, clears below', () => {
    const engine = createEngine(compiled);
    const ai = engine.alarmIndex.get('hs-001.plc.f_makeup:leak_makeup_trend') ?? -1;
    expect(ai).toBeGreaterThanOrEqual(0);
    let s = engine.init();
    let r = engine.baseline(s, ai, { value: 0.3, limit: 0.16 }, T0);
    // a child of the leak rules (first-out) waits 2 s for its parents before it raises
    r = engine.tick(r.state, T0 + 3000);
    expect(r.events.map((e) => e.type)).toEqual(['raise']);
    s = r.state;
    r = engine.baseline(s, ai, null, T0 + H);
    expect(r.events).toEqual([]);
    expect(r.state.alarms.record(ai).cond).toBe(true);
    r = engine.baseline(r.state, ai, { value: 0.1, limit: 0.16 }, T0 + 2 * H);
    expect(r.events.map((e) => e.type)).toEqual(['clear']);
    // an alarm of another type is left alone
    const other = Array.from({ length: engine.alarms.length }, (_, i) => i).find((i) => engine.alarms.rule(i).ruleId === 'leak_makeup') ?? -1;
    expect(engine.baseline(r.state, other, { value: 9, limit: 1 }, T0).events).toEqual([]);
  });

  const days = 9;
  /** a store of `days` days: hs-001 leaks on the last day, hs-002 has a big refill in maintenance */
  async function history(file: string): Promise<SqliteSeriesStore> {
    const store = new SqliteSeriesStore({ path: join(dir, file) });
    await store.init();
    const batch: Sample[] = [];
    for (let t = T0; t < T0 + days * 24 * H; t += 10 * 60_000) {
      const h = Math.floor((t - T0) / H);
      // hs-001: normal until the last day, then a slow leak; hs-002: normal, and a big refill
      // in the first 10 h of the last day while the crew was checked in (maintenance)
      const last = h >= (days - 1) * 24;
      batch.push({ point: 'hs-001.plc.f_makeup', ts: t, value: (last ? 4 : 1) * normalHour(h), quality: 'good' });
      batch.push({ point: 'hs-002.plc.f_makeup', ts: t, value: last && h % 24 < 10 ? 3.5 : normalHour(h), quality: 'good' });
      if (batch.length >= 1000) await store.write(batch.splice(0));
    }
    await store.write(batch.splice(0));
    return store;
  }
  const maintenance = (id: string, at: number) => id === 'hs-002' && at >= T0 + (days - 1) * 24 * H && (at - T0) % (24 * H) < 10 * H;
  const contexts = (ids: readonly string[], at: number) => Uint8Array.from(ids, (id) => contextCode(maintenance(id, at) ? 'maintenance' : 'in_service', false));

  it('the job learns from hourly rollups of a SQLite store, leaving out hours the station was in maintenance', async () => {
    const store = await history('series.db');
    const now = T0 + days * 24 * H + 60_000;
    const got = new Map<string, BaselineFigures | null>();
    const engine = createEngine(compiled);
    const job = new BaselineJob({
      alarms: engine.alarms,
      apply: (u) => u.forEach((x) => got.set(engine.alarms.id(x.index), x.figures)),
      history: store,
      contexts,
    });
    const run = await job.run(now);
    expect(run).toMatchObject({ alarms: 4, learnt: 4, read: 4, pending: 0 });
    const leak = got.get('hs-001.plc.f_makeup:leak_makeup_trend')!;
    expect(leak.limit).toBeCloseTo(3 * 0.0533, 2);
    expect(leak.value).toBeGreaterThan(leak.limit);
    const refill = got.get('hs-002.plc.f_makeup:leak_makeup_trend')!;
    expect(refill.value).toBeLessThan(refill.limit);
    // no temperatures stored: fouling stays unknown rather than guessing
    expect(got.get('hs-001.plc.t_pri_return:fouling')).toBeNull();
    await store.close();
  });

  it('runs that catch up on learning read only what they learn; a learnt alarm is read again after recentEveryMs or in a new hour', async () => {
    const store = await history('catch-up.db');
    const now = T0 + days * 24 * H + 60_000;
    const engine = createEngine(compiled);
    const got = new Map<string, BaselineFigures | null>();
    const asked: string[][] = [];
    const job = new BaselineJob({
      alarms: engine.alarms,
      apply: (u) => u.forEach((x) => got.set(engine.alarms.id(x.index), x.figures)),
      history: { query: (q) => (asked.push([...q.points]), store.query(q)) },
      contexts,
      learnPerRun: 1,
    });
    const runs = [];
    for (let k = 0; k < 4; k++) runs.push(await job.run(now + k * 5_000));
    // one alarm learnt per run, and only its window read: 4 runs read 4 alarms' windows, not 1 + 2 + 3 + 4
    expect(runs.map((r) => [r.learnt, r.read, r.pending])).toEqual([[1, 1, 3], [1, 1, 2], [1, 1, 1], [1, 1, 0]]);
    expect(asked.flat()).toHaveLength(4 * 2);
    // the same figures as one run learning them all
    expect(got.get('hs-001.plc.f_makeup:leak_makeup_trend')!.limit).toBeCloseTo(3 * 0.0533, 2);
    expect(got.get('hs-002.plc.f_makeup:leak_makeup_trend')!.value).toBeLessThan(got.get('hs-002.plc.f_makeup:leak_makeup_trend')!.limit);
    // compared minutes ago in the same hour: nothing to read
    expect(await job.run(now + 5 * 60_000)).toMatchObject({ learnt: 0, read: 0 });
    // recentEveryMs (10 min) after its last read, each learnt alarm is read again
    expect(await job.run(now + 11 * 60_000)).toMatchObject({ learnt: 0, read: 4, known: 2 });
    // a new whole hour: read again, however recent the last read
    expect(await job.run(now + H - 60_000 + 1_000)).toMatchObject({ learnt: 0, read: 4 });
    await store.close();
  });
});
