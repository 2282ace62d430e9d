/**
 * Integration: late and skipped polls are counted and logged (at most once per device per
 * minute) when the process falls behind. The adapter's clock is injected and jumped forward,
 * which is what a blocked event loop looks like to the scheduler; polls go over real loopback
 * TCP to the project's simulator.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../helpers/wait.ts';
import { adapter, devicesOf, logCapture, recorder, runCleanups, sim } from './harness.ts';

afterEach(runCleanups);

describe('ModbusAdapter poll timing', () => {
  it('counts polls started late and periods skipped while the process was busy, and logs each device once a minute at most', async () => {
    const s = await sim(2);
    const devs = devicesOf(s, { pollMs: 200 });
    const rec = recorder();
    const { logger, lines } = logCapture();
    let offset = 0;
    const a = adapter(devs, rec, logger, () => Date.now() + offset);
    await a.start();
    const keys = devs.map((d) => `${d.station}/${d.id}`);
    for (const k of keys) await waitFor(() => rec.allGood(k), 20_000, `${k} good`);
    const timingLogs = () => lines.filter((l) => /skipped|late/.test(String(l.msg)) && l.level === 40);
    const base = a.counters().map((c) => ({ late: c.late, skipped: c.skipped }));
    expect(a.counters()[0].lateAfterMs).toBe(50);

    // the clock jumps 1 s: to the scheduler, the loop was blocked for 5 periods
    offset += 1000;
    await waitFor(() => a.counters().every((c, i) => c.late > base[i].late && c.skipped >= base[i].skipped + 4), 10_000, 'late and skipped counted');
    await waitFor(() => timingLogs().length >= 2, 5000, 'one timing log per device');
    expect(timingLogs().map((l) => l.station).sort()).toEqual(devs.map((d) => d.station).sort());
    expect(timingLogs()[0]).toMatchObject({ late: 1, lateAfterMs: 50, periodMs: 200 });
    expect(timingLogs()[0].skipped).toBeGreaterThanOrEqual(4);

    // again within the minute: counted, not logged
    const mid = a.counters().map((c) => c.skipped);
    offset += 1000;
    await waitFor(() => a.counters().every((c, i) => c.skipped >= mid[i] + 4), 10_000, 'second stall counted');
    const n = rec.count(keys[0]);
    await waitFor(() => rec.count(keys[0]) >= n + 2, 10_000, 'polls after the stall');
    expect(timingLogs()).toHaveLength(2);

    // a minute later: logged again, with what happened since the last line
    offset += 61_000;
    await waitFor(() => timingLogs().length >= 4, 10_000, 'the next minute logs again');
    expect(timingLogs()[2].skipped).toBeGreaterThanOrEqual(5);
    for (const k of keys) expect(rec.allGood(k)).toBe(true);
  });
});
