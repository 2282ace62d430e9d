import Type from 'typebox';
import { describe, expect, it } from 'vitest';
import { closest, editDistance } from '../../src/config/did-you-mean.ts';
import { checkSchema, originalPath } from '../../src/config/schema-check.ts';
import { Config } from '../../src/config/schema.ts';

const lines = (doc: unknown) => checkSchema(Config, doc).problems.map((p) => `${p.path}: ${p.message}`);
const point = (extra: Record<string, unknown> = {}) => ({ id: 't', table: 'holding', address: 0, type: 'float32', ...extra });
const station = (device: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  id: 'hs-001',
  devices: [{ id: 'plc', endpoint: 'modbus+tcp://127.0.0.1:5020', points: [point()], ...device }],
  ...extra,
});

describe('did you mean', () => {
  it('counts edits, a swap of neighbours as one', () => {
    expect(editDistance('limt', 'limit')).toBe(1);
    expect(editDistance('qso', 'qos')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });
  it('suggests a close candidate, ignoring case, and nothing for a stranger', () => {
    expect(closest('pollms', ['timeoutMs', 'pollMs'])).toBe('pollMs');
    expect(closest('ordr', ['order', 'offset'])).toBe('order');
    expect(closest('colour', ['host', 'port', 'tls'])).toBeUndefined();
    expect(closest('ab', ['xy'])).toBeUndefined();
  });
});

describe('checkSchema', () => {
  it('a valid document comes back as it is, with no problems', () => {
    const doc = { stations: [station({})] };
    const r = checkSchema(Config, doc);
    expect(r.problems).toEqual([]);
    expect(r.value).toBe(doc);
  });

  it('names the bad value and the allowed ones', () => {
    const doc = {
      templates: { t1: { protocol: 'modbus', points: [point({ type: 'float33' })] } },
      stations: [station({ pollMs: -5, unit: 1.5, endpoint: '' })],
      mqtt: { url: 'mqtt://h', qos: 3 },
    };
    expect(lines(doc)).toEqual([
      "templates.t1.points[0].type: 'float33' is not one of bool, int16, uint16, int32, uint32, float32, float64 (did you mean 'float32'?)",
      'stations[0].devices[0].endpoint: must not be empty',
      'stations[0].devices[0].pollMs: must be >= 100, got -5',
      'stations[0].devices[0].unit: must be a whole number, got 1.5',
      'mqtt.qos: 3 is not one of 0, 1, 2',
    ]);
  });

  it('an unknown key gets "did you mean" when a key is close, else the allowed keys', () => {
    expect(lines({ stations: [station({ pollms: 1000 })] })).toEqual(["stations[0].devices[0].pollms: unknown key, did you mean 'pollMs'?"]);
    expect(lines({ stations: [], api: { colour: 'blue' } })[0]).toMatch(/^api\.colour: unknown key \(allowed: host, port/);
    expect(lines({ stations: [], colour: 'blue' })[0]).toMatch(/^colour: unknown key \(allowed: site, storage, .*stations/);
  });

  it('a union reports the branch meant, not one line per branch', () => {
    // object | false: an object is checked as the object; anything else names both
    expect(lines({ stations: [station({}, { setback: { windows: [{ from: '23:00', to: '05:00', offsetK: 40 }] } })] })).toEqual([
      'stations[0].setback.windows[0].offsetK: must be <= 15, got 40',
    ]);
    expect(lines({ stations: [station({}, { setback: true })] })).toEqual(['stations[0].setback: must be a mapping or false, got true']);
    // sqlite | influxdb told apart by kind
    expect(lines({ stations: [], storage: { series: { kind: 'influxdb', url: 'http://h:8086' } } })).toEqual(['storage.series.database: missing (required)']);
    // a modbus point | an opcua point: the one with fewer problems
    expect(lines({ stations: [station({ points: [point({ table: 'holdin' })] })] })).toEqual([
      "stations[0].devices[0].points[0].table: 'holdin' is not one of coil, discrete, holding, input (did you mean 'holding'?)",
    ]);
  });

  it('removes what failed: a bad optional value, an array item, an unknown key; a bad required value takes its object', () => {
    const doc = {
      stations: [
        station({ pollMs: 5, colour: 1, points: [point({ id: 'a' }), point({ id: 'b', type: 'x' }), point({ id: 'c' })] }),
        { id: 'BAD ID', devices: [] },
        station({}, { id: 'hs-003' }),
      ],
    };
    const r = checkSchema(Config, doc);
    const v = r.value as { stations: Array<{ id: string; devices: Array<Record<string, unknown> & { points: Array<{ id: string }> }> }> };
    expect(v.stations.map((s) => s.id)).toEqual(['hs-001', 'hs-003']);
    const d = v.stations[0].devices[0];
    expect(d).not.toHaveProperty('pollMs');
    expect(d).not.toHaveProperty('colour');
    expect(d.points.map((p) => p.id)).toEqual(['a', 'c']);
    expect(r.partial.has(d)).toBe(true);
    expect(r.partial.has(d.points)).toBe(true);
    expect(r.partial.has(v.stations[1].devices[0])).toBe(false);
    // paths of later checks on the pruned document map back to the file's indices
    expect(originalPath('stations[1].devices[0].endpoint', r.indexMaps)).toBe('stations[2].devices[0].endpoint');
    expect(originalPath('stations[0].devices[0].points[1].id', r.indexMaps)).toBe('stations[0].devices[0].points[2].id');
    expect(originalPath('templates.x.points[0]', r.indexMaps)).toBe('templates.x.points[0]');
  });

  it('a record of names suggests the name meant; the root is kept when a required key fails', () => {
    const Names = Type.Object({ n: Type.Record(Type.String({ pattern: '^(no_heat|repair)$' }), Type.Number()) }, { additionalProperties: false });
    const Strict = Type.Object({ n: Type.Object({}, { additionalProperties: false, patternProperties: { '^(no_heat|repair)$': { type: 'number' } } }) });
    expect(checkSchema(Names, { n: { no_heat: 'x' } }).problems).toEqual([{ path: 'n.no_heat', message: "must be a number, got 'x'" }]);
    expect(checkSchema(Strict, { n: { nohaet: 1 } }).problems).toEqual([{ path: 'n.nohaet', message: "unknown key, did you mean 'no_heat'?" }]);
    const r = checkSchema(Config, { api: { port: 8080 } });
    expect(r.problems).toEqual([{ path: 'stations', message: 'missing (required)' }]);
    expect(r.value).toEqual({ api: { port: 8080 } });
    expect(checkSchema(Config, null)).toMatchObject({ problems: [{ path: '', message: 'must be a mapping, got null' }], value: undefined });
  });
});
