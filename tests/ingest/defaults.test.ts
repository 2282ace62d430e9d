import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.ts';
import { defaultIngestBatch } from '../../src/ingest/defaults.ts';

const station = 'stations: [ { id: s1, devices: [ { id: plc, endpoint: "modbus+tcp://127.0.0.1:5020", points: [ { id: t, table: holding, address: 0, type: float32 } ] } ] } ]';

describe('default ingest batch', () => {
  it('fills every write InfluxDB keeps in flight; SQLite writes one 5,000-sample transaction', () => {
    expect(defaultIngestBatch({ kind: 'sqlite', path: 'x.db' })).toBe(5000);
    expect(defaultIngestBatch({ kind: 'influxdb', url: 'http://127.0.0.1:8086', database: 'h' })).toBe(20_000);
    // writeBatch counts lines (device polls), not samples: the batch does not follow it
    expect(defaultIngestBatch({ kind: 'influxdb', url: 'http://127.0.0.1:8086', database: 'h', writeBatch: 200, writeConcurrency: 8 })).toBe(20_000);
  });

  it('is what the configuration resolves to unless ingest.batchSize is given', () => {
    const influx = 'storage: { series: { kind: influxdb, url: "http://127.0.0.1:8086", database: h, writeConcurrency: 2 } }';
    expect(parseConfigText(`${influx}\n${station}`).ingest.batchSize).toBe(20_000);
    expect(parseConfigText(`${influx}\ningest: { batchSize: 3000 }\n${station}`).ingest.batchSize).toBe(3000);
    expect(parseConfigText(station).ingest.batchSize).toBe(5000);
  });
});
