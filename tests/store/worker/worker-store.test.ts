import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Sample } from '../../../src/model.ts';
import { createSeriesStore } from '../../../src/store/create.ts';
import { SqliteSeriesStore } from '../../../src/store/sqlite-series.ts';
import { columnsOf, PointTable, toSamples } from '../../../src/ingest/columns.ts';
import { unwireSamples, wireColumns, wireTransfer } from '../../../src/store/worker/pack.ts';
import { WorkerSeriesStore } from '../../../src/store/worker/worker-store.ts';
import { describeSeriesStore, T0 } from '../series-store.behaviour.ts';

const dir = mkdtempSync(join(tmpdir(), 'hw-worker-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const open = async () => {
  const s = new WorkerSeriesStore({ kind: 'sqlite', options: { path: join(dir, `w${n++}.db`) } });
  await s.init();
  return s;
};

// the whole port contract, through the worker
describeSeriesStore('sqlite in a worker thread', open);

describe('WorkerSeriesStore', () => {
  it('sends a batch as columns and rebuilds it exactly, each point id once per worker', () => {
    const table = new PointTable();
    const sent = new Map<number, number>();
    const mirrors = new Map<number, string[]>();
    const batch: Sample[] = [
      { point: 'a.b.t', ts: T0, value: -0.5, quality: 'good' },
      { point: 'a.b.run', ts: T0 + 1, value: true, quality: 'uncertain' },
      { point: 'a.b.stop', ts: T0 + 2, value: false, quality: 'good' },
      { point: 'a.b.t', ts: T0 + 3, value: null, quality: 'bad' },
      { point: 'a.b.nan', ts: T0 + 4, value: Number.NaN, quality: 'good' },
    ];
    const c1 = columnsOf(batch, table)!;
    expect(toSamples(c1, table.ids)).toEqual(batch);
    const w1 = wireColumns(c1, sent);
    expect('newPoints' in w1 && w1.newPoints).toEqual(['a.b.t', 'a.b.run', 'a.b.stop', 'a.b.nan']);
    expect(wireTransfer(w1)).toHaveLength(4);
    expect(unwireSamples(w1, mirrors)).toEqual(batch);
    const w2 = wireColumns(columnsOf(batch.slice(0, 2), table)!, sent);
    expect('newPoints' in w2 && w2.newPoints).toEqual([]);
    expect(unwireSamples(w2, mirrors)).toEqual(batch.slice(0, 2));
    // what the columns cannot hold is not packed, so the store refuses it as it would in-process
    const odd = [{ point: 'a.b.t', ts: T0, value: 'hot', quality: 'good' }] as unknown as Sample[];
    expect(columnsOf(odd, table)).toBeNull();
  });

  it('is what createSeriesStore builds for a SQLite file; in-process on request and for :memory:', () => {
    expect(createSeriesStore({ kind: 'sqlite', path: join(dir, 'x.db') })).toBeInstanceOf(WorkerSeriesStore);
    expect(createSeriesStore({ kind: 'sqlite', path: join(dir, 'x.db') }, { inProcess: true })).toBeInstanceOf(SqliteSeriesStore);
    expect(createSeriesStore({ kind: 'sqlite', path: ':memory:' })).toBeInstanceOf(SqliteSeriesStore);
  });

  it('keeps write order, refuses bad samples like the store, and reopens the file after close', async () => {
    const path = join(dir, 'order.db');
    const s = new WorkerSeriesStore({ kind: 'sqlite', options: { path } });
    await s.init();
    expect(s.headFrom()).toBeNull();
    const writes = Array.from({ length: 20 }, (_, i) => s.write([{ point: 'a.b.c', ts: T0 + i * 1000, value: i, quality: 'good' }]));
    await s.write([{ point: 'a.b.c', ts: 5, value: 1, quality: 'good' }]); // before 2000: left out, not an error
    await Promise.all(writes);
    // each write's answer carries the head's start: the oldest second not yet compacted
    expect(s.headFrom()).toBe(T0);
    const [r] = await s.query({ points: ['a.b.c'], from: T0, to: T0 + 20_000, stepMs: 1000, agg: 'last' });
    expect(r.points.map(([, v]) => v)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    await s.close();
    await expect(s.latest(['a.b.c'])).rejects.toThrow(/closed/);
    await s.init();
    expect((await s.latest(['a.b.c'])).get('a.b.c')).toEqual({ point: 'a.b.c', ts: T0 + 19_000, value: 19, quality: 'good' });
    const scanned: Sample[] = [];
    for await (const b of s.scan(T0, T0 + 20_000)) scanned.push(...b);
    expect(scanned).toHaveLength(20);
    await s.close();
  });

  it('a call on a store that was never initialised fails like the store itself', async () => {
    const s = new WorkerSeriesStore({ kind: 'sqlite', options: { path: join(dir, 'never.db') } });
    await expect(s.write([{ point: 'a.b.c', ts: T0, value: 1, quality: 'good' }])).rejects.toThrow(/not open/);
    await s.close();
  });
});
