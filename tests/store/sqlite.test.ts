import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { createSeriesStore } from '../../src/store/create.ts';
import { SqliteSeriesStore } from '../../src/store/sqlite-series.ts';
import { PointTable, columnsOf } from '../../src/ingest/columns.ts';
import { TableSlots } from '../../src/store/sqlite/write.ts';
import { GROUP, Head } from '../../src/store/sqlite/head.ts';
import { CHUNK, CHUNK_META_KEY, WAL_CHECKPOINT_PAGES, openDatabase } from '../../src/store/sqlite/schema.ts';
import { spanSql } from '../../src/store/sqlite/blocks.ts';
import type { Sample } from '../../src/model.ts';
import { DAY, HOUR, MIN, T0, bruteForce, chunks, describeSeriesStore, generate, rng, s } from './series-store.behaviour.ts';

describeSeriesStore('sqlite :memory:', async () => {
  const store = new SqliteSeriesStore({ path: ':memory:' });
  await store.init();
  return store;
});

describe('SqliteSeriesStore specifics', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hw-sqlite-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('creates parent directories and keeps data, rollups and boolean kinds across a restart', async () => {
    const path = join(dir, 'nested', 'deeper', 'series.db');
    const data = generate(['p.q.r'], T0, DAY, 10_000, rng(21));
    const a = new SqliteSeriesStore({ path });
    await a.init();
    for (const b of chunks(data, 5000)) await a.write(b);
    await a.write([s('p.q.run', T0, true)]);
    await a.close();
    const b = new SqliteSeriesStore({ path });
    await b.init();
    expect((await b.latest(['p.q.run'])).get('p.q.run')).toEqual(s('p.q.run', T0, true));
    const [r] = await b.query({ points: ['p.q.r'], from: T0, to: T0 + DAY, stepMs: MIN, agg: 'mean' });
    expect(r.source).toBe('rollup_1m');
    const want = bruteForce(data, 'p.q.r', T0, T0 + DAY, MIN, 'mean');
    r.points.forEach(([, v], i) => (v === null ? expect(want[i][1]).toBeNull() : expect(v).toBeCloseTo(want[i][1]!, 9)));
    await b.close();
  });

  it('rebuilds the rollup buckets that were only in memory when the process died', async () => {
    const path = join(dir, 'crash.db');
    const data = generate(['c.r.t'], T0, 10 * HOUR, 10_000, rng(22));
    const crashed = new SqliteSeriesStore({ path });
    await crashed.init();
    for (const b of chunks(data, 5000)) await crashed.write(b);
    // no close(): the open minute and hour buckets never reached the rollup tables
    const next = new SqliteSeriesStore({ path });
    await next.init();
    const [r] = await next.query({ points: ['c.r.t'], from: T0, to: T0 + 10 * HOUR, stepMs: MIN, agg: 'count' });
    expect(r.source).toBe('rollup_1m');
    expect(r.points).toEqual(bruteForce(data, 'c.r.t', T0, T0 + 10 * HOUR, MIN, 'count'));
    await next.close();
  });

  it('after a restart, a replayed batch (one value corrected) neither duplicates rows nor double-counts rollups', async () => {
    const path = join(dir, 'replay.db');
    const data = generate(['r.p.a', 'r.p.b'], T0, 2 * HOUR, 10_000, rng(23));
    const a = new SqliteSeriesStore({ path });
    await a.init();
    for (const b of chunks(data, 700)) await a.write(b);
    await a.close();
    const b = new SqliteSeriesStore({ path });
    await b.init();
    const tail = data.slice(-300).map((x) => ({ ...x }));
    const fix = tail.find((x) => x.quality === 'good')!;
    fix.value = 1234;
    await b.write(tail);
    const truth = data.map((x) => (x.ts === fix.ts && x.point === fix.point ? fix : x));
    for (const [stepMs, span] of [
      [MIN, 2 * HOUR],
      [MIN, 8 * HOUR],
    ]) {
      const [r] = await b.query({ points: [fix.point], from: T0, to: T0 + span, stepMs, agg: 'count' });
      expect(r.points).toEqual(bruteForce(truth, fix.point, T0, T0 + span, stepMs, 'count'));
      const [m] = await b.query({ points: [fix.point], from: T0, to: T0 + span, stepMs, agg: 'max' });
      expect(m.points).toEqual(bruteForce(truth, fix.point, T0, T0 + span, stepMs, 'max'));
    }
    const newest = data.filter((x) => x.point === 'r.p.b').at(-1)!;
    expect((await b.latest(['r.p.b'])).get('r.p.b')).toEqual(newest);
    await b.close();
  });

  it('leaves a malformed sample out of its batch and counts it: the rest is stored', async () => {
    const store = new SqliteSeriesStore({ path: ':memory:' });
    await store.init();
    const bad = [s('a.b.c', T0, 1), { point: 'a.b.c', ts: T0 + 1000, value: Number.NaN, quality: 'good' as const }];
    await store.write(bad);
    expect((await store.latest(['a.b.c'])).get('a.b.c')).toEqual(s('a.b.c', T0, 1));
    expect(store.counters()).toMatchObject({ batches: 1, rowsWritten: 1, refused: 1 });
    await store.close();
  });

  it('writes columns as it writes samples: a bad row is left out and counted, a bool, a bad-quality null and a replay land the same', async () => {
    const batches: Sample[][] = [
      [s('a.b.c', T0, 1), { point: 'a.b.c', ts: 9e15, value: 2, quality: 'good' }, s('a.b.d', T0, true)],
      [{ point: 'a.b.c', ts: T0 + 10_000, value: null, quality: 'bad' }, s('a.b.d', T0 + 10_000, false), s('a.b.c', T0, 7)],
    ];
    const bySamples = new SqliteSeriesStore({ path: ':memory:' });
    const byColumns = new SqliteSeriesStore({ path: ':memory:' });
    await bySamples.init();
    await byColumns.init();
    const table = new PointTable();
    const slots = new TableSlots();
    for (const b of batches) {
      await bySamples.write(b);
      byColumns.writeColumnsSync(columnsOf(b, table)!, table.ids, slots);
    }
    for (const store of [bySamples, byColumns]) {
      expect(store.counters()).toMatchObject({ batches: 2, rowsWritten: 5, refused: 1 });
      const [c, d] = await store.query({ points: ['a.b.c', 'a.b.d'], from: T0, to: T0 + MIN, stepMs: 10_000, agg: 'last' });
      expect(c.points).toEqual([[T0, 7], [T0 + 10_000, null], ...Array.from({ length: 4 }, (_, i) => [T0 + (i + 2) * 10_000, null])]);
      expect(d.points.slice(0, 2)).toEqual([[T0, 1], [T0 + 10_000, 0]]);
      expect((await store.latest(['a.b.d'])).get('a.b.d')).toEqual(s('a.b.d', T0 + 10_000, false));
      await store.close();
    }
  });

  it('moves a head of one row per sample (an earlier layout) into head rows and answers the same from it', async () => {
    const path = join(dir, 'row-per-sample.db');
    const data = generate(['m.c.t', 'm.c.u'], T0, 20 * MIN, 10_000, rng(23));
    // what the earlier layout left after a crash: raw rows keyed by minute chunk, no rollup rows, no clean mark
    const db = new Database(path);
    db.exec(`CREATE TABLE series (id INTEGER PRIMARY KEY, point TEXT NOT NULL UNIQUE, kind INTEGER NOT NULL DEFAULT 0);
      CREATE TABLE raw (c INTEGER NOT NULL, series INTEGER NOT NULL, ts INTEGER NOT NULL, value REAL,
        quality INTEGER NOT NULL, PRIMARY KEY (c, series, ts)) WITHOUT ROWID;
      INSERT INTO series (id, point) VALUES (1, 'm.c.t'), (2, 'm.c.u');`);
    const ins = db.prepare('INSERT INTO raw (c, series, ts, value, quality) VALUES (?, ?, ?, ?, ?)');
    const q = { good: 0, uncertain: 1, bad: 2 } as const;
    for (const x of data) ins.run(Math.floor(x.ts / MIN), x.point === 'm.c.t' ? 1 : 2, x.ts, x.quality === 'bad' ? null : x.value, q[x.quality]);
    db.close();
    const b = new SqliteSeriesStore({ path, autoCompact: false });
    await b.init();
    const [r] = await b.query({ points: ['m.c.t'], from: T0, to: T0 + 20 * MIN, stepMs: 30_000, agg: 'mean' });
    expect(r.source).toBe('raw');
    const want = bruteForce(data, 'm.c.t', T0, T0 + 20 * MIN, 30_000, 'mean');
    r.points.forEach(([, v], i) => (v === null ? expect(want[i][1]).toBeNull() : expect(v).toBeCloseTo(want[i][1]!, 9)));
    // the rollups were rebuilt from the moved head
    const [m] = await b.query({ points: ['m.c.t'], from: T0, to: T0 + 20 * MIN, stepMs: MIN, agg: 'max' });
    expect(m.points).toEqual(bruteForce(data, 'm.c.t', T0, T0 + 20 * MIN, MIN, 'max'));
    // a replay of the whole head is recognised as one: nothing is stored twice
    for (const c of chunks(data, 500)) await b.write(c);
    const [n] = await b.query({ points: ['m.c.u'], from: T0, to: T0 + 20 * MIN, stepMs: 20 * MIN, agg: 'count' });
    expect(n.points[0][1]).toBe(data.filter((x) => x.point === 'm.c.u' && x.quality !== 'bad').length);
    expect((await b.latest(['m.c.u'])).get('m.c.u')).toEqual(data.filter((x) => x.point === 'm.c.u').at(-1));
    await b.close();
    const after = new Database(path, { readonly: true });
    expect(after.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'raw'").pluck().get()).toBe(0);
    expect(after.prepare('SELECT sum(m) FROM head').pluck().get()).toBe(data.length);
    after.close();
  });

  it('repacks head rows of 1-second chunks (files before 10-second chunks) and answers the same from them', async () => {
    const path = join(dir, 'one-second-chunks.db');
    const data = generate(['k.c.t', 'k.c.u', 'k.c.v'], T0, 40 * MIN, 10_000, rng(29)).map((x, i) => ({ ...x, ts: x.ts + (i % 7) * 1_300 }));
    const a = new SqliteSeriesStore({ path, autoCompact: false });
    await a.init();
    for (const c of chunks(data, 300)) await a.write(c);
    await a.close();
    // the file as the earlier width left it: one row per sample keyed by its second, no width in meta
    const db = new Database(path);
    const old: Array<[number, number, Uint8Array]> = [];
    const head = new Head(db);
    for (const c of head.chunks()) head.visitChunk(c, (id, ts, v, q) => old.push([Math.floor(ts / 1000), Math.floor(id / GROUP), oneSampleRow(id % GROUP, ts % 1000, v, q)]));
    expect(old.length).toBe(data.length);
    db.exec(`DELETE FROM head; DELETE FROM meta WHERE key = '${CHUNK_META_KEY}'`);
    // rowids as a long-lived head has them: far above 1, with gaps
    const ins = db.prepare('INSERT INTO head (rowid, c, g, m, data) VALUES (?, ?, ?, 1, ?)');
    old.forEach(([c, g, row], i) => ins.run(5e9 + 3 * i, c, g, row));
    db.close();
    const b = new SqliteSeriesStore({ path, autoCompact: false });
    await b.init();
    for (const p of ['k.c.t', 'k.c.v']) {
      for (const [stepMs, agg] of [[10_000, 'count'], [30_000, 'last'], [MIN, 'max']] as const) {
        const [r] = await b.query({ points: [p], from: T0, to: T0 + 45 * MIN, stepMs, agg });
        expect(r.points, `${p} ${stepMs} ${agg}`).toEqual(bruteForce(data, p, T0, T0 + 45 * MIN, stepMs, agg));
      }
    }
    // a replay of it all is recognised sample by sample: nothing twice
    for (const c of chunks(data, 500)) await b.write(c);
    await b.close();
    const after = new Database(path, { readonly: true });
    expect(after.prepare('SELECT sum(m) FROM head').pluck().get()).toBe(data.length);
    expect(after.prepare('SELECT count(*) FROM head').pluck().get()).toBeLessThan(data.length / 2);
    expect(after.prepare('SELECT min(c), max(c) FROM head').raw().get()).toEqual([Math.floor(T0 / CHUNK), Math.floor(Math.max(...data.map((x) => x.ts)) / CHUNK)]);
    expect(after.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(CHUNK_META_KEY)).toBe(String(CHUNK));
    after.close();
    // a width the store cannot read is named, not guessed
    const bad = new Database(path);
    bad.prepare('UPDATE meta SET value = ? WHERE key = ?').run('70000', CHUNK_META_KEY);
    bad.close();
    const c = new SqliteSeriesStore({ path, autoCompact: false });
    await expect(c.init()).rejects.toThrow(/head_chunk_ms is 70000, not a chunk width/);
  });

  it('packs a poll into a head row per group of 64 series; a changed replay rewrites its row; retention cuts inside a chunk', async () => {
    const path = join(dir, 'head-rows.db');
    const store = new SqliteSeriesStore({ path, autoCompact: false });
    await store.init();
    const points = Array.from({ length: 130 }, (_, i) => `h.d.p${i}`);
    const t = T0 + 500;
    await store.write(points.map((p, i) => s(p, t, i)));
    const head = () => {
      const db = new Database(path, { readonly: true });
      const r = db.prepare('SELECT count(*) AS rows, sum(m) AS samples FROM head').get() as { rows: number; samples: number };
      db.close();
      return r;
    };
    // ids 1…130 are groups 0, 1 and 2
    expect(head()).toEqual({ rows: 3, samples: 130 });
    // the same poll again, one value changed and one turned bad: no sample twice
    await store.write(points.map((p, i) => (i === 70 ? s(p, t, 999) : i === 71 ? s(p, t, null, 'bad') : s(p, t, i))));
    expect(head()).toEqual({ rows: 3, samples: 130 });
    const latest = await store.latest(['h.d.p70', 'h.d.p71', 'h.d.p72']);
    expect([...latest.values()]).toEqual([s('h.d.p70', t, 999), s('h.d.p71', t, null, 'bad'), s('h.d.p72', t, 72)]);
    const [m] = await store.query({ points: ['h.d.p70'], from: T0, to: T0 + MIN, stepMs: MIN, agg: 'max' });
    expect(m.points).toEqual([[T0, 999]]);
    // a late sample earlier in the same chunk gets a row of its own
    await store.write([s('h.d.p0', T0 + 100, -1)]);
    expect(head()).toEqual({ rows: 4, samples: 131 });
    // a cutoff between T0 + 100 and T0 + 500: one sample goes, the chunk's other samples stay
    expect(await store.applyRetention(T0 + 300 + 30 * DAY)).toBeGreaterThanOrEqual(1);
    expect(head()).toEqual({ rows: 3, samples: 130 });
    const [r] = await store.query({ points: ['h.d.p0'], from: T0, to: T0 + 1000, stepMs: 100, agg: 'count' });
    expect(r.points.filter(([, v]) => v !== null && v > 0)).toEqual([[T0 + 500, 1]]);
    await store.close();
  });

  it('opens its file in WAL mode, checkpointing every 10,000 pages', () => {
    const db = openDatabase(join(dir, 'pragmas.db'));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(1);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(WAL_CHECKPOINT_PAGES);
    expect(WAL_CHECKPOINT_PAGES).toBe(10_000);
    db.close();
  });

  it('finds the span of the stored blocks with a seek per end, not a scan of every block', () => {
    const db = openDatabase(':memory:');
    for (const table of ['block', 'block_1m'] as const) {
      const plan = (db.prepare(`EXPLAIN QUERY PLAN ${spanSql(table)}`).all() as Array<{ detail: string }>).map((r) => r.detail);
      expect(plan.filter((d) => d.startsWith(`SEARCH ${table}`)), table).toHaveLength(2);
      expect(plan.some((d) => d.startsWith(`SCAN ${table}`)), table).toBe(false);
    }
    db.prepare('INSERT INTO block (k, data) VALUES (?, ?), (?, ?)').run(7, Buffer.from([1]), 2 ** 40, Buffer.from([2]));
    expect(db.prepare(spanSql('block')).raw().get()).toEqual([7, 2 ** 40]);
    expect(db.prepare(spanSql('block_1m')).raw().get()).toEqual([null, null]);
    db.close();
  });

  it('refuses a series id past what a head row key can hold, naming it', () => {
    const db = openDatabase(':memory:');
    const head = new Head(db);
    expect(() => head.add(GROUP * 2 ** 21, T0, 1, 0)).toThrow(/series id 134217728 is past the 134217728 series a packed row can hold/);
    head.add(GROUP * 2 ** 21 - 1, T0, 1, 0);
    head.flush();
    expect(db.prepare('SELECT g, m FROM head').get()).toEqual({ g: 2 ** 21 - 1, m: 1 });
    db.close();
  });

  it('picks the source table from step and range', () => {
    const src = (stepMs: number, range: number) => SqliteSeriesStore.sourceFor({ from: 0, to: range, stepMs });
    expect(src(30_000, 2 * DAY)).toBe('raw');
    expect(src(MIN, 6 * HOUR)).toBe('raw');
    expect(src(MIN, 6 * HOUR + 1)).toBe('rollup_1m');
    expect(src(90_000, DAY)).toBe('raw');
    expect(src(HOUR, 7 * DAY)).toBe('rollup_1m');
    expect(src(HOUR, 8 * DAY)).toBe('rollup_1h');
    expect(src(90 * MIN, 8 * DAY)).toBe('rollup_1m');
  });

  it('is built from config (influxdb: tests/influx)', () => {
    expect(createSeriesStore({ kind: 'sqlite', path: ':memory:' })).toBeInstanceOf(SqliteSeriesStore);
    expect(createSeriesStore({ kind: 'influxdb', url: 'http://127.0.0.1:8086', database: 'h' })).not.toBeInstanceOf(SqliteSeriesStore);
  });
});

/** A head row of one sample, laid out as head.ts writes rows: value f64, ts offset u16, slot u8, quality u8. */
function oneSampleRow(slot: number, offset: number, value: number, q: number): Uint8Array {
  const row = new Uint8Array(12);
  const dv = new DataView(row.buffer);
  dv.setFloat64(0, value, true);
  dv.setUint16(8, offset, true);
  row[10] = slot;
  row[11] = q;
  return row;
}
