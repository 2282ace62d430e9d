import { describe, expect, it } from 'vitest';
import { PROBE_SHARE, ProbeGate, probeDelayMs } from '../../../src/adapters/modbus/probe.ts';

describe('probeDelayMs: a silent unit is probed after 1, 2, 4, … periods, capped', () => {
  it.each([
    // streak, period, delay
    [1, 500, 500],
    [2, 500, 1000],
    [3, 500, 2000],
    [4, 500, 3000], // 6 periods
    [50, 500, 3000],
    [1, 5000, 5000],
    [3, 5000, 20_000],
    [4, 5000, 30_000], // 6 periods = 30 s < 60 s
    [4, 20_000, 60_000], // 3 periods = 60 s
    [9, 20_000, 60_000],
    [5, 120_000, 120_000], // never below one period
    [2000, 1000, 6000], // no overflow on long outages
  ])('streak %i at %i ms → %i ms', (streak, period, want) => {
    expect(probeDelayMs(streak, period)).toBe(want);
  });
});

describe('ProbeGate: one probe at a time, at most its share of the connection', () => {
  it('holds while a probe runs and for took × (1/share − 1) after it', () => {
    const g = new ProbeGate();
    expect(g.tryTake(1000)).toBe(true);
    expect(g.tryTake(1001)).toBe(false); // one in flight
    g.release(1300, 300);
    const pause = 300 * (1 / PROBE_SHARE - 1);
    expect(g.tryTake(1300 + pause - 1)).toBe(false);
    expect(g.tryTake(1300 + pause)).toBe(true);
    g.release(1300 + pause + 5, 5); // a probe that was answered frees the gate almost at once
    expect(g.tryTake(1300 + pause + 5 + 15)).toBe(true);
    expect(g.probes).toBe(3);
  });
});
