// One heatwatch process for the benchmark: loads a config written by `heatwatch sim
// --write-config`, runs adapters → ingest → SQLite store (and the API, not listening) and
// prints one JSON line with what it measured of itself. Spawned by scripts/bench.ts.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';
import { loadConfig } from '../src/config/load.ts';
import { createLogger } from '../src/log.ts';
import { ModbusAdapter } from '../src/adapters/modbus/adapter.ts';
import { startService } from '../src/service.ts';
import { limitHeapGrowth } from '../src/heap-growth.ts';
import { WorkerSeriesStore } from '../src/store/worker/worker-store.ts';
import { percentile } from '../src/adapters/modbus/adapter.ts';
import { startProfile, threadCpu } from './bench-process.ts';

const { values } = parseArgs({
  options: {
    config: { type: 'string' },
    'period-ms': { type: 'string', default: '10000' },
    /** requests of a poll in flight at once (the devices' `inFlight`; the simulator answers several) */
    'in-flight': { type: 'string', default: '1' },
    'warmup-s': { type: 'string', default: '15' },
    seconds: { type: 'string', default: '60' },
    /** store in this InfluxDB (started by scripts/bench.ts --store influxdb) instead of SQLite */
    'influx-url': { type: 'string' },
    /** the inspector's CPU profile of the measured window, written to this file (the store worker's beside it, `-worker.cpuprofile`) */
    profile: { type: 'string' },
    /** a heap snapshot of the main thread after the measured window, written to this file */
    'heap-snapshot': { type: 'string' },
    /** start the window only once the analytics job's first run (its catch-up of the day, 60 s after start) is done */
    'after-analytics': { type: 'boolean', default: false },
    /** print the threads' CPU, RSS and samples stored every this many seconds of the window to stderr (0: not) */
    'trace-s': { type: 'string', default: '0' },
    /** begin the window at this time of day (HH:MM, local; the next such time, after the warm-up), so an hour's window can hold whole compaction passes */
    'window-at': { type: 'string' },
  },
});
// as `heatwatch run` does (src/cli/main.ts)
limitHeapGrowth();
const periodMs = Number(values['period-ms']);
const cfg = loadConfig(values.config!);
const dir = mkdtempSync(join(tmpdir(), 'heatwatch-bench-'));
cfg.storage.series = values['influx-url']
  ? { kind: 'influxdb', url: values['influx-url'], database: 'heatwatch_bench', writeBatch: 1000, writeConcurrency: 4 }
  : { kind: 'sqlite', path: join(dir, 'series.db') };
if (values['influx-url']) {
  // one line per device poll (~120 samples): 20,000 samples ≈ 167 lines, sent as 4 requests in flight
  cfg.ingest.batchSize = 20_000;
  cfg.storage.spool = { enabled: true, path: join(dir, 'spool.db'), maxBytes: 2 ** 30, maxAgeMs: 86_400_000 };
}
cfg.storage.state = { kind: 'sqlite', path: join(dir, 'state.db') };
const inFlight = Number(values['in-flight']);
for (const s of cfg.stations) for (const d of s.devices) {
  d.pollMs = periodMs;
  if (d.protocol === 'modbus') d.inFlight = inFlight;
}

const log = createLogger('warn');
const svc = await startService(cfg, { logger: log, listen: false });
const modbus = svc.adapters.find((a): a is ModbusAdapter => a instanceof ModbusAdapter)!;
const points = cfg.stations.reduce((n, s) => n + s.devices.reduce((m, d) => m + d.points.length, 0), 0);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// each analytics run's start and end, so a window's CPU can be put beside them
const analyticsRuns: Array<{ at: number; end: number }> = [];
const job = svc.analytics.job;
const runJob = job.run.bind(job);
job.run = (now) => {
  const at = performance.now();
  return runJob(now).finally(() => analyticsRuns.push({ at, end: performance.now() }));
};
await sleep(Number(values['warmup-s']) * 1000);
if (values['window-at']) await sleep(msUntil(values['window-at']));
const started = performance.now();
if (values['after-analytics']) while (svc.analytics.job.runsDone === 0 && performance.now() - started < 600_000) await sleep(250);
const analyticsWaitS = (performance.now() - started) / 1000;
// scripts/bench.ts starts its watch of the simulator's and influxd's CPU here
process.stdout.write('{"window":"start"}\n');

const stopProfile = values.profile ? await startProfile(values.profile) : null;
const workerProfiled = values.profile && svc.series instanceof WorkerSeriesStore ? svc.series : null;
await workerProfiled?.startProfile();
const t0 = performance.now();
const cpu0 = process.cpuUsage();
const th0 = threadCpu();
const { stored: stored0, queueDepth: queue0 } = svc.pipeline.stats();
const errors0 = modbus.counters().reduce((n, c) => n + c.errors, 0);
let rssPeak = process.memoryUsage().rss;
const lateness: number[] = [];
const pollsStarted = () => modbus.counters().reduce((n, c) => n + c.polls + c.errors, 0);
let seen = pollsStarted();
const seconds = Number(values.seconds);
const traceS = Number(values['trace-s']);
let trace = { th: th0, stored: stored0, s: 0 };
for (let i = 0; i < seconds; i++) {
  await sleep(1000);
  if (traceS > 0 && (i + 1) % traceS === 0) {
    const th = threadCpu();
    const s = (performance.now() - t0) / 1000;
    const dt = s - trace.s;
    const stored = svc.pipeline.stats().stored;
    const runs = analyticsRuns.filter((r) => r.end >= t0 + trace.s * 1000).map((r) => `${((r.at - t0) / 1000).toFixed(0)} s: ${(r.end - r.at).toFixed(0)} ms`);
    process.stderr.write(
      `  [${new Date().toISOString().slice(11, 19)} +${s.toFixed(0)} s] main ${(((th.main - trace.th.main) / dt) * 100).toFixed(1)} %, other ${(((th.other - trace.th.other) / dt) * 100).toFixed(1)} %, ` +
        `rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB, stored/s ${((stored - trace.stored) / dt).toFixed(0)}${runs.length ? `, analytics runs ${runs.join('; ')}` : ''}\n`,
    );
    trace = { th, stored, s };
  }
  rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
  // the ring holds the latest 8,192 poll latenesses; take exactly the polls since the last look,
  // so start-up (the first round creates every series) is not counted
  if (i % 2 === 1) {
    const started = pollsStarted();
    const ring = modbus.latenessSamples();
    const fresh = Math.min(started - seen, ring.length);
    for (let k = ring.length - fresh; k < ring.length; k++) lateness.push(ring[k]);
    seen = started;
  }
}
const wallS = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const th1 = threadCpu();
await stopProfile?.();
if (workerProfiled) writeFileSync(values.profile!.replace(/\.cpuprofile$/, '') + '-worker.cpuprofile', JSON.stringify(await workerProfiled.stopProfile()));
const st = svc.pipeline.stats();
const workerHeap = svc.series instanceof WorkerSeriesStore ? await svc.series.heap() : null;
// what stays live after a full GC (the process runs with --expose-gc): figures that do not
// depend on where the window's end falls in the GC cycle, as heapUsed above does
const gc = (globalThis as { gc?: () => void }).gc;
const workerLive = gc && svc.series instanceof WorkerSeriesStore ? await svc.series.heap({ gc: true }) : null;
function liveHeaps(): { liveHeapMB: number | null; workerLiveHeapMB: number | null } {
  if (!gc) return { liveHeapMB: null, workerLiveHeapMB: null };
  gc();
  return { liveHeapMB: process.memoryUsage().heapUsed / 2 ** 20, workerLiveHeapMB: workerLive && workerLive.used / 2 ** 20 };
}
const result = {
  stations: cfg.stations.length,
  points,
  offeredPerS: points / (periodMs / 1000),
  storedPerS: (st.stored - stored0) / wallS,
  cpuPct: ((cpu.user + cpu.system) / 1e6 / wallS) * 100,
  mainThreadPct: ((th1.main - th0.main) / wallS) * 100,
  otherThreadsPct: ((th1.other - th0.other) / wallS) * 100,
  threadPct: Object.fromEntries(Object.entries(th1.byName).map(([k, v]) => [k, Math.round(((v - (th0.byName[k] ?? 0)) / wallS) * 1000) / 10])),
  rssMB: rssPeak / 2 ** 20,
  /** the main thread's V8 heap at the end of the window: in use, and reserved */
  heapUsedMB: process.memoryUsage().heapUsed / 2 ** 20,
  heapTotalMB: process.memoryUsage().heapTotal / 2 ** 20,
  /** the main heap's spaces: MB reserved (committed) / used, where heapTotal's reserve is */
  heapSpaces: Object.fromEntries(
    getHeapSpaceStatistics().map((h) => [h.space_name, `${Math.round(h.space_size / 2 ** 20)}/${Math.round(h.space_used_size / 2 ** 20)}`]),
  ),
  /** typed arrays' and Buffers' memory outside the V8 heaps (all threads) */
  arrayBuffersMB: process.memoryUsage().arrayBuffers / 2 ** 20,
  /** the SQLite store's worker thread's V8 heap, likewise (null for InfluxDB) */
  workerHeapUsedMB: workerHeap && workerHeap.used / 2 ** 20,
  workerHeapTotalMB: workerHeap && workerHeap.total / 2 ** 20,
  latenessP50: percentile(lateness, 50),
  latenessP99: percentile(lateness, 99),
  pollErrors: modbus.counters().reduce((n, c) => n + c.errors, 0) - errors0,
  dropped: st.dropped,
  /** how long the window waited after the warm-up for the analytics job's first run (--after-analytics) */
  analyticsWaitS,
  /** the analytics job's runs that ended in the window: when they began (s into it, negative: before it), and wall milliseconds */
  analyticsRuns: analyticsRuns.filter((r) => r.end >= t0).map((r) => ({ atS: Math.round((r.at - t0) / 1000), ms: Math.round(r.end - r.at) })),
  /** samples waiting in the ingest queue at the window's start and end: a writer that keeps up does not grow it */
  queueDepthStart: queue0,
  queueDepth: st.queueDepth,
  ...liveHeaps(),
};
process.stdout.write(JSON.stringify(result) + '\n');

/** Milliseconds from now to the next local `HH:MM`. */
function msUntil(hhmm: string): number {
  const m = /^(\d{1,2}):(\d{2})$/.exec(hhmm);
  if (!m || Number(m[1]) > 23 || Number(m[2]) > 59) throw new Error(`--window-at ${hhmm}: expected HH:MM`);
  const at = new Date();
  at.setHours(Number(m[1]), Number(m[2]), 0, 0);
  if (at.getTime() <= Date.now()) at.setDate(at.getDate() + 1);
  return at.getTime() - Date.now();
}
if (values['heap-snapshot']) writeHeapSnapshot(values['heap-snapshot']);
await svc.stop();
rmSync(dir, { recursive: true, force: true });
process.exit(0);
