import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveAnalytics } from '../../src/analytics/config.ts';
import type { DailyRow } from '../../src/analytics/ranking.ts';
import { AnalyticsService } from '../../src/analytics/service.ts';
import { SqliteStateDb } from '../../src/state/sqlite-db.ts';

const row = (station: string, day: string, heatGJ: number): DailyRow => ({
  station, day, heatGJ, makeupM3: 1, hdd: 30, meanOutdoorC: -12, meanSupplyC: 60, meanReturnC: 40, meanPriReturnC: 45, meanFlowSec: 100, curveDeviationMin: 0, samplesOk: 1,
});

describe('AnalyticsService', () => {
  const db = new SqliteStateDb(':memory:');
  const stations = ['a', 'b'].map((id) => ({ id, name: id, heatedAreaM2: 100_000, systemVolumeM3: 100, devices: [] }));
  let svc: AnalyticsService;
  beforeAll(async () => {
    svc = await AnalyticsService.open({
      db, stations, settings: resolveAnalytics(undefined, { areas: new Set() }, []), timeZone: 'Asia/Shanghai', season: null,
      series: { query: async () => [] }, now: () => Date.parse('2026-12-09T10:00:00+08:00'), logger: pino({ level: 'silent' }),
    });
  });
  afterAll(() => db.close());

  it('gives the daily rows with the figures that follow from the facts', async () => {
    await svc.daily.upsert([row('a', '2026-12-01', 300), row('b', '2026-12-01', 240)], 0);
    expect(await svc.dailyRows('2026-12-01', '2026-12-01', 'b')).toEqual([expect.objectContaining({ station: 'b', heatGJ: 240, intensity: 240 / (100_000 * 30), flowPerM2: 1, makeupPct: 1, coverage: 1 })]);
  });

  it('answers a period asked again from what it kept until rows of those days are written', async () => {
    const first = await svc.ranking('2026-12-01', '2026-12-07');
    expect(first.stations.map((s) => s.station)).toEqual(['a', 'b']);
    expect(await svc.ranking('2026-12-01', '2026-12-07')).toBe(first);
    await svc.daily.upsert([row('b', '2026-12-08', 900)], 1);
    expect(await svc.ranking('2026-12-01', '2026-12-07')).toBe(first);
    await svc.daily.upsert([row('b', '2026-12-02', 900)], 2);
    const again = await svc.ranking('2026-12-01', '2026-12-07');
    expect(again).not.toBe(first);
    expect(again.stations.map((s) => s.station)).toEqual(['b', 'a']);
    expect(await svc.ranking('2026-12-01', '2026-12-07', { sort: 'priReturnC' })).not.toBe(again);
  });
});
