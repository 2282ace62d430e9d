import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ConfigError, parseConfigText } from '../../src/config/load.ts';

/** Every problem of a config as `path: message` lines, in the order reported. */
function problems(doc: unknown): string[] {
  try {
    parseConfigText(stringify(doc), 'test.yaml');
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.path}: ${p.message}`);
    throw err;
  }
  return [];
}

const point = (extra: Record<string, unknown> = {}) => ({ id: 't', table: 'holding', address: 0, type: 'float32', ...extra });
const device = (extra: Record<string, unknown> = {}) => ({ id: 'plc', endpoint: 'modbus+tcp://127.0.0.1:5020', points: [point()], ...extra });
const TEMPLATE = { protocol: 'modbus', points: [point({ id: 'a' }), point({ id: 'b', address: 2 })] };

describe('config problems of every layer in one run', () => {
  it('a schema type error, an unknown key, an unknown template, a bad number and a rule error together', () => {
    const list = problems({
      templates: { t1: { protocol: 'modbus', points: [point({ type: 'float33' }), point({ id: 'b', address: 2 })] } },
      stations: [
        {
          id: 'hs-001',
          devices: [device({ template: 't1', points: undefined, pollms: 5000 }), device({ id: 'plc2', template: 't2', points: undefined, pollMs: -5 })],
        },
      ],
      alarms: [{ id: 'hot', point: '*.plc.b', type: 'expression', expr: 'plc.b >', priority: 2 }],
    });
    expect(list).toEqual([
      "templates.t1.points[0].type: 'float33' is not one of bool, int16, uint16, int32, uint32, float32, float64 (did you mean 'float32'?)",
      "stations[0].devices[0].pollms: unknown key, did you mean 'pollMs'?",
      'stations[0].devices[1].pollMs: must be >= 100, got -5',
      "stations[0].devices[1].template: unknown template 't2' (known: t1)",
      expect.stringMatching(/^alarms\[0\]\.expr: /),
    ]);
  });

  it('semantic problems of a valid part are reported beside schema problems of another', () => {
    const list = problems({
      api: { port: 'x' },
      stations: [{ id: 'hs-001', devices: [device()] }, { id: 'hs-001', devices: [device({ endpoint: 'http://h:1' })] }],
    });
    expect(list).toEqual([
      "api.port: must be a whole number, got 'x'",
      "stations[1].id: duplicate station id 'hs-001'",
      'stations[1].devices[0].endpoint: scheme must be modbus+tcp:// for a modbus device, got http://',
    ]);
  });

  it('paths of semantic problems are the file’s, after a failed item before them', () => {
    const list = problems({
      stations: [
        { id: 'HS 1', devices: [device()] },
        { id: 'hs-002', devices: [device({ points: [point({ type: 'int64' }), point({ id: 'u', address: 1 }), point({ id: 'u', address: 2 })] })] },
      ],
    });
    expect(list).toEqual([
      "stations[0].id: must match pattern ^[a-z0-9_-]+$, got 'HS 1'",
      "stations[1].devices[0].points[0].type: 'int64' is not one of bool, int16, uint16, int32, uint32, float32, float64 (did you mean 'int16'?)",
      "stations[1].devices[0].points[2].id: duplicate point id 'u' in device hs-002.plc",
    ]);
  });

  it('skips only the checks a failed part makes impossible', () => {
    const list = problems({
      // the template fails the schema: its devices are not "unknown template"
      templates: { t1: { ...TEMPLATE, protocol: 'opcua' } },
      stations: [
        { id: 'hs-001', area: 'north', devices: [device({ template: 't1', points: undefined })] },
        // its only point fails: it is not "a device without points"
        { id: 'hs-002', devices: [device({ points: [point({ table: 'holdin' })] })] },
        // a station that fails the schema is still a known station for references to it
        { id: 'hs-003', area: 'south', name: 5, devices: 'plc' },
      ],
      tickets: { addresses: [{ address: '学府路12号', station: 'hs-003' }, { address: '南岗路1号', station: 'hs-009' }] },
      operations: { plannedStops: [{ area: 'south', from: '2026-12-05T08:00:00+08:00', to: '2026-12-05T16:00:00+08:00', reason: 'repair' }] },
    });
    expect(list).toEqual([
      "templates.t1.protocol: must be 'modbus', got 'opcua'",
      "stations[1].devices[0].points[0].table: 'holdin' is not one of coil, discrete, holding, input (did you mean 'holding'?)",
      "stations[2].name: must be a string, got 5",
      "stations[2].devices: must be a list, got 'plc'",
      "tickets.addresses[1].station: unknown station 'hs-009'",
    ]);
  });

  it('a key the schema rejected is not reported again by the checks across keys', () => {
    expect(problems({ stations: [{ id: 'a', devices: [device({ points: [point({ type: 'bool', bit: 16 })] })] }] })).toEqual([
      'stations[0].devices[0].points[0].bit: must be <= 15, got 16',
    ]);
  });

  it('a valid config passes and keeps its compiled alarm rules', () => {
    const cfg = parseConfigText(stringify({ templates: { t1: TEMPLATE }, stations: [{ id: 'hs-001', devices: [device({ template: 't1', points: undefined })] }] }));
    expect(cfg.stations[0].devices[0].points.map((p) => p.id)).toEqual(['a', 'b']);
    expect(cfg.alarmRules?.compiled.errors).toEqual([]);
  });
});
