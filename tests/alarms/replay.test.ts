import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sample } from '../../src/model.ts';
import { SqliteSeriesStore } from '../../src/store/sqlite-series.ts';
import { createNetwork } from '../../simulators/model.ts';
import { loadTemplate } from '../../simulators/templates.ts';

const STATIONS = 3;
const T0 = Date.UTC(2026, 0, 10, 0, 0, 0);
let dir: string;
let cfgPath: string;

/** One hour of model history for 3 stations, with a burst at hs-002 from minute 30. */
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'heatwatch-replay-'));
  const template = loadTemplate('hs-plc');
  const net = createNetwork({ stations: STATIONS, template, startMs: T0, seed: 4 });
  const store = new SqliteSeriesStore({ path: join(dir, 'series.db') });
  await store.init();
  for (let t = T0; t < T0 + 3_600_000; t += 10_000) {
    if (t === T0 + 1_800_000) net.setFault(1, 'burst', true);
    net.advance(t);
    const batch: Sample[] = [];
    for (let i = 0; i < STATIONS; i++) for (const p of template.points) batch.push({ point: `hs-00${i + 1}.plc.${p.id}`, ts: t, value: net.readPoint(i, p.id), quality: 'good' });
    await store.write(batch);
  }
  await store.close();
  cfgPath = join(dir, 'heatwatch.yaml');
  const stations = Array.from({ length: STATIONS }, (_, i) => ({
    id: `hs-00${i + 1}`,
    curve: net.stationInfo(i).curve,
    devices: [{ id: 'plc', template: 'hs-plc', endpoint: 'modbus+tcp://127.0.0.1:5020', pollMs: 10_000 }],
  }));
  writeFileSync(cfgPath, stringify({ storage: { series: { kind: 'sqlite', path: join(dir, 'series.db') } }, templates: { 'hs-plc': template }, stations }));
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const replay = (...args: string[]) =>
  spawnSync(process.execPath, ['src/bin/heatwatch.js', 'replay', '--config', cfgPath, '--from', String(T0), '--to', String(T0 + 3_600_000), ...args], { encoding: 'utf8' });

describe('heatwatch replay', () => {
  it('reports what the configured rules would have raised over stored history', () => {
    const r = replay('--json');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.samples).toBe(360 * STATIONS * loadTemplate('hs-plc').points.length);
    expect(s.byStation.map((x: { station: string }) => x.station)).toEqual(['hs-002']);
    expect(s.byRule.map((x: { ruleId: string }) => x.ruleId)).toContain('flood');
  });

  it('tries other rules from a file before they are enabled', () => {
    const rules = join(dir, 'tuning.yaml');
    writeFileSync(rules, stringify({ alarms: [{ id: 'try_low_limit', point: '*.plc.t_sec_supply', type: 'high', limit: 20, deadband: 1, priority: 3 }] }));
    const r = replay('--rules', rules);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^\s+3\s+3\s+try_low_limit$/m);
    expect(r.stdout).toContain('by station');
    expect(r.stdout).toContain('chattering (≥ 3 activations in 60 s): none');
  });

  it('--events prints every raise as a JSON line with its time, rule, priority, class, station and parent', () => {
    const r = replay('--events');
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(Object.keys(l).sort()).toEqual(['alarm', 'class', 'parent', 'priority', 'rule', 'station', 'ts']);
    const flood = lines.find((l) => l.rule === 'flood');
    expect(flood).toMatchObject({ station: 'hs-002', priority: 1, class: 'flood', parent: null });
    // the burst started at minute 30; the flood DI is seen at the first poll after it
    expect(Date.parse(flood.ts)).toBeGreaterThanOrEqual(T0 + 1_800_000);
    expect(Date.parse(flood.ts)).toBeLessThan(T0 + 1_800_000 + 20_000);
    const times = lines.map((l) => Date.parse(l.ts));
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('applies the planned stops of the period: process alarms suppressed, flooding still raised', () => {
    const stopped = join(dir, 'stopped.yaml');
    const doc = parse(readFileSync(cfgPath, 'utf8'));
    doc.operations = { plannedStops: [{ stations: ['hs-002'], from: T0, to: T0 + 3_600_000, reason: '计划停热' }] };
    writeFileSync(stopped, stringify(doc));
    const all = replay('--events').stdout.trim().split('\n').map((l) => JSON.parse(l).rule);
    const r = spawnSync(process.execPath, ['src/bin/heatwatch.js', 'replay', '--config', stopped, '--from', String(T0), '--to', String(T0 + 3_600_000), '--events'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const rules = r.stdout.trim().split('\n').map((l) => JSON.parse(l).rule);
    expect(all.filter((x: string) => !['flood', 'burst'].includes(x)).length).toBeGreaterThan(0);
    expect(rules.filter((x: string) => !['flood', 'burst'].includes(x))).toEqual([]);
    expect(rules).toContain('flood');
  });

  it('refuses a rules file with a bad key, naming its path (exit 2)', () => {
    const rules = join(dir, 'bad.yaml');
    writeFileSync(rules, stringify([{ id: 'x', point: '*.plc.t_sec_supply', type: 'high', limt: 20, priority: 3 }]));
    const r = replay('--rules', rules);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('rules[0].limt: unknown key');
  });
});
