/**
 * The checks `heatwatch serve` applies to MQTT input (src/bus/input.ts), and the mqtt config keys
 * for credentials, TLS and input limits. Pure: the same checks over a real broker are in
 * serve-input.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { catalogOf, checkPresence, checkTelemetry, type InputLimits } from '../../src/bus/input.ts';
import { inShard } from '../../src/bus/shard.ts';
import { redactUrl } from '../../src/bus/settings.ts';
import { parseConfigText } from '../../src/config/load.ts';

const NOW = 1_700_000_000_000;
const LIMITS: InputLimits = { maxMessageBytes: 4096, maxFutureMs: 300_000, maxAgeMs: 7 * 86_400_000 };
const device = (id: string) =>
  `{ id: ${id}, protocol: modbus, endpoint: "modbus+tcp://127.0.0.1:5020", unit: 1, points: [ { id: t, table: holding, address: 0, type: float32 }, { id: run, table: coil, address: 0, type: bool }, { id: constructor, table: holding, address: 2, type: int16 } ] }`;
const STATIONS = ['hs-001', 'hs-002', 'hs-003', 'hs-004', 'hs-005', 'hs-006'];
const cfg = parseConfigText(`stations:\n${STATIONS.map((id) => `  - { id: ${id}, name: ${id}, devices: [ ${device('plc')} ] }\n`).join('')}`);
const cat = catalogOf(cfg.stations);
const msg = (values: Record<string, unknown>, extra: Record<string, unknown> = {}) => JSON.stringify({ ts: NOW - 1000, values, ...extra });
const check = (payload: string, station = 'hs-001', dev = 'plc') => checkTelemetry(cat, station, dev, payload, LIMITS, NOW);

describe('telemetry checks', () => {
  it('passes configured points with finite numbers, booleans and null; bad quality carries no value', () => {
    const r = check(msg({ t: 55.5, run: true, constructor: null }, { quality: { t: 'good', run: 'uncertain' } }));
    expect(r.drops).toEqual({});
    expect(r.samples).toEqual([
      { point: 'hs-001.plc.t', ts: NOW - 1000, value: 55.5, quality: 'good' },
      { point: 'hs-001.plc.run', ts: NOW - 1000, value: true, quality: 'uncertain' },
      { point: 'hs-001.plc.constructor', ts: NOW - 1000, value: null, quality: 'bad' },
    ]);
    expect(check(msg({ t: 60 }, { quality: { t: 'bad' } })).samples).toEqual([{ point: 'hs-001.plc.t', ts: NOW - 1000, value: null, quality: 'bad' }]);
    expect(check(msg({ t: null }, { quality: { t: 'good' } })).samples[0]).toMatchObject({ value: null, quality: 'bad' });
  });

  it('drops unknown devices and points, keys that are not ids, and values that are not finite numbers or booleans', () => {
    expect(check(msg({ t: 1 }), 'hs-999', 'plc').drops).toEqual({ unknown_device: 1 });
    expect(check(msg({ t: 1 }), 'hs-001', 'ua').drops).toEqual({ unknown_device: 1 });
    const r = check(
      msg({ t: 1, forged: 2, 'a.b': 3, 'x\ny': 4, T: 5, run: 'on', constructor: { v: 1 } }).replace('"t":1', '"t":1,"big":1e999,"__proto__":7'),
    );
    expect(r.samples).toEqual([{ point: 'hs-001.plc.t', ts: NOW - 1000, value: 1, quality: 'good' }]);
    expect(r.drops).toEqual({ unknown_point: 3, bad_key: 3, bad_value: 2 });
    // 1e999 parses to Infinity: a number, but not a finite one
    expect(check('{"ts":' + (NOW - 1) + ',"values":{"t":1e999,"run":-1e999}}').drops).toEqual({ bad_value: 2 });
    // an inherited quality ('constructor' is an id) is no quality
    expect(check(msg({ constructor: 1 }, { quality: {} })).samples[0]).toMatchObject({ value: 1, quality: 'good' });
    expect(check(msg({ t: 1 }, { quality: { t: 'perfect' } })).drops).toEqual({ bad_value: 1 });
  });

  it('drops a message whose ts is not an integer ms epoch inside the window', () => {
    for (const ts of ['"x"', 'null', '1.5', String(NOW + 300_001), String(NOW - 7 * 86_400_000 - 1), '1e300']) {
      expect(check(`{"ts":${ts},"values":{"t":1}}`).drops, ts).toEqual({ bad_ts: 1 });
    }
    expect(check(`{"ts":${NOW + 299_000},"values":{"t":1}}`).samples).toHaveLength(1);
  });

  it('drops oversized and malformed messages whole, and never throws', () => {
    const big = msg({ t: 1, pad: 'x'.repeat(5000) });
    expect(check(big).drops).toEqual({ oversize: 1 });
    expect(check(big).samples).toEqual([]);
    for (const bad of ['', 'not json', '[]', 'null', '{"ts":1}', `{"ts":${NOW},"values":[1]}`, `{"ts":${NOW},"values":{},"quality":7}`]) {
      expect(check(bad).drops, bad).toEqual({ malformed: 1 });
    }
  });
});

describe('presence checks', () => {
  const ids = new Set(STATIONS);
  const own = (k: number, n: number) => STATIONS.filter((s) => inShard(s, k, n));
  const body = (name: string, stations: string[], status = 'offline') => JSON.stringify({ status, name, stations });

  it('accepts shard-K-of-N speaking for its own stations', () => {
    const r = checkPresence('shard-1-of-2', body('shard-1-of-2', own(1, 2)), ids, 4096);
    expect(r).toEqual({ ok: true, presence: { status: 'offline', name: 'shard-1-of-2', shard: '1/2', stations: own(1, 2) } });
    // stations this config does not have are left to the caller to skip
    expect(checkPresence('shard-2-of-2', body('shard-2-of-2', [...own(2, 2), 'hs-new']), ids, 4096).ok).toBe(true);
  });

  it('drops unknown collector names, a body that does not match its topic, and stations of another shard', () => {
    expect(checkPresence('x', body('x', STATIONS), ids, 4096)).toMatchObject({ ok: false, reason: 'unknown_collector' });
    expect(checkPresence('shard-3-of-2', body('shard-3-of-2', []), ids, 4096)).toMatchObject({ ok: false, reason: 'unknown_collector' });
    expect(checkPresence('shard-1-of-3', body('shard-1-of-3', own(1, 3)), ids, 4096, 2)).toMatchObject({ ok: false, reason: 'unknown_collector' });
    expect(checkPresence('shard-1-of-2', body('shard-2-of-2', own(1, 2)), ids, 4096)).toMatchObject({ ok: false, reason: 'bad_presence' });
    expect(checkPresence('shard-1-of-2', body('shard-1-of-2', STATIONS), ids, 4096)).toMatchObject({ ok: false, reason: 'bad_presence' });
    expect(checkPresence('shard-1-of-2', body('shard-1-of-2', own(1, 2), 'dead'), ids, 4096)).toMatchObject({ ok: false, reason: 'bad_presence' });
    expect(checkPresence('shard-1-of-2', '{"status":"offline","name":"shard-1-of-2","stations":[1]}', ids, 4096)).toMatchObject({ ok: false, reason: 'bad_presence' });
    expect(checkPresence('shard-1-of-2', 'x'.repeat(5000), ids, 4096)).toMatchObject({ ok: false, reason: 'oversize' });
  });
});

describe('mqtt config: credentials, TLS, limits', () => {
  const base = 'stations: []\n';
  const problems = (yaml: string) => {
    try {
      parseConfigText(base + yaml);
      return '';
    } catch (err) {
      return (err as Error).message;
    }
  };
  it('takes username, password, tls and limits as their own keys', () => {
    const c = parseConfigText(
      `${base}mqtt: { url: "mqtts://broker:8883", username: serve, password: "s3cret-pw", tls: { rejectUnauthorized: false }, maxMessageBytes: 65536, maxFutureMs: 60000, shards: 2 }\n`,
    );
    expect(c.mqtt).toMatchObject({ username: 'serve', password: 's3cret-pw', tls: { rejectUnauthorized: false }, maxMessageBytes: 65536, maxFutureMs: 60000, shards: 2 });
  });
  it('names bad keys by path, and never echoes a password from the url', () => {
    expect(problems('mqtt: { url: "mqtt://h:1883", password: x }\n')).toMatch(/mqtt\.password: needs mqtt\.username/);
    expect(problems('mqtt: { url: "mqtt://h:1883", tls: { ca: /nonexistent/ca.pem } }\n')).toMatch(/mqtt\.tls: applies to mqtts/);
    expect(problems('mqtt: { url: "mqtts://h:8883", tls: { ca: /nonexistent/ca.pem } }\n')).toMatch(/mqtt\.tls\.ca: no such file/);
    expect(problems('mqtt: { url: "mqtts://h:8883", tls: { cert: /nonexistent/c.pem } }\n')).toMatch(/mqtt\.tls: cert and key go together/);
    expect(problems('mqtt: { url: "mqtt://h:1883", shards: 0 }\n')).toMatch(/mqtt\.shards/);
    const m = problems('mqtt: { url: "http://user:hunter2-pw@h:1883" }\n');
    expect(m).toMatch(/mqtt\.url/);
    expect(m).not.toContain('hunter2');
  });
  it('redacts credentials from a URL for logs', () => {
    expect(redactUrl('mqtt://u:p%40ss@127.0.0.1:1883')).toBe('mqtt://127.0.0.1:1883');
    expect(redactUrl('wss://u:pw@host/mqtt')).toBe('wss://host/mqtt');
    expect(redactUrl('mqtt://127.0.0.1:1883')).toBe('mqtt://127.0.0.1:1883');
    expect(redactUrl('mqtt://u:pw@[bad')).not.toContain('pw');
  });
});
