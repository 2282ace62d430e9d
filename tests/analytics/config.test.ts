import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { counterPoints } from '../../src/analytics/counters.ts';
import { dayRange, DayError } from '../../src/analytics/days.ts';
import { parseFactsCsv } from '../../src/analytics/facts.ts';
import { ConfigError, parseConfigText } from '../../src/config/load.ts';

const dir = mkdtempSync(join(tmpdir(), 'heatwatch-facts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const station = (id: string, facts = '', area = '南岗区') =>
  `  - { id: ${id}, area: ${area}, ${facts}${facts ? ', ' : ''}devices: [ { id: plc, endpoint: "modbus+tcp://127.0.0.1:5020", points: [ { id: heat_energy, table: holding, address: 0, type: uint32, scale: 0.01 }, { id: t_sec_supply, table: holding, address: 2, type: float32 }, { id: v_makeup, table: holding, address: 4, type: float64, counter: false }, { id: meter_b, table: holding, address: 8, type: uint32, counter: true, rolloverAt: 100000 } ] } ] }\n`;

function problems(yaml: string): string[] {
  try {
    parseConfigText(yaml, 'test.yaml');
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.path}: ${p.message}`);
    throw err;
  }
  return [];
}

describe('station facts in the config', () => {
  it('takes heated area, system volume, design temperatures and location per station', () => {
    const cfg = parseConfigText(
      `stations:\n${station('hs-001', 'heatedAreaM2: 86000, systemVolumeM3: 140, designSupplyC: 75, designReturnC: 50, location: { x: 1200, y: 3400 }')}${station('hs-002')}`,
      'ok.yaml',
    );
    expect(cfg.stations[0]).toMatchObject({ heatedAreaM2: 86000, systemVolumeM3: 140, designSupplyC: 75, designReturnC: 50, location: { x: 1200, y: 3400 } });
    expect(cfg.stations[1].heatedAreaM2).toBeUndefined();
    expect(cfg.analytics).toMatchObject({ hddBaseC: 18, outlierFactor: 1.5, curveDeviationK: 3, districts: [], reports: { dailyAt: '06:00', dir: null } });
  });

  it.each([
    ['0', 'must be > 0, got 0'],
    ['-500', 'must be > 0, got -500'],
  ])('a heated area of %s is a config error naming stations[i].heatedAreaM2', (area, message) => {
    const list = problems(`stations:\n${station('hs-001', 'heatedAreaM2: 1000')}${station('hs-002')}${station('hs-003', `heatedAreaM2: ${area}`)}`);
    expect(list).toEqual([`stations[2].heatedAreaM2: ${message}`]);
  });

  it('reports every bad fact in one pass: volume, design temperatures, mixed location kinds, unknown district', () => {
    const list = problems(
      `stations:\n${station('hs-001', 'systemVolumeM3: 0, location: { lat: 45.7, lon: 126.6 }')}${station('hs-002', 'designSupplyC: 50, designReturnC: 60, location: { x: 1, y: 2 }')}` +
        'analytics: { districts: [ { area: 道里区, outline: [[0, 0], [1, 0], [1, 1]] } ], outlierFactor: 0 }\n',
    );
    expect(list).toEqual(
      expect.arrayContaining([
        'stations[0].systemVolumeM3: must be > 0, got 0',
        'stations[1].designReturnC: must be below designSupplyC (50), got 60',
        expect.stringMatching(/^stations\[1\]\.location: x\/y here but lat\/lon at stations\[0\]/),
        "analytics.districts[0].area: no station is in area '道里区'",
        'analytics.outlierFactor: must be > 0, got 0',
      ]),
    );
    expect(list).toHaveLength(5);
  });
});

describe('station facts from CSV', () => {
  it('fills what the station entries leave out; the entry wins where both give a value', () => {
    const file = join(dir, 'facts.csv');
    writeFileSync(file, '\uFEFFid,heatedAreaM2,systemVolumeM3,x,y,heatingType,area\nhs-001,90000,150,100,200,floor,道里区\n"hs-002",,80,300,400,,\n');
    const cfg = parseConfigText(`analytics: { factsCsv: ${file} }\nstations:\n${station('hs-001', 'heatedAreaM2: 86000')}${station('hs-002')}`, 'ok.yaml');
    expect(cfg.stations[0]).toMatchObject({ heatedAreaM2: 86000, systemVolumeM3: 150, location: { x: 100, y: 200 }, heatingType: 'floor', area: '南岗区' });
    expect(cfg.stations[1]).toMatchObject({ systemVolumeM3: 80, location: { x: 300, y: 400 } });
    expect(cfg.stations[1].heatedAreaM2).toBeUndefined();
  });

  it('reports every bad row with its line number among the other config problems', () => {
    const file = join(dir, 'bad.csv');
    writeFileSync(file, 'id,heatedAreaM2,lat,lon,heatingType\nhs-001,0,45.7,126.6,radiator\nhs-002,12x,45.7,,steam\nhs-009,1000,45,126,\nhs-001,1000,45,126,\n');
    const list = problems(`analytics: { factsCsv: ${file} }\nstations:\n${station('hs-001')}${station('hs-002')}  - { id: BAD }\n`);
    expect(list).toEqual(
      expect.arrayContaining([
        `analytics.factsCsv: ${file} line 2: heatedAreaM2 must be > 0, got 0`,
        `analytics.factsCsv: ${file} line 3: heatedAreaM2 '12x' is not a number`,
        `analytics.factsCsv: ${file} line 3: heatingType 'steam' is not one of radiator, floor`,
        `analytics.factsCsv: ${file} line 5: station 'hs-001' again (first on line 2)`,
        "analytics.factsCsv: line 4: unknown station 'hs-009'",
        expect.stringMatching(/^stations\[2\]\.id: /),
      ]),
    );
  });

  it('a file that cannot be read is a problem naming the key', () => {
    expect(problems(`analytics: { factsCsv: ${join(dir, 'missing.csv')} }\nstations:\n${station('hs-001')}`)).toEqual([expect.stringMatching(/^analytics\.factsCsv: cannot read .*missing\.csv/)]);
  });

  it('parses quoted cells, CRLF and blank lines', () => {
    const r = parseFactsCsv('id,area\r\n"hs-001","南岗区, 西"\r\n\r\nhs-002,"a ""b"""\r\n');
    expect(r.problems).toEqual([]);
    expect(r.rows.get('hs-001')?.facts.area).toBe('南岗区, 西');
    expect(r.rows.get('hs-002')).toEqual({ line: 4, facts: { area: 'a "b"' } });
    expect(parseFactsCsv('heatedAreaM2,x\n1,2\n').problems.map((p) => p.message)).toEqual(['line 1: the header needs an id column', 'line 1: x and y go together']);
  });
});

describe('counter points', () => {
  it('heat_energy and v_makeup of any zone are counters by name; counter: true or false and rolloverAt decide for others', () => {
    const cfg = parseConfigText(`stations:\n${station('hs-001')}`, 'ok.yaml');
    const c = counterPoints(cfg.stations);
    expect([...c.entries()]).toEqual([
      ['hs-001.plc.heat_energy', { rolloverAt: null }],
      ['hs-001.plc.meter_b', { rolloverAt: 100000 }],
    ]);
    expect(counterPoints([{ id: 's', devices: [{ id: 'plc', points: [{ id: 'z3_heat_energy' }, { id: 'x', rolloverAt: 9 }] }] }]).size).toBe(2);
  });
});

describe('the days a request covers', () => {
  const now = Date.parse('2026-12-09T10:00:00+08:00');
  const tz = 'Asia/Shanghai';
  const range = (q: Parameters<typeof dayRange>[0], season: { start: number; end: number } | null = null) => dayRange(q, tz, now, season);
  const fails = (q: Parameters<typeof dayRange>[0]) => {
    try {
      range(q);
    } catch (e) {
      if (e instanceof DayError) return `${e.field}: ${e.message}`;
      throw e;
    }
    return 'no error';
  };

  it('defaults to the 30 days to today, takes months, the month and the season so far', () => {
    expect(range({})).toEqual({ from: '2026-11-10', to: '2026-12-09' });
    expect(range({ from: '2026-11', to: '2026-11' })).toEqual({ from: '2026-11-01', to: '2026-11-30' });
    expect(range({ from: '2026-12', to: '2026-12' })).toEqual({ from: '2026-12-01', to: '2026-12-09' });
    expect(range({ period: 'month' })).toEqual({ from: '2026-12-01', to: '2026-12-09' });
    expect(range({ period: 'season' }, { start: 1020, end: 410 })).toEqual({ from: '2026-10-20', to: '2026-12-09' });
  });

  it('names the field of a future, malformed or reversed day and of a range too long', () => {
    expect(fails({ to: '2026-12-10' })).toBe('querystring.to: 2026-12-10 is in the future (today is 2026-12-09)');
    expect(fails({ from: '2027-01' })).toMatch(/^querystring\.from: 2027-01 is in the future/);
    expect(fails({ from: '2026-02-30' })).toBe("querystring.from: '2026-02-30' is not a calendar day");
    expect(fails({ from: '12/01/2026' })).toMatch(/^querystring\.from: '12\/01\/2026' is not a day/);
    expect(fails({ from: '2026-12-05', to: '2026-12-01' })).toBe('querystring.from: 2026-12-05 is after to (2026-12-01)');
    expect(fails({ from: '2025-01-01' })).toMatch(/^querystring\.to: 708 days .* at most 400/);
  });
});
