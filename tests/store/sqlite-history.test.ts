// The history path (`heatwatch import`): hours past the grace go straight into blocks; the
// answers, the scan and the newest samples are those of write() plus compaction, an import run
// again changes nothing, and history meeting stored data (blocks, corrections, an hour in the
// head) is merged with it as the write path would.
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { columnsOf, PointTable } from '../../src/ingest/columns.ts';
import type { Sample } from '../../src/model.ts';
import type { SqliteSeriesStore } from '../../src/store/sqlite-series.ts';
import { counts, expectAnswers, expectedScan, scanAll, storesIn } from './historian-expect.ts';
import { HOUR, MIN, T0, chunks, generate, rng, s } from './series-store.behaviour.ts';
import { CHUNK } from '../../src/store/sqlite/schema.ts';

const { dir, open } = storesIn('hw-history-');

const history = (store: SqliteSeriesStore, samples: Sample[]) => store.writeHistory(columnsOf(samples, new PointTable())!);

function tsColumns(path: string): number {
  const db = new Database(path, { readonly: true });
  const n = db.prepare('SELECT count(*) FROM block_ts').pluck().get() as number;
  db.close();
  return n;
}

describe('SqliteSeriesStore history path', () => {
  it('writes the hours past the grace straight into blocks and answers as write() and compaction would; a second import changes nothing', async () => {
    const points = ['h.a.t', 'h.a.u', 'h.a.v'];
    const data = generate(points, T0 + 17 * MIN, 5 * HOUR, 10_000, rng(51));
    const newest = Math.max(...data.map((x) => x.ts));
    const due = Math.floor((newest - 5 * MIN) / MIN) * MIN;
    const path = `${dir}/direct.db`;
    const store = await open({}, path);
    for (const b of chunks(data, 40_000)) await history(store, b);
    expect(counts(path)).toEqual({ blocks: 6 * points.length, head: data.filter((x) => x.ts >= due).length });
    for (const p of points) await expectAnswers(store, data, p, `${p} from history`);
    expect(await scanAll(store, T0, T0 + 6 * HOUR)).toEqual(expectedScan(data));
    // the same file again: every block is the same, none is written
    const columns = tsColumns(path);
    await history(store, data);
    expect(counts(path)).toEqual({ blocks: 6 * points.length, head: data.filter((x) => x.ts >= due).length });
    expect(tsColumns(path)).toBe(columns);
    expect(await scanAll(store, T0, T0 + 6 * HOUR)).toEqual(expectedScan(data));
    await store.close();
    // after a restart, the newest samples and the answers still hold
    const again = await open({}, path);
    for (const p of points) {
      expect((await again.latest([p])).get(p)).toEqual(data.filter((x) => x.point === p).at(-1));
      await expectAnswers(again, data, p, `${p} after a restart`);
    }
    await again.close();
  });

  it('merges history with stored blocks, corrections and an hour the head holds', async () => {
    const path = `${dir}/merge.db`;
    const store = await open({ autoCompact: false }, path);
    const all = generate(['m.a.t', 'm.a.u'], T0, 4 * HOUR, 10_000, rng(52));
    const r = rng(53);
    const first = all.filter(() => r() < 0.5);
    const rest = all.filter((x) => !first.includes(x));
    // half the samples stored and compacted, then live samples of hour 2 in the head
    for (const b of chunks(first, 3000)) await store.write(b);
    store.compact({ all: true });
    const live = [s('m.a.t', T0 + 2 * HOUR + 7, 1.5), s('m.a.u', T0 + 2 * HOUR + 30 * MIN, 2.5, 'uncertain')];
    await store.write(live);
    // the rest as history, with corrections of stored samples (one turned bad) and a boolean series
    const good = first.filter((x) => x.point === 'm.a.t' && x.quality === 'good');
    const fixes = [{ ...good[10], value: 999 }, { ...good[200], value: null, quality: 'bad' as const }, { ...good[400], value: -1 }];
    const bools = [s('m.a.run', T0 + 5_000, true), s('m.a.run', T0 + HOUR + 5_000, false)];
    const batch = [...rest, ...fixes, ...bools].sort((a, b) => a.ts - b.ts);
    await history(store, batch);
    const truth = [...first, ...live, ...batch];
    for (const p of ['m.a.t', 'm.a.u']) await expectAnswers(store, truth, p, `${p} merged`);
    expect(await scanAll(store, T0, T0 + 5 * HOUR)).toEqual(expectedScan(truth));
    expect((await store.latest(['m.a.run'])).get('m.a.run')).toEqual(bools[1]);
    // hour 2 went through the head (it held rows), and the minutes within the grace of the newest
    const due = Math.floor((batch.at(-1)!.ts - 5 * MIN) / MIN) * MIN;
    const db = new Database(path, { readonly: true });
    const headHours = db.prepare(`SELECT DISTINCT c / ${HOUR / CHUNK} FROM head WHERE c < ? ORDER BY 1`).pluck().all(due / CHUNK);
    db.close();
    expect(headHours).toEqual([T0 / HOUR + 2]);
    store.compact({ all: true });
    for (const p of ['m.a.t', 'm.a.u']) await expectAnswers(store, truth, p, `${p} compacted`);
    expect(await scanAll(store, T0, T0 + 5 * HOUR)).toEqual(expectedScan(truth));
    await store.close();
  });

  it('keeps an import (beginHistory … endHistory) whole: rolled back, the store is as before; committed, as if written at once', async () => {
    const path = `${dir}/session.db`;
    const store = await open({}, path);
    const before = generate(['i.a.t'], T0, HOUR, 10_000, rng(54));
    await store.write(before);
    const data = generate(['i.a.t', 'i.a.u'], T0 + HOUR, 3 * HOUR, 10_000, rng(55));
    const runs = chunks(data, 700);
    const stored = counts(path);
    await store.beginHistory();
    for (const [i, run] of runs.entries()) await store.writeHistory(columnsOf(run, new PointTable())!, runs[i + 1]?.[0].ts);
    await store.endHistory(false);
    expect(await scanAll(store, T0, T0 + 5 * HOUR)).toEqual(expectedScan(before));
    expect((await store.latest(['i.a.t', 'i.a.u'])).get('i.a.t')).toEqual(before.at(-1));
    expect(counts(path)).toEqual(stored);
    await store.beginHistory();
    for (const [i, run] of runs.entries()) await store.writeHistory(columnsOf(run, new PointTable())!, runs[i + 1]?.[0].ts);
    await store.endHistory(true);
    const truth = [...before, ...data];
    for (const p of ['i.a.t', 'i.a.u']) await expectAnswers(store, truth, p, `${p} imported`);
    expect(await scanAll(store, T0, T0 + 5 * HOUR)).toEqual(expectedScan(truth));
    // an import left open is not kept
    await store.beginHistory();
    await history(store, [s('i.a.t', T0 + 4 * HOUR + 1, 7)]);
    await store.close();
    const again = await open({}, path);
    expect(await scanAll(again, T0, T0 + 5 * HOUR)).toEqual(expectedScan(truth));
    await again.close();
  });

  it('refuses what the sample rule refuses and keeps the rest of the batch', async () => {
    const store = await open();
    const ok = s('r.a.t', T0, 1);
    await history(store, [ok, s('not-a-point', T0, 2), s('r.a.t', T0 + 1000, Number.NaN)]);
    expect(store.counters().refused).toBe(2);
    expect(await scanAll(store, T0, T0 + HOUR)).toEqual([ok]);
    await store.close();
  });
});
