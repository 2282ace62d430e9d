import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteSeriesStore } from '../../src/store/sqlite-series.ts';
import type { Aggregation } from '../../src/store/port.ts';
import type { Sample } from '../../src/model.ts';
import { HOUR, MIN, T0, bruteForce, chunks, generate, rng, s } from './series-store.behaviour.ts';

/** The head's 1-minute rollups: rows per (minute, group of 64 series), src/store/sqlite/head-minutes.ts. */
describe('SqliteSeriesStore head minutes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hw-head-minutes-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const rowsOf = (path: string) => {
    const db = new Database(path, { readonly: true });
    const rows = db.prepare('SELECT m, g, n FROM head_1m ORDER BY rowid').all() as Array<{ m: number; g: number; n: number }>;
    db.close();
    return rows;
  };
  /** Every aggregation at 1-minute steps from the rollup (a range long enough for it) and at 2-minute steps from raw, against a brute force. */
  const expectMinutes = async (store: SqliteSeriesStore, data: Sample[], points: string[], from: number, to: number) => {
    const check = async (q: { from: number; to: number; stepMs: number }, source: string) => {
      for (const agg of ['count', 'mean', 'min', 'max', 'last'] as Aggregation[]) {
        const got = await store.query({ points, ...q, agg });
        got.forEach((r, i) => {
          expect(r.source).toBe(source);
          const want = bruteForce(data, points[i], q.from, q.to, q.stepMs, agg);
          r.points.forEach(([, v], j) => (v === null ? expect(want[j][1]).toBeNull() : expect(v).toBeCloseTo(want[j][1]!, 9)));
        });
      }
    };
    await check({ from: to - 7 * HOUR, to, stepMs: MIN }, 'rollup_1m');
    await check({ from, to, stepMs: 2 * MIN }, 'raw');
  };

  it('writes a row per minute and group as polls close minutes; a late sample adds an entry; a changed replay rewrites it; compaction takes them', async () => {
    const path = join(dir, 'rows.db');
    const store = new SqliteSeriesStore({ path, autoCompact: false });
    await store.init();
    const points = Array.from({ length: 130 }, (_, i) => `m.d.p${i}`);
    const data: Sample[] = [];
    // polls every 10 s for 3 minutes: minutes 0 and 1 close, minute 2 stays open
    for (let t = T0 + 300; t < T0 + 3 * MIN; t += 10_000) data.push(...points.map((p, i) => s(p, t, i + (t - T0) / 1000)));
    for (const b of chunks(data, 1000)) await store.write(b);
    // ids 1…130: group 0 holds 63 of them, group 1 64, group 2 3; minute 0 closed with the poll at 1:00.3
    const m0 = T0 / MIN;
    expect(rowsOf(path)).toEqual([
      { m: m0, g: 0, n: 63 },
      { m: m0, g: 1, n: 64 },
      { m: m0, g: 2, n: 3 },
      { m: m0 + 1, g: 0, n: 63 },
      { m: m0 + 1, g: 1, n: 64 },
      { m: m0 + 1, g: 2, n: 3 },
    ]);
    await expectMinutes(store, data, points.slice(0, 3).concat('m.d.p129'), T0, T0 + 3 * MIN);
    // a late sample of minute 0: an entry of its own, merged at read
    const late = s('m.d.p1', T0 + 200, -50);
    await store.write([late]);
    data.push(late);
    expect(rowsOf(path).at(-1)).toEqual({ m: m0, g: 0, n: 1 });
    // a changed replay in minute 1 rewrites its row: the entry is rebuilt from the head
    const i = data.findIndex((x) => x.point === 'm.d.p2' && x.ts === T0 + MIN + 20_300);
    data[i] = s('m.d.p2', data[i].ts, 1e6);
    await store.write([data[i]]);
    await expectMinutes(store, data, ['m.d.p1', 'm.d.p2', 'm.d.p64'], T0, T0 + 3 * MIN);
    // an open minute written early, then continued: two entries of one minute add up
    store.flushRollups();
    const more = points.map((p, j) => s(p, T0 + 2 * MIN + 55_000, -j));
    await store.write(more);
    data.push(...more);
    await expectMinutes(store, data, ['m.d.p0', 'm.d.p100'], T0, T0 + 3 * MIN);
    store.compact({ all: true });
    expect(rowsOf(path)).toEqual([]);
    await expectMinutes(store, data, ['m.d.p0', 'm.d.p1', 'm.d.p2', 'm.d.p100'], T0, T0 + 3 * MIN);
    await store.close();
  });

  it('answers a query whose points come from many groups, back and forth, as each point alone', async () => {
    const path = join(dir, 'groups.db');
    const store = new SqliteSeriesStore({ path, autoCompact: false });
    await store.init();
    // 1,300 series: 21 groups of 64, more than one query keeps rows of at once
    const all = Array.from({ length: 1300 }, (_, i) => `g.d.p${i}`);
    const data: Sample[] = [];
    for (let t = T0 + 300; t < T0 + 4 * MIN; t += 10_000) data.push(...all.map((p, i) => s(p, t, (i % 7) + (t - T0) / 1000)));
    for (const b of chunks(data, 5000)) await store.write(b);
    // points of 20 groups, then the first groups again (read anew once their rows were let go)
    const picked = [0, 1, 700, 70, 1299, 130, 640, 200, 260, 2, 330, 390, 450, 520, 580, 760, 830, 900, 960, 1030, 1100, 1160, 3, 701, 71];
    const points = picked.map((i) => all[i]);
    await expectMinutes(store, data, points, T0, T0 + 4 * MIN);
    await store.close();
  });

  it('closes the open minute of a series that stopped before compaction takes its minutes, and counts it once', async () => {
    const path = join(dir, 'stopped.db');
    const store = new SqliteSeriesStore({ path, autoCompact: false });
    await store.init();
    // a pass that begins on a whole minute (its first chunk starts it)
    const data = [s('s.m.run', T0, 0)].concat(generate(['s.m.run'], T0 + 1000, 40 * MIN, 10_000, rng(34)), generate(['s.m.stop'], T0, 19 * MIN + 30_000, 10_000, rng(35)));
    data.sort((a, b) => a.ts - b.ts);
    for (const b of chunks(data, 500)) await store.write(b);
    // 30 due minutes: a pass over the first 35; s.m.stop's minute 19 was still open in memory
    expect(store.compact().steps).toBeGreaterThan(0);
    const next = s('s.m.run', T0 + 40 * MIN + 1000, 1);
    await store.write([next]);
    data.push(next);
    await expectMinutes(store, data, ['s.m.stop', 's.m.run'], T0, T0 + 41 * MIN);
    await store.close();
    const again = new SqliteSeriesStore({ path, autoCompact: false });
    await again.init();
    await expectMinutes(again, data, ['s.m.stop', 's.m.run'], T0, T0 + 41 * MIN);
    await again.close();
  });

  it('rebuilds after a crash the minutes that were only in memory, an entry written early among them, without counting one twice', async () => {
    const path = join(dir, 'crash.db');
    const points = ['c.m.a', 'c.m.b'];
    const data = generate(points, T0, 50 * MIN, 5_000, rng(31));
    const crashed = new SqliteSeriesStore({ path, autoCompact: false });
    await crashed.init();
    const cut = data.findIndex((x) => x.ts >= T0 + 40 * MIN + 20_000);
    for (const b of chunks(data.slice(0, cut), 500)) await crashed.write(b);
    // the open minute 40 written early; the rest of it and minutes after it only in memory
    crashed.flushRollups();
    for (const b of chunks(data.slice(cut), 500)) await crashed.write(b);
    const next = new SqliteSeriesStore({ path, autoCompact: false });
    await next.init();
    await expectMinutes(next, data, points, T0, T0 + 50 * MIN);
    // and a clean restart after that changes nothing
    await next.close();
    const again = new SqliteSeriesStore({ path, autoCompact: false });
    await again.init();
    await expectMinutes(again, data, points, T0, T0 + 50 * MIN);
    await again.close();
  });

  it('moves a rollup_1m table (one row per series and minute, the earlier layout) into minute rows and answers the same', async () => {
    const path = join(dir, 'earlier.db');
    const points = Array.from({ length: 70 }, (_, i) => `e.d.p${i}`);
    const data = generate(points, T0, 40 * MIN, 10_000, rng(32));
    const a = new SqliteSeriesStore({ path, autoCompact: false });
    await a.init();
    for (const b of chunks(data, 2000)) await a.write(b);
    await a.close();
    // what the earlier layout held: the same minutes as rows keyed (series, ts), no head_1m table
    const db = new Database(path);
    db.exec(`CREATE TABLE rollup_1m (series INTEGER NOT NULL, ts INTEGER NOT NULL, count INTEGER NOT NULL, sum REAL NOT NULL,
      min REAL NOT NULL, max REAL NOT NULL, last REAL NOT NULL, last_ts INTEGER NOT NULL, PRIMARY KEY (series, ts)) WITHOUT ROWID;
      DROP TABLE head_1m;`);
    const ins = db.prepare('INSERT INTO rollup_1m VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    const ids = new Map(db.prepare('SELECT point, id FROM series').raw().all() as Array<[string, number]>);
    /** (minute, group of 64 ids) pairs holding a minute */
    const pairs = new Set<string>();
    for (const p of points) {
      for (let m = T0; m < T0 + 40 * MIN; m += MIN) {
        const xs = data.filter((x) => x.point === p && x.ts >= m && x.ts < m + MIN && x.quality !== 'bad');
        if (xs.length === 0) continue;
        pairs.add(`${m}|${Math.floor(ids.get(p)! / 64)}`);
        const vs = xs.map((x) => x.value as number);
        const last = xs.reduce((b, x) => (x.ts >= b.ts ? x : b));
        ins.run(ids.get(p), m, xs.length, vs.reduce((x, y) => x + y, 0), Math.min(...vs), Math.max(...vs), last.value, last.ts);
      }
    }
    db.close();
    const b = new SqliteSeriesStore({ path, autoCompact: false });
    await b.init();
    await expectMinutes(b, data, ['e.d.p0', 'e.d.p63', 'e.d.p69'], T0, T0 + 40 * MIN);
    await b.close();
    const after = new Database(path, { readonly: true });
    expect(after.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'rollup_1m'").pluck().get()).toBe(0);
    // ids 1…70 are groups 0 and 1: a row per minute and group, every entry moved
    expect(pairs.size).toBeGreaterThan(40);
    expect(after.prepare('SELECT count(*) FROM head_1m').pluck().get()).toBe(pairs.size);
    expect(after.prepare('SELECT sum(n) FROM head_1m').pluck().get()).toBe(
      new Set(data.filter((x) => x.quality !== 'bad').map((x) => `${x.point}|${Math.floor(x.ts / MIN)}`)).size,
    );
    after.close();
  });

  it('keeps minute rows that outlive the head they aggregate until the 1-minute retention', async () => {
    const path = join(dir, 'retention.db');
    const store = new SqliteSeriesStore({ path, autoCompact: false, retentionDays: 1 });
    await store.init();
    const data = generate(['r.m.a'], T0, 2 * HOUR, 10_000, rng(33));
    for (const b of chunks(data, 1000)) await store.write(b);
    store.flushRollups();
    // raw retention (1 day) takes the head; the minutes stay 10 days
    await store.applyRetention(T0 + 2 * HOUR + 86_400_000);
    const [r] = await store.query({ points: ['r.m.a'], from: T0 - 5 * HOUR, to: T0 + 2 * HOUR, stepMs: MIN, agg: 'count' });
    expect(r.source).toBe('rollup_1m');
    expect(r.points).toEqual(bruteForce(data, 'r.m.a', T0 - 5 * HOUR, T0 + 2 * HOUR, MIN, 'count'));
    await store.applyRetention(T0 + 2 * HOUR + 10 * 86_400_000);
    expect(rowsOf(path)).toEqual([]);
    await store.close();
  });
});
