import { afterEach, describe, expect, it } from 'vitest';
import type { Quality, Sample } from '../../src/model.ts';
import type { Aggregation, SeriesStore } from '../../src/store/port.ts';
import { mulberry32 } from '../../simulators/random.ts';

/**
 * Behaviour every SeriesStore must show, whatever the database. `makeStore` returns an
 * initialised, empty store with the default retention (30 days raw, rollups 10×/100×).
 *
 * @example
 * describeSeriesStore('sqlite', async () => { const s = new SqliteSeriesStore({ path: ':memory:' }); await s.init(); return s; });
 */
export function describeSeriesStore(name: string, makeStore: () => Promise<SeriesStore>): void {
  describe(`SeriesStore behaviour: ${name}`, () => {
    const open: SeriesStore[] = [];
    const make = async () => {
      const s = await makeStore();
      open.push(s);
      return s;
    };
    afterEach(async () => {
      for (const s of open.splice(0)) await s.close();
    });

    it('returns the latest sample per point, booleans as booleans and null for bad reads', async () => {
      const store = await make();
      await store.write([
        s('a.b.t', T0, 10.5),
        s('a.b.t', T0 + 10_000, 11.25),
        s('a.b.run', T0, false),
        s('a.b.run', T0 + 10_000, true),
        s('a.b.p', T0, 1.5),
        s('a.b.p', T0 + 10_000, null, 'bad'),
      ]);
      const got = await store.latest(['a.b.t', 'a.b.run', 'a.b.p', 'a.b.unknown']);
      expect(got.get('a.b.t')).toEqual(s('a.b.t', T0 + 10_000, 11.25));
      expect(got.get('a.b.run')).toEqual(s('a.b.run', T0 + 10_000, true));
      expect(got.get('a.b.run')!.value).toBe(true);
      expect(got.get('a.b.p')).toEqual(s('a.b.p', T0 + 10_000, null, 'bad'));
      expect(got.has('a.b.unknown')).toBe(false);
    });

    it('keeps one row per (point, ts) when a batch is replayed, in raw and rollup answers', async () => {
      const store = await make();
      const data = generate(['x.y.a'], T0, 8 * HOUR, 10_000, rng(1));
      for (const b of chunks(data, 1000)) await store.write(b);
      const qRaw = { points: ['x.y.a'], from: T0, to: T0 + 2 * HOUR, stepMs: MIN, agg: 'count' as const };
      const qRoll = { points: ['x.y.a'], from: T0, to: T0 + 8 * HOUR, stepMs: 10 * MIN, agg: 'count' as const };
      const before = [await store.query(qRaw), await store.query(qRoll)];
      for (const b of chunks(data, 777)) await store.write(b);
      expect([await store.query(qRaw), await store.query(qRoll)]).toEqual(before);
      expect(before[0][0].points.reduce((n, [, c]) => n + (c ?? 0), 0)).toBe(
        data.filter((x) => x.ts < T0 + 2 * HOUR && x.quality !== 'bad').length,
      );
    });

    it('computes every aggregation at every step like a brute-force pass over random data with gaps', async () => {
      const store = await make();
      const points = ['s1.d.t', 's2.d.q'];
      const data = generate(points, T0, 5 * HOUR, 10_000, rng(7));
      for (const b of chunks(data, 2500)) await store.write(b);
      const from = T0 + 17_345;
      const to = T0 + 5 * HOUR - 1_234;
      for (const stepMs of [7_000, 10_000, 45_000, MIN, 5 * MIN, 3_600_000]) {
        for (const agg of AGGS) {
          const res = await store.query({ points, from, to, stepMs, agg });
          expect(res.map((r) => r.point)).toEqual(points);
          for (const r of res) {
            expect(r.source).toBe('raw');
            expectClose(r.points, bruteForce(data, r.point, from, to, stepMs, agg), `${r.point} ${agg} step ${stepMs}`);
          }
        }
      }
    });

    it('leaves bad samples out of aggregations: a bucket of only bad reads is null (count 0)', async () => {
      const store = await make();
      await store.write([
        s('a.b.t', T0 + 1_000, 10),
        s('a.b.t', T0 + 2_000, null, 'bad'),
        s('a.b.t', T0 + 3_000, 20, 'uncertain'),
        s('a.b.t', T0 + MIN + 1_000, null, 'bad'),
        s('a.b.t', T0 + MIN + 2_000, null, 'bad'),
      ]);
      const q = (agg: Aggregation) => store.query({ points: ['a.b.t'], from: T0, to: T0 + 2 * MIN, stepMs: MIN, agg });
      expect((await q('mean'))[0].points).toEqual([[T0, 15], [T0 + MIN, null]]);
      expect((await q('count'))[0].points).toEqual([[T0, 2], [T0 + MIN, 0]]);
      expect((await q('last'))[0].points).toEqual([[T0, 20], [T0 + MIN, null]]);
    });

    it('aligns buckets to multiples of the step, fills empty ones, from inclusive and to exclusive', async () => {
      const store = await make();
      await store.write([
        s('a.b.t', T0 + 5 * MIN - 1, 1), // before the first bucket
        s('a.b.t', T0 + 5 * MIN, 2), // first ms of the first bucket
        s('a.b.t', T0 + 9 * MIN + 59_999, 3), // last ms of the last bucket
        s('a.b.t', T0 + 10 * MIN, 4), // ts == to: excluded
      ]);
      const from = T0 + 5 * MIN + 12_345; // inside the first bucket, not aligned
      const [mean] = await store.query({ points: ['a.b.t'], from, to: T0 + 10 * MIN, stepMs: MIN, agg: 'mean' });
      expect(mean.points).toEqual([
        [T0 + 5 * MIN, 2],
        [T0 + 6 * MIN, null],
        [T0 + 7 * MIN, null],
        [T0 + 8 * MIN, null],
        [T0 + 9 * MIN, 3],
      ]);
      const [count] = await store.query({ points: ['a.b.t'], from, to: T0 + 10 * MIN, stepMs: MIN, agg: 'count' });
      expect(count.points.map((p) => p[1])).toEqual([1, 0, 0, 0, 1]);
      const [none] = await store.query({ points: ['a.b.t'], from: T0 + 20 * MIN, to: T0 + 20 * MIN, stepMs: MIN, agg: 'mean' });
      expect(none.points).toEqual([]);
    });

    it('answers 24 h at 1-minute steps from the 1-minute rollup, equal to the raw brute force', async () => {
      const store = await make();
      const data = generate(['r.o.t'], T0, DAY, 10_000, rng(3));
      for (const b of chunks(data, 5000)) await store.write(b);
      for (const agg of AGGS) {
        const [r] = await store.query({ points: ['r.o.t'], from: T0, to: T0 + DAY, stepMs: MIN, agg });
        expect(r.source).toBe('rollup_1m');
        expect(r.points).toHaveLength(1440);
        expectClose(r.points, bruteForce(data, 'r.o.t', T0, T0 + DAY, MIN, agg), `rollup ${agg}`);
      }
      const [r15] = await store.query({ points: ['r.o.t'], from: T0, to: T0 + DAY, stepMs: 15 * MIN, agg: 'mean' });
      expect(r15.source).toBe('rollup_1m');
      expectClose(r15.points, bruteForce(data, 'r.o.t', T0, T0 + DAY, 15 * MIN, 'mean'), 'rollup 15 min mean');
    });

    it('answers long ranges at hourly steps from the 1-hour rollup', async () => {
      const store = await make();
      const data = generate(['r.o.h'], T0, 8 * DAY, 60_000, rng(5));
      for (const b of chunks(data, 5000)) await store.write(b);
      for (const agg of AGGS) {
        const [r] = await store.query({ points: ['r.o.h'], from: T0, to: T0 + 8 * DAY, stepMs: HOUR, agg });
        expect(r.source).toBe('rollup_1h');
        expectClose(r.points, bruteForce(data, 'r.o.h', T0, T0 + 8 * DAY, HOUR, agg), `1h ${agg}`);
      }
    });

    it('merges out-of-order and late samples (and corrected replays) into buckets already written', async () => {
      const store = await make();
      const all = generate(['l.a.t'], T0, 12 * HOUR, 10_000, rng(11));
      const r = rng(12);
      const late = all.filter(() => r() < 0.15);
      const onTime = all.filter((x) => !late.includes(x));
      for (const b of chunks(onTime, 3000)) await store.write(b);
      // the late ones arrive newest first, in small batches, after later buckets were closed
      for (const b of chunks(late.reverse(), 50)) await store.write(b);
      // a corrected replay: the same ts with a new value replaces the old one
      const fix = { ...all.find((x) => x.quality === 'good' && x.ts > T0 + HOUR)! };
      fix.value = 999;
      await store.write([fix]);
      const truth = all.map((x) => (x.ts === fix.ts && x.point === fix.point ? fix : x));
      for (const [stepMs, span] of [
        [MIN, 12 * HOUR],
        [10 * MIN, 12 * HOUR],
        [MIN, 2 * HOUR],
      ]) {
        for (const agg of AGGS) {
          const [res] = await store.query({ points: ['l.a.t'], from: T0, to: T0 + span, stepMs, agg });
          expectClose(res.points, bruteForce(truth, 'l.a.t', T0, T0 + span, stepMs, agg), `late ${agg} ${stepMs} ${res.source}`);
        }
      }
    });

    it('applies retention: raw after 30 days, 1-minute rollups after 300, hourly after 3000', async () => {
      const store = await make();
      const now = T0 + 5000 * DAY;
      const at = (days: number) => now - days * DAY;
      await store.write([
        s('k.e.t', at(2000), 1),
        s('k.e.t', at(400), 2),
        s('k.e.t', at(40), 3),
        s('k.e.t', at(29), 4),
        s('k.e.t', at(3500), 5),
      ]);
      const removed = await store.applyRetention(now);
      expect(removed).toBeGreaterThan(0);
      const rawAt = async (t: number) =>
        (await store.query({ points: ['k.e.t'], from: t - MIN, to: t + MIN, stepMs: MIN, agg: 'count' }))[0].points.reduce(
          (n, [, c]) => n + (c ?? 0),
          0,
        );
      expect(await rawAt(at(29))).toBe(1);
      expect(await rawAt(at(40))).toBe(0);
      const minuteAt = async (t: number) => {
        const [r] = await store.query({ points: ['k.e.t'], from: t - 12 * HOUR, to: t + 12 * HOUR, stepMs: MIN, agg: 'count' });
        expect(r.source).toBe('rollup_1m');
        return r.points.reduce((n, [, c]) => n + (c ?? 0), 0);
      };
      expect(await minuteAt(at(40))).toBe(1);
      expect(await minuteAt(at(400))).toBe(0);
      const hourAt = async (t: number) => {
        const [r] = await store.query({ points: ['k.e.t'], from: t - 5 * DAY, to: t + 5 * DAY, stepMs: HOUR, agg: 'count' });
        expect(r.source).toBe('rollup_1h');
        return r.points.reduce((n, [, c]) => n + (c ?? 0), 0);
      };
      expect(await hourAt(at(2000))).toBe(1);
      expect(await hourAt(at(3500))).toBe(0);
      expect(await store.applyRetention(now)).toBe(0);
    });

    it('answers several points in one query, in the order asked, unknown points as empty buckets', async () => {
      const store = await make();
      await store.write([s('m.a.x', T0 + 1000, 1), s('m.b.y', T0 + 1000, 2), s('m.a.x', T0 + MIN, 3)]);
      const res = await store.query({ points: ['m.b.y', 'm.none.z', 'm.a.x'], from: T0, to: T0 + 2 * MIN, stepMs: MIN, agg: 'max' });
      expect(res.map((r) => [r.point, r.points])).toEqual([
        ['m.b.y', [[T0, 2], [T0 + MIN, null]]],
        ['m.none.z', [[T0, null], [T0 + MIN, null]]],
        ['m.a.x', [[T0, 1], [T0 + MIN, 3]]],
      ]);
    });

    it('leaves out a sample it may not keep (malformed, before 2000, from 2100 on) and stores the rest of its batch', async () => {
      const store = await make();
      await store.write([
        s('a.b.c', T0, 1),
        { point: 'a.b.c', ts: T0 + 1000, value: Number.NaN, quality: 'good' },
        s('a.b.c', Date.UTC(1999, 11, 31, 23, 59), 2),
        s('a.b.c', Date.UTC(2100, 0, 1), 3),
        s('a.b.c', 1e15, 4),
        { point: 'abc', ts: T0 + 2000, value: 5, quality: 'good' },
        s('a.b.c', T0 + 10_000, 6),
      ]);
      expect((await store.latest(['a.b.c'])).get('a.b.c')).toEqual(s('a.b.c', T0 + 10_000, 6));
      const [r] = await store.query({ points: ['a.b.c'], from: T0, to: T0 + MIN, stepMs: MIN, agg: 'count' });
      expect(r.points).toEqual([[T0, 2]]);
    });

    it('lets the newest write of a (point, ts) decide its quality: bad → good, good → bad, uncertain → good, good → uncertain', async () => {
      const store = await make();
      const ids = ['q.d.a', 'q.d.b', 'q.d.c', 'q.d.e', 'q.d.f'];
      await store.write([s(ids[0], T0, 1), s(ids[1], T0, null, 'bad'), s(ids[2], T0, 3, 'uncertain'), s(ids[3], T0, 4), s(ids[4], T0, true)]);
      // the replay comes in two writes, as a poll split by a batch boundary does
      const replay = [s(ids[0], T0, null, 'bad'), s(ids[1], T0, 2), s(ids[2], T0, 3.5), s(ids[3], T0, 4.5, 'uncertain'), s(ids[4], T0, false)];
      await store.write(replay.slice(0, 2));
      await store.write(replay.slice(2));
      const got = await store.latest(ids);
      expect(ids.map((p) => got.get(p))).toEqual(replay);
      if (store.scan) {
        const scanned: Sample[] = [];
        for await (const b of store.scan(T0, T0 + MIN)) scanned.push(...b);
        expect(scanned).toEqual([...replay].sort((x, y) => (x.point < y.point ? -1 : 1)));
      }
      const counts = await store.query({ points: ids.slice(1), from: T0, to: T0 + MIN, stepMs: MIN, agg: 'count' });
      expect(counts.map((r) => r.points[0][1])).toEqual([1, 1, 1, 1]);
    });

    it('keeps every quality of a poll whose samples arrive in several writes', async () => {
      const store = await make();
      const poll = [s('w.d.a', T0, null, 'bad'), s('w.d.b', T0, 2, 'uncertain'), s('w.d.c', T0, null, 'bad'), s('w.d.d', T0, 4)];
      for (const x of poll) await store.write([x]);
      const got = await store.latest(poll.map((x) => x.point));
      expect(poll.map((x) => got.get(x.point))).toEqual(poll);
    });

    it('refuses more than 44,640 buckets (a 31-day month of minutes) per series with a RangeError', async () => {
      const store = await make();
      const ok = await store.query({ points: ['a.b.c'], from: T0, to: T0 + 44_640 * MIN, stepMs: MIN, agg: 'mean' });
      expect(ok[0].points).toHaveLength(44_640);
      await expect(store.query({ points: ['a.b.c'], from: T0, to: T0 + 44_641 * MIN, stepMs: MIN, agg: 'mean' })).rejects.toThrow(
        /44641 buckets.*limit is 44640/,
      );
      await expect(store.query({ points: ['a.b.c'], from: T0, to: T0 + DAY, stepMs: 0, agg: 'mean' })).rejects.toBeInstanceOf(
        RangeError,
      );
    });
  });
}

export const MIN = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;
/** 2024-01-01T00:00:00Z: aligned to every step used here */
export const T0 = Date.UTC(2024, 0, 1);
const AGGS: Aggregation[] = ['mean', 'min', 'max', 'last', 'count'];

export function s(point: string, ts: number, value: number | boolean | null, quality: Quality = 'good'): Sample {
  return { point, ts, value, quality };
}

/** Deterministic PRNG: the simulator's mulberry32. */
export const rng = mulberry32;

/**
 * Samples every `periodMs` (jittered) per point, time-ordered, with gaps: 10 % missing,
 * runs of several missing minutes, 8 % bad (null), 5 % uncertain.
 */
export function generate(points: string[], from: number, span: number, periodMs: number, r: () => number): Sample[] {
  const out: Sample[] = [];
  let outage = 0;
  for (let t = from; t < from + span; t += periodMs) {
    if (outage > 0) {
      outage -= periodMs;
      continue;
    }
    if (r() < 0.002) outage = Math.floor(r() * 30) * MIN;
    for (const p of points) {
      if (r() < 0.1) continue;
      const ts = t + Math.floor(r() * (periodMs - 1));
      const q = r();
      if (q < 0.08) out.push(s(p, ts, null, 'bad'));
      else out.push(s(p, ts, Math.round((50 + 30 * Math.sin(ts / 3e6) + r() * 10) * 1000) / 1000, q < 0.13 ? 'uncertain' : 'good'));
    }
  }
  return out;
}

export function chunks<T>(xs: T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

/** The reference: whole buckets from floor(from/step)*step while the start is < to. */
export function bruteForce(
  data: Sample[],
  point: string,
  from: number,
  to: number,
  step: number,
  agg: Aggregation,
): Array<[number, number | null]> {
  const start = Math.floor(from / step) * step;
  const byBucket = new Map<number, Sample[]>();
  for (const x of data) {
    if (x.point !== point || x.quality === 'bad' || x.value === null) continue;
    const b = Math.floor(x.ts / step) * step;
    byBucket.set(b, [...(byBucket.get(b) ?? []), x]);
  }
  const out: Array<[number, number | null]> = [];
  for (let b = start; b < to; b += step) {
    const xs = byBucket.get(b) ?? [];
    const vs = xs.map((x) => Number(x.value));
    let v: number | null;
    if (agg === 'count') v = xs.length;
    else if (xs.length === 0) v = null;
    else if (agg === 'mean') v = vs.reduce((a, c) => a + c, 0) / vs.length;
    else if (agg === 'min') v = Math.min(...vs);
    else if (agg === 'max') v = Math.max(...vs);
    else v = Number(xs.reduce((a, c) => (c.ts >= a.ts ? c : a)).value);
    out.push([b, v]);
  }
  return out;
}

function expectClose(got: Array<[number, number | null]>, want: Array<[number, number | null]>, what: string): void {
  expect(got.map((p) => p[0]), what).toEqual(want.map((p) => p[0]));
  for (let i = 0; i < want.length; i++) {
    const [g, w] = [got[i][1], want[i][1]];
    if (w === null || g === null) expect(g, `${what} @${want[i][0]}`).toBe(w);
    else expect(Math.abs(g - w), `${what} @${want[i][0]}: ${g} vs ${w}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(w)));
  }
}
