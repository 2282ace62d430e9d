/**
 * What answers about analytics days may be kept by: the mark moves with this process's writes
 * and with the days another instance says it wrote (a cluster runs the job on one instance).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DailyStore } from '../../src/analytics/store.ts';
import { SqliteStateDb } from '../../src/state/sqlite-db.ts';

describe('analytics day marks', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hw-daily-marks-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('moves with writes here, tells them, and takes the days written elsewhere', async () => {
    const db = new SqliteStateDb(join(dir, 'state.db'));
    const daily = await DailyStore.open(db);
    const told: string[][] = [];
    daily.onWrite((days) => told.push(days));
    const v0 = daily.version('2026-12-01', '2026-12-31');
    const row = { station: 'hs-001', day: '2026-12-02', heatGJ: 1, makeupM3: 0, hdd: 20, meanOutdoorC: -5, meanSupplyC: 60, meanReturnC: 40, meanPriReturnC: 45, meanFlowSec: 10, curveDeviationMin: 0, samplesOk: 8640 };
    await daily.upsert([row, { ...row, station: 'hs-002' }], Date.now());
    expect(told).toEqual([['2026-12-02']]);
    const v1 = daily.version('2026-12-01', '2026-12-31');
    expect(v1).toBeGreaterThan(v0);
    expect(daily.version('2026-11-01', '2026-11-30')).toBe(v0);
    daily.noteWritten(['2026-12-03']);
    expect(daily.version('2026-12-03', '2026-12-03')).toBeGreaterThan(v1);
    await db.close();
  });
});
