/**
 * Split mode over real Mosquitto and InfluxDB: two `heatwatch collect --shard K/2` processes and
 * one serve store exactly what the collectors published; over a window of polls, serve and
 * single-process mode polling the same simulator store the same points, every poll whole, and
 * the same values for the points the simulator holds fixed (analog values move with the model's
 * clock, and the two modes read it at different instants); they raise the same alarms; killing
 * one collector (SIGKILL: the broker publishes its last will) puts exactly its stations in comm loss.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import pino from 'pino';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { inShard } from '../../src/bus/shard.ts';
import { telemetrySamples } from '../../src/bus/topics.ts';
import { parseConfigText } from '../../src/config/load.ts';
import type { Sample } from '../../src/model.ts';
import { startService, type Service } from '../../src/service.ts';
import { InfluxSeriesStore } from '../../src/store/influx/store.ts';
import { startSimulator, type Simulator } from '../../simulators/index.ts';
import { storedValue } from '../helpers/stored-value.ts';
import { waitFor } from '../helpers/wait.ts';

const log = pino({ level: 'silent' });
const STATIONS = 8;
const AUTH = { authorization: 'Bearer demo-read' };
/** polls of every device both modes must store inside the comparison window */
const WINDOW_POLLS = 5;
/**
 * Points whose value follows only pump commands and faults: while the test writes no command
 * and injects no fault, the simulator holds them at its model's value.
 */
const FIXED = ['pump1_cmd', 'pump2_cmd', 'pump1_run', 'pump2_run', 'pump1_fault', 'pump2_fault', 'flood', 'door', 'power_ok'];

type Row = [number, number | null, boolean | null, number];
const QUALITY_CODE = { good: 0, uncertain: 1, bad: 2 } as const;
/** The test's samples are all after this (stored series are read through the store, whatever its layout). */
const SINCE = Date.now() - 60_000;
/** Stored samples of [from, to) by point: [ts, number value, boolean value, quality 0 good / 1 uncertain / 2 bad]. */
async function storedRows(url: string, db: string, from = SINCE, to = Date.now() + 3_600_000): Promise<Map<string, Row[]>> {
  const store = new InfluxSeriesStore({ url, database: db });
  const out = new Map<string, Row[]>();
  for await (const batch of store.scan(from, to)) {
    for (const s of batch) {
      const row: Row = [s.ts, typeof s.value === 'number' ? s.value : null, typeof s.value === 'boolean' ? s.value : null, QUALITY_CODE[s.quality]];
      out.set(s.point, [...(out.get(s.point) ?? []), row]);
    }
  }
  await store.close();
  return out;
}

describe('split mode: collect --shard K/N + serve', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hw-split-'));
  let sim: Simulator;
  const services: Service[] = [];
  const procs: ChildProcess[] = [];
  let tap: MqttClient | undefined;
  afterAll(async () => {
    for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
    for (const s of services) await s.stop().catch(() => undefined);
    await tap?.endAsync();
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores what the collectors publish, like single-process mode; a killed collector takes exactly its stations offline', async () => {
    const influxUrl = inject('influxUrl');
    const mqttUrl = inject('mqttUrl');
    const db = `split_${process.pid}`;
    sim = await startSimulator({ stations: STATIONS, seed: 11, modbusPort: 0, controlPort: 0 });
    const yaml = `${sim.configYaml({ pollMs: 500 })}\nmqtt: { url: "${mqttUrl}", prefix: split, qos: 1, reconnectMinMs: 200 }\n`;
    const cfgFile = join(dir, 'heatwatch.yaml');
    writeFileSync(cfgFile, yaml);
    const shard1 = sim.stations.map((s) => s.id).filter((id) => inShard(id, 1, 2));
    const shard2 = sim.stations.map((s) => s.id).filter((id) => inShard(id, 2, 2));
    expect(shard1.length).toBeGreaterThan(0);
    expect(shard2.length).toBeGreaterThan(0);

    // serve (in this process, so the test can look inside), then a tap on everything collectors publish
    const serveCfg = parseConfigText(yaml, 'serve');
    serveCfg.storage.series = { kind: 'influxdb', url: influxUrl, database: `${db}_serve` };
    serveCfg.storage.state = { kind: 'sqlite', path: join(dir, 'serve-state.db') };
    serveCfg.storage.spool = { enabled: true, path: join(dir, 'serve-spool.db'), maxBytes: 2 ** 28, maxAgeMs: 3_600_000 };
    const serve = await startService(serveCfg, { logger: log, listen: false, mode: 'serve' });
    services.push(serve);
    const published: Sample[] = [];
    tap = await connectAsync(mqttUrl, { clientId: `tap-${process.pid}` });
    tap.on('message', (topic, payload) => {
      const [, , station, device] = topic.split('/');
      published.push(...(telemetrySamples(station, device, payload) ?? []));
    });
    await tap.subscribeAsync('split/telemetry/+/+', { qos: 1 });

    // single-process reference polling the same simulator
    const singleCfg = parseConfigText(sim.configYaml({ pollMs: 500 }), 'single');
    singleCfg.storage.series = { kind: 'influxdb', url: influxUrl, database: `${db}_single` };
    singleCfg.storage.state = { kind: 'sqlite', path: join(dir, 'single-state.db') };
    const single = await startService(singleCfg, { logger: log, listen: false });
    services.push(single);
    // samples per point from `since` on, as each mode takes them in
    let since = Infinity;
    const counted = (svc: Service) => {
      const n = new Map<string, number>();
      svc.pipeline.onSamples((b) => {
        for (const s of b) if (s.ts >= since) n.set(s.point, (n.get(s.point) ?? 0) + 1);
      });
      return n;
    };
    const [nServe, nSingle] = [counted(serve), counted(single)];

    const collector = (k: number) => {
      const p = spawn(process.execPath, ['src/bin/heatwatch.js', 'collect', '--shard', `${k}/2`, '--config', cfgFile, '--log-level', 'warn'], {
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      procs.push(p);
      return p;
    };
    const [c1, c2] = [collector(1), collector(2)];
    const comm = async (svc: Service) =>
      new Map<string, string>((await svc.app.inject({ url: '/api/stations', headers: AUTH })).json().map((s: { id: string; comm: string }) => [s.id, s.comm]));
    await waitFor(async () => [...(await comm(serve)).values()].every((c) => c === 'online'), 60_000, 'serve to see every station online');
    await waitFor(async () => [...(await comm(single)).values()].every((c) => c === 'online'), 30_000, 'single-process mode online');
    // the comparison window: from now until both modes took WINDOW_POLLS polls of every point
    const pointIds = serveCfg.stations.flatMap((st) => st.devices.flatMap((d) => d.points.map((p) => `${st.id}.${d.id}.${p.id}`)));
    const w0 = Date.now();
    since = w0;
    // what the simulator holds the fixed points at (no command or fault until the window closes)
    const fixedWant = new Map<string, boolean | number>(
      sim.stations.flatMap((st) => FIXED.filter((id) => pointIds.includes(`${st.id}.plc.${id}`)).map((id) => [`${st.id}.plc.${id}`, sim.network.readPoint(st.index, id)] as const)),
    );
    const enough = (n: Map<string, number>) => pointIds.every((id) => (n.get(id) ?? 0) >= WINDOW_POLLS);
    await waitFor(() => enough(nServe) && enough(nSingle), 30_000, `${WINDOW_POLLS} polls of every point in both modes`);
    const w1 = Date.now() + 1; // every sample counted so far has ts < w1

    // the same alarms: a burst at a station of shard 2 raises the same alarms in serve as in single-process mode
    const burstAt = shard2[0];
    sim.setFault(burstAt, 'burst', true);
    const active = (svc: Service) => svc.alarms.list().map((a) => `${a.id} ${a.state}`).sort();
    await waitFor(
      () => active(serve).includes(`${burstAt}.plc.flood:flood unacked`) && JSON.stringify(active(serve)) === JSON.stringify(active(single)),
      30_000,
      'the same active alarms in both modes',
    ).catch((err) => {
      throw new Error(`${err.message}: serve ${JSON.stringify(active(serve))} single ${JSON.stringify(active(single))}`);
    });
    sim.setFault(burstAt, 'burst', false);

    // kill collector 1 without a goodbye: the broker publishes its will
    c1.kill('SIGKILL');
    await waitFor(
      async () => {
        const m = await comm(serve);
        return shard1.every((s) => m.get(s) === 'offline') && shard2.every((s) => m.get(s) === 'online');
      },
      60_000,
      "exactly shard 1's stations offline",
    );
    const m = await comm(serve);
    expect(sim.stations.filter((s) => m.get(s.id) === 'offline').map((s) => s.id)).toEqual(shard1);

    // stop collector 2 cleanly, let serve take in everything it published, stop both services
    c2.kill('SIGTERM');
    await new Promise((r) => (c2.exitCode !== null ? r(null) : c2.once('exit', r)));
    await waitFor(() => serve.pipeline.stats().received === published.length, 20_000, 'serve to receive every published sample');
    await serve.pipeline.flush();
    await waitFor(() => !serve.spool!.stats().spooling, 20_000, 'the spool to be empty');
    await serve.stop();
    await single.stop();

    // (1) serve stored exactly what the collectors published
    const split = await storedRows(influxUrl, `${db}_serve`);
    const byPoint = new Map<string, Sample[]>();
    for (const s of published) byPoint.set(s.point, [...(byPoint.get(s.point) ?? []), s]);
    expect([...split.keys()].sort()).toEqual([...byPoint.keys()].sort());
    const qc = { good: 0, uncertain: 1, bad: 2 };
    // a float point's value is stored at its resolution (src/store/codec/spec.ts)
    const kept = storedValue(serveCfg.stations);
    for (const [point, samples] of byPoint) {
      const rows = split.get(point)!;
      expect(rows.length, point).toBe(samples.length);
      const at = new Map(rows.map((r) => [r[0], r]));
      for (const s of samples) {
        const r = at.get(s.ts)!;
        expect(r[3], `${point}@${s.ts}`).toBe(qc[s.quality]);
        if (s.quality !== 'bad') expect(typeof s.value === 'boolean' ? r[2] : r[1], `${point}@${s.ts}`).toBe(kept(s));
      }
    }
    // (2) the same series as single-process mode over the window: the same points, each with at
    // least the polls waited for, every poll storing all points of its device, and the same
    // values of the points the simulator holds fixed
    const a = await storedRows(influxUrl, `${db}_serve`, w0, w1);
    const b = await storedRows(influxUrl, `${db}_single`, w0, w1);
    expect([...a.keys()].sort()).toEqual([...pointIds].sort());
    expect([...b.keys()].sort()).toEqual([...pointIds].sort());
    const fixedChecked = { serve: 0, single: 0 };
    for (const [mode, rows] of [['serve', a], ['single', b]] as const) {
      const perDevice = new Map<string, Set<number>>();
      for (const [point, rs] of rows) {
        expect(rs.length, `${mode} ${point}`).toBeGreaterThanOrEqual(WINDOW_POLLS);
        const dev = point.split('.').slice(0, 2).join('.');
        perDevice.set(dev, (perDevice.get(dev) ?? new Set()).add(rs.length));
        if (!fixedWant.has(point)) continue;
        const want = fixedWant.get(point);
        const good = rs.filter((r) => r[3] !== 2);
        expect(good.map((r) => r[2]), `${mode} ${point}`).toEqual(good.map(() => want));
        fixedChecked[mode] += good.length;
      }
      for (const [dev, counts] of perDevice) expect([...counts], `${mode} ${dev}: every poll stores all its points`).toHaveLength(1);
    }
    // at least a poll's worth of fixed values compared in each mode
    expect(fixedWant.size).toBeGreaterThanOrEqual(STATIONS);
    expect(fixedChecked.serve).toBeGreaterThanOrEqual(fixedWant.size);
    expect(fixedChecked.single).toBeGreaterThanOrEqual(fixedWant.size);
  }, 150_000);
});
