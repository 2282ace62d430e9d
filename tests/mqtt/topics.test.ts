import { describe, expect, it } from 'vitest';
import { inShard, parseShard, shardOf } from '../../src/bus/shard.ts';
import { telemetryMessages, telemetrySamples } from '../../src/bus/topics.ts';
import type { Sample } from '../../src/model.ts';
import { parseConfigText } from '../../src/config/load.ts';

describe('shard assignment', () => {
  it('is stable, depends on the id alone, and spreads stations over the shards', () => {
    const ids = Array.from({ length: 1000 }, (_, i) => `hs-${String(i + 1).padStart(4, '0')}`);
    expect(ids.map((id) => shardOf(id, 4))).toEqual(ids.map((id) => shardOf(id, 4)));
    expect(shardOf('hs-0001', 4)).toBe(shardOf('hs-0001', 4));
    const per = [0, 0, 0, 0];
    for (const id of ids) per[shardOf(id, 4)]++;
    for (const n of per) expect(n).toBeGreaterThan(200);
    // every station is in exactly one shard
    for (const id of ids.slice(0, 50)) expect([1, 2, 3].filter((k) => inShard(id, k, 3))).toHaveLength(1);
  });
  it('parses K/N and names the flag when wrong', () => {
    expect(parseShard('2/3')).toEqual({ k: 2, n: 3 });
    for (const bad of ['0/2', '3/2', '1', 'a/b', '1/0']) expect(() => parseShard(bad)).toThrow(/--shard must be K\/N/);
  });
});

describe('telemetry messages', () => {
  it('one message per device poll, and back into the same samples', () => {
    const batch: Sample[] = [
      { point: 'hs-001.plc.t', ts: 1000, value: 55.5, quality: 'good' },
      { point: 'hs-001.plc.run', ts: 1000, value: true, quality: 'good' },
      { point: 'hs-001.plc.p', ts: 1000, value: null, quality: 'bad' },
      { point: 'hs-002.plc.t', ts: 1000, value: 40, quality: 'uncertain' },
    ];
    const msgs = telemetryMessages(batch);
    expect(msgs.map((m) => `${m.station}/${m.device}`)).toEqual(['hs-001/plc', 'hs-002/plc']);
    expect(msgs[0].msg).toEqual({ ts: 1000, values: { t: 55.5, run: true, p: null }, quality: { t: 'good', run: 'good', p: 'bad' } });
    const back = msgs.flatMap((m) => telemetrySamples(m.station, m.device, JSON.stringify(m.msg))!);
    expect(back).toEqual(batch);
    expect(telemetrySamples('a', 'b', '{"ts":"x"}')).toBeNull();
    expect(telemetrySamples('a', 'b', 'not json')).toBeNull();
  });
});

describe('config keys for InfluxDB, spool and MQTT', () => {
  const base = 'stations: []\n';
  it('fills defaults: spool on for influxdb beside the state file, off for sqlite; mqtt buffer and backoff', () => {
    const c = parseConfigText(
      `${base}storage: { series: { kind: influxdb, url: "http://127.0.0.1:8086", database: hw }, state: { kind: sqlite, path: /var/lib/hw/state.db } }\nmqtt: { url: "mqtt://127.0.0.1:1883" }\n`,
    );
    expect(c.storage.spool).toEqual({ enabled: true, path: '/var/lib/hw/spool.db', maxBytes: 1024 * 2 ** 20, maxAgeMs: 168 * 3_600_000 });
    expect(c.mqtt).toEqual({
      url: 'mqtt://127.0.0.1:1883',
      prefix: 'heat',
      qos: 0,
      bufferMessages: 10_000,
      reconnectMinMs: 500,
      reconnectMaxMs: 30_000,
      maxMessageBytes: 256 * 1024,
      maxFutureMs: 300_000,
      lease: { heartbeatMs: 2000, lostAfterMs: 8000, settleMs: 1000 },
    });
    expect(parseConfigText(base).storage.spool!.enabled).toBe(false);
  });
  it('names every bad key by path', () => {
    const bad = `${base}storage: { spool: { maxMB: 0, maxAgeHours: -1, size: 3 } }\nmqtt: { url: "http://x", prefix: "heat/#", reconnectMinMs: 5000, reconnectMaxMs: 1000 }\n`;
    let msg = '';
    try {
      parseConfigText(bad);
    } catch (err) {
      msg = (err as Error).message;
    }
    expect(msg).toMatch(/storage\.spool\.maxMB/);
    expect(msg).toMatch(/storage\.spool\.maxAgeHours/);
    expect(msg).toMatch(/storage\.spool\.size: unknown key/);
    const bad2 = `${base}mqtt: { url: "http://x", prefix: "heat/#", reconnectMinMs: 5000, reconnectMaxMs: 1000, lease: { heartbeatMs: 3000, lostAfterMs: 6000 } }\n`;
    try {
      parseConfigText(bad2);
    } catch (err) {
      msg = (err as Error).message;
    }
    expect(msg).toMatch(/mqtt\.url: expected mqtt:\/\//);
    expect(msg).toMatch(/mqtt\.prefix/);
    expect(msg).toMatch(/mqtt\.reconnectMaxMs/);
    expect(msg).toMatch(/mqtt\.lease\.lostAfterMs: must be at least 3 × heartbeatMs \(9000\)/);
  });
});
