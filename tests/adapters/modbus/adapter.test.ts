/**
 * Integration: the adapter against the project's Modbus simulator over real loopback TCP.
 * A small TCP forwarder (a real socket, not a mock) lets a test take an endpoint down and up.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { adapter, devicesOf, forwarder, freePort, logCapture, recorder, runCleanups, sim, waitFor } from './harness.ts';

afterEach(runCleanups);

describe('ModbusAdapter over loopback TCP', () => {
  it('reads good, plausible values from the simulator and reports online', async () => {
    const s = await sim(3);
    const devs = devicesOf(s);
    const rec = recorder();
    const a = adapter(devs, rec);
    await a.start();
    for (const d of devs) await waitFor(`${d.station} good`, () => rec.allGood(`${d.station}/${d.id}`));
    for (const d of devs) {
      const samples = rec.last(`${d.station}/${d.id}`)!;
      expect(samples).toHaveLength(d.points.length);
      samples.forEach((x, i) => {
        const p = d.points[i];
        expect(x.point).toBe(`${d.station}.${d.id}.${p.id}`);
        if (p.type === 'bool') expect(typeof x.value).toBe('boolean');
        else expect(Number.isFinite(x.value as number), `${x.point}=${x.value}`).toBe(true);
      });
      const temp = samples.find((x) => x.point.endsWith('.t_sec_supply'));
      if (temp) expect(temp.value as number).toBeGreaterThan(-50), expect(temp.value as number).toBeLessThan(200);
    }
    expect(rec.statuses.filter((x) => x.comm === 'online').map((x) => x.station).sort()).toEqual(devs.map((d) => d.station).sort());
    const c = a.counters();
    expect(c.every((x) => x.polls >= 1 && x.errors === 0)).toBe(true);
  });

  it('device down at start: bad samples, few connect attempts, values resume within two backoff periods', async () => {
    const s = await sim(1);
    const port = await freePort();
    const [dev] = devicesOf(s);
    const { logger, lines } = logCapture();
    const rec = recorder();
    const a = adapter([{ ...dev, port, endpoint: `modbus+tcp://127.0.0.1:${port}` }], rec, logger);
    await a.start();
    const k = `${dev.station}/${dev.id}`;
    await waitFor('five bad polls', () => (rec.batches.get(k)?.length ?? 0) >= 5);
    expect(rec.allBad(k)).toBe(true);
    const bad = rec.last(k)![0];
    expect(Math.abs(bad.ts - Date.now())).toBeLessThan(1000); // ts = poll time
    const off = rec.statuses.filter((x) => x.comm === 'offline');
    expect(off).toHaveLength(1); // transitions only, not every poll
    expect(off[0].error).toMatch(new RegExp(`^${dev.station}/plc: connect 127\\.0\\.0\\.1:${port}: connection refused`));
    // one log line for the transition, not one per poll
    expect(lines.filter((l) => l.level === 40 && l.station === dev.station && l.device === 'plc')).toHaveLength(1);
    const [ep] = a.endpointStates();
    expect(ep.connects).toBeLessThan(rec.batches.get(k)!.length); // backoff, no connect per poll
    const backoff = ep.backoffMs;

    const fw = forwarder(port, s.stations[0]);
    await fw.up();
    const took = await waitFor('values resume', () => rec.allGood(k), 2 * backoff + dev.pollMs + 1000);
    expect(took).toBeLessThanOrEqual(2 * backoff + dev.pollMs + 200);
    expect(rec.statuses.at(-1)).toMatchObject({ comm: 'online', station: dev.station });
  });

  it('device dropping mid-run goes bad, then resumes when it returns', async () => {
    const s = await sim(2);
    const port = await freePort();
    const [dev, other] = devicesOf(s);
    const rec = recorder();
    const fw = forwarder(port, s.stations[0]);
    await fw.up();
    const a = adapter([{ ...dev, port }, other], rec);
    await a.start();
    const k = `${dev.station}/${dev.id}`;
    await waitFor('good before drop', () => rec.allGood(k));
    await fw.down();
    await waitFor('bad after drop', () => rec.allBad(k));
    const off = rec.statuses.filter((x) => x.station === dev.station && x.comm === 'offline');
    expect(off.length).toBe(1);
    expect(off[0].error).toMatch(/connection 127\.0\.0\.1:\d+ lost|connection refused/);
    const otherPolls = rec.batches.get(`${other.station}/plc`)!.length;
    await fw.up();
    await waitFor('good after return', () => rec.allGood(k));
    // the other device never noticed
    expect(rec.batches.get(`${other.station}/plc`)!.length).toBeGreaterThan(otherPolls);
    expect(rec.statuses.filter((x) => x.station === other.station).map((x) => x.comm)).toEqual(['online']);
  });

  it('a device that accepts TCP but never answers does not delay devices on other endpoints', async () => {
    const s = await sim(4);
    const devs = devicesOf(s, { pollMs: 100, timeoutMs: 300 });
    const rec = recorder();
    const a = adapter(devs, rec);
    await a.start();
    for (const d of devs) await waitFor('all good', () => rec.allGood(`${d.station}/plc`));
    s.setFault(devs[0].station, 'comm_loss', true);
    const k0 = `${devs[0].station}/plc`;
    await waitFor('silent device bad', () => rec.allBad(k0));
    expect(rec.statuses.find((x) => x.station === devs[0].station && x.comm === 'offline')?.error).toMatch(
      new RegExp(`^${devs[0].station}/plc: read \\w+ \\d+\\.\\.\\d+: timeout after 300 ms`),
    );
    // measure the others over ~1.5 s while the silent one keeps timing out / reconnecting
    const before = devs.slice(1).map((d) => rec.batches.get(`${d.station}/plc`)!.length);
    const t0 = Date.now();
    const lat: number[] = [];
    while (Date.now() - t0 < 1500) {
      await new Promise((r) => setTimeout(r, 50));
      for (const c of a.counters().slice(1)) lat.push(c.lastLatenessMs);
    }
    const elapsed = Date.now() - t0;
    devs.slice(1).forEach((d, i) => {
      const polls = rec.batches.get(`${d.station}/plc`)!.length - before[i];
      expect(polls).toBeGreaterThanOrEqual(Math.floor(elapsed / 100) - 2); // kept their 100 ms period
      expect(rec.allGood(`${d.station}/plc`)).toBe(true);
    });
    // a shared queue would make them wait the 300 ms timeout; allow event-loop noise of a busy 2-core box
    expect(Math.max(...lat)).toBeLessThan(200);
    expect(lat.sort((x, y) => x - y)[Math.floor(lat.length / 2)]).toBeLessThan(25);
    expect(rec.allBad(k0)).toBe(true);
    s.setFault(devs[0].station, 'comm_loss', false);
    await waitFor('silent device back', () => rec.allGood(k0), 40_000);
  });

  it('on a shared gateway, a silent unit delays its neighbours at most by its timeout', async () => {
    const s = await sim(3, 'gateway');
    const devs = devicesOf(s, { pollMs: 200, timeoutMs: 150 });
    expect(new Set(devs.map((d) => d.port)).size).toBe(1);
    const rec = recorder();
    const a = adapter(devs, rec);
    await a.start();
    for (const d of devs) await waitFor('all good', () => rec.allGood(`${d.station}/plc`));
    s.setFault(devs[1].station, 'comm_loss', true);
    await waitFor('silent unit bad', () => rec.allBad(`${devs[1].station}/plc`));
    const before = rec.batches.get(`${devs[0].station}/plc`)!.length;
    const lat: number[] = [];
    const t0 = Date.now();
    while (Date.now() - t0 < 1200) {
      await new Promise((r) => setTimeout(r, 40));
      lat.push(a.counters()[0].lastLatenessMs, a.counters()[2].lastLatenessMs);
    }
    expect(Math.max(...lat)).toBeLessThan(150 + 100); // ≤ one timeout (+ event-loop noise)
    expect(rec.batches.get(`${devs[0].station}/plc`)!.length - before).toBeGreaterThanOrEqual(4);
    expect(rec.allGood(`${devs[0].station}/plc`) && rec.allGood(`${devs[2].station}/plc`)).toBe(true);
    expect(a.endpointStates()[0].state).toBe('up'); // one silent unit does not drop the shared connection
  });

  it('a Modbus exception gives a clear error naming the register range; the whole device is bad', async () => {
    const s = await sim(2, 'gateway');
    const [dev, other] = devicesOf(s);
    const bogus = { ...dev.points[0], id: 'not_mapped', table: 'holding' as const, address: 60000, type: 'float32' as const };
    const rec = recorder();
    const a = adapter([{ ...dev, points: [...dev.points, bogus] }, other], rec);
    await a.start();
    const k = `${dev.station}/plc`;
    await waitFor('device bad', () => rec.allBad(k));
    const off = rec.statuses.find((x) => x.station === dev.station && x.comm === 'offline');
    expect(off?.error).toBe(`${dev.station}/plc: read holding 60000..60001: exception 2 (illegal data address)`);
    expect(rec.last(k)).toHaveLength(dev.points.length + 1);
    await waitFor('neighbour on same connection good', () => rec.allGood(`${other.station}/plc`));
    expect(a.endpointStates()[0].state).toBe('up');
  });

  it('garbage replies make the device bad, the process keeps running, and it recovers', async () => {
    const s = await sim(2);
    const devs = devicesOf(s, { timeoutMs: 300 });
    const rec = recorder();
    const a = adapter(devs, rec);
    await a.start();
    const k = `${devs[0].station}/plc`;
    await waitFor('good', () => rec.allGood(k));
    s.setFault(devs[0].station, 'garbage', true);
    await waitFor('bad on garbage', () => rec.allBad(k));
    const err = rec.statuses.find((x) => x.station === devs[0].station && x.comm === 'offline')?.error ?? '';
    expect(err).toMatch(new RegExp(`^${devs[0].station}/plc: (read \\w+ \\d+\\.\\.\\d+: )?\\S`));
    const n = rec.batches.get(`${devs[1].station}/plc`)!.length;
    await waitFor('neighbour keeps polling', () => rec.batches.get(`${devs[1].station}/plc`)!.length > n + 3);
    expect(rec.allGood(`${devs[1].station}/plc`)).toBe(true);
    s.setFault(devs[0].station, 'garbage', false);
    await waitFor('recovered', () => rec.allGood(k), 40_000);
  });
});
