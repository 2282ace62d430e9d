import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InfluxDB } from 'influx';
import { describe, expect, inject, it } from 'vitest';
import type { Sample } from '../../src/model.ts';
import { columnsOf, PointTable } from '../../src/ingest/columns.ts';
import { InfluxSeriesStore } from '../../src/store/influx/store.ts';
import { requestsFor } from '../../src/store/influx/writer.ts';
import { rollupSelect1m } from '../../src/store/influx/setup.ts';
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
  it('creates retention policies once and no continuous queries; a second init changes nothing', async () => {
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
      // the store writes the rollups of live data itself: a CQ re-read every field of every device on each run
      const cqs = await store.influx.queryRaw('SHOW CONTINUOUS QUERIES');
      expect(cqs.results[0].series.find((x: { name: string }) => x.name === db)?.values ?? []).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it.each(['samples', 'columns'] as const)('writes one line per device poll from %s: a float field per point (digital 0/1), bad reads left out, qualities and digital points listed', async (via) => {
    const store = await makeStore();
    try {
      const batch = [s('a.b.run', T0, true), s('a.b.t', T0, 1.5, 'uncertain'), s('a.b.p', T0, null, 'bad'), s('a.b.t', T0 + 1000, 2.5), s('a.c.t', T0, 7)];
      if (via === 'samples') await store.write(batch);
      else {
        // the ingest queue's columns: a poll cut in two by the batch boundary, and a sample the rule refuses
        const table = new PointTable();
        await store.writeColumns(columnsOf([...batch.slice(0, 2), s('a.b.old', Date.UTC(1999, 11, 31), 1)], table)!);
        await store.writeColumns(columnsOf(batch.slice(2), table)!);
        expect(store.refused).toBe(1);
      }
      const res = await store.influx.queryRaw('SELECT * FROM "raw"."poll" GROUP BY *', { precision: 'ms' });
      const rows = Object.fromEntries(
        res.results[0].series.map((x: { tags: { station: string; device: string }; columns: string[]; values: unknown[][] }) => [
          `${x.tags.station}.${x.tags.device}`,
          x.values.map((r) => Object.fromEntries(x.columns.map((c, i) => [c, r[i]]).filter(([, v]) => v !== null))),
        ]),
      );
      expect(rows).toEqual({
        'a.b': [
          { time: T0, run: 1, t: 1.5, '@bad': 'p', '@uncertain': 't', '@bool': 'run' },
          { time: T0 + 1000, t: 2.5, '@bad': '', '@uncertain': '', '@bool': '' },
        ],
        'a.c': [{ time: T0, t: 7, '@bad': '', '@uncertain': '', '@bool': '' }],
      });
    } finally {
      await store.close();
    }
  });

  it('has one series per device, tagged with its station\'s area', async () => {
    const store = new InfluxSeriesStore({ url: inject('influxUrl'), database: dbName(), serverRetention: false, areas: { 'hs-001': '南岗 区,1' } });
    await store.init();
    try {
      const batch = ['hs-001', 'hs-002'].flatMap((st) => ['plc', 'meter'].flatMap((d) => Array.from({ length: 30 }, (_, i) => s(`${st}.${d}.p${i}`, T0, i))));
      await store.write(batch);
      await store.write(batch.map((x) => ({ ...x, ts: T0 + 10_000 })));
      const res = await store.influx.queryRaw('SHOW SERIES FROM "poll"', { precision: 'ms' });
      expect(res.results[0].series[0].values.map((v: string[]) => v[0]).sort()).toEqual([
        'poll,area=南岗\\ 区\\,1,device=meter,station=hs-001',
        'poll,area=南岗\\ 区\\,1,device=plc,station=hs-001',
        'poll,device=meter,station=hs-002',
        'poll,device=plc,station=hs-002',
      ]);
      const byArea = await store.influx.queryRaw(`SELECT count("p3") FROM "raw"."poll" WHERE "area" = '南岗 区,1'`, { precision: 'ms' });
      expect(byArea.results[0].series[0].values[0][1]).toBe(4);
      expect((await store.latest(['hs-001.plc.p29'])).get('hs-001.plc.p29')).toEqual(s('hs-001.plc.p29', T0 + 10_000, 29));
    } finally {
      await store.close();
      await store.dropDatabase();
    }
  });

  it('rolls up per point field: bad reads stay out, uncertain ones count', async () => {
    const store = await makeStore();
    try {
      await store.write([s('r.d.t', T0 + 1000, 10), s('r.d.u', T0 + 1000, 1, 'uncertain'), s('r.d.t', T0 + 2000, null, 'bad'), s('r.d.u', T0 + 2000, 3)]);
      await store.flushRollups();
      const res = await store.influx.queryRaw('SELECT * FROM "rollup_1m"."poll_1m" GROUP BY *', { precision: 'ms' });
      const [row] = res.results[0].series[0].values;
      const got = Object.fromEntries(res.results[0].series[0].columns.map((c: string, i: number) => [c, row[i]]));
      expect(got).toEqual({ time: T0, sum_t: 10, count_t: 1, min_t: 10, max_t: 10, last_t: 10, sum_u: 4, count_u: 2, min_u: 1, max_u: 3, last_u: 3 });
    } finally {
      await store.close();
    }
  });

  it('starts on a database of the per-point layout: the old CQs are dropped, the old measurements left alone', async () => {
    const url = inject('influxUrl');
    const database = dbName();
    const old = new InfluxDB({ host: new URL(url).hostname, port: Number(new URL(url).port), database });
    await old.createDatabase(database);
    await old.createRetentionPolicy('raw', { database, duration: 'INF', replication: 1, isDefault: true });
    await old.createRetentionPolicy('rollup_1m', { database, duration: 'INF', replication: 1, isDefault: false });
    await old.queryRaw(
      `CREATE CONTINUOUS QUERY "heatwatch_rollup_1m_v1" ON "${database}" BEGIN SELECT sum("v") AS "sum" INTO "${database}"."rollup_1m"."telemetry_1m" FROM "${database}"."raw"."telemetry" WHERE "q" < 2 GROUP BY time(1m), * END`,
      { method: 'POST' },
    );
    await old.writePoints([{ measurement: 'telemetry', tags: { station: 'a', device: 'b', point: 'c' }, fields: { v: 1.5, q: 0 }, timestamp: T0 }], { precision: 'ms', retentionPolicy: 'raw' });
    const store = new InfluxSeriesStore({ url, database, serverRetention: false });
    try {
      await store.init();
      const cqs = await store.influx.queryRaw('SHOW CONTINUOUS QUERIES');
      expect(cqs.results[0].series.find((x: { name: string }) => x.name === database)?.values ?? []).toEqual([]);
      await store.write([s('a.b.c', T0 + 1000, 2)]);
      expect((await store.latest(['a.b.c'])).get('a.b.c')).toEqual(s('a.b.c', T0 + 1000, 2));
      const scanned: Sample[] = [];
      for await (const b of store.scan(T0, T0 + MIN)) scanned.push(...b);
      expect(scanned).toEqual([s('a.b.c', T0 + 1000, 2)]);
      const legacy = await store.influx.queryRaw('SELECT "v" FROM "raw"."telemetry"', { precision: 'ms' });
      expect(legacy.results[0].series[0].values).toEqual([[T0, 1.5]]);
    } finally {
      await store.close();
      await store.dropDatabase();
    }
  });

  it('spreads a write over writeConcurrency requests of at most writeBatch lines', () => {
    expect(requestsFor(0, 1000, 4)).toBe(0);
    expect(requestsFor(5, 1000, 4)).toBe(1); // too few lines to be worth a second request
    expect(requestsFor(25, 1000, 4)).toBe(3);
    expect(requestsFor(167, 1000, 4)).toBe(4);
    expect(requestsFor(10_000, 1000, 4)).toBe(10);
  });

  it('writes the rollups of live data as it goes: the rows the re-aggregation from raw gives, types included', async () => {
    let now = Math.floor(Date.now() / HOUR) * HOUR - HOUR; // a clock the test moves, an hour back so the data is in the past
    const store = new InfluxSeriesStore({ url: inject('influxUrl'), database: dbName(), serverRetention: false, now: () => now });
    await store.init();
    try {
      // three stations polled every 10 s for 4 minutes, written as they come; a bad read, a digital point
      for (let t = 0; t < 4 * MIN; t += 10_000) {
        now = now + 10_000;
        const ts = now - 3_000;
        await store.write(
          ['x', 'y', 'z'].flatMap((st, k) => [
            s(`${st}.plc.t`, ts, 60 + k + (t / 10_000) * 0.25, t === 20_000 && st === 'y' ? 'uncertain' : 'good'),
            s(`${st}.plc.run`, ts, (t / 10_000) % 3 !== 0),
            t === 30_000 ? s(`${st}.plc.p`, ts, null, 'bad') : s(`${st}.plc.p`, ts, 0.3 + k / 10),
          ]),
        );
      }
      await store.flushRollups(); // the rollup lines are written beside the raw writes
      const from = Math.floor((now - 4 * MIN) / MIN) * MIN;
      const rows = async () => {
        const res = await store.influx.queryRaw(`SELECT * FROM "rollup_1m"."poll_1m" WHERE time >= ${from}ms GROUP BY *`, { precision: 'ms' });
        return (res.results[0].series ?? []).map((x: { tags: object; columns: string[]; values: unknown[][] }) => ({ tags: x.tags, rows: x.values.map((r) => Object.fromEntries(x.columns.map((c, i) => [c, r[i]]))) }));
      };
      const written = await rows();
      // the closed minutes (raw held nothing at start, so the first is known whole too), not the open one
      expect(written.map((x: { rows: unknown[] }) => x.rows.length)).toEqual([3, 3, 3]);
      // the same rows again from raw, as the re-aggregation of a dirty minute writes them (over the store's rows)
      const db = (store as unknown as { db: string }).db;
      const r = await store.influx.queryRaw(`${rollupSelect1m(db)} WHERE time >= ${from}ms AND time < ${Math.floor(now / MIN) * MIN}ms GROUP BY time(1m), *`, { method: 'POST' });
      expect(r.results[0].error).toBeUndefined();
      const again = (await rows()).map((x: { tags: object; rows: Array<{ time: number }> }) => ({ ...x, rows: x.rows.filter((row) => written[0].rows.some((w: { time: number }) => w.time === row.time)) }));
      expect(again).toEqual(written);
      expect(written[0].rows[0]).toMatchObject({ count_t: 6, count_run: 6 });
      // a series query over the rollup answers from those rows and raw's newest minutes
      const [q] = await store.query({ points: ['x.plc.t'], from: now - DAY, to: now, stepMs: MIN, agg: 'count' });
      expect(q.source).toBe('rollup_1m');
      // every minute's six polls: three written by the store, the open one from raw
      expect(q.points.filter(([, v]) => v !== 0).map(([, v]) => v)).toEqual([6, 6, 6, 6]);
    } finally {
      await store.close();
      await store.dropDatabase();
    }
  });

  it('keeps the rollups whole across a restart inside a minute and an hour: those buckets are re-aggregated from raw', async () => {
    let now = Math.floor(Date.now() / HOUR) * HOUR - HOUR + 20_000;
    const database = dbName();
    const open = async () => {
      const st = new InfluxSeriesStore({ url: inject('influxUrl'), database, serverRetention: false, now: () => now });
      await st.init();
      return st;
    };
    const poll = (st: InfluxSeriesStore) => st.write([s('r.plc.t', now - 1_000, 50 + ((now / 10_000) % 7)), s('r.plc.p', now - 1_000, (now / 10_000) % 3)]);
    const first = await open();
    for (let i = 0; i < 10; i++, now += 10_000) await poll(first); // 100 s: into the second minute
    await first.close(); // its open minute and hour written as far as they go
    const cutMinute = Math.floor((now - 1_000) / MIN) * MIN;
    const second = await open();
    try {
      for (let i = 0; i < 16; i++, now += 10_000) await poll(second);
      await second.flushRollups();
      const rows = async () => {
        const res = await second.influx.queryRaw(`SELECT * FROM "rollup_1m"."poll_1m" GROUP BY *`, { precision: 'ms' });
        return res.results[0].series[0].values as number[][];
      };
      const kept = await rows();
      const db = (second as unknown as { db: string }).db;
      const end = Math.floor(now / MIN) * MIN - MIN; // the minutes closed by now
      const again = await second.influx.queryRaw(`${rollupSelect1m(db)} WHERE time < ${end}ms GROUP BY time(1m), *`, { method: 'POST' });
      expect(again.results[0].error).toBeUndefined();
      expect((await rows()).filter((r) => r[0] < end)).toEqual(kept.filter((r) => r[0] < end));
      // the minute the restart cut has its six polls: both halves
      const columns = (await second.influx.queryRaw(`SELECT count_t FROM "rollup_1m"."poll_1m" WHERE time = ${cutMinute}ms`, { precision: 'ms' })).results[0].series[0].values;
      expect(columns).toEqual([[cutMinute, 6]]);
    } finally {
      await second.close();
      await second.dropDatabase();
    }
  });

  it('re-aggregates a late sample’s minute for its own device only, not every device’s', async () => {
    let now = Math.floor(Date.now() / HOUR) * HOUR - HOUR + 5_000;
    const store = new InfluxSeriesStore({ url: inject('influxUrl'), database: dbName(), serverRetention: false, now: () => now });
    await store.init();
    try {
      for (let i = 0; i < 18; i++, now += 10_000) await store.write(['x', 'y'].map((st) => s(`${st}.plc.t`, now - 1_000, 60)));
      await store.flushRollups();
      const minute = Math.floor((now - 2 * MIN) / MIN) * MIN; // closed, and its rollup rows written
      const count = async (st: string) => {
        const res = await store.influx.queryRaw(`SELECT count_t FROM "rollup_1m"."poll_1m" WHERE time = ${minute}ms AND station = '${st}'`, { precision: 'ms' });
        return res.results[0].series?.[0].values[0][1];
      };
      expect([await count('x'), await count('y')]).toEqual([6, 6]);
      // a line of y's that only a re-aggregation of y's minute would count, written past the store
      const db = (store as unknown as { db: string }).db;
      await fetch(`${inject('influxUrl')}/write?db=${db}&rp=raw&precision=ms`, { method: 'POST', body: `poll,device=plc,station=y t=61 ${minute + 1}` });
      // a late sample of x's for that minute (over LATE_MS old): its minute is dirty, for x
      await store.write([s('x.plc.t', minute + 2, 62)]);
      await store.flushRollups();
      expect(await count('x')).toBe(7);
      expect(await count('y')).toBe(6);
    } finally {
      await store.close();
      await store.dropDatabase();
    }
  });

  it('writes a rollup line again after a failed write, instead of re-aggregating its minute from raw', async () => {
    // a real HTTP hop in front of influxd that turns the first 1-minute rollup write away
    const target = inject('influxUrl');
    let refused = 0;
    const statements: string[] = [];
    const proxy = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const body = Buffer.concat(chunks);
        if (req.url!.startsWith('/write') && req.url!.includes('rp=rollup_1m') && refused++ === 0) {
          res.writeHead(503).end('busy');
          return;
        }
        if (req.url!.startsWith('/query')) {
          const q = new URLSearchParams(req.url!.slice(req.url!.indexOf('?') + 1)).get('q') ?? new URLSearchParams(body.toString()).get('q');
          statements.push(q ?? '');
        }
        const r = await fetch(target + req.url, { method: req.method, headers: { 'content-type': String(req.headers['content-type'] ?? 'text/plain') }, ...(body.length ? { body } : {}) });
        res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'text/plain' }).end(Buffer.from(await r.arrayBuffer()));
      });
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    let now = Math.floor(Date.now() / HOUR) * HOUR - HOUR + 5_000;
    const store = new InfluxSeriesStore({ url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, database: dbName(), serverRetention: false, now: () => now });
    try {
      await store.init();
      for (let i = 0; i < 14; i++, now += 10_000) await store.write([s('x.plc.t', now - 1_000, 60 + i)]);
      await store.flushRollups();
      const first = now - 145_000; // the clock's start: minutes of six polls from here
      const res = await store.influx.queryRaw(`SELECT count_t FROM "rollup_1m"."poll_1m" WHERE time >= ${first}ms`, { precision: 'ms' });
      expect(res.results[0].series?.[0].values).toEqual([
        [first, 6],
        [first + MIN, 6],
      ]);
      expect(statements.some((q) => q.startsWith('SELECT last('))).toBe(true); // the statements are seen
      expect(statements.filter((q) => q.includes(' INTO '))).toEqual([]);
    } finally {
      await store.close();
      await store.dropDatabase();
      proxy.close();
    }
  });

  it('reads the newest buckets of a rollup-sized query from raw, so live data shows before its rollup is written', async () => {
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
