// `heatwatch import` / `export` against a real influxd (the run's global one): an import stores
// each sample once however often it runs, and an export of the InfluxDB store imports into a
// fresh SQLite store as the same series.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { Sample } from '../../src/model.ts';
import { InfluxSeriesStore } from '../../src/store/influx/store.ts';
import type { SeriesStore } from '../../src/store/port.ts';
import { SqliteSeriesStore } from '../../src/store/sqlite-series.ts';

const dir = mkdtempSync(join(tmpdir(), 'heatwatch-import-influx-'));
const database = `hw_import_${process.pid}_${Date.now().toString(36)}`;
const influx = () => new InfluxSeriesStore({ url: inject('influxUrl'), database, serverRetention: false });
afterAll(async () => {
  const s = influx();
  await s.init();
  await s.dropDatabase();
  await s.close();
  rmSync(dir, { recursive: true, force: true });
});

const heatwatch = (...args: string[]) => spawnSync(process.execPath, ['src/bin/heatwatch.js', ...args], { encoding: 'utf8', timeout: 120_000 });

const T0 = Date.UTC(2024, 0, 15);
// the InfluxDB store scans in 5-minute windows (one query each): keep the range near the data
const FROM = T0 - 3_600_000;
const TO = T0 + 3 * 3_600_000;

function config(name: string, series: string): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `storage:\n  series: ${series}\n  state: { kind: sqlite, path: ${join(dir, `${name}-state.db`)} }\n` +
      `templates:\n  t:\n    protocol: modbus\n    points:\n      - { id: t, table: holding, address: 0, type: float32 }\n      - { id: run, table: coil, address: 0, type: bool }\n` +
      `stations:\n  - id: hs-001\n    devices: [ { id: plc, template: t, endpoint: "modbus+tcp://127.0.0.1:5020" } ]\n`,
  );
  return file;
}

async function scan(store: SeriesStore): Promise<Sample[]> {
  await store.init();
  try {
    const out: Sample[] = [];
    for await (const b of store.scan!(FROM, TO)) out.push(...b);
    return out.sort((a, b) => a.ts - b.ts || a.point.localeCompare(b.point));
  } finally {
    await store.close();
  }
}

describe('heatwatch import and export with an InfluxDB store', { timeout: 240_000 }, () => {
  const cfg = config('influx', `{ kind: influxdb, url: "${inject('influxUrl')}", database: ${database}, serverRetention: false }`);
  const expected: Sample[] = [];
  const rows = ['ts,point,value,quality'];
  for (let i = 0; i < 200; i++) {
    const ts = T0 + i * 5000;
    const t: Sample = i === 7 ? { point: 'hs-001.plc.t', ts, value: null, quality: 'bad' } : { point: 'hs-001.plc.t', ts, value: 55 + i / 4, quality: i % 9 === 0 ? 'uncertain' : 'good' };
    const run: Sample = { point: 'hs-001.plc.run', ts, value: i % 2 === 0, quality: 'good' };
    for (const s of [run, t]) {
      expected.push(s);
      rows.push(`${s.ts},${s.point},${s.value ?? ''},${s.quality}`);
    }
  }
  const csv = join(dir, 'history.csv');
  writeFileSync(csv, rows.join('\n') + '\n');

  it('stores each sample once, however often the file is imported', async () => {
    for (let k = 0; k < 2; k++) {
      const r = heatwatch('import', csv, '--config', cfg);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain('imported 400 samples');
      expect(await scan(influx())).toEqual(expected);
    }
  });

  it('its export, per-poll line protocol, imports into a fresh SQLite store as the same series', async () => {
    const lp = join(dir, 'influx.lp');
    const ex = heatwatch('export', '--config', cfg, '--from', String(FROM), '--to', String(TO), '--out', lp);
    expect(ex.status, ex.stderr).toBe(0);
    const fresh = config('fresh', `{ kind: sqlite, path: ${join(dir, 'fresh.db')} }`);
    const im = heatwatch('import', lp, '--config', fresh);
    expect(im.status, im.stderr).toBe(0);
    expect(await scan(new SqliteSeriesStore({ path: join(dir, 'fresh.db') }))).toEqual(expected);
  });
});
