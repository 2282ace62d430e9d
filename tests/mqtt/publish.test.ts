/**
 * MQTT publishing (DESIGN §6) against a real Mosquitto: what `mosquitto_sub -t 'heat/#' -v`
 * shows while heatwatch runs on the simulator, and the publisher's bounded buffer and
 * reconnect with backoff.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync } from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MqttBus } from '../../src/bus/mqtt-bus.ts';
import { parseConfigText } from '../../src/config/load.ts';
import { startService, type Service } from '../../src/service.ts';
import { startSimulator, type Simulator } from '../../simulators/index.ts';
import { waitFor } from '../helpers/wait.ts';
import { MOSQUITTO_SUB, startMosquitto } from '../setup/servers.ts';

const log = pino({ level: 'silent' });

/** `mosquitto_sub -v` lines as they arrive. */
function sub(url: string, args: string[]): { lines: string[]; proc: ChildProcess } {
  const u = new URL(url);
  const proc = spawn(MOSQUITTO_SUB, ['-h', u.hostname, '-p', u.port, '-v', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  let buf = '';
  proc.stdout!.on('data', (d) => {
    buf += d;
    const parts = buf.split('\n');
    buf = parts.pop()!;
    lines.push(...parts);
  });
  return { lines, proc };
}

describe('MQTT publishing from heatwatch run', () => {
  let sim: Simulator;
  let svc: Service;
  let dir: string;
  const subs: ChildProcess[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hw-mqtt-'));
    sim = await startSimulator({ stations: 3, seed: 3, modbusPort: 0, controlPort: 0 });
    const cfg = parseConfigText(sim.configYaml({ pollMs: 500 }), 'mqtt-test');
    cfg.storage.series = { kind: 'sqlite', path: join(dir, 'series.db') };
    cfg.storage.state = { kind: 'sqlite', path: join(dir, 'state.db') };
    cfg.mqtt = { url: inject('mqttUrl'), prefix: 'heat', qos: 1, bufferMessages: 10_000, reconnectMinMs: 200, reconnectMaxMs: 2000 };
    svc = await startService(cfg, { logger: log, listen: false });
  });
  afterAll(async () => {
    for (const p of subs) p.kill();
    await svc?.stop();
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("mosquitto_sub -t 'heat/#' -v shows telemetry of every device, retained status, and alarm events", async () => {
    const all = sub(inject('mqttUrl'), ['-t', 'heat/#']);
    subs.push(all.proc);
    const devices = sim.stations.map((s) => `${s.id}/plc`);
    await waitFor(() => devices.every((d) => all.lines.some((l) => l.startsWith(`heat/telemetry/${d} `))), 20_000, 'telemetry of every device');
    const line = all.lines.find((l) => l.startsWith(`heat/telemetry/${devices[0]} `))!;
    const msg = JSON.parse(line.slice(line.indexOf(' ') + 1));
    expect(Number.isSafeInteger(msg.ts)).toBe(true);
    expect(Object.keys(msg.values)).toContain('t_sec_supply');
    expect(Object.keys(msg.quality).sort()).toEqual(Object.keys(msg.values).sort());
    expect(Object.values(msg.quality).every((q) => q === 'good')).toBe(true);

    // status is retained: a subscriber arriving later gets it at once
    const status = sub(inject('mqttUrl'), ['-t', 'heat/status/#', '-C', String(devices.length), '-W', '20']);
    subs.push(status.proc);
    await waitFor(() => status.lines.length >= devices.length, 20_000, 'retained status lines');
    expect(status.lines.sort()).toEqual(devices.map((d) => `heat/status/${d} online`).sort());

    // the presence of this process and its will
    expect(all.lines.some((l) => l.startsWith('heat/collectors/run ') && l.includes('"online"'))).toBe(true);

    // an alarm event when a fault is injected (a burst pipe raises the flood alarm at once)
    const st = sim.stations[1].id;
    sim.setFault(st, 'burst', true);
    await waitFor(() => all.lines.some((l) => l.startsWith(`heat/alarms/${st} `)), 30_000, 'an alarm event');
    const alarm = JSON.parse(all.lines.find((l) => l.startsWith(`heat/alarms/${st} `))!.split(' ').slice(1).join(' '));
    expect(alarm).toMatchObject({ station: st, type: 'raise', alarmId: expect.stringContaining(st) });
    sim.setFault(st, 'burst', false);
  }, 60_000);
});

describe('MqttBus while disconnected', () => {
  it('buffers up to its bound, drops and counts the oldest, reconnects with backoff and flushes in order', async () => {
    const broker = await startMosquitto();
    const bus = new MqttBus({
      settings: { url: broker.url, prefix: 'buf', qos: 1, bufferMessages: 20, reconnectMinMs: 1500, reconnectMaxMs: 3000 },
      logger: log,
      name: 'test',
      stations: ['s1'],
    });
    const watcher = await connectAsync(broker.url, { clientId: 'watcher', clean: true });
    try {
      const got: number[] = [];
      watcher.on('message', (_t, p) => got.push(JSON.parse(p.toString()).n));
      await watcher.subscribeAsync('buf/alarms/#', { qos: 1 });
      await bus.start();
      bus.publishEvent('alarms', 's1', { n: -1 });
      await waitFor(() => got.includes(-1), 10_000, 'the first event');
      // cut the bus's connection; it reconnects only after its backoff
      (bus as unknown as { client: { stream: { destroy(): void } } }).client.stream.destroy();
      await waitFor(() => !bus.stats().connected, 5_000, 'disconnected');
      for (let n = 0; n < 50; n++) bus.publishEvent('alarms', 's1', { n });
      expect(bus.stats()).toMatchObject({ buffered: 20, dropped: 30 });
      await waitFor(() => got.length >= 21, 20_000, 'the buffer to flush after reconnecting');
      expect(got).toEqual([-1, ...Array.from({ length: 20 }, (_, i) => 30 + i)]);
      expect(bus.stats()).toMatchObject({ connected: true, buffered: 0, dropped: 30 });
      expect(bus.stats().reconnects).toBeGreaterThan(0);
    } finally {
      await bus.stop();
      await watcher.endAsync();
      await broker.destroy();
    }
  }, 40_000);
});
