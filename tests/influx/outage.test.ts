/**
 * Fault test: ingest from the simulator into InfluxDB, stop influxd (the real server) for an
 * outage of OUTAGE_MS, start it again → every sample the pipeline received is stored exactly
 * once; then the same with heatwatch itself restarted in the middle of the outage (the spool
 * survives). The outage's length is what the service's clock says: the test moves that clock
 * forward instead of sleeping, so the spool's age bound and age metric see a minute go by
 * while influxd is down for only as long as the conditions take.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.ts';
import type { ResolvedConfig } from '../../src/config/resolve.ts';
import type { Sample } from '../../src/model.ts';
import { startService, type Service } from '../../src/service.ts';
import { InfluxSeriesStore } from '../../src/store/influx/store.ts';
import { rowsToSamples, type RawSeries } from '../../src/store/influx/read.ts';
import { startSimulator, type Simulator } from '../../simulators/index.ts';
import { storedValue } from '../helpers/stored-value.ts';
import { waitFor } from '../helpers/wait.ts';
import { startInfluxd, type ManagedServer } from '../setup/servers.ts';

/** how long influxd is down in each phase, by the service's clock */
const OUTAGE_MS = 60_000;
const log = pino({ level: 'silent' });

describe('InfluxDB outage: store-and-forward', () => {
  let influx: ManagedServer;
  let sim: Simulator;
  let dir: string;
  let cfg: ResolvedConfig;
  const services: Service[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hw-outage-'));
    [influx, sim] = await Promise.all([startInfluxd(), startSimulator({ stations: 3, seed: 5, modbusPort: 0, controlPort: 0 })]);
    cfg = parseConfigText(sim.configYaml({ pollMs: 500 }), 'outage-test');
    cfg.storage.series = { kind: 'influxdb', url: influx.url, database: 'outage', timeoutMs: 2_000 };
    cfg.storage.state = { kind: 'sqlite', path: join(dir, 'state.db') };
    cfg.storage.spool = { enabled: true, path: join(dir, 'spool.db'), maxBytes: 256 * 2 ** 20, maxAgeMs: 3_600_000 };
  });
  afterAll(async () => {
    for (const s of services) await s.stop().catch(() => undefined);
    await sim?.stop();
    await influx?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  // the services' clock: the wall clock plus the outage time the test skips forward
  let skipped = 0;
  const now = () => Date.now() + skipped;
  /** moves the clock by `ms`, then waits until the spool took a new chunk at the new time */
  async function outageFor(svc: Service, ms: number): Promise<void> {
    const before = svc.spool!.stats().samples;
    skipped += ms;
    // an append after the jump also enforces the spool's bounds at the new time
    await waitFor(() => svc.spool!.stats().samples > before, 20_000, `a chunk spooled ${ms / 1000} s into the outage`);
  }

  const seen: Sample[] = [];
  async function start(): Promise<Service> {
    const svc = await startService(cfg, { logger: log, listen: false, now });
    services.push(svc);
    svc.pipeline.onSamples((b) => seen.push(...b));
    return svc;
  }
  const health = async (svc: Service) => (await svc.app.inject({ url: '/api/health' })).json();
  const metric = async (svc: Service, name: string) => {
    const text = (await svc.app.inject({ url: '/metrics' })).body;
    return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
  };

  it(
    'stores every received sample exactly once across an outage, and across an outage with a heatwatch restart',
    async () => {
      // phase A: outage while running
      const a = await start();
      await waitFor(() => a.pipeline.stats().stored > 200, 20_000, 'first samples stored');
      await influx.stop();
      await waitFor(async () => (await health(a)).status === 'degraded', 20_000, 'health to report degraded');
      await waitFor(async () => (await metric(a, 'heatwatch_spool_samples')) > 0, 10_000, 'spool depth in /metrics');
      await outageFor(a, OUTAGE_MS);
      // the first chunk is kept (and counted) across the minute: the age bound (1 h) drops nothing
      expect(await metric(a, 'heatwatch_spool_oldest_age_seconds')).toBeGreaterThanOrEqual(OUTAGE_MS / 1000);
      expect(a.spool!.stats().dropped).toBe(0);
      expect(a.pipeline.stats().dropped).toBe(0);
      await influx.start();
      await waitFor(async () => (await health(a)).status === 'ok', 60_000, 'the spool to drain after influxd returned');
      expect(a.spool!.stats()).toMatchObject({ samples: 0, dropped: 0 });

      // phase B: outage, heatwatch restarted in the middle of it
      await influx.stop();
      await waitFor(() => a.spool!.stats().samples > 0, 20_000, 'spooling again');
      await outageFor(a, OUTAGE_MS / 2);
      const receivedA = a.pipeline.stats().received;
      await a.stop(); // the pipeline drains into the spool
      expect(a.pipeline.stats().dropped).toBe(0);
      const b = await start();
      await waitFor(() => b.spool!.stats().spooling, 10_000, 'the new process to start in spooling mode');
      await outageFor(b, OUTAGE_MS / 2);
      // what the first process spooled kept its time across the restart
      expect(await metric(b, 'heatwatch_spool_oldest_age_seconds')).toBeGreaterThanOrEqual(OUTAGE_MS / 1000);
      expect(b.spool!.stats().dropped).toBe(0);
      await influx.start();
      await waitFor(() => !b.spool!.stats().spooling && b.pipeline.stats().queueDepth === 0, 60_000, 'the spool to drain');
      await b.stop(); // flushes the last batch
      const received = receivedA + b.pipeline.stats().received;
      expect(b.pipeline.stats().dropped).toBe(0);

      // every sample exactly once
      const store = new InfluxSeriesStore({ url: influx.url, database: 'outage' });
      const res = await store.influx.queryRaw('SELECT * FROM "raw"."poll" GROUP BY *', { precision: 'ms', database: 'outage' });
      const stored = new Map<string, Sample[]>();
      for (const series of res.results[0].series as RawSeries[]) {
        for (const x of rowsToSamples(series)) stored.set(x.point, [...(stored.get(x.point) ?? []), x]);
      }
      const total = [...stored.values()].reduce((n, v) => n + v.length, 0);
      expect(total).toBe(received);
      // each poll stores all points of its device: equal counts per device
      const perDevice = new Map<string, Set<number>>();
      for (const [id, rows] of stored) {
        const dev = id.split('.').slice(0, 2).join('.');
        perDevice.set(dev, (perDevice.get(dev) ?? new Set()).add(rows.length));
        const ts = rows.map((r) => r.ts);
        expect(ts).toEqual([...ts].sort((x, y) => x - y));
      }
      for (const [dev, counts] of perDevice) expect([...counts], dev).toHaveLength(1);
      // and each sample we watched go by is there with its value (at its point's resolution, as
      // the SQLite store keeps it too) and quality
      const kept = storedValue(cfg.stations);
      let checked = 0;
      for (const x of seen) {
        expect(stored.get(x.point)?.find((r) => r.ts === x.ts), `${x.point}@${x.ts}`).toEqual({ ...x, value: kept(x) });
        checked++;
      }
      expect(checked).toBeGreaterThan(received * 0.9);
      await store.close();
    },
    90_000,
  );
});
