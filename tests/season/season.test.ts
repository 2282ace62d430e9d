/**
 * The season check (tests/season/harness.ts) in the test suite: stations through days of a real
 * winter with the normal work of a utility and labelled faults, through the default rules, the
 * alarm runner and the ticket service, on the simulator's clock. `npm run bench -- --only season`
 * runs the full 500 stations × 7 days and prints the same figures.
 *
 * Targets (issue: alarms a utility can trust): every fault detected; no false priority 1–2 alarm
 * and no false ticket; at most 1 annunciated alarm per 10 minutes per 500 stations outside
 * faults, and no 10 minutes with more than 10.
 */
import { describe, expect, it } from 'vitest';
import { runSeason, type SeasonReport } from './harness.ts';

function expectTargets(r: SeasonReport): void {
  const missed = r.faults.filter((f) => !f.detected);
  expect(missed, JSON.stringify(missed)).toEqual([]);
  expect(r.falseP12).toEqual([]);
  expect(r.falseTickets).toEqual([]);
  expect(r.falsePer10MinPer500, JSON.stringify(r.falseByRule)).toBeLessThanOrEqual(1);
  expect(r.peak10Min * (500 / r.stations)).toBeLessThanOrEqual(10);
}

describe('season check', () => {
  it('a winter week of normal operation and faults: every fault detected, no false urgent alarm or ticket', async () => {
    const r = await runSeason({ stations: 100, days: 3, pollMs: 60_000, faultCount: 1, seed: 17 });
    console.log('season check:', JSON.stringify({ ...r, faults: r.faults.map((f) => `${f.fault} ${f.afterS} s ${f.alarm} P${f.priority}`), falseList: undefined }));
    // the schedule really held the normal work the rules must tolerate
    for (const kind of ['patrol', 'changeover', 'setback', 'boost', 'outage']) expect(r.operations[kind] ?? 0, kind).toBeGreaterThan(10);
    expect(r.faults).toHaveLength(9);
    expectTargets(r);
    // one ticket per fault (a fault is one cause), none for normal work
    expect(r.ticketsOpened).toBeLessThanOrEqual(2 * r.faults.length);
  }, 120_000);

  it('the season start (filling, pressure test, cold circulation, heat-up) in commissioning raises nothing; faults after it are all detected', async () => {
    const r = await runSeason({ stations: 30, days: 6, pollMs: 60_000, faultCount: 1, seasonStart: true, faultsAfterDays: 5, seed: 23 });
    expect(r.operations.season_start).toBeGreaterThan(0);
    expectTargets(r);
    expect(r.falseRaises).toBe(0);
  }, 120_000);

  it('a slow leak and a fouling exchanger, found only against the station\'s own history, are detected; refills and cold nights are not', async () => {
    const r = await runSeason({ stations: 24, days: 6, pollMs: 60_000, faultCount: 1, baselineFaults: true, seed: 29 });
    const found = (fault: string) => r.faults.filter((f) => f.fault === fault);
    expect(found('slow_leak').map((f) => f.alarm?.split(':')[1])).toEqual(['leak_makeup_trend']);
    expect(found('fouling').map((f) => f.alarm?.split(':')[1])).toEqual(['fouling']);
    expectTargets(r);
    expect(r.falseByRule.leak_makeup_trend ?? 0).toBe(0);
    expect(r.falseByRule.fouling ?? 0).toBe(0);
  }, 120_000);
});
