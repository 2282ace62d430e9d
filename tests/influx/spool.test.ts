import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import type { Sample } from '../../src/model.ts';
import type { SeriesQuery, SeriesResult, SeriesStore } from '../../src/store/port.ts';
import { Spool } from '../../src/store/spool/spool.ts';
import { SpoolingStore } from '../../src/store/spool/spooling-store.ts';
import { SqliteSeriesStore } from '../../src/store/sqlite-series.ts';
import { columnsOf, PointTable, toSamples, type SampleColumns } from '../../src/ingest/columns.ts';
import { waitFor } from '../helpers/wait.ts';

/** A series store that can be switched off; records every accepted sample in order. */
class SwitchableStore implements SeriesStore {
  up = true;
  got: Sample[] = [];
  async init() {
    if (!this.up) throw new Error('connect ECONNREFUSED');
  }
  async write(samples: Sample[]) {
    if (!this.up) throw new Error('connect ECONNREFUSED');
    this.got.push(...samples);
  }
  async latest() {
    return new Map<string, Sample>();
  }
  async query(_q: SeriesQuery): Promise<SeriesResult[]> {
    return [];
  }
  async applyRetention() {
    return 0;
  }
  async close() {}
}

const log = pino({ level: 'silent' });
/** sample times are BASE + offsets: the sample rule refuses anything dated before 2000 */
const BASE = Date.UTC(2024, 0, 1);
const batch = (from: number, n: number): Sample[] =>
  Array.from({ length: n }, (_, i) => ({ point: 'a.b.c', ts: BASE + from + i, value: i % 7 === 0 ? null : i % 5 === 0 ? true : i + 0.5, quality: i % 7 === 0 ? 'bad' : 'good' }));

describe('store-and-forward spool', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hw-spool-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("answers typed values from its store's own, or made from the pairs of a store without them", async () => {
    const sqlite = new SqliteSeriesStore({ path: join(dir, 'typed.db') });
    const store = new SpoolingStore({ inner: sqlite, spool: new Spool({ path: join(dir, 'typed-spool.db'), maxBytes: 1e9, maxAgeMs: 1e9 }), logger: log });
    await store.init();
    await store.write([0, 1, 2, 3].map((m) => ({ point: 'a.b.c', ts: BASE + m * 60_000 + 5, value: m === 2 ? null : m * 1.5, quality: m === 2 ? 'bad' : 'good' }) as Sample));
    const q: SeriesQuery = { points: ['a.b.c'], from: BASE, to: BASE + 4 * 60_000, stepMs: 60_000, agg: 'mean' };
    const [v] = await store.queryValues(q);
    expect(v).toEqual((await sqlite.queryValues(q))[0]);
    expect([...v.values]).toEqual([0, 1.5, Number.NaN, 4.5]);
    await store.close();
    const pairsOnly = new SpoolingStore({ inner: new SwitchableStore(), spool: new Spool({ path: join(dir, 'pairs-spool.db'), maxBytes: 1e9, maxAgeMs: 1e9 }), logger: log });
    await pairsOnly.init();
    expect(await pairsOnly.queryValues(q)).toEqual([]);
    await pairsOnly.close();
  });

  it('hands columns to a store that takes them while it answers, spools them as samples while it fails', async () => {
    class ColumnStore extends SwitchableStore {
      columns: SampleColumns[] = [];
      async writeColumns(c: SampleColumns) {
        if (!this.up) throw new Error('connect ECONNREFUSED');
        this.columns.push(c);
      }
    }
    const inner = new ColumnStore();
    const store = new SpoolingStore({ inner, spool: new Spool({ path: join(dir, 'columns.db'), maxBytes: 1e9, maxAgeMs: 1e9 }), logger: log, retryBaseMs: 20, retryMaxMs: 100 });
    await store.init();
    const table = new PointTable();
    const old: Sample = { point: 'a.b.c', ts: Date.UTC(1999, 0, 1), value: 1, quality: 'good' };
    await store.writeColumns(columnsOf([...batch(1000, 5), old], table)!);
    expect(inner.columns.map((c) => toSamples(c, c.table.ids))).toEqual([batch(1000, 5)]); // the refused one left out
    expect(inner.got).toEqual([]);
    inner.up = false;
    await store.writeColumns(columnsOf(batch(1100, 5), table)!);
    expect(store.stats()).toMatchObject({ spooling: true, samples: 5, rejected: 1 });
    inner.up = true;
    await waitFor(() => !store.stats().spooling, 10_000, 'the spool to drain');
    expect(inner.got).toEqual(batch(1100, 5)); // forwarded from the spool as samples
    await store.writeColumns(columnsOf(batch(1200, 5), table)!);
    expect(inner.columns).toHaveLength(2);
    await store.close();
    // a store without a column path gets the same rows as samples
    const plain = new SwitchableStore();
    const other = new SpoolingStore({ inner: plain, spool: new Spool({ path: join(dir, 'columns-plain.db'), maxBytes: 1e9, maxAgeMs: 1e9 }), logger: log });
    await other.init();
    await other.writeColumns(columnsOf([old, ...batch(1300, 5)], table)!);
    expect(plain.got).toEqual(batch(1300, 5));
    expect(other.stats()).toMatchObject({ spooling: false, samples: 0, rejected: 1 });
    await other.close();
  });

  it('spools while the store fails, forwards in order when it returns, then writes directly again', async () => {
    const inner = new SwitchableStore();
    const store = new SpoolingStore({ inner, spool: new Spool({ path: join(dir, 'a.db'), maxBytes: 1e9, maxAgeMs: 1e9 }), logger: log, retryBaseMs: 20, retryMaxMs: 100 });
    await store.init();
    await store.write(batch(1000, 10));
    inner.up = false;
    for (let i = 1; i <= 5; i++) await store.write(batch(1000 + i * 100, 10)); // each resolves: spooled
    expect(store.stats()).toMatchObject({ spooling: true, samples: 50, chunks: 5 });
    inner.up = true;
    await waitFor(() => !store.stats().spooling, 10_000, 'the spool to drain');
    await store.write(batch(2000, 10));
    expect(inner.got.map((s) => s.ts - BASE)).toEqual([...Array.from({ length: 6 }, (_, k) => Array.from({ length: 10 }, (_, i) => 1000 + k * 100 + i)).flat(), ...Array.from({ length: 10 }, (_, i) => 2000 + i)]);
    expect(inner.got.slice(10, 20)).toEqual(batch(1100, 10)); // values, booleans, nulls and quality survive the round trip
    expect(store.stats()).toMatchObject({ samples: 0, forwarded: 50, dropped: 0 });
    await store.close();
  });

  it('survives a restart: what was spooled is forwarded by the next process', async () => {
    const path = join(dir, 'b.db');
    const down = new SwitchableStore();
    down.up = false;
    const first = new SpoolingStore({ inner: down, spool: new Spool({ path, maxBytes: 1e9, maxAgeMs: 1e9 }), logger: log, retryBaseMs: 20 });
    await first.init(); // unreachable at start: spools from the first write
    await first.write(batch(5000, 100));
    await first.close();
    const up = new SwitchableStore();
    const second = new SpoolingStore({ inner: up, spool: new Spool({ path, maxBytes: 1e9, maxAgeMs: 1e9 }), logger: log, retryBaseMs: 20 });
    await second.init();
    await waitFor(() => up.got.length === 100, 10_000, 'the old spool to be forwarded');
    expect(up.got).toEqual(batch(5000, 100));
    await second.close();
  });

  it('drops the oldest chunks past the size or age bound, counts them, and keeps counting across restarts', async () => {
    const path = join(dir, 'c.db');
    let now = 1_000_000;
    const inner = new SwitchableStore();
    inner.up = false;
    const one = Buffer.byteLength(JSON.stringify(batch(0, 100).map((s) => [s.point, s.ts, s.value, 0])));
    const spool = new Spool({ path, maxBytes: one * 3.5, maxAgeMs: 60_000, now: () => now });
    const store = new SpoolingStore({ inner, spool, logger: log, retryBaseMs: 5_000, now: () => now });
    await store.init();
    for (let i = 0; i < 5; i++) await store.write(batch(10_000 + i * 100, 100));
    expect(store.stats()).toMatchObject({ chunks: 3, samples: 300, dropped: 200 });
    expect(spool.peek()!.samples[0].ts).toBe(BASE + 10_200);
    now += 61_000;
    await store.write(batch(20_000, 100)); // the three older chunks are now past the age bound
    expect(store.stats()).toMatchObject({ chunks: 1, samples: 100, dropped: 500 });
    await store.close();
    const again = new Spool({ path, maxBytes: 1e9, maxAgeMs: 1e9 });
    expect(again.stats()).toMatchObject({ samples: 100, dropped: 500 });
    again.close();
  });
});
