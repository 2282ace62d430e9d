import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.ts';
import { createSeriesStore } from '../../src/store/create.ts';
import { SqliteSeriesStore } from '../../src/store/sqlite-series.ts';
import { floatResolution, pointEncodings } from '../../src/store/codec/from-config.ts';
import { DEFAULT_RESOLUTION, FALLBACK_RESOLUTION, encodingOf } from '../../src/store/codec/spec.ts';
import { loadTemplate } from '../../simulators/templates.ts';

describe('point encodings from the configuration', () => {
  it('stores integer registers exactly, bits as bits and floats at their unit’s default resolution', () => {
    const cfg = validateConfig({
      templates: { 'hs-plc': loadTemplate('hs-plc') },
      stations: [
        {
          id: 'hs-001',
          devices: [
            { id: 'plc', template: 'hs-plc', endpoint: 'modbus+tcp://127.0.0.1:502' },
            { id: 'meter', endpoint: 'modbus+tcp://127.0.0.1:503', points: [{ id: 'flow', table: 'holding', address: 0, type: 'float32', unit: 'm3/h', resolution: 0.25 }] },
            { id: 'ua', protocol: 'opcua', endpoint: 'opc.tcp://127.0.0.1:4840', points: [{ id: 't_outdoor', nodeId: 'ns=1;s=t', unit: 'degC', resolution: 0.1 }, { id: 'x', nodeId: 'ns=1;s=x', unit: 'furlong' }] },
          ],
        },
      ],
    });
    const enc = pointEncodings(cfg.stations);
    const of = (id: string) => encodingOf(enc, id);
    expect(of('hs-001.plc.p_sec_return')).toEqual({ kind: 'int', scale: 0.001 });
    expect(of('hs-001.plc.heat_energy')).toEqual({ kind: 'int', scale: 0.01 });
    expect(of('hs-001.plc.pump1_run')).toEqual({ kind: 'bool' });
    expect(of('hs-001.plc.pump1_fault')).toEqual({ kind: 'bool' }); // a bit of a register
    expect(of('hs-001.plc.t_sec_supply')).toEqual({ kind: 'float', resolution: DEFAULT_RESOLUTION.degC });
    expect(of('hs-001.plc.v_makeup')).toEqual({ kind: 'float', resolution: DEFAULT_RESOLUTION.m3 });
    expect(of('hs-001.ua.t_outdoor')).toEqual({ kind: 'float', resolution: 0.1 });
    expect(of('hs-001.meter.flow')).toEqual({ kind: 'float', resolution: 0.25 });
    expect(of('hs-001.ua.x')).toEqual({ kind: 'float', resolution: FALLBACK_RESOLUTION });
    expect(of('hs-001.plc.nope')).toBeUndefined();
    expect(of('hs-002.plc.p_sec_return')).toBeUndefined();
    // plain data: what a worker thread receives
    expect(structuredClone(enc)).toEqual(enc);
    expect(floatResolution({ unit: 'degC', resolution: 0.5 })).toBe(0.5);
  });

  it('gives stations of one template one table: 5,000 stations cost one per template, not one key per point', () => {
    const cfg = validateConfig({
      templates: { 'hs-plc': loadTemplate('hs-plc') },
      stations: Array.from({ length: 50 }, (_, i) => ({
        id: `hs-${String(i + 1).padStart(3, '0')}`,
        devices: [{ id: 'plc', template: 'hs-plc', endpoint: `modbus+tcp://127.0.0.1:${600 + i}` }],
      })),
    });
    const enc = pointEncodings(cfg.stations);
    expect(enc.tables).toHaveLength(1);
    expect(Object.keys(enc.byDevice)).toHaveLength(50);
    expect(encodingOf(enc, 'hs-050.plc.p_sec_return')).toEqual({ kind: 'int', scale: 0.001 });
  });

  it('reaches the SQLite store built from config: a float comes back at its resolution once compacted', async () => {
    const stations = [{ id: 's', devices: [{ id: 'ua', points: [{ id: 't', unit: 'degC', resolution: 0.5 }, { id: 'p', type: 'int16', scale: 0.001 }] }] }];
    const store = createSeriesStore({ kind: 'sqlite', path: ':memory:' }, { stations }) as SqliteSeriesStore;
    await store.init();
    const ts = Date.UTC(2024, 0, 1);
    await store.write([
      { point: 's.ua.t', ts, value: 1.3, quality: 'good' },
      { point: 's.ua.p', ts, value: 1234 * 0.001, quality: 'good' },
    ]);
    store.compact({ all: true });
    const got = await store.latest(['s.ua.t', 's.ua.p']);
    expect(got.get('s.ua.t')?.value).toBe(1.5);
    expect(got.get('s.ua.p')?.value).toBe(1234 * 0.001);
    await store.close();
  });

  it('refuses a resolution that is not a positive number, naming the key', () => {
    const bad = (resolution: unknown) => () =>
      validateConfig({
        stations: [{ id: 's', devices: [{ id: 'ua', protocol: 'opcua', endpoint: 'opc.tcp://127.0.0.1:4840', points: [{ id: 't', nodeId: 'ns=1;s=t', resolution }] }] }],
      });
    expect(bad(0)).toThrow(/resolution/);
    expect(bad(-0.1)).toThrow(/resolution/);
    expect(bad('fine')).toThrow(/resolution/);
    expect(() =>
      validateConfig({
        templates: { t: { protocol: 'modbus', points: [{ id: 'f', table: 'holding', address: 0, type: 'float32', unit: 'degC', resolution: 0.05 }] } },
        stations: [{ id: 's', devices: [{ id: 'plc', template: 't', endpoint: 'modbus+tcp://127.0.0.1:502' }] }],
      }),
    ).not.toThrow();
  });
});
