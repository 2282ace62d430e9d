import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, jsonPointerToPath, parseConfigText } from '../../src/config/load.ts';

function problems(yaml: string): string[] {
  try {
    parseConfigText(yaml, 'test.yaml');
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.path}: ${p.message}`);
    throw err;
  }
  return [];
}

const device = (extra = '') =>
  `stations:\n  - id: hs-001\n    devices:\n      - { id: plc, endpoint: "modbus+tcp://127.0.0.1:5020", points: [ { id: t, table: holding, address: 0, type: float32 ${extra} } ] }\n`;

describe('config validation', () => {
  it('accepts a minimal config and fills defaults', () => {
    const cfg = parseConfigText(device(), 'ok.yaml');
    const d = cfg.stations[0].devices[0];
    expect(d).toMatchObject({ protocol: 'modbus', host: '127.0.0.1', port: 5020, unit: 1, pollMs: 5000, timeoutMs: 2000 });
    expect(d.points[0]).toMatchObject({ order: 'ABCD', scale: 1, offset: 0 });
    expect(cfg.storage.series).toEqual({ kind: 'sqlite', path: 'data/series.db' });
  });

  it.each([
    ['unknown top-level key', 'colour: blue\n' + device(), 'colour: unknown key'],
    ['unknown point key', device(', colour: 1'), 'stations[0].devices[0].points[0]'],
    ['bad id', device().replace('hs-001', 'HS 1'), 'stations[0].id: must match pattern'],
    ['bad endpoint scheme', device().replace('modbus+tcp', 'http'), 'stations[0].devices[0].endpoint: scheme must be modbus+tcp://'],
    ['endpoint not a URL', device().replace('modbus+tcp://127.0.0.1:5020', 'nowhere'), 'stations[0].devices[0].endpoint: not a URL'],
    ['order on 16-bit', device().replace('float32', 'int16, order: CDAB'), 'stations[0].devices[0].points[0].order: order applies to 32/64-bit'],
    ['bool register without bit', device().replace('float32', 'bool'), 'stations[0].devices[0].points[0].bit: a bool in a holding register needs bit'],
    ['coil as int16', device().replace('holding', 'coil').replace('float32', 'int16'), 'stations[0].devices[0].points[0].type: a coil holds one bit'],
    ['past the last register', device().replace('address: 0', 'address: 65535'), 'stations[0].devices[0].points[0].address: float32 at 65535 runs past'],
    ['pollMs too small', device().replace('endpoint:', 'pollMs: 5, endpoint:'), 'stations[0].devices[0].pollMs: must be >= 100'],
    ['unknown template', device().replace('endpoint:', 'template: nope, endpoint:'), "stations[0].devices[0].template: unknown template 'nope'"],
    ['bad role', device() + 'auth: { tokens: [ { name: a, token: b, role: king } ] }\n', 'auth.tokens[0].role'],
    ['YAML syntax', 'stations: [\n', 'line'],
    ['duplicate YAML key', 'api: {}\napi: {}\n' + device(), 'line'],
  ])('%s is named by its path', (_name, yaml, expected) => {
    const list = problems(yaml);
    expect(list.length).toBeGreaterThan(0);
    expect(list.some((p) => p.includes(expected)), list.join('\n')).toBe(true);
  });

  it('reports semantic problems (duplicates) with the path of the second occurrence', () => {
    const list = problems(device() + device().replace('stations:\n', ''));
    expect(list).toContain("stations[1].id: duplicate station id 'hs-001'");
  });

  it('converts JSON pointers to config paths', () => {
    expect(jsonPointerToPath('/stations/3/devices/0/endpoint')).toBe('stations[3].devices[0].endpoint');
    expect(jsonPointerToPath('')).toBe('');
  });
});

describe('heatwatch check-config', () => {
  const run = (args: string[]) => spawnSync(process.execPath, ['src/bin/heatwatch.js', 'check-config', ...args], { encoding: 'utf8' });
  // a folder of this run's own: two runs at once must not write each other's files
  const dir = mkdtempSync(join(tmpdir(), 'heatwatch-check-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 2 and names every bad path', () => {
    const r = run(['--config', 'tests/fixtures/bad.yaml']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('api.colour: unknown key');
    expect(r.stderr).toContain('stations[2].id: must match pattern');
    expect(r.stderr).toContain('stations[2].devices[0].pollMs: must be >= 100');
  });

  it('exits 2 with semantic problems once the schema is satisfied', () => {
    const file = join(dir, 'bad2.yaml');
    const fixed = spawnSync('sh', ['-c', `sed -e 's/, colour: blue//' -e 's/HS 3/hs-003/' -e 's/pollMs: 10 }/pollMs: 1000 }/' tests/fixtures/bad.yaml > '${file}'`]);
    expect(fixed.status).toBe(0);
    const r = run(['--config', file]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('stations[0].devices[0].endpoint: scheme must be modbus+tcp://');
    expect(r.stderr).toContain("stations[1].id: duplicate station id 'hs-001'");
    expect(r.stderr).toContain("stations[1].devices[0].template: unknown template 'missing'");
    expect(r.stderr).toContain('templates.plc.points[1].bit: a bool in a holding register needs bit');
  });

  it('names the mistakes of every layer in one run, with the allowed values', () => {
    const file = join(dir, 'three.yaml');
    writeFileSync(
      file,
      [
        'templates:',
        '  t1:',
        '    protocol: modbus',
        '    points:',
        '      - { id: t_sec_supply, table: holding, address: 0, type: float33 }',
        '      - { id: p_sec_return, table: input, address: 10, type: int16, scale: 0.001 }',
        'stations:',
        '  - id: hs-001',
        '    devices:',
        '      - { id: plc, template: t1, endpoint: "modbus+tcp://127.0.0.1:5020", pollms: 5000 }',
        '      - { id: plc2, template: t2, endpoint: "modbus+tcp://127.0.0.1:5021" }',
        '',
      ].join('\n'),
    );
    const r = run(['--config', file]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("templates.t1.points[0].type: 'float33' is not one of bool, int16, uint16, int32, uint32, float32, float64");
    expect(r.stderr).toContain("stations[0].devices[0].pollms: unknown key, did you mean 'pollMs'?");
    expect(r.stderr).toContain("stations[0].devices[1].template: unknown template 't2' (known: t1)");
    expect(r.stderr).toContain('3 problem(s)');
  });

  it('exits 2 for a missing file', () => {
    const r = run(['--config', '/nonexistent/heatwatch.yaml']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('cannot read');
  });

  it('exits 0 for the shipped example', () => {
    const r = run(['--config', 'config/heatwatch.example.yaml']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
