/**
 * `heatwatch replay` over the InfluxDB store: the same hour of history written to a real
 * influxd and to SQLite replays to the same raises, event for event.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Sample } from '../../src/model.ts';
import { InfluxSeriesStore } from '../../src/store/influx/store.ts';
import { SqliteSeriesStore } from '../../src/store/sqlite-series.ts';
import { createNetwork } from '../../simulators/model.ts';
import { loadTemplate } from '../../simulators/templates.ts';

const STATIONS = 3;
const T0 = Date.UTC(2026, 0, 12, 0, 0, 0);
const database = `replay_${process.pid}`;
let dir: string;
let influx: InfluxSeriesStore;

const configFor = (series: unknown, stations: unknown) => stringify({ storage: { series }, templates: { 'hs-plc': loadTemplate('hs-plc') }, stations });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'heatwatch-replay-influx-'));
  const template = loadTemplate('hs-plc');
  const net = createNetwork({ stations: STATIONS, template, startMs: T0, seed: 9 });
  // back-dated history: the retention policies must not drop it on write
  influx = new InfluxSeriesStore({ url: inject('influxUrl'), database, serverRetention: false });
  const sqlite = new SqliteSeriesStore({ path: join(dir, 'series.db') });
  await Promise.all([influx.init(), sqlite.init()]);
  for (let t = T0; t < T0 + 3_600_000; t += 10_000) {
    if (t === T0 + 1_200_000) net.setFault(2, 'pump_trip', true);
    if (t === T0 + 2_400_000) net.setFault(0, 'burst', true);
    net.advance(t);
    const batch: Sample[] = [];
    for (let i = 0; i < STATIONS; i++) for (const p of template.points) batch.push({ point: `hs-00${i + 1}.plc.${p.id}`, ts: t, value: net.readPoint(i, p.id), quality: 'good' });
    await Promise.all([influx.write(batch), sqlite.write(batch)]);
  }
  await sqlite.close();
  const stations = Array.from({ length: STATIONS }, (_, i) => ({
    id: `hs-00${i + 1}`,
    curve: net.stationInfo(i).curve,
    devices: [{ id: 'plc', template: 'hs-plc', endpoint: 'modbus+tcp://127.0.0.1:5020', pollMs: 10_000 }],
  }));
  writeFileSync(join(dir, 'influx.yaml'), configFor({ kind: 'influxdb', url: inject('influxUrl'), database, serverRetention: false }, stations));
  writeFileSync(join(dir, 'sqlite.yaml'), configFor({ kind: 'sqlite', path: join(dir, 'series.db') }, stations));
}, 120_000);

afterAll(async () => {
  await influx?.dropDatabase().catch(() => undefined);
  await influx?.close();
  rmSync(dir, { recursive: true, force: true });
});

const replay = (cfg: string, ...args: string[]) =>
  spawnSync(process.execPath, ['src/bin/heatwatch.js', 'replay', '--config', join(dir, cfg), '--from', String(T0), '--to', String(T0 + 3_600_000), ...args], { encoding: 'utf8' });

describe('heatwatch replay over InfluxDB', () => {
  it('reads the InfluxDB store and raises exactly what the same history in SQLite raises', () => {
    const a = replay('influx.yaml', '--events');
    expect(a.stderr).toBe('');
    expect(a.status).toBe(0);
    const b = replay('sqlite.yaml', '--events');
    expect(b.status).toBe(0);
    const lines = a.stdout.trim().split('\n');
    expect(lines.length).toBeGreaterThan(1);
    expect(lines).toEqual(b.stdout.trim().split('\n'));
    const rules = lines.map((l) => JSON.parse(l)).map((e) => `${e.station} ${e.rule}`);
    expect(rules).toContain('hs-001 flood');
    expect(rules.some((r) => r.startsWith('hs-003 '))).toBe(true);
    const summary = JSON.parse(replay('influx.yaml', '--json').stdout);
    expect(summary.samples).toBe(360 * STATIONS * loadTemplate('hs-plc').points.length);
    // three CLI runs, each a Node start-up: seconds each on a busy machine
  }, 120_000);
});
