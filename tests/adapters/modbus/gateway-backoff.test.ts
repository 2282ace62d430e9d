/**
 * Integration: many silent units behind one gateway (one TCP connection, serialised requests)
 * must not starve the units that answer. Real simulator, gateway layout, loopback TCP.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { adapter, devicesOf, recorder, runCleanups, sim, waitFor } from './harness.ts';

afterEach(runCleanups);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

describe('unit backoff on a shared gateway', () => {
  it('15 of 20 units silent: the 5 others keep their period and stay online; the 15 report bad each period and come back', async () => {
    const POLL = 500;
    const TIMEOUT = 300;
    const s = await sim(20, 'gateway');
    const devs = devicesOf(s, { pollMs: POLL, timeoutMs: TIMEOUT });
    expect(new Set(devs.map((d) => d.port)).size).toBe(1);
    const key = (i: number) => `${devs[i].station}/plc`;
    // interleaved along the stagger, so healthy polls queue between silent ones
    const healthy = [0, 4, 8, 12, 16];
    const silent = devs.map((_, i) => i).filter((i) => !healthy.includes(i));
    const rec = recorder();
    const a = adapter(devs, rec);
    await a.start();
    for (let i = 0; i < devs.length; i++) await waitFor(`${key(i)} good`, () => rec.allGood(key(i)));
    const connects = a.endpointStates()[0].connects;

    const tFault = Date.now();
    for (const i of silent) s.setFault(devs[i].station, 'comm_loss', true);
    await waitFor('15 silent units in backoff', () => {
      const c = a.counters();
      return silent.every((i) => rec.allBad(key(i)) && c[i].unitBackoffMs > 0);
    }, 15_000); // 15 first timeouts in a row: 4.5 s
    const onset = Date.now() - tFault;
    const onsetLateness = Math.max(...healthy.map((i) => a.counters()[i].lastLatenessMs));
    // let the onset (each unit's first timeout, unavoidable) drain, then measure steady state
    await sleep(2 * POLL);

    const at = (i: number) => rec.batches.get(key(i))!.length;
    const before = devs.map((_, i) => at(i));
    const probesBefore = a.endpointStates()[0].probes;
    const lat: number[] = [];
    const t0 = Date.now();
    while (Date.now() - t0 < 6000) {
      await sleep(40);
      const c = a.counters();
      for (const i of healthy) lat.push(c[i].lastLatenessMs);
    }
    const elapsed = Date.now() - t0;
    const periods = Math.floor(elapsed / POLL);
    const gaps = (i: number) => {
      const b = rec.batches.get(key(i))!.slice(before[i]);
      return b.slice(1).map((x, j) => x.at - b[j].at);
    };

    const healthyPolls = healthy.map((i) => at(i) - before[i]);
    for (const [j, i] of healthy.entries()) {
      expect(healthyPolls[j], key(i)).toBeGreaterThanOrEqual(periods - 2); // kept its period
      expect(rec.batches.get(key(i))!.slice(before[i]).every((b) => b.samples.every((x) => x.quality === 'good'))).toBe(true);
      expect(rec.statuses.filter((x) => x.station === devs[i].station).map((x) => x.comm), key(i)).toEqual(['online']);
    }
    // waits behind at most one probe (one timeout), plus event-loop noise of a shared 2-core box
    expect(Math.max(...lat)).toBeLessThan(TIMEOUT + 250);
    expect(median(lat)).toBeLessThan(50);

    const silentPolls = silent.map((i) => at(i) - before[i]);
    const silentGaps = silent.flatMap(gaps);
    for (const [j, i] of silent.entries()) {
      expect(silentPolls[j], key(i)).toBeGreaterThanOrEqual(periods - 2); // a bad batch every period
      expect(rec.batches.get(key(i))!.slice(before[i]).every((b) => b.samples.every((x) => x.quality === 'bad' && x.value === null))).toBe(true);
      expect(rec.statuses.filter((x) => x.station === devs[i].station).map((x) => x.comm), key(i)).toEqual(['online', 'offline']);
    }
    // a probe's bad batch comes at slot + timeout, the deferred ones at their slot
    expect(Math.max(...silentGaps)).toBeLessThan(POLL + TIMEOUT + 400);
    // probes take at most a quarter of the connection: ≤ one per 4 timeouts
    const probes = a.endpointStates()[0].probes - probesBefore;
    expect(probes).toBeLessThanOrEqual(Math.ceil(elapsed / (4 * TIMEOUT)) + 1);
    const ep = a.endpointStates()[0];
    expect(ep).toMatchObject({ state: 'up', silentUnits: 15 });
    expect(ep.connects).toBe(connects); // the shared connection was never dropped

    const maxBackoff = Math.max(...a.counters().map((c) => c.unitBackoffMs));
    const tClear = Date.now();
    for (const i of silent) s.setFault(devs[i].station, 'comm_loss', false);
    const recovery = await waitFor('all 15 back online', () => silent.every((i) => rec.allGood(key(i))), 20_000);
    expect(recovery).toBeLessThanOrEqual(2 * maxBackoff + POLL + 1000); // within a few backoff periods
    const c = a.counters();
    for (const i of silent) {
      expect(c[i]).toMatchObject({ comm: 'online', unitBackoffMs: 0 });
      expect(rec.statuses.filter((x) => x.station === devs[i].station).at(-1)?.comm).toBe('online');
    }
    expect(a.endpointStates()[0].silentUnits).toBe(0);
    // back on their period
    const back = silent.map((i) => at(i));
    await sleep(4 * POLL);
    for (const [j, i] of silent.entries()) expect(at(i) - back[j], key(i)).toBeGreaterThanOrEqual(2);

    console.info(
      JSON.stringify({
        onsetMs: onset,
        onsetHealthyLatenessMs: onsetLateness,
        windowMs: elapsed,
        periods,
        healthyPolls,
        healthyLatenessMs: { median: median(lat), max: Math.max(...lat) },
        silentBadBatches: silentPolls,
        silentMaxGapMs: Math.max(...silentGaps),
        probes,
        deferred: silent.map((i) => c[i].deferred),
        maxUnitBackoffMs: maxBackoff,
        recoveryMs: recovery,
        sinceClearMs: Date.now() - tClear,
      }),
    );
  }, 60_000);
});
