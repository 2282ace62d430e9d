// The SQLite store's answers as JSON bytes (queryJson, what /api/series sends) are byte for
// byte JSON.stringify of query()'s points: with kept hour texts, after a late sample lands in a
// kept hour, after compaction rewrites its block, and through the worker thread.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Aggregation, SeriesQuery, SeriesStore } from '../../src/store/port.ts';
import type { JsonQuery } from '../../src/store/port.ts';
import { SqliteSeriesStore } from '../../src/store/sqlite-series.ts';
import { WorkerSeriesStore } from '../../src/store/worker/worker-store.ts';
import { DAY, HOUR, MIN, T0, chunks, generate, rng, s } from './series-store.behaviour.ts';

const dir = mkdtempSync(join(tmpdir(), 'hw-json-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const POINTS = ['j.a.t', 'j.a.u'];
const AGGS: Aggregation[] = ['mean', 'min', 'max', 'last', 'count'];

/** steps and ranges over every source and both ways of writing (kept hour texts, or not) */
const CASES: Array<[string, number, number, number]> = [
  ['1 min, hour-aligned', MIN, T0, T0 + 2 * DAY],
  ['1 min, edges inside hours', MIN, T0 + 17 * MIN + 5000, T0 + 2 * DAY - 23 * MIN],
  ['5 min', 5 * MIN, T0 + 7 * MIN, T0 + 2 * DAY + 3 * HOUR],
  ['7 min (does not divide the hour)', 7 * MIN, T0, T0 + 2 * DAY],
  ['1 h over 8 days (rollup_1h)', HOUR, T0, T0 + 8 * DAY],
  ['10 s over 6 h (raw)', 10_000, T0 + 47 * HOUR, T0 + 53 * HOUR],
];

async function expectSame(store: SeriesStore & JsonQuery, what: string): Promise<void> {
  for (const [name, stepMs, from, to] of CASES) {
    for (const agg of AGGS) {
      const q: SeriesQuery = { points: [...POINTS, 'j.a.none'], from, to, stepMs, agg };
      const want = await store.query(q);
      const got = await store.queryJson(q);
      expect(got.map((x) => [x.point, x.source])).toEqual(want.map((x) => [x.point, x.source]));
      got.forEach((x, i) => expect(Buffer.from(x.points).toString('latin1'), `${what}: ${name} ${agg} ${x.point}`).toBe(JSON.stringify(want[i].points)));
    }
  }
}

async function fill(store: SeriesStore & { compact?: SqliteSeriesStore['compact'] }): Promise<void> {
  // two days compacted into blocks, then three hours left in the head
  for (const b of chunks(generate(POINTS, T0, 2 * DAY, 10_000, rng(41)), 5000)) await store.write(b);
  (store as SqliteSeriesStore).compact?.({ all: true });
  for (const b of chunks(generate(POINTS, T0 + 2 * DAY, 3 * HOUR, 10_000, rng(42)), 5000)) await store.write(b);
}

describe('SqliteSeriesStore answers as JSON', () => {
  it('writes what JSON.stringify writes for the pairs, and keeps doing so as kept hours change', async () => {
    const store = new SqliteSeriesStore({ path: join(dir, 'a.db'), autoCompact: false });
    await store.init();
    await fill(store);
    await expectSame(store, 'first asked');
    await expectSame(store, 'asked again (kept hour texts)');
    // a late sample into a compacted, kept hour: a head row the block does not hold
    await store.write([s('j.a.t', T0 + 5 * HOUR + 30_500, 1234.5)]);
    await expectSame(store, 'late sample in the head');
    // compaction merges it into that hour's block: the kept text is of the old block
    store.compact({ all: true });
    await expectSame(store, 'late sample in the block');
    await store.close();
  });

  it('through the worker thread: the bytes arrive whole', async () => {
    const store = new WorkerSeriesStore({ kind: 'sqlite', options: { path: join(dir, 'w.db') } });
    await store.init();
    for (const b of chunks(generate(POINTS, T0, 2 * DAY, 10_000, rng(43)), 5000)) await store.write(b);
    await expectSame(store, 'worker');
    await expectSame(store, 'worker, asked again');
    await store.close();
  });
});
