/**
 * A shard with two collectors over real Mosquitto: one polls, the other waits; kill -9 the one
 * polling and the standby polls within 15 s, publishing under the same topics, so serve's stored
 * series have a gap of at most 15 s and its stations never go into comm loss.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import pino from 'pino';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.ts';
import { startService, type Service } from '../../src/service.ts';
import { startSimulator, type Simulator } from '../../simulators/index.ts';
import { startHeatwatch, type HeatwatchProcess } from '../helpers/heatwatch-process.ts';
import { waitFor } from '../helpers/wait.ts';

const AUTH = { authorization: 'Bearer demo-read' };
const POLL_MS = 1000;

type Collector = HeatwatchProcess;

describe('standby collectors: collect --shard K/N twice', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hw-standby-'));
  let sim: Simulator;
  let serve: Service | undefined;
  let tap: MqttClient | undefined;
  const collectors: Collector[] = [];
  afterAll(async () => {
    for (const c of collectors) if (c.p.exitCode === null) c.p.kill('SIGKILL');
    await serve?.stop().catch(() => undefined);
    await tap?.endAsync();
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('one polls, the other waits; kill -9 the one polling and the standby takes over within 15 s', async () => {
    const mqttUrl = inject('mqttUrl');
    sim = await startSimulator({ stations: 4, seed: 5, modbusPort: 0, controlPort: 0 });
    const yaml = `${sim.configYaml({ pollMs: POLL_MS })}\nmqtt: { url: "${mqttUrl}", prefix: standby${process.pid}, qos: 1, reconnectMinMs: 200 }\n`;
    const cfgFile = join(dir, 'heatwatch.yaml');
    writeFileSync(cfgFile, yaml);
    const cfg = parseConfigText(yaml, 'serve');
    cfg.storage.series = { kind: 'sqlite', path: join(dir, 'series.db') };
    cfg.storage.state = { kind: 'sqlite', path: join(dir, 'state.db') };
    serve = await startService(cfg, { logger: pino({ level: 'silent' }), listen: false, mode: 'serve' });
    const svc = serve;

    // every telemetry message, by device, with the time it arrived
    const arrived = new Map<string, number[]>();
    tap = await connectAsync(mqttUrl, { clientId: `tap-standby-${process.pid}` });
    tap.on('message', (topic) => {
      const device = topic.split('/').slice(2).join('/');
      arrived.set(device, [...(arrived.get(device) ?? []), Date.now()]);
    });
    await tap.subscribeAsync(`standby${process.pid}/telemetry/+/+`, { qos: 1 });

    const start = (): Collector => {
      const c = startHeatwatch(`collect-${collectors.length + 1}`, ['collect', '--shard', '1/1', '--config', cfgFile]);
      collectors.push(c);
      return c;
    };
    const polling = (c: Collector) => c.logs.filter((l) => l.msg === 'collector polling');
    const [a, b] = [start(), start()];
    const comm = async () => (await svc.app.inject({ url: '/api/stations', headers: AUTH })).json() as Array<{ id: string; comm: string }>;
    await waitFor(async () => (await comm()).every((s) => s.comm === 'online'), 60_000, 'every station online through the collector holding the lease');

    // exactly one polls: over 6 s, each device's messages come at the poll period, not twice as often
    const active = polling(a).length ? a : b;
    const standby = active === a ? b : a;
    expect(polling(active)).toHaveLength(1);
    expect(polling(standby)).toHaveLength(0);
    const w0 = Date.now();
    await waitFor(() => Date.now() - w0 >= 6000 && [...arrived.values()].every((ts) => ts.some((t) => t >= w0 + 6000)), 20_000, 'six seconds of telemetry');
    for (const [device, ts] of arrived) {
      const inWindow = ts.filter((t) => t >= w0 && t < w0 + 6000).length;
      expect(inWindow, device).toBeLessThanOrEqual(6000 / POLL_MS + 1);
    }

    // kill -9 the collector polling: the standby holds the shard and polls within 15 s
    const point = `${sim.stations[0].id}.plc.t_sec_supply`;
    const killedAt = Date.now();
    active.p.kill('SIGKILL');
    await waitFor(() => polling(standby).length === 1, 15_000, 'the standby to poll');
    const tookMs = Date.parse(polling(standby)[0].time) - killedAt;
    expect(tookMs).toBeLessThanOrEqual(15_000);

    // serve's stored series: a gap of at most 15 s across the takeover, and no station in comm loss
    await waitFor(() => svc.pipeline.latest.get(point)!.ts > killedAt + 5 * POLL_MS, 20_000, 'samples after the takeover');
    await svc.pipeline.flush();
    const [r] = await svc.series.query({ points: [point], from: killedAt - 20_000, to: Date.now(), stepMs: POLL_MS, agg: 'count' });
    const ts = r.points.filter(([, n]) => (n ?? 0) > 0).map(([t]) => t);
    const gaps = ts.slice(1).map((t, i) => t - ts[i]);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(15_000);
    expect(svc.alarms.list().filter((x) => x.id.includes('comm'))).toEqual([]);
    await waitFor(async () => (await comm()).every((s) => s.comm === 'online'), 20_000, 'every station online through the standby');
  });
});
