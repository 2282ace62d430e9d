/**
 * InfluxDB 1.x series store (npm `influx` for queries, plain HTTP for writes). Layout in
 * ./schema.ts: one line per device poll, one field per point. Policies in ./setup.ts.
 *
 * - Writes: one `write()` becomes one line per (device, ts), sent in up to `writeConcurrency`
 *   requests of at most `writeBatch` lines (./writer.ts). A failed request fails the call; the
 *   caller (pipeline/spool) retries the whole call, which is harmless: a line with the same
 *   measurement + tags + timestamp overwrites its fields.
 * - Rollups: the store folds the 1-minute and hourly rollups of live data from the lines it
 *   writes (./live-rollups.ts) and writes each bucket's line when the device moves past it, or
 *   when it ended {@link LATE_MS} ago (a device that stopped). Samples ahead of the clock,
 *   samples older than LATE_MS when written that are not newer than what their device had
 *   folded (a replay, an import), and buckets the store cannot know whole (the first after
 *   start, one a sample arrives for after it was written), mark their minutes or hours dirty,
 *   for their devices only;
 *   dirty ones are re-aggregated with `SELECT … INTO` before the next rollup query and every
 *   `rollupFlushMs`. Queries read the most recent buckets (not yet written) from raw.
 *
 * @example
 * const store = new InfluxSeriesStore({ url: 'http://127.0.0.1:8086', database: 'heatwatch', areas: { 'hs-001': 'nangang' } });
 * await store.init();
 */
import { InfluxDB } from 'influx';
import { storableSamples, type Sample } from '../../model.ts';
import type { SeriesQuery, SeriesResult, SeriesStore } from '../port.ts';
import { ensureSchema, rollupSelect1h, rollupSelect1m } from './setup.ts';
import { DirtyBuckets } from './dirty.ts';
import { LiveRollups, newRollupOutput, type RollupOutput } from './live-rollups.ts';
import { DAY, HOUR, LEGACY, MINUTE, RAW, ROLLUP_1H, ROLLUP_1M, F_BAD, fqm, ident } from './schema.ts';
import { sourceFor } from './source.ts';
import { scanRaw } from './scan.ts';
import { encodeLine, groupColumnLines, groupLines, LineMemory, TableLineParts, type Line, type ResolutionOf } from './lines.ts';
import { resolutionOf, type PointEncodings } from '../codec/spec.ts';
import { storableRows, type PointTable, type SampleColumns } from '../../ingest/columns.ts';
import { LineWriter } from './writer.ts';
import { fillBuckets, latestSamples, type RawSeries } from './read.ts';
import { bucketRange } from '../buckets.ts';
import { backoffDelay } from '../../backoff.ts';

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
  /** most lines (device polls) per HTTP write, default 1000 */
  writeBatch?: number;
  /** HTTP writes in flight per write() call, default 4 */
  writeConcurrency?: number;
  /** per-request timeout, default 10 s */
  timeoutMs?: number;
  /** how often dirty (late) rollup minutes are re-aggregated, default 30 s */
  rollupFlushMs?: number;
  /** station id → its area (district), written as the `area` tag; stations not named get none */
  areas?: Record<string, string>;
  /** how points are kept (codec/from-config.ts, as the SQLite store's): float points' values are written at their resolution */
  encodings?: PointEncodings;
  /** wall clock, for tests */
  now?: () => number;
}

/**
 * Samples older than this when written are folded into the live rollups only when newer than
 * anything of their device folded before (a backlog written in order); others mark their minutes dirty.
 */
export const LATE_MS = MINUTE;
/** Samples ahead of the clock by more than this are rolled up explicitly too. */
export const AHEAD_MS = 5 * MINUTE;
/**
 * How far back queries read from raw instead of a rollup: a bucket's rollup line is written by
 * LATE_MS + rollupFlushMs after it ended (a dirty one re-aggregated by then too), well inside.
 */
const RAW_TAIL_1M_MS = 4 * MINUTE;
const RAW_TAIL_1H_MS = 3 * HOUR;
/** rollup lines queued before a write waits for them (~1 minute's lines of 10,000 devices) */
const ROLLUP_LINES_AHEAD = 10_000;
/** tries of a rollup write before its buckets are left to re-aggregation */
const ROLLUP_WRITE_TRIES = 3;
/** least per-request timeout of rollup writes */
const ROLLUP_TIMEOUT_MS = 30_000;
/** longest time range one re-aggregation statement covers */
const REAGG_CHUNK_1M = 6 * HOUR;
const REAGG_CHUNK_1H = 10 * DAY;
/** statements per query request */
const STATEMENTS_PER_REQUEST = 50;

export class InfluxSeriesStore implements SeriesStore {
  readonly influx: InfluxDB;
  private readonly db: string;
  private readonly retentionDays: number;
  private readonly serverRetention: boolean;
  private readonly rollupFlushMs: number;
  private readonly areas: ReadonlyMap<string, string>;
  private readonly writer: LineWriter;
  private readonly writer1m: LineWriter;
  private readonly writer1h: LineWriter;
  private readonly live: LiveRollups;
  private readonly memory = new LineMemory();
  /** the parts of each point table's ids, for writeColumns */
  private readonly lineParts = new WeakMap<PointTable, TableLineParts>();
  private readonly resolution: ResolutionOf;
  /** samples left out of their batch by the sample rule (model.ts `sampleProblem`), never written */
  refused = 0;
  private readonly now: () => number;
  private dirtyMinutes = new DirtyBuckets();
  private dirtyHours = new DirtyBuckets();
  /** the rollup lines' writes, in order; never rejects */
  private rollupWrites: Promise<void> = Promise.resolve();
  private rollupLinesQueued = 0;
  private flushing: Promise<void> = Promise.resolve();
  private flushTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(opts: InfluxStoreOptions) {
    const u = new URL(opts.url);
    this.db = opts.database;
    this.retentionDays = opts.retentionDays ?? 30;
    this.serverRetention = opts.serverRetention ?? true;
    this.rollupFlushMs = opts.rollupFlushMs ?? 30_000;
    this.areas = new Map(Object.entries(opts.areas ?? {}));
    this.now = opts.now ?? Date.now;
    if (!(this.retentionDays > 0)) throw new RangeError(`retentionDays must be > 0, got ${opts.retentionDays}`);
    const timeoutMs = opts.timeoutMs ?? 10_000;
    const writeBatch = opts.writeBatch ?? 1000;
    const writerFor = (rp: string, batch: number, timeout: number) =>
      new LineWriter({
        url: opts.url,
        database: this.db,
        rp,
        username: opts.username,
        password: opts.password,
        timeoutMs: timeout,
        writeBatch: batch,
        writeConcurrency: opts.writeConcurrency ?? 4,
      });
    this.writer = writerFor(RAW.rp, writeBatch, timeoutMs);
    // a rollup line carries five figures per point field: a fifth of the lines per request, and
    // more time, as nothing waits on them (a whole fleet's 5,000 hour lines in requests of 1,000
    // timed out again and again while influxd was busy)
    const rollupBatch = Math.max(1, Math.floor(writeBatch / 5));
    const rollupTimeout = Math.max(timeoutMs, ROLLUP_TIMEOUT_MS);
    this.writer1m = writerFor(ROLLUP_1M.rp, rollupBatch, rollupTimeout);
    this.writer1h = writerFor(ROLLUP_1H.rp, rollupBatch, rollupTimeout);
    const encodings = opts.encodings;
    this.resolution = encodings ? (point) => resolutionOf(encodings, point) : () => 0;
    this.live = new LiveRollups((station) => this.areas.get(station), this.resolution);
    const backoff = { getDelay: () => 100, next: () => backoff, reset: () => backoff };
    this.influx = new InfluxDB({
      host: u.hostname,
      port: Number(u.port || (u.protocol === 'https:' ? 443 : 8086)),
      protocol: u.protocol === 'https:' ? 'https' : 'http',
      database: this.db,
      ...(opts.username !== undefined ? { username: opts.username, password: opts.password ?? '' } : {}),
      pool: { maxRetries: 0, requestTimeout: timeoutMs, backoff },
    });
  }

  async init(): Promise<void> {
    await ensureSchema(this.influx, { database: this.db, retentionDays: this.retentionDays, serverRetention: this.serverRetention });
    await this.seedLiveRollups();
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
    await this.writeLines(groupLines(samples, this.resolution));
  }

  /** {@link write} for the ingest queue's columns: no Sample object, no string per sample. */
  async writeColumns(c: SampleColumns): Promise<void> {
    const ids = c.table.ids;
    const rows = storableRows(c, ids);
    this.refused += c.point.length - rows.point.length;
    if (rows.point.length === 0) return;
    let parts = this.lineParts.get(c.table);
    if (!parts) this.lineParts.set(c.table, (parts = new TableLineParts(this.resolution)));
    await this.writeLines(groupColumnLines(rows, parts.update(ids)));
  }

  private async writeLines(lines: Map<string, Line>): Promise<void> {
    this.memory.complete(lines);
    const text: string[] = [];
    for (const l of lines.values()) text.push(encodeLine(l, this.areas.get(l.station)));
    await this.writer.write(text);
    this.memory.remember(lines);
    const now = this.now();
    const out = newRollupOutput();
    this.live.fold(lines.values(), (ts) => (ts >= now + AHEAD_MS ? 'ahead' : ts < now - LATE_MS ? 'late' : 'live'), out);
    await this.writeRollups(out);
  }

  /**
   * Tells the live rollups what raw holds of the current hour (each device's newest line in it),
   * so a first bucket nothing was written to before is folded, not re-aggregated. One field per
   * device: cheap where a query over every point field is not. Unknown (this fails): every first
   * bucket is re-aggregated, which is correct too.
   */
  private async seedLiveRollups(): Promise<void> {
    const since = Math.floor(this.now() / HOUR) * HOUR;
    try {
      const res = await this.select(`SELECT last(${ident(F_BAD)}) FROM ${fqm(this.db, RAW)} WHERE time >= ${since}ms GROUP BY "station", "device"`);
      const last = res.flatMap((r) => (r.tags?.station && r.tags.device && r.values[0] ? [{ station: r.tags.station, device: r.tags.device, ts: Number(r.values[0][0]) }] : []));
      this.live.seed(since, last);
    } catch {
      // left unseeded
    }
  }

  /**
   * Notes the dirty buckets and writes closed buckets' rollup lines, one write after another
   * beside the raw writes (a minute's lines of every device are as many values as its raw
   * lines): the caller waits only while more than {@link ROLLUP_LINES_AHEAD} lines are queued.
   * Never fails: the raw lines are written, so a rollup line that fails is re-aggregated from
   * raw later instead.
   */
  private async writeRollups(out: RollupOutput): Promise<void> {
    this.dirtyMinutes.addAll(out.dirtyMinutes);
    this.dirtyHours.addAll(out.dirtyHours);
    const n = out.m1.length + out.h1.length;
    if (n === 0) return;
    const bucketOf = (line: string) => Number(line.slice(line.lastIndexOf(' ') + 1));
    this.rollupLinesQueued += n;
    const write = async () => {
      if (out.m1.length) await this.writeRetried(this.writer1m, out.m1).catch(() => out.m1.forEach((l, i) => this.dirtyMinutes.add(bucketOf(l), out.m1Devices[i])));
      if (out.h1.length) await this.writeRetried(this.writer1h, out.h1).catch(() => out.h1.forEach((l, i) => this.dirtyHours.add(bucketOf(l), out.h1Devices[i])));
      this.rollupLinesQueued -= n;
    };
    this.rollupWrites = this.rollupWrites.then(write);
    if (this.rollupLinesQueued > ROLLUP_LINES_AHEAD) await this.rollupWrites;
  }

  /**
   * Writes rollup lines, trying again after a failure (a timeout while influxd is busy): writing
   * a line again costs little, re-aggregating its bucket from raw costs influxd ~0.3 ms per point
   * field and device (minutes for a whole fleet's minute).
   */
  private async writeRetried(writer: LineWriter, lines: string[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await writer.write(lines);
      } catch (err) {
        if (attempt + 1 >= ROLLUP_WRITE_TRIES) throw err;
        await new Promise((r) => setTimeout(r, backoffDelay(attempt, { baseMs: 1000, maxMs: 10_000 })));
      }
    }
  }

  async latest(points: string[]): Promise<Map<string, Sample>> {
    return latestSamples(this.selectMany, this.db, points);
  }

  static sourceFor = sourceFor;

  /** Raw samples of [from, to) in (ts, point) order (alarm replay). */
  scan(from: number, to: number): AsyncIterable<Sample[]> {
    return scanRaw(this.selectMany, this.db, from, to);
  }

  async query(q: SeriesQuery): Promise<SeriesResult[]> {
    const { stepMs } = q;
    const { start, n, end } = bucketRange(q);
    const source = sourceFor(q);
    const values = new Map<string, Array<number | null>>();
    for (const p of q.points) values.set(p, new Array(n).fill(q.agg === 'count' ? 0 : null));
    const fill = (src: SeriesResult['source'], from: number, to: number) => fillBuckets(this.selectMany, this.db, values, src, q.agg, from, to, start, stepMs);
    if (n > 0) {
      if (source === 'raw') {
        await fill('raw', start, end);
      } else {
        // the newest buckets' rollup lines may not be written yet: read them from raw
        const tail = source === 'rollup_1m' ? RAW_TAIL_1M_MS : RAW_TAIL_1H_MS;
        const now = this.now();
        const rawLo = Math.min(end, Math.max(start, Math.floor((now - tail) / stepMs) * stepMs));
        const rawHi = Math.max(rawLo, Math.min(end, Math.ceil((now + AHEAD_MS) / stepMs) * stepMs));
        await this.flushRollups();
        if (start < rawLo) await fill(source, start, rawLo);
        if (rawLo < rawHi) await fill('raw', rawLo, rawHi);
        if (rawHi < end) await fill(source, rawHi, end);
      }
    }
    return q.points.map((point) => {
      const v = values.get(point)!;
      return { point, points: v.map((x, i): [number, number | null] => [start + i * stepMs, x]), source };
    });
  }

  /**
   * Writes the buckets of devices that stopped (ended LATE_MS ago), then re-aggregates the dirty
   * minutes (late or back-dated writes, buckets not known whole) and hours; serialised.
   */
  flushRollups(): Promise<void> {
    const run = async () => {
      const swept = newRollupOutput();
      this.live.sweep(this.now() - LATE_MS, swept);
      await this.writeRollups(swept);
      await this.rollupWrites; // answers and re-aggregations see every line written so far
      if (this.dirtyMinutes.size === 0 && this.dirtyHours.size === 0) return;
      const minutes = this.dirtyMinutes;
      const hours = this.dirtyHours;
      this.dirtyMinutes = new DirtyBuckets();
      this.dirtyHours = new DirtyBuckets();
      // a minute's hour is dirty for the same devices
      hours.addAll(minutes, HOUR);
      try {
        for (const where of minutes.statements(MINUTE, REAGG_CHUNK_1M)) await this.exec(`${rollupSelect1m(this.db)} WHERE ${where} GROUP BY time(1m), *`);
        for (const where of hours.statements(HOUR, REAGG_CHUNK_1H)) await this.exec(`${rollupSelect1h(this.db)} WHERE ${where} GROUP BY time(1h), *`);
      } catch (err) {
        this.dirtyMinutes.addAll(minutes);
        this.dirtyHours.addAll(hours);
        throw err;
      }
    };
    const p = this.flushing.then(run, run);
    this.flushing = p.catch(() => undefined);
    return p;
  }

  /** Returns raw lines plus rollup point-buckets removed. */
  async applyRetention(now: number): Promise<number> {
    if (this.serverRetention) return 0; // the retention policies' durations do it inside influxd
    await this.flushRollups();
    let removed = 0;
    const cut = (f: number) => Math.floor(now - this.retentionDays * f * DAY);
    for (const [t, f, counted] of [
      [RAW, 1, ident(F_BAD)],
      [ROLLUP_1M, 10, '/^count_/'],
      [ROLLUP_1H, 100, '/^sum_count_/'],
    ] as const) {
      const before = cut(f);
      const res = await this.select(`SELECT count(${counted}) FROM ${fqm(this.db, t)} WHERE time < ${before}ms`);
      let n = 0;
      for (const s of res) for (const r of s.values) for (let i = 1; i < r.length; i++) n += Number(r[i] ?? 0);
      // DELETE cannot name a retention policy; each measurement lives in exactly one
      if (n > 0) await this.exec(`DELETE FROM ${ident(t.measurement)} WHERE time < ${before}ms`);
      removed += n;
    }
    // the per-point layout of older versions (not counted: nothing reads it any more)
    for (const [i, t] of LEGACY.entries()) await this.exec(`DELETE FROM ${ident(t.measurement)} WHERE time < ${cut([1, 10, 100][i])}ms`);
    return removed;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.flushTimer) clearInterval(this.flushTimer);
    this.flushTimer = null;
    // the open buckets' lines as far as they go (a bucket not known whole is re-aggregated)
    const open = newRollupOutput();
    this.live.closeAll(open);
    await this.writeRollups(open);
    await this.flushRollups().catch(() => undefined);
  }

  /** Drops the whole database (tests). */
  async dropDatabase(): Promise<void> {
    await this.influx.dropDatabase(this.db);
  }

  private async select(q: string): Promise<RawSeries[]> {
    return (await this.selectMany([q]))[0];
  }

  /** Statements in requests of up to {@link STATEMENTS_PER_REQUEST}; one list of series per statement. */
  private readonly selectMany = async (statements: string[]): Promise<RawSeries[][]> => {
    const out: RawSeries[][] = [];
    for (let i = 0; i < statements.length; i += STATEMENTS_PER_REQUEST) {
      const part = statements.slice(i, i + STATEMENTS_PER_REQUEST);
      const res = await this.influx.queryRaw(part.join(';\n'), { precision: 'ms', database: this.db, method: 'POST' });
      part.forEach((q, k) => {
        const r = res.results?.[k];
        if (r?.error) throw new Error(`influxdb ${this.db}: ${r.error}: ${q.slice(0, 300)}`);
        out.push((r?.series ?? []) as RawSeries[]);
      });
      if (res.error) throw new Error(`influxdb ${this.db}: ${res.error}: ${part[0].slice(0, 300)}`);
    }
    return out;
  };

  private async exec(q: string): Promise<void> {
    const res = await this.influx.queryRaw(q, { precision: 'ms', database: this.db, method: 'POST' });
    const r = res.results?.[0];
    if (r?.error) throw new Error(`influxdb ${this.db}: ${r.error}: ${q.slice(0, 300)}`);
  }
}
