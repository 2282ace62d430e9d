import { spawn } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { Sample } from '../../src/model.ts';
import { AGGS, counts, expectAnswers, expectNear, expectedScan, fileValue, scanAll, storesIn } from './historian-expect.ts';
import { DAY, HOUR, MIN, T0, bruteForce, chunks, generate, rng, s } from './series-store.behaviour.ts';

const { dir, open } = storesIn('hw-historian-');

/** A store compacted by hand a group a step, holding an hour of 130 series (`${prefix}.d${i % 5}.p${i}`: three groups of 64 ids). */
async function threeGroups(file: string, prefix: string, seed: number) {
  const path = join(dir, file);
  const store = await open({ autoCompact: false, compactBatch: 64 }, path);
  const points = Array.from({ length: 130 }, (_, i) => `${prefix}.d${i % 5}.p${i}`);
  const data = generate(points, T0, HOUR, 10_000, rng(seed));
  for (const b of chunks(data, 5000)) await store.write(b);
  return { path, store, data };
}

describe('SqliteSeriesStore historian: head and compressed blocks', () => {
  it('compacts head minutes once they are past the grace, a window at a time, and answers the same before and after', async () => {
    const path = join(dir, 'compact.db');
    const store = await open({ autoCompact: false }, path);
    const data = generate(['c.a.t', 'c.a.u'], T0, 5 * HOUR, 10_000, rng(31));
    for (const b of chunks(data, 5000)) await store.write(b);
    await expectAnswers(store, data, 'c.a.t', 'head only');
    // due: every minute that ended 5 minutes (the grace) before the newest sample
    const newest = Math.max(...data.map((x) => x.ts));
    const due = Math.floor((newest - 5 * MIN) / MIN) * MIN;
    expect(store.compact().samples).toBe(data.filter((x) => x.ts < due).length);
    expect(counts(path)).toEqual({ blocks: 10, head: data.filter((x) => x.ts >= due).length });
    await expectAnswers(store, data, 'c.a.t', 'hours 0–3 and most of 4 in blocks');
    // 4 more minutes due, less than a window (10 minutes), and the hour is not over: nothing to do yet
    expect(newest + 4 * MIN - 5 * MIN).toBeLessThan(T0 + 5 * HOUR);
    await store.write([s('c.a.t', newest + 4 * MIN, 1)]);
    expect(store.compact().samples).toBe(0);
    data.push(s('c.a.t', newest + 4 * MIN, 1));
    expect(await scanAll(store, T0, T0 + 6 * HOUR)).toEqual(expectedScan(data));
    store.compact({ all: true });
    expect(counts(path)).toEqual({ blocks: 10 + (newest + 4 * MIN >= T0 + 5 * HOUR ? 1 : 0), head: 0 });
    await expectAnswers(store, data, 'c.a.u', 'all in blocks');
    expect((await store.latest(['c.a.t'])).get('c.a.t')).toEqual(data.filter((x) => x.point === 'c.a.t').at(-1));
    await store.close();
  });

  it('keeps late, out-of-order and replayed samples right across a compressed block, then merges them into it', async () => {
    const path = join(dir, 'late.db');
    // compaction by hand here, so the late samples are seen waiting in the head
    const store = await open({ autoCompact: false }, path);
    const all = generate(['l.b.t'], T0, 6 * HOUR, 10_000, rng(32));
    const r = rng(33);
    const late = all.filter(() => r() < 0.1);
    const onTime = all.filter((x) => !late.includes(x));
    for (const b of chunks(onTime, 2000)) await store.write(b);
    store.compact({ all: true });
    // late samples for compressed hours, newest first, in small batches
    for (const b of chunks([...late].reverse(), 37)) await store.write(b);
    // replays of compressed samples: unchanged (no-op), corrected, and turned bad
    const good = onTime.filter((x) => x.quality === 'good');
    const same = good.slice(100, 140);
    const fixed = { ...good[200], value: 999 };
    const nowBad = { ...good[300], value: null, quality: 'bad' as const };
    const bool = [s('l.b.run', T0 + 1000, true), s('l.b.run', T0 + 11_000, false)];
    await store.write([...same, fixed, nowBad, ...bool]);
    const truth = [...all, fixed, nowBad];
    await expectAnswers(store, truth, 'l.b.t', 'late in the head, merged at read');
    const { head } = counts(path);
    expect(head).toBe(late.length + bool.length); // replays of block samples never stay in the head
    store.compact({ all: true });
    expect(counts(path).head).toBe(0);
    await expectAnswers(store, truth, 'l.b.t', 'late merged into the blocks');
    expect((await scanAll(store, T0, T0 + 6 * HOUR)).filter((x) => x.point === 'l.b.t')).toEqual(expectedScan(truth));
    // the same after a restart
    await store.close();
    const again = await open({}, path);
    await expectAnswers(again, truth, 'l.b.t', 'after a restart');
    expect((await again.latest(['l.b.run'])).get('l.b.run')).toEqual(bool[1]);
    // a replay after the restart is still recognised as one
    await again.write([{ ...fixed, value: 5 }]);
    const truth2 = [...truth, { ...fixed, value: 5 }];
    await expectAnswers(again, truth2, 'l.b.t', 'a correction after a restart');
    await again.close();
  });

  it('compacts in steps of a group of series while writes go on, late samples among them', async () => {
    const path = join(dir, 'steps.db');
    // 130 series: three groups of 64 ids, one per step
    const store = await open({ compactBatch: 64 }, path);
    const points = Array.from({ length: 130 }, (_, i) => `m.d${i % 5}.p${i}`);
    const data = generate(points, T0, 4 * HOUR, 10_000, rng(39));
    const r = rng(40);
    const late = new Set(data.filter(() => r() < 0.05));
    const onTime = data.filter((x) => !late.has(x));
    const batches = chunks(onTime, 300);
    // the late ones arrive 40 minutes after their time, in the middle of the passes
    const waiting = new Set(late);
    for (const b of batches) {
      const due = [...waiting].filter((x) => x.ts < b.at(-1)!.ts - 40 * MIN);
      for (const x of due) waiting.delete(x);
      await store.write([...b, ...due]);
    }
    await store.write([...waiting]);
    expect(store.counters().compacted).toBeGreaterThan(data.length / 2);
    for (const p of [points[0], points[70], points[129]]) await expectAnswers(store, data, p, `${p} while compacting`);
    expect(await scanAll(store, T0, T0 + 5 * HOUR)).toEqual(expectedScan(data));
    await store.close();
  });

  it('lets the points of one poll share a timestamp column, and a rewritten block keep its own', async () => {
    const path = join(dir, 'shared.db');
    const store = await open({ autoCompact: false }, path);
    const points = ['d.plc.a', 'd.plc.b', 'd.plc.c', 'd.plc.run'];
    const r = rng(41);
    const data: Sample[] = [];
    for (let t = T0; t < T0 + 2 * HOUR; t += 10_000) {
      const ts = t + Math.floor(r() * 20); // one poll: one ts for all its points
      const down = r() < 0.05;
      for (const p of points) data.push(down ? s(p, ts, null, 'bad') : s(p, ts, p.endsWith('run') ? r() < 0.5 : Math.round(r() * 1e4) / 100));
    }
    await store.write(data);
    store.compact({ all: true });
    const db = new Database(path, { readonly: true });
    expect(db.prepare('SELECT count(*) FROM block_ts').pluck().get()).toBe(2); // one per hour
    expect(db.prepare('SELECT count(*) FROM block').pluck().get()).toBe(8);
    db.close();
    const scanned = await scanAll(store, T0, T0 + 2 * HOUR);
    expect(scanned).toEqual(expectedScan(data));
    // a correction rewrites one block (with its own timestamps again); a late sample joins another
    const fix = { ...data.find((x) => x.point === 'd.plc.b' && x.quality === 'good')!, value: -5 };
    const late = s('d.plc.c', T0 + 5, 1.25);
    await store.write([fix, late]);
    store.compact({ all: true });
    const truth = [...data, fix, late];
    expect(await scanAll(store, T0, T0 + 2 * HOUR)).toEqual(expectedScan(truth));
    for (const p of ['d.plc.a', 'd.plc.b', 'd.plc.c']) await expectAnswers(store, truth, p, `${p} after the rewrite`);
    await store.close();
  });

  it('answers buckets that straddle a block boundary and a head/block boundary', async () => {
    const store = await open({ autoCompact: false });
    const data = generate(['b.c.t'], T0, 3 * HOUR, 10_000, rng(34));
    for (const b of chunks(data, 5000)) await store.write(b);
    store.compact(); // hours 0 and 1 into blocks (2 is the newest), 2 stays in the head
    // late samples into the compressed minutes 59 and 60 (either side of the block boundary)
    const late = [s('b.c.t', T0 + HOUR - 1, 1.5), s('b.c.t', T0 + HOUR + 1, 2.5), s('b.c.t', T0 + 2 * HOUR - 2, 3.5)];
    await store.write(late);
    const truth = [...data, ...late];
    for (const [stepMs, range] of [
      [7 * MIN, 3 * HOUR],
      [2 * HOUR, 6 * HOUR],
      [90 * MIN, 8 * DAY],
      [2 * MIN, 7 * HOUR],
    ]) {
      for (const agg of AGGS) {
        const [r] = await store.query({ points: ['b.c.t'], from: T0, to: T0 + range, stepMs, agg });
        expectNear(r.points, bruteForce(truth, 'b.c.t', T0, T0 + range, stepMs, agg), `${agg} ${stepMs} ${r.source}`);
      }
    }
    await store.close();
  });

  it('stores an integer register exactly and a float within its resolution', async () => {
    const path = join(dir, 'enc.db');
    const store = await open({ encodings: { 'e.p.p': { kind: 'int', scale: 0.001 }, 'e.p.h': { kind: 'int', scale: 0.01, offset: -40 }, 'e.p.t': { kind: 'float', resolution: 0.01 } } }, path);
    const r = rng(35);
    const data: Sample[] = [];
    for (let t = T0; t < T0 + 3 * HOUR; t += 10_000) {
      const raw = Math.floor(r() * 65536) - 32768;
      data.push(s('e.p.p', t, raw * 0.001), s('e.p.h', t, Math.floor(r() * 2 ** 32) * 0.01 + -40), s('e.p.t', t + 3, 40 + r() * 40));
    }
    for (const b of chunks(data, 5000)) await store.write(b);
    store.compact({ all: true });
    expect(counts(path).head).toBe(0);
    const got = await scanAll(store, T0, T0 + 3 * HOUR);
    const byKey = new Map(got.map((x) => [`${x.point} ${x.ts}`, x]));
    expect(got).toHaveLength(data.length);
    for (const x of data) {
      const y = byKey.get(`${x.point} ${x.ts}`)!;
      if (x.point === 'e.p.t') expect(Math.abs((y.value as number) - (x.value as number))).toBeLessThanOrEqual(0.005 + 1e-12);
      else expect(y.value, x.point).toBe(x.value); // bit for bit
    }
    // a raw query of the integer register gives the written values exactly
    const [last] = await store.query({ points: ['e.p.p'], from: T0, to: T0 + HOUR, stepMs: 10_000, agg: 'last' });
    expect(last.points.map((p) => p[1])).toEqual(data.filter((x) => x.point === 'e.p.p' && x.ts < T0 + HOUR).map((x) => x.value));
    await store.close();
  });

  it('loses and duplicates nothing when compaction fails inside its transaction', async () => {
    const path = join(dir, 'abort.db');
    const store = await open({ autoCompact: false }, path);
    const data = generate(['x.a.a', 'x.a.b', 'x.a.c'], T0, 3 * HOUR, 10_000, rng(36));
    for (const b of chunks(data, 5000)) await store.write(b);
    const before = counts(path);
    const other = new Database(path);
    other.exec(`CREATE TRIGGER boom BEFORE INSERT ON block WHEN NEW.k % 4294967296 = 3 BEGIN SELECT RAISE(ABORT, 'boom'); END`);
    expect(() => store.compact({ all: true })).toThrow(/boom/);
    expect(counts(path)).toEqual(before);
    await expectAnswers(store, data, 'x.a.a', 'after a failed compaction');
    other.exec('DROP TRIGGER boom');
    other.close();
    store.compact({ all: true });
    expect(counts(path)).toEqual({ blocks: 9, head: 0 });
    for (const p of ['x.a.a', 'x.a.c']) await expectAnswers(store, data, p, `${p} compacted`);
    await store.close();
  });

  it.each([
    ['in the middle of compaction', '3', (before: { blocks: number; head: number }) => before],
    // hour 0's three blocks were written; its head rows, hidden, are still there
    ['while a pass deletes the rows it merged', 'clear', (before: { blocks: number; head: number }) => ({ blocks: 3, head: before.head })],
  ])('loses and duplicates nothing when the process is killed %s', async (_, victim, afterKill) => {
    const path = join(dir, `killed-${victim}.db`);
    const store = await open({ autoCompact: false }, path);
    const data = generate(['k.a.a', 'k.a.b', 'k.a.c'], T0, 3 * HOUR, 10_000, rng(37));
    for (const b of chunks(data, 5000)) await store.write(b);
    await store.close();
    const before = counts(path);
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures', 'compact-crash-child.ts'), path, victim], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const [code, signal] = await new Promise<[number | null, string | null]>((res) => child.on('exit', (c, sig) => res([c, sig])));
    expect([code, signal, out.trim()]).toEqual([null, 'SIGKILL', 'dying']);
    expect(counts(path)).toEqual(afterKill(before));
    const again = await open({ autoCompact: false }, path);
    for (const p of ['k.a.a', 'k.a.c']) await expectAnswers(again, data, p, `${p} after the kill`);
    again.compact({ all: true });
    expect(counts(path)).toEqual({ blocks: 9, head: 0 });
    for (const p of ['k.a.a', 'k.a.b', 'k.a.c']) await expectAnswers(again, data, p, `${p} compacted after the kill`);
    await again.close();
  });

  it('hides the rows a pass has merged until its end deletes them, through late and replayed samples and a restart', async () => {
    // v.d0.p0 has id 1 (group 0), v.d0.p100 group 1
    const { path, store, data } = await threeGroups('deferred.db', 'v', 41);
    const headRows = (g: number) => ({
      n: fileValue(path, 'SELECT count(*) FROM head WHERE g = ?', g),
      pass: fileValue(path, "SELECT value FROM meta WHERE key = 'compact_pass'") !== undefined,
    });
    const group0 = headRows(0).n;
    const step = store.compactStep();
    expect(step).toMatchObject({ ids: 64, rows: 0 });
    // group 0 is in blocks, and its rows are still in the head, hidden: every answer counts them once
    expect(counts(path).blocks).toBeGreaterThan(0);
    expect(headRows(0)).toEqual({ n: group0, pass: true });
    await expectAnswers(store, data, 'v.d0.p0', 'group 0 merged, its rows not yet deleted');
    await expectAnswers(store, data, 'v.d0.p100', 'group 1 not merged yet');
    // a replay of a hidden sample changes its block; a late sample beside it stays in the head
    const inZone = (x: Sample, p: string) => x.point === p && x.quality === 'good' && x.ts > T0 + 10 * MIN && x.ts < T0 + 40 * MIN;
    const replay = { ...data.find((x) => inZone(x, 'v.d1.p1'))!, value: 12_345 };
    const before = data.find((x) => inZone(x, 'v.d0.p0'))!;
    const late = s('v.d0.p0', before.ts + 1, 777);
    expect(data.some((x) => x.point === late.point && x.ts === late.ts)).toBe(false);
    await store.write([replay, late]);
    const truth = [...data, replay, late];
    for (const p of ['v.d1.p1', 'v.d0.p0']) await expectAnswers(store, truth, p, `${p} replayed and late beside hidden rows`);
    expect((await scanAll(store, T0, T0 + HOUR)).filter((x) => x.point === 'v.d1.p1' || x.point === 'v.d0.p0')).toEqual(
      expectedScan(truth).filter((x) => x.point === 'v.d1.p1' || x.point === 'v.d0.p0'),
    );
    // a restart keeps them hidden and goes on with the pass where it stopped
    await store.close();
    const again = await open({ autoCompact: false, compactBatch: 64 }, path);
    for (const p of ['v.d1.p1', 'v.d0.p0', 'v.d0.p100']) await expectAnswers(again, truth, p, `${p} after a restart in the pass`);
    const rest = [again.compactStep(), again.compactStep()];
    expect(rest.map((r) => r?.ids)).toEqual([64, 64]);
    // every group merged: the next steps delete the pass's rows a minute of chunks at a time
    const cleared = again.compactStep();
    expect(cleared).toMatchObject({ ids: 0, samples: 0 });
    expect(cleared!.rows).toBeGreaterThan(0);
    await expectAnswers(again, truth, 'v.d0.p100', 'while the pass deletes its rows');
    again.compact();
    expect(headRows(0).pass).toBe(false);
    // left in the head: the minutes not yet due. The late sample, written after its group was
    // merged, was not deleted with the pass's rows: the next pass (its chunk then the oldest) merged it
    const due = Math.floor((Math.max(...data.map((x) => x.ts)) - 5 * MIN) / MIN) * MIN;
    expect(counts(path).head).toBe(truth.filter((x) => x.ts >= due).length);
    for (const p of ['v.d1.p1', 'v.d0.p0']) await expectAnswers(again, truth, p, `${p} after the pass`);
    again.compact({ all: true });
    expect(counts(path).head).toBe(0);
    await expectAnswers(again, truth, 'v.d0.p0', 'all in blocks');
    await again.close();
  });

  it('hides no rows when the newest head row lies in the pass, so a row written after it is deleted is never hidden', async () => {
    const { path, store, data } = await threeGroups('newest-inside.db', 'w', 42);
    // written last, so the head's newest row: a late sample of group 0 inside the pass's minutes
    const at = data.find((x) => x.point === 'w.d0.p0' && x.ts > T0 + 10 * MIN)!.ts;
    const late = s('w.d0.p0', at + 1, 5);
    await store.write([late]);
    const groupRows = () => fileValue(path, 'SELECT count(*) FROM head WHERE g = 0 AND c < ?', Math.floor((T0 + 40 * MIN) / 10_000)) as number;
    expect(groupRows()).toBeGreaterThan(0);
    expect(store.compactStep()).toMatchObject({ ids: 64 });
    // the pass would delete the newest row, and SQLite would give the next row a rowid it hides: it deletes each step's rows at once
    expect(groupRows()).toBe(0);
    for (let i = 0; i < 14; i++) store.compactStep();
    const later = s('w.d0.p0', T0 + 30 * MIN + 2, 6);
    await store.write([later]);
    const truth = [...data, late, later];
    await expectAnswers(store, truth, 'w.d0.p0', 'a row written after the pass began');
    store.compact({ all: true });
    expect(counts(path).head).toBe(0);
    await expectAnswers(store, truth, 'w.d0.p0', 'all in blocks');
    await store.close();
  });

  it('keeps 1-minute rollups of blocks that raw retention removes, then drops them in turn', async () => {
    const store = await open({ autoCompact: false });
    const data = generate(['r.a.t'], T0, 2 * HOUR, 10_000, rng(38));
    await store.write(data);
    store.compact({ all: true });
    const now = T0 + 40 * DAY;
    expect(await store.applyRetention(now)).toBe(data.length);
    const [raw] = await store.query({ points: ['r.a.t'], from: T0, to: T0 + 2 * HOUR, stepMs: MIN, agg: 'count' });
    expect(raw.points.every(([, c]) => c === 0)).toBe(true);
    for (const agg of AGGS) {
      const [m] = await store.query({ points: ['r.a.t'], from: T0 - DAY, to: T0 + DAY, stepMs: MIN, agg });
      expect(m.source).toBe('rollup_1m');
      expectNear(m.points, bruteForce(data, 'r.a.t', T0 - DAY, T0 + DAY, MIN, agg), agg);
    }
    expect(await store.applyRetention(now)).toBe(0);
    expect(await store.applyRetention(T0 + 301 * DAY)).toBe(bruteForce(data, 'r.a.t', T0, T0 + 2 * HOUR, MIN, 'count').filter(([, c]) => c! > 0).length);
    await store.close();
  });

  it('starts up after a crash without walking the empty chunks between 2000 and 2099', async () => {
    const path = join(dir, 'span.db');
    const a = await open({ autoCompact: false }, path);
    await a.write([s('w.a.t', Date.UTC(2000, 0, 1), 1), s('w.a.t', T0, 2), s('w.a.u', Date.UTC(2099, 11, 31), 3), s('w.a.u', T0, 4)]);
    // no close(): the next start rebuilds the open buckets from the head (once a walk over 5·10⁷ chunks)
    const b = await open({ autoCompact: false }, path);
    expect((await b.latest(['w.a.t', 'w.a.u'])).get('w.a.u')).toEqual(s('w.a.u', Date.UTC(2099, 11, 31), 3));
    const [r] = await b.query({ points: ['w.a.t'], from: T0, to: T0 + DAY, stepMs: HOUR, agg: 'count' });
    expect(r.points[0]).toEqual([T0, 1]);
    await b.write([s('w.a.t', T0 + 1000, 5)]);
    expect((await b.latest(['w.a.t'])).get('w.a.t')).toEqual(s('w.a.t', T0 + 1000, 5));
    await b.close();
    await a.close();
  });
});
