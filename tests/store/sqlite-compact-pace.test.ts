import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Sample } from '../../src/model.ts';
import { CompactionPace } from '../../src/store/sqlite/compact-pace.ts';
import { PointTable, columnsOf } from '../../src/ingest/columns.ts';
import { TableSlots } from '../../src/store/sqlite/write.ts';
import { CHUNK, chunkOf } from '../../src/store/sqlite/schema.ts';
import { counts, expectAnswers, storesIn } from './historian-expect.ts';
import { HOUR, MIN, T0 } from './series-store.behaviour.ts';

const { dir, open } = storesIn('hw-compact-pace-');

/** every `series` point polled once per `period` from T0 for `ms`: one write per poll */
function* polls(series: number, ms: number, period = 10_000): Generator<Sample[]> {
  for (let ts = T0; ts < T0 + ms; ts += period) {
    const poll: Sample[] = [];
    for (let i = 0; i < series; i++) poll.push({ point: `pace.d${Math.floor(i / 10)}.p${i % 10}`, ts, value: (i + ts / 10_000) % 97, quality: 'good' });
    yield poll;
  }
}

describe('CompactionPace', () => {
  it('lets steps run while the writes have earned them, and saves nothing up while nothing is due', () => {
    const p = new CompactionPace(2);
    expect(p.due).toBe(false);
    p.wrote(100);
    expect(p.due).toBe(true);
    p.spent(150, 10);
    expect(p.due).toBe(true); // 200 earned, 160 spent
    p.spent(60, 0);
    expect(p.due).toBe(false); // a step may overshoot: the debt is paid by later writes
    p.wrote(5);
    expect(p.due).toBe(false); // -10 + 10
    p.wrote(10);
    expect(p.due).toBe(true);
    p.idle(); // nothing was due: the 20 earned are dropped
    expect(p.due).toBe(false);
    p.spent(100, 0);
    p.wrote(40);
    p.idle(); // a debt is kept
    expect(p.due).toBe(false);
    p.wrote(11);
    expect(p.due).toBe(true);
  });

  it('refuses a ratio that is not a positive number', () => {
    for (const r of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) expect(() => new CompactionPace(r)).toThrow(/ratio/);
  });
});

describe('SqliteSeriesStore compaction pace', () => {
  it('moves no more than the ratio of what was written (plus one step), however large a step is', async () => {
    // 400 series, 128 per step (whole groups of 64): a step of a 10-minute pass is ~7,700 samples against writes of 400
    const store = await open({ compactBatch: 128, compactRatio: 2, compactWindowMs: 10 * MIN }, join(dir, 'bounded.db'));
    const written: number[] = [0];
    const moved: number[] = [0];
    for (const poll of polls(400, 2 * HOUR)) {
      await store.write(poll);
      written.push(written.at(-1)! + poll.length);
      moved.push(store.counters().compacted);
    }
    const step = 128 * 6 * 10 + 128; // samples of a 10-minute step, and its ids
    expect(moved.at(-1)!).toBeGreaterThan(0);
    // over any run of writes, what compaction moved is bounded by what they earned
    let worst = -Infinity;
    for (let i = 0; i < moved.length; i++)
      for (let j = i + 1; j < moved.length; j++) worst = Math.max(worst, moved[j] - moved[i] - 2 * (written[j] - written[i]));
    expect(worst).toBeLessThanOrEqual(step);
    await store.close();
  });

  it('keeps up when a step is small against a write: the head stays within grace and window', async () => {
    // 500 series polled every minute, 64 per step (the smallest, a group): each write of 500 earns 1,000 samples, a step is 640
    const path = join(dir, 'keeps-up.db');
    const store = await open({ compactBatch: 64, compactWindowMs: 10 * MIN }, path);
    const all: Sample[] = [];
    for (const poll of polls(500, 2 * HOUR, MIN)) {
      await store.write(poll);
      all.push(...poll.filter((x) => x.point.endsWith('.p0') && x.point.startsWith('pace.d7.')));
    }
    const { head } = counts(path);
    // grace 5 min + window 10 min + the pass in progress
    expect(head).toBeLessThanOrEqual(500 * 30);
    expect(store.counters().compacted).toBeGreaterThanOrEqual(500 * 90);
    await expectAnswers(store, all, 'pace.d7.p0', 'compacted while written');
    await store.close();
  });

  it('runs no compaction after a write whose writer is behind, and earns none: the polls come first', async () => {
    const store = await open({ compactWindowMs: 10 * MIN }, join(dir, 'behind.db'));
    const table = new PointTable();
    const slots = new TableSlots();
    const write = (b: Sample[], behind: boolean) => store.writeColumnsSync(columnsOf(b, table)!, table.ids, slots, behind);
    const all = [...polls(50, 30 * MIN)];
    // 30 minutes written while behind: the first 10-minute window was due after 15 of them
    for (const poll of all) write(poll, true);
    expect(store.counters().compacted).toBe(0);
    // the head still starts at the first poll: the lag /metrics shows as heatwatch_store_head_age_seconds
    expect(store.headFrom()).toBe(chunkOf(Math.min(...all[0].map((x) => x.ts))) * CHUNK);
    // caught up: one batch of 50 earns 100 samples of compaction, one step (a group) moves more
    const next: Sample[] = all[0].map((x) => ({ ...x, ts: x.ts + 30 * MIN }));
    write(next, false);
    expect(store.counters().compacted).toBeGreaterThan(0);
    expect(store.counters().compacted).toBeLessThanOrEqual(50 * 6 * 30);
    store.compact();
    expect(store.headFrom()).toBeGreaterThanOrEqual(all[0][0].ts + 10 * MIN);
    await expectAnswers(store, [...all.flat(), ...next].filter((x) => x.point === 'pace.d1.p3'), 'pace.d1.p3', 'after a pause');
    await store.close();
  });

  it('by default waits for 30 minutes of an hour (and their grace) before a pass: fewer re-encodings of the hour', async () => {
    const store = await open({}, join(dir, 'window.db'));
    let ts = T0;
    const write = async (until: number) => {
      for (; ts < until; ts += 10_000) await store.write(Array.from({ length: 20 }, (_, i) => ({ point: `win.d.p${i}`, ts, value: i, quality: 'good' as const })));
    };
    await write(T0 + 34 * MIN); // 0:00–0:29 due (5 min grace): less than the window
    expect(store.counters().compacted).toBe(0);
    await write(T0 + 36 * MIN); // 0:00–0:30 due
    expect(store.counters().compacted).toBe(20 * 6 * 30);
    await write(T0 + 64 * MIN); // 0:30–0:59 due: not yet a window, and the hour is not over
    expect(store.counters().compacted).toBe(20 * 6 * 30);
    await write(T0 + 66 * MIN); // the rest of the hour
    expect(store.counters().compacted).toBe(20 * 6 * 60);
    await store.close();
  });
});
