/**
 * `heatwatch serve` takes MQTT as untrusted input, over a real Mosquitto: forged and unknown
 * point ids, keys with '.' or a newline, non-finite values, timestamps far ahead and oversized
 * messages are dropped and counted in /metrics by reason, and nothing of them reaches the
 * pipeline or the store; a forged collector presence is dropped and counted and puts no device
 * into comm loss, while a real collector's presence still does.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { inShard } from '../../src/bus/shard.ts';
import { parseConfigText } from '../../src/config/load.ts';
import type { Sample } from '../../src/model.ts';
import { startService, type Service } from '../../src/service.ts';
import { waitFor } from '../helpers/wait.ts';

const log = pino({ level: 'silent' });
const STATIONS = ['hs-001', 'hs-002', 'hs-003', 'hs-004'];
const PREFIX = `inp${process.pid}`;
const device = `{ id: plc, protocol: modbus, endpoint: "modbus+tcp://127.0.0.1:1", unit: 1, points: [ { id: t, table: holding, address: 0, type: float32 }, { id: run, table: coil, address: 0, type: bool } ] }`;

/** `heatwatch_mqtt_input_dropped_total{reason="..."}` from /metrics, by reason. */
async function drops(svc: Service): Promise<Record<string, number>> {
  const text = (await svc.app.inject({ url: '/metrics' })).body;
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^heatwatch_mqtt_input_dropped_total\{reason="(\w+)"\} (\d+)$/gm)) out[m[1]] = Number(m[2]);
  return out;
}

const health = async (svc: Service) => (await svc.app.inject({ url: '/api/health' })).json() as { devices: { online: number; offline: number } };

describe('serve: MQTT input is validated', () => {
  let dir: string;
  let svc: Service;
  let pub: MqttClient;
  const seen: Sample[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hw-mqtt-input-'));
    const yaml = [
      'stations:',
      ...STATIONS.map((id) => `  - { id: ${id}, name: ${id}, devices: [ ${device} ] }`),
      `mqtt: { url: "${inject('mqttUrl')}", prefix: ${PREFIX}, qos: 1, reconnectMinMs: 200, shards: 2 }`,
      '',
    ].join('\n');
    const cfg = parseConfigText(yaml, 'serve-input');
    cfg.storage.series = { kind: 'sqlite', path: join(dir, 'series.db') };
    cfg.storage.state = { kind: 'sqlite', path: join(dir, 'state.db') };
    svc = await startService(cfg, { logger: log, listen: false, mode: 'serve' });
    svc.pipeline.onSamples((b) => seen.push(...b));
    pub = await connectAsync(inject('mqttUrl'), { clientId: `input-pub-${process.pid}` });
    // serve subscribes once connected: wait until a good message gets through
    const probe = JSON.stringify({ ts: Date.now(), values: { t: 1 } });
    await waitFor(async () => {
      await pub.publishAsync(`${PREFIX}/telemetry/hs-001/plc`, probe, { qos: 1 });
      return seen.length > 0;
    }, 20_000, 'serve subscribed');
  });
  afterAll(async () => {
    await pub?.endAsync();
    await svc?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('drops and counts unknown ids, bad keys, non-finite values, bad timestamps and oversized messages; stores none of them', async () => {
    const send = (station: string, payload: string) => pub.publishAsync(`${PREFIX}/telemetry/${station}/plc`, payload, { qos: 1 });
    const ts = Date.now();
    const before = seen.length;
    await send('hs-001', JSON.stringify({ ts, values: { forged_series: 1, another: 2 } }));
    await send('hs-999', JSON.stringify({ ts, values: { t: 1 } }));
    await send('hs-001', JSON.stringify({ ts, values: { 'a.b': 1, 'x\ny': 2, 'T"x': 3 } }));
    await send('hs-001', `{"ts":${ts},"values":{"t":1e999,"run":"true"}}`);
    await send('hs-001', JSON.stringify({ ts: ts + 86_400_000, values: { t: 2 } }));
    await send('hs-001', JSON.stringify({ ts: 'now', values: { t: 2 } }));
    await send('hs-002', JSON.stringify({ ts, values: { t: 3, pad: 'x'.repeat(300 * 1024) } }));
    await send('hs-002', 'not json');
    // the good part of a mixed message passes
    await send('hs-003', JSON.stringify({ ts, values: { t: 42.5, run: true, 'evil.point': 7 } }));

    const want = { unknown_point: 2, unknown_device: 1, bad_key: 4, bad_value: 2, bad_ts: 2, oversize: 1, malformed: 1 };
    await waitFor(async () => {
      const d = await drops(svc);
      return Object.entries(want).every(([r, n]) => d[r] === n);
    }, 20_000, 'drops counted');
    const d = await drops(svc);
    for (const [r, n] of Object.entries(want)) expect(d[r], r).toBe(n);
    expect(d.unknown_collector).toBe(0); // every reason is exported from the start

    await waitFor(() => seen.some((s) => s.point === 'hs-003.plc.run'), 10_000, 'the good points');
    const arrived = seen.slice(before);
    expect(arrived.map((s) => `${s.point}=${s.value}`).sort()).toEqual(['hs-003.plc.run=true', 'hs-003.plc.t=42.5']);
    // and in the store: only configured points, only finite values or booleans
    await waitFor(() => svc.pipeline.stats().stored >= seen.length, 10_000, 'stored');
    const stored: Sample[] = [];
    for await (const b of svc.series.scan!(ts - 86_400_000, ts + 2 * 86_400_000)) stored.push(...b);
    expect(new Set(stored.map((s) => s.point))).toEqual(new Set(['hs-001.plc.t', 'hs-003.plc.t', 'hs-003.plc.run']));
    expect(stored.every((s) => s.value === null || typeof s.value === 'boolean' || Number.isFinite(s.value))).toBe(true);
  });

  it('drops and counts a forged presence, which puts no device into comm loss; a real collector still does', async () => {
    for (const st of STATIONS) await pub.publishAsync(`${PREFIX}/status/${st}/plc`, 'online', { qos: 1 });
    await waitFor(async () => (await health(svc)).devices.online === STATIONS.length, 10_000, 'every device online');

    const offline = (name: string, stations: string[]) => JSON.stringify({ status: 'offline', name, stations });
    const presence = (name: string, body: string) => pub.publishAsync(`${PREFIX}/collectors/${name}`, body, { qos: 1 });
    await presence('x', offline('x', STATIONS)); // not a collector name
    await presence('shard-1-of-1', offline('shard-1-of-1', STATIONS)); // mqtt.shards is 2
    await presence('shard-1-of-2', offline('shard-1-of-2', STATIONS)); // speaks for shard 2's stations too
    await presence('shard-2-of-2', offline('shard-1-of-2', [])); // body and topic disagree
    await waitFor(async () => {
      const d = await drops(svc);
      return d.unknown_collector === 2 && d.bad_presence === 2;
    }, 10_000, 'forged presence counted');
    expect(await health(svc)).toMatchObject({ devices: { online: STATIONS.length, offline: 0 } });

    // the real shard-1-of-2 going offline takes exactly its stations into comm loss
    const mine = STATIONS.filter((s) => inShard(s, 1, 2));
    expect(mine.length).toBeGreaterThan(0);
    await presence('shard-1-of-2', offline('shard-1-of-2', mine));
    await waitFor(async () => (await health(svc)).devices.offline === mine.length, 10_000, 'its stations offline');
    expect((await health(svc)).devices.online).toBe(STATIONS.length - mine.length);
  });
});
