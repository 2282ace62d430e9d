import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { MqttSource } from '../../src/bus/mqtt-source.ts';
import { parseConfigText } from '../../src/config/load.ts';
import type { DeviceStatus } from '../../src/model.ts';

const cfg = parseConfigText(
  `stations:\n  - id: hs-001\n    devices: [ { id: plc, endpoint: "modbus+tcp://127.0.0.1:5020", points: [ { id: t, table: holding, address: 0, type: float32 } ] } ]\n`,
  'presence',
);

describe("serve and a shard's collector pair", () => {
  it('takes an offline presence only from the instance that spoke for the shard last: a late will of the replaced one is ignored', () => {
    const statuses: DeviceStatus[] = [];
    const src = new MqttSource({ prefix: 'hw', stations: cfg.stations, sink: { samples: () => undefined, status: (s) => void statuses.push(s) }, logger: pino({ level: 'silent' }) });
    const presence = (status: string, instance?: string) =>
      src.handle('hw/collectors/shard-1-of-1', Buffer.from(JSON.stringify({ status, name: 'shard-1-of-1', stations: ['hs-001'], ...(instance ? { instance } : {}) })));
    presence('online', 'a');
    presence('online', 'b');
    presence('offline', 'a');
    expect(statuses).toEqual([]);
    expect(src.stats().stationsDown).toBe(0);
    presence('offline', 'b');
    expect(statuses.map((s) => `${s.station}.${s.device} ${s.comm}`)).toEqual(['hs-001.plc offline']);
    // a collector of an earlier version names no instance: its offline counts as before
    presence('online');
    presence('offline');
    expect(statuses).toHaveLength(2);
  });
});
