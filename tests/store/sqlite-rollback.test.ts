import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteSeriesStore } from '../../src/store/sqlite-series.ts';
import { PointTable, columnsOf } from '../../src/ingest/columns.ts';
import { TableSlots } from '../../src/store/sqlite/write.ts';
import { chunkOf } from '../../src/store/sqlite/schema.ts';
import type { Sample } from '../../src/model.ts';
import { DAY, HOUR, MIN, T0, bruteForce, chunks, generate, rng } from './series-store.behaviour.ts';

/** The store's two write paths: Sample objects, and columns as the worker thread writes them (one point table and slot cache across batches). */
const writePaths = [
  { path: 'samples', writer: (store: SqliteSeriesStore) => (b: Sample[]) => store.write(b) },
  {
    path: 'columns',
    writer: (store: SqliteSeriesStore) => {
      const table = new PointTable();
      const slots = new TableSlots();
      return async (b: Sample[]) => store.writeColumnsSync(columnsOf(b, table)!, table.ids, slots);
    },
  },
];

describe.each(writePaths)('SqliteSeriesStore rollback, writing $path', ({ writer }) => {
  const dir = mkdtempSync(join(tmpdir(), 'hw-sqlite-rb-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('puts open buckets, newest samples and new series back when SQLite aborts a batch midway', async () => {
    const path = join(dir, `abort-${Math.random().toString(36).slice(2)}.db`);
    const data = generate(['x.p.a', 'x.p.b', 'x.p.c'], T0, 2 * HOUR, 10_000, rng(7));
    const cut = Math.floor(data.length * 0.6);
    const store = new SqliteSeriesStore({ path });
    await store.init();
    const write = writer(store);
    // the first part, without point c (so the failing batch also adds a series)
    const first = data.slice(0, cut).filter((x) => x.point !== 'x.p.c');
    for (const b of chunks(first, 500)) await write(b);
    const rest = data.slice(0, cut).filter((x) => x.point === 'x.p.c').concat(data.slice(cut));
    const poison = rest[rest.length - 5];
    // a real SQLite failure inside the write transaction, after most of the batch was folded in memory
    const other = new Database(path);
    // (the head row of the poison's second)
    other.exec(`CREATE TRIGGER boom BEFORE INSERT ON head WHEN NEW.c = ${chunkOf(poison.ts)} BEGIN SELECT RAISE(ABORT, 'boom'); END`);
    await expect(write(rest)).rejects.toThrow(/boom/);
    expect((await store.latest(['x.p.c'])).size).toBe(0);
    other.exec('DROP TRIGGER boom');
    other.close();
    await write(rest);
    for (const point of ['x.p.a', 'x.p.b', 'x.p.c']) {
      for (const [stepMs, span] of [
        [10_000, 2 * HOUR],
        [MIN, 8 * HOUR],
        [HOUR, 8 * DAY],
      ]) {
        for (const agg of ['count', 'mean', 'last'] as const) {
          const [r] = await store.query({ points: [point], from: T0, to: T0 + span, stepMs, agg });
          expect(r.points, `${point} ${stepMs} ${agg}`).toEqual(bruteForce(data, point, T0, T0 + span, stepMs, agg));
        }
      }
      expect((await store.latest([point])).get(point)).toEqual(data.filter((x) => x.point === point).at(-1));
    }
    await store.close();
  });
});
