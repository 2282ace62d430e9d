/**
 * Broker credentials against a real Mosquitto that requires a password (`password_file`) and
 * limits each user's topics (`acl_file`): heatwatch connects with `mqtt.username` /
 * `mqtt.password` (or credentials embedded in the URL), is refused without them or with a wrong
 * password, and never logs a password: the URL in its logs has the credentials stripped. The ACL
 * keeps a read-only user from forging a collector's presence at the broker already.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MqttBus } from '../../src/bus/mqtt-bus.ts';
import type { MqttSettings } from '../../src/bus/settings.ts';
import { parseConfigText } from '../../src/config/load.ts';
import { startService, type Service } from '../../src/service.ts';
import { waitFor } from '../helpers/wait.ts';
import { requireBinary, startMosquitto, type ManagedServer } from '../setup/servers.ts';

const MOSQUITTO_PASSWD = '/usr/bin/mosquitto_passwd';
const PASSWORDS = { serve: 'serve-Pw-5f1c9a', collector: 'coll-Pw-83be27', viewer: 'view-Pw-1d44e0' };
const STATIONS = ['hs-001', 'hs-002', 'hs-003'];
const device = `{ id: plc, protocol: modbus, endpoint: "modbus+tcp://127.0.0.1:1", unit: 1, points: [ { id: t, table: holding, address: 0, type: float32 } ] }`;

/** A pino logger whose JSON lines land in `lines`. */
function capture(): { logger: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  return { lines, logger: pino({ level: 'info' }, { write: (s: string) => void lines.push(s) }) };
}

describe('MQTT broker with password_file and acl_file', () => {
  let broker: ManagedServer;
  let dir: string;
  let svc: Service | undefined;
  const logs = capture();
  const buses: MqttBus[] = [];
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    requireBinary(MOSQUITTO_PASSWD, 'mosquitto');
    dir = mkdtempSync(join(tmpdir(), 'hw-mqtt-auth-'));
    broker = await startMosquitto({
      auth: (d) => {
        const pw = join(d, 'passwd');
        spawnSync(MOSQUITTO_PASSWD, ['-b', '-c', pw, 'serve', PASSWORDS.serve], { stdio: 'ignore' });
        for (const u of ['collector', 'viewer'] as const) spawnSync(MOSQUITTO_PASSWD, ['-b', pw, u, PASSWORDS[u]], { stdio: 'ignore' });
        const acl = join(d, 'acl');
        writeFileSync(
          acl,
          ['user serve', 'topic read hw/#', 'topic write hw/collectors/serve', '', 'user collector', 'topic readwrite hw/#', '', 'user viewer', 'topic read hw/#', ''].join('\n'),
        );
        return ['allow_anonymous false', `password_file ${pw}`, `acl_file ${acl}`];
      },
    });
  });
  afterAll(async () => {
    for (const c of clients) await c.endAsync(true);
    for (const b of buses) await b.stop();
    await svc?.stop();
    await broker?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const settings = (extra: Partial<MqttSettings>): MqttSettings => ({ url: broker.url, prefix: 'hw', qos: 1, bufferMessages: 100, reconnectMinMs: 200, reconnectMaxMs: 1000, ...extra });

  it('connects with mqtt.username/password and is refused without them or with a wrong password', async () => {
    const yaml = [
      'stations:',
      ...STATIONS.map((id) => `  - { id: ${id}, name: ${id}, devices: [ ${device} ] }`),
      `mqtt: { url: "${broker.url}", prefix: hw, qos: 1, reconnectMinMs: 200, username: serve, password: "${PASSWORDS.serve}" }`,
      '',
    ].join('\n');
    const cfg = parseConfigText(yaml, 'auth');
    cfg.storage.series = { kind: 'sqlite', path: join(dir, 'series.db') };
    cfg.storage.state = { kind: 'sqlite', path: join(dir, 'state.db') };
    svc = await startService(cfg, { logger: logs.logger, listen: false, mode: 'serve' });
    await waitFor(() => svc!.bus!.stats().connected, 10_000, 'serve connected with its password');

    const refused = async (extra: Partial<MqttSettings>, name: string) => {
      const mine = capture();
      const bus = new MqttBus({ settings: settings(extra), logger: mine.logger, name, stations: [] });
      buses.push(bus);
      await bus.start(100);
      await waitFor(() => mine.lines.some((l) => /Not authorized|Bad user name or password/i.test(l)), 10_000, `${name} refused`);
      expect(bus.stats().connected).toBe(false);
      logs.lines.push(...mine.lines);
    };
    await refused({}, 'anonymous');
    await refused({ username: 'serve', password: 'wrong-password-123' }, 'wrongpw');
  });

  it('takes credentials embedded in the URL too, and logs the URL without them', async () => {
    const u = new URL(broker.url);
    u.username = 'collector';
    u.password = PASSWORDS.collector;
    const bus = new MqttBus({ settings: settings({ url: u.toString() }), logger: logs.logger, name: 'shard-1-of-1', stations: STATIONS });
    buses.push(bus);
    await bus.start();
    await waitFor(() => bus.stats().connected, 10_000, 'collector connected with credentials in the URL');
    const ts = Date.now();
    bus.publishSamples([{ point: 'hs-001.plc.t', ts, value: 61.5, quality: 'good' }]);
    await waitFor(() => svc!.pipeline.latest.get('hs-001.plc.t')?.ts === ts, 10_000, 'serve received the collector telemetry');

    const connected = logs.lines.filter((l) => l.includes('mqtt connected')).map((l) => JSON.parse(l).url as string);
    expect(connected.length).toBeGreaterThanOrEqual(2);
    for (const url of connected) expect(url).toBe(`mqtt://127.0.0.1:${broker.port}`);
    const all = logs.lines.join('\n');
    for (const pw of [...Object.values(PASSWORDS), 'wrong-password-123']) expect(all).not.toContain(pw);
  });

  it('the ACL keeps a read-only user from forging a presence', async () => {
    const viewer = await connectAsync(broker.url, { username: 'viewer', password: PASSWORDS.viewer, clientId: `viewer-${process.pid}` });
    clients.push(viewer);
    // shard-1-of-1 would be a well-formed presence for every station: only the broker stops it
    await viewer.publishAsync('hw/collectors/shard-1-of-1', JSON.stringify({ status: 'offline', name: 'shard-1-of-1', stations: STATIONS }), { qos: 1 });
    // the broker handles one client's messages in order, another's after the viewer's PUBACK: a later message from the collector arrives after the forged one would have
    const ts = Date.now() + 1;
    buses.find((b) => b.stats().connected && b !== svc!.bus)!.publishSamples([{ point: 'hs-002.plc.t', ts, value: 1, quality: 'good' }]);
    await waitFor(() => svc!.pipeline.latest.get('hs-002.plc.t')?.ts === ts, 10_000, 'the later collector message');
    const health = (await svc!.app.inject({ url: '/api/health' })).json();
    expect(health.devices.offline).toBe(0);
  });
});
