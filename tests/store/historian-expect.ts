// What the historian tests (sqlite-historian, sqlite-history) check a store against.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, expect } from 'vitest';
import type { Sample } from '../../src/model.ts';
import type { Aggregation } from '../../src/store/port.ts';
import { SqliteSeriesStore, type SqliteSeriesOptions } from '../../src/store/sqlite-series.ts';
import { DAY, HOUR, MIN, T0, bruteForce } from './series-store.behaviour.ts';

export const AGGS: Aggregation[] = ['mean', 'min', 'max', 'last', 'count'];

/** A temporary folder (removed after the file's tests) and a way to open a store in it. */
export function storesIn(prefix: string): { dir: string; open: (opts?: Partial<SqliteSeriesOptions>, path?: string) => Promise<SqliteSeriesStore> } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  const open = async (opts: Partial<SqliteSeriesOptions> = {}, path = join(dir, `h${n++}.db`)) => {
    const store = new SqliteSeriesStore({ path, ...opts });
    await store.init();
    return store;
  };
  return { dir, open };
}

/** rows in the blocks and samples in the head, read beside the store */
export function counts(path: string): { blocks: number; head: number } {
  return { blocks: fileValue(path, 'SELECT count(*) FROM block') as number, head: fileValue(path, 'SELECT coalesce(sum(m), 0) FROM head') as number };
}

/** One value of the file as it is on disk (a connection of its own, not what the store's reads show). */
export function fileValue(path: string, sql: string, ...params: unknown[]): unknown {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare(sql).pluck().get(...params);
  } finally {
    db.close();
  }
}

export async function scanAll(store: SqliteSeriesStore, from: number, to: number): Promise<Sample[]> {
  const out: Sample[] = [];
  for await (const b of store.scan(from, to)) out.push(...b);
  return out;
}

/** every sample of `writes`, the newest write per (point, ts), in scan order */
export function expectedScan(writes: Sample[]): Sample[] {
  const m = new Map<string, Sample>();
  for (const x of writes) m.set(`${x.point} ${x.ts}`, x.quality === 'bad' ? { ...x, value: null } : x);
  return [...m.values()].sort((a, b) => a.ts - b.ts || (a.point < b.point ? -1 : 1));
}

export function expectNear(got: Array<[number, number | null]>, want: Array<[number, number | null]>, what: string): void {
  expect(got.map((p) => p[0]), what).toEqual(want.map((p) => p[0]));
  got.forEach(([t, v], i) => {
    const w = want[i][1];
    if (v === null || w === null) expect(v, `${what} @${t}`).toBe(w);
    else expect(Math.abs(v - w), `${what} @${t}: ${v} vs ${w}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(w)));
  });
}

/** Raw, 1-minute and hourly answers of every aggregation equal a brute-force pass over `truth`. */
export async function expectAnswers(store: SqliteSeriesStore, writes: Sample[], point: string, what: string): Promise<void> {
  const truth = expectedScan(writes);
  const cases: Array<[number, number, string]> = [
    [10_000, 6 * HOUR, 'raw'],
    [45 * MIN, 6 * HOUR, 'raw'],
    [MIN, 12 * HOUR, 'rollup_1m'],
    [90 * MIN, 8 * DAY, 'rollup_1m'],
    [HOUR, 8 * DAY, 'rollup_1h'],
  ];
  for (const [stepMs, range, source] of cases) {
    for (const agg of AGGS) {
      const [r] = await store.query({ points: [point], from: T0, to: T0 + range, stepMs, agg });
      expect(r.source, what).toBe(source);
      expectNear(r.points, bruteForce(truth, point, T0, T0 + range, stepMs, agg), `${what} ${agg} ${stepMs}`);
    }
  }
}
