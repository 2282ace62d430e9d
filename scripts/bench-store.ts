/**
 * Write throughput of the SQLite series store through the ingest pipeline:
 * SERIES points × N timestamps (10 s apart), interleaved, pushed in device-sized batches.
 *
 *   node --import tsx scripts/bench-store.ts [N=60] [SERIES=5000] [BATCH=5000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { IngestPipeline } from '../src/ingest/pipeline.ts';
import type { Sample } from '../src/model.ts';
import { SqliteSeriesStore } from '../src/store/sqlite-series.ts';

const N = Number(process.argv[2] ?? 60);
const SERIES = Number(process.argv[3] ?? 5000);
const BATCH = Number(process.argv[4] ?? 5000);
const PER_POLL = 120;

const dir = mkdtempSync(join(tmpdir(), 'hw-bench-'));
const store = new SqliteSeriesStore({ path: join(dir, 'series.db') });
await store.init();
const pipeline = new IngestPipeline({
  store,
  batchSize: BATCH,
  maxDelayMs: 1000,
  queueLimit: 50_000_000,
  logger: pino({ level: 'warn' }),
});
const points = Array.from({ length: SERIES }, (_, i) => `hs-${String(Math.floor(i / PER_POLL)).padStart(4, '0')}.plc.p${i % PER_POLL}`);
const t0 = Date.UTC(2024, 0, 1);

const cpu0 = process.cpuUsage();
const start = performance.now();
for (let t = 0; t < N; t++) {
  const ts = t0 + t * 10_000;
  for (let i = 0; i < SERIES; i += PER_POLL) {
    const batch: Sample[] = [];
    for (let j = i; j < Math.min(SERIES, i + PER_POLL); j++) {
      batch.push({ point: points[j], ts: ts + (j % 97), value: 50 + ((j * 7 + t) % 40) / 3, quality: 'good' });
    }
    pipeline.push(batch);
  }
  // let the writer run as it would between polls
  await new Promise((r) => setImmediate(r));
}
await pipeline.flush();
const ms = performance.now() - start;
const cpu = process.cpuUsage(cpu0);
const rows = SERIES * N;
const c = store.counters();
await pipeline.stop();
await store.close();
rmSync(dir, { recursive: true, force: true });
console.log(
  JSON.stringify({
    series: SERIES,
    timestamps: N,
    rows,
    batchSize: BATCH,
    wallMs: Math.round(ms),
    rowsPerSecond: Math.round((rows / ms) * 1000),
    storeRowsPerSecond: Math.round((c.rowsWritten / c.writeMs) * 1000),
    cpuMsPerSecondOfTarget: Math.round(((cpu.user + cpu.system) / 1000 / rows) * 60_000),
    stats: pipeline.stats(),
  }),
);
