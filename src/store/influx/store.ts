/**
 * InfluxDB 1.x series store (npm `influx`). Layout in ./schema.ts, policies and CQs in ./setup.ts.
 *
 * - Writes: one `write()` is split into batches of `writeBatch` points, up to `writeConcurrency`
 *   in flight. A failed batch fails the call; the caller (pipeline/spool) retries the whole
 *   call, which is harmless: a point with the same measurement + tags + timestamp overwrites.
 * - Rollups: continuous queries keep the 1-minute (every 1 min, last 10 min) and hourly
 *   (every 5 min, last 2 h) rollups of live data. A CQ never looks back further, so samples
 *   older than {@link LATE_MS} (or ahead of the clock) when written mark their minutes dirty;
 *   dirty minutes are re-aggregated with `SELECT … INTO` before the next rollup query and every
 *   `rollupFlushMs`. Queries read the most recent buckets (not yet final in the CQ output) from raw.
 *
 * @example
 * const store = new InfluxSeriesStore({ url: 'http://127.0.0.1:8086', database: 'heatwatch' });
 * await store.init();
 */
import { InfluxDB, FieldType, type IPoint } from 'influx';
import { storableSamples, type Sample } from '../../model.ts';
import type { SeriesQuery, SeriesResult, SeriesStore } from '../port.ts';
import { CQ_1H_FOR_MS, CQ_1M_FOR_MS, ensureSchema, rollupSelect1h, rollupSelect1m } from './setup.ts';
import { DAY, HOUR, MINUTE, RAW, ROLLUP_1H, ROLLUP_1M, fqm, pointFilter, rowToSample, sampleFields } from './schema.ts';
import { sourceFor } from './source.ts';
import { scanRaw } from './scan.ts';
import { bucketRange } from '../buckets.ts';

export interface InfluxStoreOptions {
  /** http://host:port */
  url: string;
  database: string;
  username?: string;
  password?: string;
  /** raw retention; rollups keep 10× and 100× as long. Default 30 */
  retentionDays?: number;
  /**
   * true (default): the retention policies' durations enforce retention inside influxd and
   * applyRetention() does nothing. false: policies keep everything (INFINITE) and
   * applyRetention(now) deletes by the given clock — needed to store back-dated data
   * (influxd drops writes older than a policy's duration), e.g. imports and tests.
   */
  serverRetention?: boolean;
  /** points per HTTP write, default 5000 */
  writeBatch?: number;
  /** HTTP writes in flight per write() call, default 4 */
  writeConcurrency?: number;
  /** per-request timeout, default 10 s */
  timeoutMs?: number;
  /** how often dirty (late) rollup minutes are re-aggregated, default 30 s */
  rollupFlushMs?: number;
  /** wall clock, for tests */
  now?: () => number;
}

/** Samples older than this when written are not covered by the 1-minute CQ's 10-minute window. */
export const LATE_MS = 5 * MINUTE;
/** Samples ahead of the clock by more than this are rolled up explicitly too. */
export const AHEAD_MS = 5 * MINUTE;
/** longest time range one re-aggregation statement covers */
const REAGG_CHUNK_1M = 6 * HOUR;
const REAGG_CHUNK_1H = 10 * DAY;

interface RawSeries {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}

export class InfluxSeriesStore implements SeriesStore {
  readonly influx: InfluxDB;
  private readonly db: string;
  private readonly retentionDays: number;
  private readonly serverRetention: boolean;
  private readonly writeBatch: number;
  private readonly writeConcurrency: number;
  private readonly rollupFlushMs: number;
  /** samples left out of their batch by the sample rule (model.ts `sampleProblem`), never written */
  refused = 0;
  private readonly now: () => number;
  private dirtyMinutes = new Set<number>();
  private flushing: Promise<void> = Promise.resolve();
  private flushTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(opts: InfluxStoreOptions) {
    const u = new URL(opts.url);
    this.db = opts.database;
    this.retentionDays = opts.retentionDays ?? 30;
    this.serverRetention = opts.serverRetention ?? true;
    this.writeBatch = opts.writeBatch ?? 5000;
    this.writeConcurrency = opts.writeConcurrency ?? 4;
    this.rollupFlushMs = opts.rollupFlushMs ?? 30_000;
    this.now = opts.now ?? Date.now;
    if (!(this.retentionDays > 0)) throw new RangeError(`retentionDays must be > 0, got ${opts.retentionDays}`);
    const backoff = { getDelay: () => 100, next: () => backoff, reset: () => backoff };
    this.influx = new InfluxDB({
      host: u.hostname,
      port: Number(u.port || (u.protocol === 'https:' ? 443 : 8086)),
      protocol: u.protocol === 'https:' ? 'https' : 'http',
      database: this.db,
      ...(opts.username !== undefined ? { username: opts.username, password: opts.password ?? '' } : {}),
      pool: { maxRetries: 0, requestTimeout: opts.timeoutMs ?? 10_000, backoff },
      schema: [
        {
          measurement: RAW.measurement,
          fields: { v: FieldType.FLOAT, b: FieldType.BOOLEAN, q: FieldType.INTEGER },
          tags: ['station', 'device', 'point'],
        },
      ],
    });
  }

  async init(): Promise<void> {
    await ensureSchema(this.influx, { database: this.db, retentionDays: this.retentionDays, serverRetention: this.serverRetention });
    if (!this.flushTimer) {
      this.flushTimer = setInterval(() => void this.flushRollups().catch(() => undefined), this.rollupFlushMs);
      this.flushTimer.unref();
    }
  }

  async write(batch: Sample[]): Promise<void> {
    // one refused sample never blocks the rest: InfluxDB would answer the whole write with a 400
    const samples = storableSamples(batch);
    this.refused += batch.length - samples.length;
    if (samples.length === 0) return;
    const points: IPoint[] = samples.map((s) => {
      const [station, device, point] = s.point.split('.');
      return { measurement: RAW.measurement, tags: { station, device, point }, fields: sampleFields(s), timestamp: s.ts };
    });
    const batches: IPoint[][] = [];
    for (let i = 0; i < points.length; i += this.writeBatch) batches.push(points.slice(i, i + this.writeBatch));
    let next = 0;
    const worker = async () => {
      while (next < batches.length) {
        const b = batches[next++];
        await this.influx.writePoints(b, { precision: 'ms', retentionPolicy: RAW.rp, database: this.db });
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.writeConcurrency, batches.length) }, worker));
    const now = this.now();
    for (const s of samples) {
      if (s.ts < now - LATE_MS || s.ts >= now + AHEAD_MS) this.dirtyMinutes.add(Math.floor(s.ts / MINUTE) * MINUTE);
    }
  }

  async latest(points: string[]): Promise<Map<string, Sample>> {
    const out = new Map<string, Sample>();
    const where = pointFilter(points);
    if (!where) return out;
    const q =
      `SELECT "v", "b", "q" FROM ${fqm(this.db, RAW)} WHERE ${where} ` +
      `GROUP BY "station", "device", "point" ORDER BY time DESC LIMIT 1`;
    for (const s of await this.select(q)) {
      const row = s.values[0];
      if (!row || !s.tags) continue;
      const col = (n: string) => row[s.columns.indexOf(n)];
      const id = `${s.tags.station}.${s.tags.device}.${s.tags.point}`;
      out.set(id, rowToSample(id, Number(col('time')), col('v'), col('b'), col('q')));
    }
    return out;
  }

  static sourceFor = sourceFor;

  /** Raw samples of [from, to) in time order (alarm replay). */
  scan(from: number, to: number): AsyncIterable<Sample[]> {
    return scanRaw(this.influx, this.db, from, to);
  }

  async query(q: SeriesQuery): Promise<SeriesResult[]> {
    const { stepMs } = q;
    const { start, n, end } = bucketRange(q);
    const source = sourceFor(q);
    const values = new Map<string, Array<number | null>>();
    for (const p of q.points) values.set(p, new Array(n).fill(q.agg === 'count' ? 0 : null));
    const where = pointFilter(q.points);
    if (where && n > 0) {
      if (source === 'raw') {
        await this.fill(values, 'raw', where, q.agg, start, end, start, stepMs);
      } else {
        // the newest buckets may not be final in the CQ output yet: read them from raw
        const tail = source === 'rollup_1m' ? CQ_1M_FOR_MS + LATE_MS : CQ_1H_FOR_MS + HOUR;
        const now = this.now();
        const rawLo = Math.min(end, Math.max(start, Math.floor((now - tail) / stepMs) * stepMs));
        const rawHi = Math.max(rawLo, Math.min(end, Math.ceil((now + AHEAD_MS) / stepMs) * stepMs));
        await this.flushRollups();
        if (start < rawLo) await this.fill(values, source, where, q.agg, start, rawLo, start, stepMs);
        if (rawLo < rawHi) await this.fill(values, 'raw', where, q.agg, rawLo, rawHi, start, stepMs);
        if (rawHi < end) await this.fill(values, source, where, q.agg, rawHi, end, start, stepMs);
      }
    }
    return q.points.map((point) => {
      const v = values.get(point)!;
      return { point, points: v.map((x, i): [number, number | null] => [start + i * stepMs, x]), source };
    });
  }

  /** Aggregates [from, to) into the buckets of `values` (bucket 0 starts at `start`). */
  private async fill(
    values: Map<string, Array<number | null>>,
    source: SeriesResult['source'],
    where: string,
    agg: SeriesQuery['agg'],
    from: number,
    to: number,
    start: number,
    stepMs: number,
  ): Promise<void> {
    let sel: string;
    let table: string;
    let filter = '';
    if (source === 'raw') {
      table = fqm(this.db, RAW);
      filter = ' AND "q" < 2';
      sel = agg === 'mean' ? 'sum("v") AS "s", count("v") AS "c"' : `${agg}("v") AS "x"`;
    } else {
      table = fqm(this.db, source === 'rollup_1m' ? ROLLUP_1M : ROLLUP_1H);
      sel = {
        mean: 'sum("sum") AS "s", sum("count") AS "c"',
        count: 'sum("count") AS "x"',
        min: 'min("min") AS "x"',
        max: 'max("max") AS "x"',
        last: 'last("last") AS "x"',
      }[agg];
    }
    const q =
      `SELECT ${sel} FROM ${table} WHERE ${where}${filter} AND time >= ${from}ms AND time < ${to}ms ` +
      `GROUP BY time(${stepMs}ms), "station", "device", "point" fill(none)`;
    for (const s of await this.select(q)) {
      if (!s.tags) continue;
      const arr = values.get(`${s.tags.station}.${s.tags.device}.${s.tags.point}`);
      if (!arr) continue;
      const ti = s.columns.indexOf('time');
      const xi = s.columns.indexOf('x');
      const si = s.columns.indexOf('s');
      const ci = s.columns.indexOf('c');
      for (const row of s.values) {
        const i = Math.floor((Number(row[ti]) - start) / stepMs);
        if (i < 0 || i >= arr.length) continue;
        if (agg === 'mean') {
          const c = Number(row[ci]);
          arr[i] = c > 0 ? Number(row[si]) / c : null;
        } else {
          arr[i] = row[xi] === null || row[xi] === undefined ? arr[i] : Number(row[xi]);
        }
      }
    }
  }

  /** Re-aggregates the dirty minutes (late or back-dated writes) and their hours; serialised. */
  flushRollups(): Promise<void> {
    const run = async () => {
      if (this.dirtyMinutes.size === 0) return;
      const minutes = [...this.dirtyMinutes].sort((a, b) => a - b);
      this.dirtyMinutes = new Set();
      try {
        const hours = [...new Set(minutes.map((m) => Math.floor(m / HOUR) * HOUR))];
        for (const [a, b] of ranges(minutes, MINUTE, REAGG_CHUNK_1M)) {
          await this.exec(`${rollupSelect1m(this.db)} AND time >= ${a}ms AND time < ${b}ms GROUP BY time(1m), *`);
        }
        for (const [a, b] of ranges(hours, HOUR, REAGG_CHUNK_1H)) {
          await this.exec(`${rollupSelect1h(this.db)} WHERE time >= ${a}ms AND time < ${b}ms GROUP BY time(1h), *`);
        }
      } catch (err) {
        for (const m of minutes) this.dirtyMinutes.add(m);
        throw err;
      }
    };
    const p = this.flushing.then(run, run);
    this.flushing = p.catch(() => undefined);
    return p;
  }

  async applyRetention(now: number): Promise<number> {
    if (this.serverRetention) return 0; // the retention policies' durations do it inside influxd
    await this.flushRollups();
    let removed = 0;
    const cut = (f: number) => Math.floor(now - this.retentionDays * f * DAY);
    for (const [t, f, field] of [
      [RAW, 1, 'q'],
      [ROLLUP_1M, 10, 'count'],
      [ROLLUP_1H, 100, 'count'],
    ] as const) {
      const before = cut(f);
      const res = await this.select(`SELECT count(${JSON.stringify(field)}) AS "n" FROM ${fqm(this.db, t)} WHERE time < ${before}ms`);
      const n = res.reduce((acc, s) => acc + s.values.reduce((a, r) => a + Number(r[1] ?? 0), 0), 0);
      if (n > 0) {
        // DELETE cannot name a retention policy; each measurement lives in exactly one
        await this.exec(`DELETE FROM "${t.measurement}" WHERE time < ${before}ms`);
        removed += n;
      }
    }
    return removed;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.flushTimer) clearInterval(this.flushTimer);
    this.flushTimer = null;
    await this.flushRollups().catch(() => undefined);
  }

  /** Drops the whole database (tests). */
  async dropDatabase(): Promise<void> {
    await this.influx.dropDatabase(this.db);
  }

  private async select(q: string): Promise<RawSeries[]> {
    const res = await this.influx.queryRaw(q, { precision: 'ms', database: this.db });
    const r = res.results?.[0];
    if (r?.error) throw new Error(`influxdb ${this.db}: ${r.error}: ${q.slice(0, 300)}`);
    return (r?.series ?? []) as RawSeries[];
  }

  private async exec(q: string): Promise<void> {
    const res = await this.influx.queryRaw(q, { precision: 'ms', database: this.db, method: 'POST' });
    const r = res.results?.[0];
    if (r?.error) throw new Error(`influxdb ${this.db}: ${r.error}: ${q.slice(0, 300)}`);
  }
}

/** Sorted bucket starts → merged [from, to) ranges, each at most `chunk` long. */
function ranges(starts: number[], width: number, chunk: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const s of starts) {
    const last = out[out.length - 1];
    if (last && last[1] === s && last[1] - last[0] < chunk) last[1] = s + width;
    else out.push([s, s + width]);
  }
  return out;
}
