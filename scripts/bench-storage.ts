/**
 * Bytes per stored sample and write throughput of the SQLite series store on a simulated day:
 * `npm run bench -- --only storage` or
 *   node --import tsx scripts/bench-storage.ts [--stations 10] [--hours 24] [--jitter-ms 5] [--compact-batch N] [--old]
 *
 * The simulator's model (simulators/, operations on: patrols, changeovers, outages…) is read
 * in this process every 10 s for a subset of the 5,000-station network (three-zone template,
 * ~120 points), each value passed through the Modbus register encoding and the adapter's
 * decoder so it is exactly what a poll stores; a poll's ts is its slot plus a random lateness
 * of 0…jitter ms (the adapter stamps the poll's start). Samples are written in batches of
 * 5,000 with compaction running as in service; at the end everything is compacted and the
 * file closed. Bytes/sample = file size / samples; the 5,000-station figures scale it.
 * `--old` also runs the one-row-per-sample store (the commit before the historian) on the same data.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { decodePoint, encodePoint } from '../src/adapters/modbus/decode.ts';
import { validateConfig } from '../src/config/load.ts';
import type { ModbusDeviceSpec } from '../src/config/resolve.ts';
import type { Sample } from '../src/model.ts';
import { pointEncodings } from '../src/store/codec/from-config.ts';
import type { SeriesStore } from '../src/store/port.ts';
import { SqliteSeriesStore } from '../src/store/sqlite-series.ts';
import { stationId } from '../simulators/ids.ts';
import { mulberry32 } from '../simulators/random.ts';
import { createNetwork } from '../simulators/model.ts';
import { loadTemplate } from '../simulators/templates.ts';

const { values } = parseArgs({
  options: {
    stations: { type: 'string', default: '10' },
    hours: { type: 'string', default: '24' },
    'jitter-ms': { type: 'string', default: '5' },
    'period-ms': { type: 'string', default: '10000' },
    old: { type: 'boolean', default: false },
    /** series per compaction step (the store's `compactBatch`; its default when not given) */
    'compact-batch': { type: 'string' },
  },
});
const STATIONS = Number(values.stations);
const HOURS = Number(values.hours);
const JITTER = Number(values['jitter-ms']);
const PERIOD = Number(values['period-ms']);
const NETWORK = 5000;
const DAY0 = Date.UTC(2026, 0, 12, 0, 0) - 8 * 3_600_000; // midnight in Asia/Shanghai, mid-winter
const BATCH = 5000;
const COMPACT_BATCH = values['compact-batch'] === undefined ? undefined : Number(values['compact-batch']);

const template = loadTemplate('hs-plc-3zone');
// station ids as in the 5,000-station network; the subset is every (5000 / S)th station
const picked = Array.from({ length: STATIONS }, (_, i) => Math.floor((i * NETWORK) / STATIONS));
const cfg = validateConfig({
  site: { name: 'bench', timezone: 'Asia/Shanghai' },
  templates: { 'hs-plc-3zone': template },
  stations: picked.map((n) => ({ id: stationId(n, NETWORK), devices: [{ id: 'plc', template: 'hs-plc-3zone', endpoint: 'modbus+tcp://127.0.0.1:1' }] })),
});
const specs = (cfg.stations[0].devices[0] as ModbusDeviceSpec).points;
const encodings = pointEncodings(cfg.stations);

/** Feeds one simulated day to `write` in 5,000-sample batches; returns the sample count. */
async function simulate(write: (b: Sample[]) => Promise<void>): Promise<number> {
  const net = createNetwork({ stations: STATIONS, seed: 1, template, startMs: DAY0 - 3_600_000, stepMs: 5000, operations: true });
  const readers = specs.map((p) => net.reader(p.id));
  const ids = cfg.stations.map((s) => specs.map((p) => `${s.id}.plc.${p.id}`));
  const jitter = mulberry32(7);
  const phase = picked.map((_, s) => (s * 997) % PERIOD);
  let batch: Sample[] = [];
  let n = 0;
  for (let t = DAY0; t < DAY0 + HOURS * 3_600_000; t += PERIOD) {
    net.advance(t);
    for (let s = 0; s < STATIONS; s++) {
      const ts = t + phase[s] + Math.floor(jitter() * (JITTER + 1));
      const offline = net.isOffline(s);
      for (let i = 0; i < specs.length; i++) {
        let value: number | boolean | null = null;
        if (!offline) {
          const p = specs[i];
          const regs = encodePoint(p, readers[i](s));
          value = p.table === 'coil' || p.table === 'discrete' ? regs[0] !== 0 : decodePoint(p, regs, 0);
        }
        batch.push({ point: ids[s][i], ts, value, quality: value === null ? 'bad' : 'good' });
      }
      if (batch.length >= BATCH) {
        await write(batch);
        n += batch.length;
        batch = [];
      }
    }
  }
  await write(batch);
  return n + batch.length;
}

interface Result {
  samples: number;
  fileBytes: number;
  usedBytes: number;
  tables: Record<string, number>;
  writePerS: number;
  withCompactionPerS: number;
  perCpuS: number;
}

/** Bytes of each table and index (dbstat), and of the pages in use. */
function sizes(path: string): { tables: Record<string, number>; usedBytes: number } {
  const db = new Database(path);
  db.pragma('wal_checkpoint(TRUNCATE)');
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  const pages = db.pragma('page_count', { simple: true }) as number;
  const free = db.pragma('freelist_count', { simple: true }) as number;
  let tables: Record<string, number> = {};
  try {
    const rows = db.prepare('SELECT name, sum(pgsize) AS bytes FROM dbstat GROUP BY name ORDER BY bytes DESC').all() as Array<{ name: string; bytes: number }>;
    tables = Object.fromEntries(rows.map((r) => [r.name, r.bytes]));
  } catch {
    // SQLite built without dbstat: totals only
  }
  db.close();
  return { tables, usedBytes: (pages - free) * pageSize };
}

async function run(make: (path: string) => Promise<SeriesStore & { counters(): { writeMs: number; compactMs?: number } }>, compactAll: boolean): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), 'hw-bench-storage-'));
  const path = join(dir, 'series.db');
  try {
    const store = await make(path);
    // CPU time of the store's calls (compaction included): steadier than wall time on a shared machine
    let cpuUs = 0;
    const samples = await simulate(async (b) => {
      const u = process.cpuUsage();
      await store.write(b);
      const d = process.cpuUsage(u);
      cpuUs += d.user + d.system;
    });
    const t0 = performance.now();
    const u0 = process.cpuUsage();
    if (compactAll) (store as SqliteSeriesStore).compact({ all: true });
    const finalMs = performance.now() - t0;
    const d0 = process.cpuUsage(u0);
    cpuUs += d0.user + d0.system;
    const c = store.counters();
    await store.close();
    const { tables, usedBytes } = sizes(path);
    const fileBytes = statSync(path).size;
    const compactMs = (c.compactMs ?? 0) + finalMs;
    if (compactAll) {
      // the day as it is kept after raw retention: each raw block turned into its 1-minute rows
      const again = new SqliteSeriesStore({ path, encodings });
      await again.init();
      await again.applyRetention(DAY0 + HOURS * 3_600_000 + 30 * 86_400_000 + 2 * 3_600_000);
      await again.close();
      tables.block_1m_after_raw_retention = sizes(path).tables.block_1m ?? 0;
    }
    return {
      samples,
      fileBytes,
      usedBytes,
      tables,
      writePerS: (samples / c.writeMs) * 1000,
      withCompactionPerS: (samples / (c.writeMs + compactMs)) * 1000,
      perCpuS: (samples / cpuUs) * 1e6,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The last commit whose SQLite store kept one row per sample: what the historian is compared with. */
const ONE_ROW_STORE_COMMIT = '4d1eb5d';

/** The one-row-per-sample store, extracted next to this checkout's sources so its imports resolve. */
async function oldStore(): Promise<((path: string) => Promise<SeriesStore & { counters(): { writeMs: number } }>) | null> {
  const root = join(process.cwd(), 'node_modules', '.cache', 'heatwatch-old-store');
  try {
    rmSync(root, { recursive: true, force: true });
    mkdirSync(root, { recursive: true });
    const tar = execFileSync('git', ['archive', ONE_ROW_STORE_COMMIT, 'src/store/sqlite-series.ts', 'src/store/sqlite', 'src/store/buckets.ts', 'src/store/port.ts', 'src/model.ts']);
    execFileSync('tar', ['-x', '-C', root], { input: tar });
  } catch (err) {
    console.log(`(no one-row store to compare, commit ${ONE_ROW_STORE_COMMIT}: ${(err as Error).message.split('\n')[0]})`);
    return null;
  }
  const mod = (await import(join(root, 'src/store/sqlite-series.ts'))) as { SqliteSeriesStore: new (o: { path: string }) => SeriesStore & { counters(): { writeMs: number } } };
  return async (path) => {
    const s = new mod.SqliteSeriesStore({ path });
    await s.init();
    return s;
  };
}

const mb = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
const perDay5000 = (NETWORK * specs.length * 86_400_000) / PERIOD;
function report(name: string, r: Result): void {
  const bps = r.fileBytes / r.samples;
  const used = r.usedBytes / r.samples;
  console.log(`${name}: ${r.samples.toLocaleString('en')} samples (${STATIONS} stations × ${specs.length} points × ${HOURS} h at ${PERIOD / 1000} s)`);
  console.log(`  file ${mb(r.fileBytes)} = ${bps.toFixed(3)} bytes/sample (pages in use ${mb(r.usedBytes)} = ${used.toFixed(3)} bytes/sample)`);
  const tables = Object.entries(r.tables).filter(([t]) => !t.endsWith('_after_raw_retention')).map(([t, b]) => `${t} ${(b / r.samples).toFixed(3)}`).join(', ');
  if (tables) console.log(`  bytes/sample by table: ${tables}`);
  const free = r.fileBytes - r.usedBytes;
  if (free > 0) console.log(`  free pages ${mb(free)}: the head's working area (up to ~35 min of samples), reused, not growing with the days`);
  console.log(`  5,000 stations at ${PERIOD / 1000} s: ${(perDay5000 / 1e9).toFixed(2)} G samples/day → ${((perDay5000 * used) / 1e9).toFixed(1)} GB/day, ${((perDay5000 * used * 365) / 1e12).toFixed(2)} TB/year if every sample were kept a year`);
  const n = (x: number) => Math.round(x).toLocaleString('en');
  console.log(`  wall: ${n(r.writePerS)} samples/s inside write(), ${n(r.withCompactionPerS)} samples/s with compaction counted; CPU: ${n(r.perCpuS)} samples per CPU-second, compaction included`);
}

console.log(`== storage: simulated day, template hs-plc-3zone, ${STATIONS} of ${NETWORK} stations, poll lateness 0…${JITTER} ms`);
const cur = await run(async (path) => {
  const s = new SqliteSeriesStore({ path, encodings, compactBatch: COMPACT_BATCH });
  await s.init();
  return s;
}, true);
report('historian (head + blocks)', cur);
const tables = cur.tables;
if (tables.block !== undefined) {
  // the steady state of a year under the default retention: 30 days raw, 300 days 1-minute, 3000 days hourly
  const raw = (tables.block ?? 0) / cur.samples;
  const m1 = (tables.block_1m_after_raw_retention ?? 0) / cur.samples;
  const h1 = (tables.rollup_1h ?? 0) / cur.samples;
  const year = perDay5000 * (30 * raw + 300 * m1 + 365 * h1);
  console.log(`  after raw retention the day's 1-minute rollup blocks take ${m1.toFixed(3)} bytes/sample`);
  console.log(`  one year of 5,000 stations under the default retention (raw 30 d, 1-min rollups 300 d, hourly kept): ${(year / 1e12).toFixed(2)} TB`);
}
if (values.old) {
  const make = await oldStore();
  if (make) report(`one row per sample (${ONE_ROW_STORE_COMMIT})`, await run(make, false));
}
