/**
 * Integration: many silent units behind one gateway (one TCP connection, serialised requests)
 * must not starve the units that answer. Real simulator, gateway layout, loopback TCP.
 * Everything is counted in polls; how late the polls run is measured by `npm run bench -- --only modbus`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { PROBE_MAX_PERIODS, PROBE_SHARE } from '../../../src/adapters/modbus/probe.ts';
import { waitFor } from '../../helpers/wait.ts';
import { adapter, devicesOf, recorder, runCleanups, sim } from './harness.ts';

afterEach(runCleanups);

describe('unit backoff on a shared gateway', () => {
  it('15 of 20 units silent: the 5 others poll every period and stay online; the 15 report bad each period and come back', async () => {
    const POLL = 500;
    const TIMEOUT = 300;
    /** periods measured in steady state */
    const WINDOW = 12;
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
    for (let i = 0; i < devs.length; i++) await waitFor(() => rec.allGood(key(i)), 20_000, `${key(i)} good`);
    const connects = a.endpointStates()[0].connects;

    for (const i of silent) s.setFault(devs[i].station, 'comm_loss', true);
    await waitFor(() => {
      const c = a.counters();
      return silent.every((i) => rec.allBad(key(i)) && c[i].unitBackoffMs > 0);
    }, 30_000, '15 silent units in backoff'); // 15 first timeouts in a row: 4.5 s
    // the onset (each unit's first timeout, unavoidable) delays the healthy polls queued behind
    // it; steady state starts once each healthy unit has answered twice more
    const onset = devs.map((_, i) => rec.count(key(i)));
    await waitFor(() => healthy.every((i) => rec.count(key(i)) >= onset[i] + 2), 20_000, 'healthy polls queued during the onset done');

    const before = devs.map((_, i) => rec.count(key(i)));
    const probesBefore = a.endpointStates()[0].probes;
    const t0 = Date.now();
    // a silent unit reports a bad batch every period (probe or not): WINDOW of them is WINDOW periods
    await waitFor(() => silent.every((i) => rec.count(key(i)) >= before[i] + WINDOW), 60_000, `${WINDOW} bad batches from each silent unit`);
    const elapsed = Date.now() - t0;
    const newBatches = (i: number) => rec.since(key(i), before[i]);

    for (const i of healthy) {
      // kept its period: as many polls as the silent units reported periods (± the window's phase and a slot a stalled machine skipped)
      expect(newBatches(i).length, key(i)).toBeGreaterThanOrEqual(WINDOW - 2);
      expect(newBatches(i).every((b) => rec.good(b.samples)), key(i)).toBe(true);
      expect(rec.statuses.filter((x) => x.station === devs[i].station).map((x) => x.comm), key(i)).toEqual(['online']);
    }
    for (const i of silent) {
      expect(newBatches(i).every((b) => rec.bad(b.samples)), key(i)).toBe(true);
      expect(rec.statuses.filter((x) => x.station === devs[i].station).map((x) => x.comm), key(i)).toEqual(['online', 'offline']);
    }
    // probes take at most a quarter of the connection: after each (≥ one timeout on the wire) the
    // gate stays shut 3 timeouts, on the adapter's own clock, however busy the machine is
    const probes = a.endpointStates()[0].probes - probesBefore;
    expect(probes).toBeLessThanOrEqual(Math.ceil(elapsed / (TIMEOUT / PROBE_SHARE)) + 1);
    expect(a.endpointStates()[0]).toMatchObject({ state: 'up', silentUnits: 15, connects }); // the shared connection was never dropped

    const cleared = devs.map((_, i) => rec.count(key(i)));
    for (const i of silent) s.setFault(devs[i].station, 'comm_loss', false);
    await waitFor(() => silent.every((i) => rec.allGood(key(i))), 30_000, 'all 15 back online');
    for (const i of silent) {
      // back at its next probe: at most its probe interval (capped) plus one gate pause, in periods
      const badAfterClear = rec.since(key(i), cleared[i]).findIndex((b) => rec.good(b.samples));
      expect(badAfterClear, key(i)).toBeLessThanOrEqual(PROBE_MAX_PERIODS + Math.ceil((TIMEOUT / PROBE_SHARE) / POLL) + 1);
    }
    const c = a.counters();
    for (const i of silent) {
      expect(c[i]).toMatchObject({ comm: 'online', unitBackoffMs: 0 });
      expect(rec.statuses.filter((x) => x.station === devs[i].station).at(-1)?.comm).toBe('online');
    }
    expect(a.endpointStates()[0].silentUnits).toBe(0);
    // back on their period, good every time
    const back = devs.map((_, i) => rec.count(key(i)));
    await waitFor(() => silent.every((i) => rec.count(key(i)) >= back[i] + 3), 20_000, 'three more polls of each unit that came back');
    for (const i of silent) expect(rec.since(key(i), back[i]).every((b) => rec.good(b.samples)), key(i)).toBe(true);
  }, 120_000);
});
