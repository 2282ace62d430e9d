import { describe, expect, inject, it } from 'vitest';
import { InfluxSeriesStore } from '../../src/store/influx/store.ts';
import { CQ_1H, CQ_1M } from '../../src/store/influx/setup.ts';
import { DAY, HOUR, MIN, T0, describeSeriesStore, s } from '../store/series-store.behaviour.ts';

let n = 0;
const dbName = () => `hw_test_${process.pid}_${Date.now().toString(36)}_${n++}`;

/** Each store gets its own database, dropped on close. Back-dated test data needs serverRetention: false. */
async function makeStore(opts: { serverRetention?: boolean } = {}): Promise<InfluxSeriesStore> {
  const store = new InfluxSeriesStore({ url: inject('influxUrl'), database: dbName(), serverRetention: opts.serverRetention ?? false });
  await store.init();
  const close = store.close.bind(store);
  store.close = async () => {
    await close();
    await store.dropDatabase();
  };
  return store;
}

describeSeriesStore('influxdb', () => makeStore());

describe('InfluxSeriesStore specifics', () => {
  it('creates retention policies and continuous queries once; a second init changes nothing', async () => {
    const store = await makeStore({ serverRetention: true });
    try {
      await store.init();
      const db = (store as unknown as { db: string }).db;
      const rps = await store.influx.showRetentionPolicies(db);
      expect(rps.filter((r) => r.name !== 'autogen').map((r) => [r.name, r.duration, r.default]).sort()).toEqual([
        ['raw', '720h0m0s', true],
        ['rollup_1h', '72000h0m0s', false],
        ['rollup_1m', '7200h0m0s', false],
      ]);
      const cqs = await store.influx.queryRaw('SHOW CONTINUOUS QUERIES');
      const mine = cqs.results[0].series.find((x: { name: string }) => x.name === db);
      expect(mine.values.map((v: string[]) => v[0]).sort()).toEqual([CQ_1H, CQ_1M].sort());
      expect(mine.values.find((v: string[]) => v[0] === CQ_1M)[1]).toMatch(/RESAMPLE EVERY 1m FOR 10m.*GROUP BY time\(1m\)/);
    } finally {
      await store.close();
    }
  });

  it('stores digital values as 0/1 plus a boolean, quality as an integer field, bad reads without a value', async () => {
    const store = await makeStore();
    try {
      await store.write([s('a.b.run', T0, true), s('a.b.t', T0, 1.5, 'uncertain'), s('a.b.t', T0 + 1000, null, 'bad')]);
      const res = await store.influx.queryRaw('SELECT * FROM "raw"."telemetry" GROUP BY *', { precision: 'ms' });
      const rows = Object.fromEntries(
        res.results[0].series.map((x: { tags: { point: string }; columns: string[]; values: unknown[][] }) => [
          x.tags.point,
          x.values.map((r) => Object.fromEntries(x.columns.map((c, i) => [c, r[i]]))),
        ]),
      );
      expect(rows.run).toEqual([{ time: T0, v: 1, b: true, q: 0 }]);
      expect(rows.t).toEqual([
        { time: T0, v: 1.5, b: null, q: 1 },
        { time: T0 + 1000, v: null, b: null, q: 2 },
      ]);
    } finally {
      await store.close();
    }
  });

  it('reads the newest buckets of a rollup-sized query from raw, so live data shows before the CQ runs', async () => {
    const now = Date.now();
    const store = await makeStore();
    try {
      const base = Math.floor(now / MIN) * MIN - 2 * MIN;
      await store.write([s('l.v.t', base + 1000, 10), s('l.v.t', base + 2000, 20), s('l.v.t', base + MIN + 5, 7)]);
      const [r] = await store.query({ points: ['l.v.t'], from: base - DAY + 2 * MIN, to: base + 2 * MIN, stepMs: MIN, agg: 'mean' });
      expect(r.source).toBe('rollup_1m');
      expect(r.points.slice(-2)).toEqual([
        [base, 15],
        [base + MIN, 7],
      ]);
    } finally {
      await store.close();
    }
  });

  it('picks the source from step and range like the SQLite store', () => {
    const src = (stepMs: number, range: number) => InfluxSeriesStore.sourceFor({ from: 0, to: range, stepMs });
    expect(src(MIN, 6 * HOUR)).toBe('raw');
    expect(src(MIN, 6 * HOUR + 1)).toBe('rollup_1m');
    expect(src(HOUR, 8 * DAY)).toBe('rollup_1h');
    expect(src(90_000, DAY)).toBe('raw');
  });
});
