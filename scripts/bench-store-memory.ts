/**
 * Live heap of the SQLite series store + ingest pipeline at city scale, and write rate:
 * SERIES points × ROUNDS timestamps (10 s apart) pushed in 120-point poll batches into a
 * temp SQLite file. Prints heapUsed after a forced GC (before, after, the difference) and rows/s.
 *
 *   node --expose-gc --import tsx scripts/bench-store-memory.ts [SERIES=600000] [ROUNDS=3]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { IngestPipeline } from '../src/ingest/pipeline.ts';
import type { Sample } from '../src/model.ts';
import { SqliteSeriesStore } from '../src/store/sqlite-series.ts';

const SERIES = Number(process.argv[2] ?? 600_000);
const ROUNDS = Number(process.argv[3] ?? 3);
const PER_POLL = 120;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
/** live JS heap + ArrayBuffer backing stores (typed-array columns live outside heapUsed) */
const heap = () => {
  gc();
  gc();
  const m = process.memoryUsage();
  return { js: m.heapUsed, buffers: m.arrayBuffers };
};
const mb = (b: number) => Math.round((b / 2 ** 20) * 10) / 10;

const dir = mkdtempSync(join(tmpdir(), 'hw-mem-'));
// the point ids exist anyway in the real process (config, adapters' read plans): not counted
const points = Array.from({ length: SERIES }, (_, i) => `hs-${String(Math.floor(i / PER_POLL)).padStart(4, '0')}.plc.p${i % PER_POLL}`);
const heap0 = heap();
const store = new SqliteSeriesStore({ path: join(dir, 'series.db') });
await store.init();
const pipeline = new IngestPipeline({ store, batchSize: 5000, maxDelayMs: 1000, queueLimit: 50_000_000, logger: pino({ level: 'warn' }) });
// 40 s past a whole minute: round 3 crosses into the next minute, so 1-minute buckets close
const t0 = Date.UTC(2024, 0, 1) + 40_000;

const start = performance.now();
for (let t = 0; t < ROUNDS; t++) {
  const ts = t0 + t * 10_000;
  for (let i = 0; i < SERIES; i += PER_POLL) {
    const batch: Sample[] = [];
    for (let j = i; j < Math.min(SERIES, i + PER_POLL); j++) {
      batch.push({ point: points[j], ts: ts + (j % 97), value: 50 + ((j * 7 + t) % 40) / 3, quality: 'good' });
    }
    pipeline.push(batch);
  }
  await pipeline.flush();
}
const ms = performance.now() - start;
const heap1 = heap();
const rows = SERIES * ROUNDS;
console.log(
  JSON.stringify({
    series: SERIES,
    rounds: ROUNDS,
    rowsPerS: Math.round(rows / (ms / 1000)),
    heapBeforeMB: mb(heap0.js),
    heapAfterMB: mb(heap1.js),
    heapGrowthMB: mb(heap1.js - heap0.js),
    arrayBuffersGrowthMB: mb(heap1.buffers - heap0.buffers),
    bytesPerSeries: Math.round((heap1.js - heap0.js + heap1.buffers - heap0.buffers) / SERIES),
    rssMB: mb(process.memoryUsage().rss),
  }),
);
await pipeline.stop();
await store.close();
rmSync(dir, { recursive: true, force: true });
