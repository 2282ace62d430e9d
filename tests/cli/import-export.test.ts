// `heatwatch import` / `export` as users run them (the binary, a config, SQLite files): an import
// stores each sample once however often it runs, refuses a file with problems before writing
// anything (naming the lines), and every export format imports back to the same series.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Sample } from '../../src/model.ts';
import { SqliteSeriesStore } from '../../src/store/sqlite-series.ts';

const dir = mkdtempSync(join(tmpdir(), 'heatwatch-import-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const heatwatch = (...args: string[]) => spawnSync(process.execPath, ['src/bin/heatwatch.js', ...args], { encoding: 'utf8', timeout: 120_000 });

/** A config of two stations (a float and a digital point each) over its own series file. */
function config(name: string): { file: string; db: string } {
  const db = join(dir, `${name}.db`);
  const file = join(dir, `${name}.yaml`);
  const station = (id: string) => `  - id: ${id}\n    devices: [ { id: plc, template: t, endpoint: "modbus+tcp://127.0.0.1:5020" } ]\n`;
  writeFileSync(
    file,
    `storage:\n  series: { kind: sqlite, path: ${db} }\n  state: { kind: sqlite, path: ${join(dir, `${name}-state.db`)} }\n` +
      `templates:\n  t:\n    protocol: modbus\n    points:\n      - { id: t, table: holding, address: 0, type: float32 }\n      - { id: run, table: coil, address: 0, type: bool }\n` +
      `stations:\n${station('hs-001')}${station('hs-002')}`,
  );
  return { file, db };
}

async function withStore<T>(db: string, f: (s: SqliteSeriesStore) => Promise<T>): Promise<T> {
  const store = new SqliteSeriesStore({ path: db });
  await store.init();
  try {
    return await f(store);
  } finally {
    await store.close();
  }
}

const T0 = Date.UTC(2024, 0, 15);
const FROM = Date.UTC(2000, 0, 1);
const TO = Date.now() + 3_600_000;
const POINTS = ['hs-001.plc.t', 'hs-001.plc.run', 'hs-002.plc.t', 'hs-002.plc.run'];

const all = (db: string) =>
  withStore(db, async (s) => {
    const out: Sample[] = [];
    for await (const b of s.scan(FROM, TO)) out.push(...b);
    return out;
  });
/** raw rows per point: one bucket over the whole file, count of good and uncertain values */
const counts = (db: string) => withStore(db, async (s) => (await s.query({ points: POINTS, from: T0, to: T0 + 3_600_000, stepMs: 3_600_000, agg: 'count' })).map((r) => r.points[0][1]));

/** 100 polls 10 s apart: ms and ISO times, a quoted field, a bad read, an uncertain one, booleans. */
function history(): string {
  const rows = ['ts,point,value,quality'];
  for (let i = 0; i < 100; i++) {
    const ts = T0 + i * 10_000;
    rows.push(`${ts},hs-001.plc.t,${(60 + i / 7).toFixed(3)},good`);
    rows.push(`${new Date(ts).toISOString()},hs-001.plc.run,${i % 3 === 0},`);
    rows.push(i === 50 ? `${ts},hs-002.plc.t,,bad` : `${ts},"hs-002.plc.t",${-i},${i % 10 === 0 ? 'uncertain' : 'good'}`);
    rows.push(`${ts},hs-002.plc.run,false,good`);
  }
  return rows.join('\r\n') + '\r\n';
}

describe('heatwatch import into SQLite', { timeout: 240_000 }, () => {
  const cfg = config('main');
  const csv = join(dir, 'history.csv');
  writeFileSync(csv, history());
  let before: Sample[] = [];

  it('stores each sample once, however often the file is imported', async () => {
    const first = heatwatch('import', csv, '--config', cfg.file);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^imported 400 samples from .*history\.csv into sqlite/);
    before = await all(cfg.db);
    expect(before).toHaveLength(400);
    expect(await counts(cfg.db)).toEqual([100, 100, 99, 100]); // the bad read is kept but not counted
    const again = heatwatch('import', csv, '--config', cfg.file);
    expect(again.status, again.stderr).toBe(0);
    expect(await all(cfg.db)).toEqual(before);
    expect(await counts(cfg.db)).toEqual([100, 100, 99, 100]);
    expect(before.find((s) => s.point === 'hs-002.plc.t' && s.ts === T0 + 500_000)).toEqual({ point: 'hs-002.plc.t', ts: T0 + 500_000, value: null, quality: 'bad' });
    expect(before.find((s) => s.point === 'hs-001.plc.run' && s.ts === T0)).toMatchObject({ value: true, quality: 'good' });
  });

  it('refuses a file with problems before writing anything, listing the first 20 lines and counting all', async () => {
    const rows = ['ts,point,value,quality', `${T0 + 5},hs-001.plc.t,1,good`];
    for (let i = 0; i < 30; i++) rows.push(`${T0 + i},hs-009.plc.t,1,good`); // lines 3..32: unknown station
    rows.push(`${Date.UTC(1999, 11, 31)},hs-001.plc.t,1,good`); // 33
    rows.push(`${Date.now() + 3_600_000},hs-001.plc.t,1,good`); // 34
    rows.push(`${T0},hs-001.plc.t,warm,good`); // 35
    rows.push(`${T0},hs-001.plc.nope,1,good`); // 36
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, rows.join('\n'));
    const r = heatwatch('import', bad, '--config', cfg.file);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`bad.csv:3: unknown_point: hs-009.plc.t is not a point of the config`);
    expect(r.stderr).toContain(`bad.csv:22: unknown_point`);
    expect(r.stderr).not.toContain(`bad.csv:23:`);
    expect(r.stderr).toContain('… and 14 more');
    expect(r.stderr).toContain('34 problems: 31 unknown_point, 1 too_old, 1 future, 1 malformed');
    expect(r.stderr).toContain('nothing imported');
    expect(await all(cfg.db)).toEqual(before);

    const dry = heatwatch('import', bad, '--config', cfg.file, '--dry-run');
    expect(dry.status).toBe(1);
    expect(dry.stdout).toContain('1 samples to import, 34 problems');
    expect(await all(cfg.db)).toEqual(before);

    const skip = heatwatch('import', bad, '--config', cfg.file, '--skip-invalid');
    expect(skip.status).toBe(3);
    expect(skip.stdout).toMatch(/imported 1 samples .*; 34 lines skipped/);
    expect(await all(cfg.db)).toHaveLength(401);
  });

  it('leaves nothing behind when a problem comes after hours already handed to the store', async () => {
    const late = config('late');
    const rows = ['ts,point,value,quality'];
    // 40,000 samples a second apart (1.5 MB, past the reader's first 1 MB chunk), then a problem
    for (let i = 0; i < 40_000; i++) rows.push(`${T0 + i * 1000},hs-001.plc.t,${i % 500},good`);
    rows.push(`${T0 + 40_000_000},hs-001.plc.nope,1,good`); // line 40,002
    const file = join(dir, 'late-problem.csv');
    writeFileSync(file, rows.join('\n') + '\n');
    // --batch 1: a run per hour, so several are written into the import's transaction before the problem is read
    const r = heatwatch('import', file, '--config', late.file, '--batch', '1');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('late-problem.csv:40002: unknown_point');
    expect(r.stderr).toContain('nothing imported');
    expect(await all(late.db)).toEqual([]);
    const skip = heatwatch('import', file, '--config', late.file, '--batch', '1', '--skip-invalid');
    expect(skip.status).toBe(3);
    expect(await all(late.db)).toHaveLength(40_000);
  });

  it('a file that is not CSV history is refused whole; usage errors exit 2', () => {
    const noHeader = join(dir, 'no-header.csv');
    writeFileSync(noHeader, `${T0},hs-001.plc.t,1,good\n`);
    const r = heatwatch('import', noHeader, '--config', cfg.file);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('no-header.csv:1: header must name the columns ts,point,value[,quality]');
    const json = heatwatch('import', join(dir, 'x.json'), '--config', cfg.file);
    expect(json.status).toBe(2);
    expect(json.stderr).toContain('--format csv|line');
    expect(heatwatch('export', '--config', cfg.file).status).toBe(2);
  });

  it.each([
    ['CSV, ISO times', 'out.csv', []],
    ['CSV, ms times, gzipped', 'out.csv.gz', ['--ts', 'ms']],
    ['line protocol per poll', 'out.lp', []],
    ['line protocol per point, gzipped', 'out.lp.gz', ['--layout', 'point']],
  ])('export as %s imports back to the same series', async (_label, name, extra) => {
    const file = join(dir, name);
    const ex = heatwatch('export', '--config', cfg.file, '--from', new Date(FROM).toISOString(), '--out', file, ...extra);
    expect(ex.status, ex.stderr).toBe(0);
    expect(ex.stderr).toContain('exported 401 samples');
    const fresh = config(`fresh-${name.replace(/\W/g, '-')}`);
    const im = heatwatch('import', file, '--config', fresh.file);
    expect(im.status, im.stderr).toBe(0);
    expect(await all(fresh.db)).toEqual(await all(cfg.db));
    expect(await counts(fresh.db)).toEqual(await counts(cfg.db));
  });

  it('export to stdout, only the points asked for', () => {
    const r = heatwatch('export', '--config', cfg.file, '--from', String(T0), '--to', String(T0 + 20_000), '--points', 'hs-001.plc.t,hs-002.plc.run', '--ts', 'ms');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.split('\n')).toEqual([
      'ts,point,value,quality',
      `${T0},hs-001.plc.t,60,good`,
      `${T0},hs-002.plc.run,false,good`,
      `${T0 + 5},hs-001.plc.t,1,good`, // from the --skip-invalid import above
      `${T0 + 10_000},hs-001.plc.t,60.143,good`,
      `${T0 + 10_000},hs-002.plc.run,false,good`,
      '',
    ]);
  });
});
