/**
 * Property tests of what `heatwatch serve` takes in over MQTT: generated topics and payloads
 * (telemetry near the real shape, status, collector presence, random bytes) fed straight to
 * MqttSource.handle, no broker. Properties: a message is dropped and counted, or what reaches
 * the pipeline is valid (a configured point, a finite number, boolean or null, a ts in the
 * window, consistent quality); a presence only takes down stations of its own shard; nothing
 * throws, not even into the handler's last-resort catch.
 */
import fc from 'fast-check';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { MqttSource } from '../../src/bus/mqtt-source.ts';
import { MQTT_DEFAULTS } from '../../src/bus/settings.ts';
import { inShard } from '../../src/bus/shard.ts';
import { parseConfigText } from '../../src/config/load.ts';
import type { DeviceStatus, Sample } from '../../src/model.ts';
import { SEED } from './seed.ts';

const NOW = 1_767_225_600_000;
const PREFIX = 'hw';
const POINTS = ['t_sec_supply', 'p_sec_supply', 'pump1_run'];
const STATIONS = ['hs-001', 'hs-002', 'hs-003', 'hs-004'];
const MAX_AGE_MS = 7 * 86_400_000;

const cfg = parseConfigText(
  `stations:\n${STATIONS.map(
    (id) => `  - id: ${id}\n    devices: [ { id: plc, endpoint: "modbus+tcp://127.0.0.1:5020", points: [ ${POINTS.map((p, i) => `{ id: ${p}, table: holding, address: ${2 * i}, type: float32 }`).join(', ')} ] } ]`,
  ).join('\n')}\n`,
  'fuzz',
);

/** A source with a recording sink and a logger whose error lines are kept (the handler's catch logs there). */
function source() {
  const samples: Sample[] = [];
  const statuses: DeviceStatus[] = [];
  const errors: string[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => void (JSON.parse(line).level >= 50 && errors.push(line)) });
  const src = new MqttSource({ prefix: PREFIX, stations: cfg.stations, sink: { samples: (b) => void samples.push(...b), status: (s) => void statuses.push(s) }, logger, now: () => NOW, maxAgeMs: MAX_AGE_MS });
  const dropped = () => Object.values(src.stats().dropped).reduce((a, b) => a + (b ?? 0), 0);
  return { src, samples, statuses, errors, dropped };
}

const segment = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...STATIONS, 'plc') },
  { weight: 1, arbitrary: fc.constantFrom('', '+', '#', '..', 'HS-001', 'hs-001 ', 'plc\n', '__proto__', 'constructor', 'x'.repeat(300)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
);
const key = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...POINTS) },
  { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'toString', 'a.b', 't\nx', 'x'.repeat(65), 'T_SEC', '', 'unknown_point') },
  { weight: 1, arbitrary: fc.string({ maxLength: 10 }) },
);
const value = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom('1', '', 'NaN', [], {}, [1], { v: 1 }, 1e308),
);
const ts = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: NOW - MAX_AGE_MS - 1000, max: NOW + MQTT_DEFAULTS.maxFutureMs + 1000 }) },
  { weight: 1, arbitrary: fc.constantFrom(NOW + 0.5, -1, 0, 2 ** 53, Number.MAX_SAFE_INTEGER + 2, '1767225600000', null, 1e308) },
);
const quality = fc.oneof({ weight: 3, arbitrary: fc.constantFrom('good', 'bad', 'uncertain') }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) });

/** JSON text written out key by key, so `__proto__` stays an own key as it would on the wire. */
const objectText = (entries: Array<[string, unknown]>) => `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`;

const telemetryPayload = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .record({ ts, values: fc.array(fc.tuple(key, value), { maxLength: 6 }), quality: fc.option(fc.array(fc.tuple(key, quality), { maxLength: 4 })) })
      // JSON.parse keeps `__proto__` as an own key, and JSON.stringify writes it back out
      .map((m) => objectText([['ts', m.ts], ['values', JSON.parse(objectText(m.values))], ...(m.quality ? [['quality', JSON.parse(objectText(m.quality))] as [string, unknown]] : [])])),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((j) => JSON.stringify(j)) },
  { weight: 1, arbitrary: fc.constantFrom('{"ts":1767225600000,"values":{"t_sec_supply":1e999}}', '{"ts":1767225600000,"values":{"__proto__":{"polluted":1}}}', '{', '', 'null', '[]', `{"ts":1767225600000,"values":{${'"t_sec_supply":1,'.repeat(20_000)}"p_sec_supply":2}}`) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString('latin1')) },
);

const presencePayload = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      status: fc.oneof(fc.constantFrom('online', 'offline'), fc.string({ maxLength: 8 })),
      name: fc.string({ maxLength: 16 }),
      stations: fc.oneof(fc.array(fc.oneof(fc.constantFrom(...STATIONS), fc.string({ maxLength: 8 })), { maxLength: 6 }), fc.jsonValue({ maxDepth: 1 })),
    }),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);
const collectorName = fc.oneof(
  fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 5 })).map(([k, n]) => `shard-${k}-of-${n}`),
  fc.constantFrom('serve', 'x', 'shard-1-of-1', 'shard-1-of-2', 'shard-2-of-2', 'shard-01-of-02', 'shard-1-of-99999'),
  fc.string({ maxLength: 12 }),
);

/** One message: a topic and a payload; presence names are repeated in the body most of the time. */
const message = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(segment, segment, telemetryPayload).map(([s, d, p]) => ({ topic: `${PREFIX}/telemetry/${s}/${d}`, payload: p })) },
  { weight: 1, arbitrary: fc.tuple(segment, segment, fc.oneof(fc.constantFrom('online', 'offline', ''), fc.string({ maxLength: 20 }))).map(([s, d, p]) => ({ topic: `${PREFIX}/status/${s}/${d}`, payload: p })) },
  {
    weight: 2,
    arbitrary: fc.tuple(collectorName, presencePayload, fc.boolean()).map(([name, body, same]) => ({
      topic: `${PREFIX}/collectors/${name}`,
      payload: JSON.stringify(same && body && typeof body === 'object' && !Array.isArray(body) ? { ...body, name } : body),
    })),
  },
  { weight: 1, arbitrary: fc.tuple(fc.string({ maxLength: 30 }), fc.string({ maxLength: 30 })).map(([t, p]) => ({ topic: `${PREFIX}/${t}`, payload: p })) },
);

describe('MQTT input under fuzzing', () => {
  it('every message is dropped and counted, or yields valid samples and statuses; nothing throws', () => {
    fc.assert(
      fc.property(fc.array(message, { minLength: 1, maxLength: 8 }), (msgs) => {
        const s = source();
        for (const m of msgs) {
          const before = { samples: s.samples.length, statuses: s.statuses.length, dropped: s.dropped() };
          s.src.handle(m.topic, Buffer.from(m.payload));
          const got = s.samples.slice(before.samples);
          const parts = m.topic.split('/');
          const [, kind, station, device] = parts;
          // the subscriptions (`hw/telemetry/+/+`) never deliver a topic of another depth
          const telemetry = kind === 'telemetry' && parts.length === 4;
          for (const x of got) {
            const [st, dev, pt] = x.point.split('.');
            expect(kind).toBe('telemetry');
            expect([st, dev]).toEqual([station, device]);
            expect(STATIONS).toContain(st);
            expect(dev).toBe('plc');
            expect(POINTS).toContain(pt);
            expect(Number.isSafeInteger(x.ts) && x.ts >= NOW - MAX_AGE_MS && x.ts <= NOW + MQTT_DEFAULTS.maxFutureMs, `ts ${x.ts}`).toBe(true);
            expect(['good', 'bad', 'uncertain']).toContain(x.quality);
            expect(x.value === null || typeof x.value === 'boolean' || (typeof x.value === 'number' && Number.isFinite(x.value)), `value ${String(x.value)}`).toBe(true);
            expect(x.value === null, `${x.point} ${String(x.value)} ${x.quality}`).toBe(x.quality === 'bad');
          }
          // a telemetry message whose body parsed: each key of its values stored or dropped, never lost
          if (telemetry && s.dropped() === before.dropped) {
            let keys = 0;
            try {
              const v = JSON.parse(m.payload).values;
              keys = v && typeof v === 'object' ? Object.keys(v).length : 0;
            } catch {
              keys = 0;
            }
            expect(got.length, `${m.topic} ${m.payload.slice(0, 200)}: neither stored nor counted`).toBe(keys);
          }
        }
        expect(s.errors, s.errors.join('\n')).toEqual([]);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      }),
      { seed: SEED, numRuns: 1500 },
    );
  });

  it('a presence takes down only stations of its own shard, and only when its name is a collector', () => {
    fc.assert(
      // a topic name has no `/` (the subscription is one level deep), `+` or `#` (not publishable)
      fc.property(collectorName.filter((n) => !/[/+#]/.test(n)), presencePayload, fc.boolean(), (name, body, same) => {
        const s = source();
        const payload = JSON.stringify(same && body && typeof body === 'object' && !Array.isArray(body) ? { ...body, name } : body);
        s.src.handle(`${PREFIX}/collectors/${name}`, Buffer.from(payload));
        const m = /^shard-(\d+)-of-(\d+)$/.exec(name);
        for (const st of s.statuses) {
          expect(st.comm).toBe('offline');
          expect(m, `offline from '${name}'`).not.toBeNull();
          expect(inShard(st.station, Number(m![1]), Number(m![2])), `${name} took down ${st.station}`).toBe(true);
        }
        // it acted or was counted, unless there was nothing to do
        const p = JSON.parse(payload) as { status?: unknown; stations?: unknown } | null;
        const nothingToDo = name === 'serve' || p?.status === 'online' || (Array.isArray(p?.stations) && p.stations.every((x) => !STATIONS.includes(x)));
        expect(s.statuses.length > 0 || s.dropped() > 0 || nothingToDo, `${name} ${payload}: neither acted on nor counted`).toBe(true);
        expect(s.errors).toEqual([]);
      }),
      { seed: SEED, numRuns: 1500 },
    );
  });
});
