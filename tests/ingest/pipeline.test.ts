import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { createMetrics } from '../../src/ingest/metrics.ts';
import { IngestPipeline, type PipelineOptions } from '../../src/ingest/pipeline.ts';
import type { Sample } from '../../src/model.ts';
import type { SeriesQuery, SeriesResult, SeriesStore } from '../../src/store/port.ts';
import { SqliteSeriesStore } from '../../src/store/sqlite-series.ts';
import { WorkerSeriesStore } from '../../src/store/worker/worker-store.ts';
import type { SampleColumns } from '../../src/ingest/columns.ts';

const T0 = Date.UTC(2024, 0, 1);
const dir = mkdtempSync(join(tmpdir(), 'hw-ingest-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A real SQLite store behind a switch: while `down` is set every write throws, as when the
 * database goes away. It records the batches that did get written.
 */
class FlakyStore implements SeriesStore {
  down = false;
  /** while set, a write waits for it (a write in flight) */
  hold: Promise<void> | null = null;
  readonly written: Sample[][] = [];
  constructor(readonly inner: SqliteSeriesStore) {}
  init() {
    return this.inner.init();
  }
  async write(samples: Sample[]): Promise<void> {
    if (this.down) throw new Error('SQLITE_IOERR: disk I/O error (simulated outage)');
    if (this.hold) await this.hold;
    await this.inner.write(samples);
    this.written.push(samples);
  }
  latest(points: string[]) {
    return this.inner.latest(points);
  }
  query(q: SeriesQuery): Promise<SeriesResult[]> {
    return this.inner.query(q);
  }
  applyRetention(now: number) {
    return this.inner.applyRetention(now);
  }
  close() {
    return this.inner.close();
  }
}

let n = 0;
const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function setup(opts: Partial<PipelineOptions> = {}) {
  const store = new FlakyStore(new SqliteSeriesStore({ path: join(dir, `p${n++}.db`) }));
  await store.init();
  const logs: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  const pipeline = new IngestPipeline({ store, batchSize: 100, maxDelayMs: 60_000, queueLimit: 100_000, logger, ...opts });
  cleanup.push(async () => {
    store.down = false;
    await pipeline.stop();
    await store.close();
  });
  return { store, pipeline, logs };
}

/** `count` samples of one point, one per second from `start` */
function series(point: string, start: number, count: number): Sample[] {
  return Array.from({ length: count }, (_, i) => ({ point, ts: T0 + (start + i) * 1000, value: start + i, quality: 'good' as const }));
}

async function storedTs(store: FlakyStore, point: string): Promise<number[]> {
  const [r] = await store.query({ points: [point], from: T0, to: T0 + 2 * 3600_000, stepMs: 1000, agg: 'count' });
  return r.points.filter(([, c]) => c).map(([ts]) => (ts - T0) / 1000);
}

describe('IngestPipeline', () => {
  it('writes full batches at once and holds a partial batch until flush', async () => {
    const { store, pipeline } = await setup({ batchSize: 100 });
    const data = series('a.b.c', 0, 250);
    for (let i = 0; i < 250; i += 50) pipeline.push(data.slice(i, i + 50));
    await vi.waitFor(() => expect(pipeline.stats().stored).toBe(200), { timeout: 5000, interval: 5 });
    expect(store.written.map((b) => b.length)).toEqual([100, 100]);
    expect(pipeline.stats().queueDepth).toBe(50);
    await pipeline.flush();
    expect(store.written.map((b) => b.length)).toEqual([100, 100, 50]);
    expect(pipeline.stats()).toMatchObject({ received: 250, stored: 250, dropped: 0, queueDepth: 0 });
    expect(await storedTs(store, 'a.b.c')).toEqual(data.map((_, i) => i));
  });

  it('writes a partial batch once its oldest sample is maxDelayMs old', async () => {
    const { store, pipeline } = await setup({ batchSize: 10_000, maxDelayMs: 80 });
    const t = performance.now();
    pipeline.push(series('a.b.c', 0, 10));
    expect(pipeline.stats().stored).toBe(0);
    await vi.waitFor(() => expect(pipeline.stats().stored).toBe(10), { timeout: 5000, interval: 5 });
    expect(performance.now() - t).toBeGreaterThanOrEqual(70);
    expect(store.written).toHaveLength(1);
  });

  it('retries failed writes with backoff, logs once per outage, loses nothing and keeps order', async () => {
    const { store, pipeline, logs } = await setup({ batchSize: 100, retryBaseMs: 5, retryMaxMs: 20 });
    store.down = true;
    const data = series('a.b.c', 0, 730);
    for (let i = 0; i < data.length; i += 73) pipeline.push(data.slice(i, i + 73));
    await vi.waitFor(() => expect(pipeline.stats().writeErrors).toBeGreaterThanOrEqual(4), { timeout: 5000, interval: 5 });
    expect(pipeline.stats()).toMatchObject({ stored: 0, failing: true, queueDepth: 730, dropped: 0 });
    store.down = false;
    await pipeline.flush();
    expect(pipeline.stats()).toMatchObject({ stored: 730, failing: false, queueDepth: 0, dropped: 0 });
    expect(store.written.flat().map((x) => x.ts)).toEqual(data.map((x) => x.ts));
    expect(await storedTs(store, 'a.b.c')).toEqual(data.map((_, i) => i));
    expect(logs.filter((l) => l.msg === 'series store write failed; retrying with backoff')).toHaveLength(1);
    expect(logs.filter((l) => l.msg === 'series store writes recovered')).toHaveLength(1);
  });

  it('drops the oldest samples beyond queueLimit, counts and logs them, and stores the rest', async () => {
    const { store, pipeline, logs } = await setup({ batchSize: 100, queueLimit: 1000, retryBaseMs: 5, retryMaxMs: 10 });
    store.down = true;
    const data = series('a.b.c', 0, 1500);
    pipeline.push(data.slice(0, 100));
    await vi.waitFor(() => expect(pipeline.stats().writeErrors).toBeGreaterThanOrEqual(1), { timeout: 5000, interval: 2 });
    for (let i = 100; i < 1500; i += 100) pipeline.push(data.slice(i, i + 100));
    expect(pipeline.stats()).toMatchObject({ received: 1500, dropped: 500, queueDepth: 1000 });
    expect(logs.some((l) => String(l.msg).startsWith('ingest dropped samples: queue over its limit'))).toBe(true);
    store.down = false;
    await pipeline.flush();
    expect(pipeline.stats()).toMatchObject({ stored: 1000, dropped: 500, queueDepth: 0 });
    expect(await storedTs(store, 'a.b.c')).toEqual(data.slice(500).map((_, i) => 500 + i));
  });

  it('fans every batch out synchronously; a throwing listener is logged and breaks nothing', async () => {
    const { store, pipeline, logs } = await setup();
    const seen: number[] = [];
    pipeline.onSamples(() => {
      throw new Error('listener bug');
    });
    const off = pipeline.onSamples((b) => seen.push(b.length));
    expect(() => pipeline.push(series('a.b.c', 0, 3))).not.toThrow();
    expect(seen).toEqual([3]);
    pipeline.push(series('a.b.c', 3, 2));
    off();
    pipeline.push(series('a.b.c', 5, 1));
    expect(seen).toEqual([3, 2]);
    await pipeline.flush();
    expect(await storedTs(store, 'a.b.c')).toEqual([0, 1, 2, 3, 4, 5]);
    expect(logs.filter((l) => l.msg === 'sample listener threw; ingest continues')).toHaveLength(3);
  });

  it('keeps the latest sample per point; rejects malformed samples by counting them as dropped', async () => {
    const { pipeline } = await setup();
    pipeline.push([
      { point: 'a.b.c', ts: T0 + 2000, value: 2, quality: 'good' },
      { point: 'a.b.c', ts: T0 + 1000, value: 1, quality: 'good' },
      { point: 'a.b.run', ts: T0, value: true, quality: 'good' },
      { point: 'a.b.c', ts: Number.NaN, value: 3, quality: 'good' },
      { point: 'a.b.c', ts: T0 + 3000, value: 3, quality: 'weird' as never },
    ]);
    expect(pipeline.latest.get('a.b.c')?.value).toBe(2);
    expect(pipeline.latest.get('a.b.run')?.value).toBe(true);
    expect(pipeline.stats()).toMatchObject({ received: 5, dropped: 2, rejected: 2, queueDepth: 3 });
  });

  it('refuses samples dated before 2000 or over 5 minutes ahead of its clock: counted by reason, logged once per device, never stored', async () => {
    const now = T0 + 3600_000;
    const { store, pipeline, logs } = await setup({ now: () => now });
    const at = (point: string, ts: number): Sample => ({ point, ts, value: 1, quality: 'good' });
    pipeline.push([at('a.b.c', now), at('a.b.c', now + 5 * 60_000), at('a.b.c', now + 5 * 60_000 + 1), at('a.b.d', Date.UTC(1970, 0, 2)), at('a.x.c', 1e15)]);
    pipeline.push([at('a.b.c', now + 3600_000), at('a.b.e', now - 1000)]);
    expect(pipeline.stats()).toMatchObject({ received: 7, rejected: 4, dropped: 4, rejectedBy: { future: 3, too_old: 1, malformed: 0 } });
    const refused = logs.filter((l) => String(l.msg).startsWith('ingest refused a sample'));
    expect(refused.map((l) => l.device)).toEqual(['a.b', 'a.x']);
    expect(refused[0]).toMatchObject({ reason: 'future' });
    await pipeline.flush();
    const [r] = await store.query({ points: ['a.b.c'], from: now - 60_000, to: now + 2 * 3600_000, stepMs: 3 * 3600_000, agg: 'count' });
    expect(r.points.reduce((n, [, c]) => n + (c ?? 0), 0)).toBe(2);
    expect(pipeline.latest.get('a.b.c')?.ts).toBe(now + 5 * 60_000);
  });

  it('stop() writes what is queued, and later pushes are counted as dropped', async () => {
    const { store, pipeline } = await setup({ batchSize: 1000 });
    pipeline.push(series('a.b.c', 0, 10));
    await pipeline.stop();
    expect(pipeline.stats()).toMatchObject({ stored: 10, queueDepth: 0 });
    pipeline.push(series('a.b.c', 10, 5));
    expect(pipeline.stats()).toMatchObject({ dropped: 5, stored: 10 });
    expect(await storedTs(store, 'a.b.c')).toHaveLength(10);
  });

  it('exposes Prometheus metrics with live values', async () => {
    const { store, pipeline } = await setup({ batchSize: 100, retryBaseMs: 5 });
    const registry = createMetrics({
      pipeline,
      adapters: () => [{ station: 'hs-001', device: 'plc', polls: 42, errors: 3, lastLatenessMs: 1, late: 2, skipped: 5 }],
    });
    pipeline.push(series('a.b.c', 0, 250));
    await pipeline.flush();
    store.down = true;
    pipeline.push(series('a.b.c', 250, 100));
    await vi.waitFor(() => expect(pipeline.stats().writeErrors).toBeGreaterThanOrEqual(1), { timeout: 5000, interval: 2 });
    const text = await registry.metrics();
    expect(text).toMatch(/^heatwatch_samples_received_total 350$/m);
    expect(text).toMatch(/^heatwatch_samples_stored_total 250$/m);
    expect(text).toMatch(/^heatwatch_samples_dropped_total 0$/m);
    expect(text).toMatch(/^heatwatch_store_write_errors_total [1-9]\d*$/m);
    expect(text).toMatch(/^heatwatch_ingest_queue_depth 100$/m);
    expect(text).toMatch(/^heatwatch_store_write_seconds_count\{outcome="ok"\} 3$/m);
    expect(text).toMatch(/^heatwatch_store_write_seconds_count\{outcome="error"\} [1-9]\d*$/m);
    expect(text).toMatch(/^heatwatch_polls_total\{station="hs-001",device="plc"\} 42$/m);
    expect(text).toMatch(/^heatwatch_poll_errors_total\{station="hs-001",device="plc"\} 3$/m);
    expect(text).toMatch(/^heatwatch_polls_late_total\{station="hs-001",device="plc"\} 2$/m);
    expect(text).toMatch(/^heatwatch_polls_skipped_total\{station="hs-001",device="plc"\} 5$/m);
    expect(text).toMatch(/^heatwatch_polls_skipped_all_total 5$/m);
    expect(text).toMatch(/^heatwatch_store_writes_in_flight [01]$/m);
    expect(Number(/^heatwatch_ingest_queue_age_seconds ([\d.e+-]+)$/m.exec(text)?.[1])).toBeGreaterThanOrEqual(0);
    // no store with a head given: 0
    expect(text).toMatch(/^heatwatch_store_head_age_seconds 0$/m);
    expect(Number(/^heatwatch_ingest_queue_growth_per_second ([\d.e+-]+)$/m.exec(text)?.[1])).toBeGreaterThan(0);
    const rate = Number(/^heatwatch_samples_per_second ([\d.e+-]+)$/m.exec(text)?.[1]);
    expect(rate).toBeGreaterThan(0);
    expect(rate).toBeLessThanOrEqual(350 / 9);
  });

  it('shows how far compaction is behind in the store: the age of the oldest second its head holds', async () => {
    const { store, pipeline } = await setup({ batchSize: 100 });
    const registry = createMetrics({ pipeline, store: store.inner, now: () => T0 + 90_500 });
    pipeline.push(series('a.b.c', 0, 100));
    await pipeline.flush();
    expect(await registry.metrics()).toMatch(/^heatwatch_store_head_age_seconds 90.5$/m);
    // compacted: nothing left in the head
    store.inner.compact({ all: true });
    expect(await registry.metrics()).toMatch(/^heatwatch_store_head_age_seconds 0$/m);
  });

  it('shows how long the oldest sample has waited, how fast the queue grows, and the writes in flight', async () => {
    let now = T0 + 3600_000;
    const { store, pipeline } = await setup({ batchSize: 1000, now: () => now });
    pipeline.push(series('a.b.c', 0, 100));
    expect(pipeline.stats()).toMatchObject({ queueDepth: 100, queueAgeMs: 0, writesInFlight: 0, batchSize: 1000 });
    now += 2500;
    pipeline.push(series('a.b.c', 100, 100));
    const st = pipeline.stats();
    expect(st.queueAgeMs).toBe(2500);
    expect(st.queueGrowthPerSecond).toBeCloseTo(200 / 9.5, 5);
    let release!: () => void;
    store.hold = new Promise((r) => (release = r));
    const flushed = pipeline.flush();
    await vi.waitFor(() => expect(pipeline.stats().writesInFlight).toBe(1), { timeout: 5000, interval: 2 });
    // the batch being written still counts: its oldest sample keeps waiting
    expect(pipeline.stats()).toMatchObject({ queueDepth: 200, queueAgeMs: 2500 });
    release();
    await flushed;
    expect(pipeline.stats()).toMatchObject({ queueDepth: 0, queueAgeMs: 0, writesInFlight: 0, queueGrowthPerSecond: 0, stored: 200 });
  });

  it('hands a store that runs in a worker thread its batches as columns, in order', async () => {
    const store = new WorkerSeriesStore({ kind: 'sqlite', options: { path: join(dir, `w${n++}.db`) } });
    await store.init();
    const logger = pino({ level: 'silent' });
    const pipeline = new IngestPipeline({ store, batchSize: 300, maxDelayMs: 60_000, logger });
    cleanup.push(async () => {
      await pipeline.stop();
      await store.close();
    });
    const a = series('a.b.c', 0, 1000);
    const b = series('a.b.run', 0, 1000).map((x) => ({ ...x, value: x.ts % 2000 === 0 }));
    for (let i = 0; i < 1000; i += 50) {
      pipeline.push(a.slice(i, i + 50));
      pipeline.push(b.slice(i, i + 50));
    }
    await pipeline.flush();
    expect(pipeline.stats()).toMatchObject({ received: 2000, stored: 2000, queueDepth: 0 });
    const [r] = await store.query({ points: ['a.b.c'], from: T0, to: T0 + 1000_000, stepMs: 1000, agg: 'last' });
    expect(r.points.map(([, v]) => v)).toEqual(a.map((x) => x.value));
    expect((await store.latest(['a.b.run'])).get('a.b.run')).toEqual({ ...b[999], quality: 'good' });
  });

  it('tells a columns store it is behind while two more batches wait behind the one it writes', async () => {
    class Recording extends WorkerSeriesStore {
      readonly behind: boolean[] = [];
      override async writeColumns(c: SampleColumns, behind = false): Promise<void> {
        this.behind.push(behind);
        return super.writeColumns(c, behind);
      }
    }
    const store = new Recording({ kind: 'sqlite', options: { path: join(dir, `w${n++}.db`) } });
    await store.init();
    const pipeline = new IngestPipeline({ store, batchSize: 300, maxDelayMs: 60_000, logger: pino({ level: 'silent' }) });
    cleanup.push(async () => {
      await pipeline.stop();
      await store.close();
    });
    pipeline.push(series('a.b.c', 0, 1000));
    await pipeline.flush();
    // 700 wait behind the first 300 (two batches and more), 400 behind the second, then 100 and none
    expect(store.behind).toEqual([true, false, false, false]);
    expect(pipeline.stats()).toMatchObject({ stored: 1000, queueDepth: 0 });
  });
});
