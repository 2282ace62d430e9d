// `npm run bench -- --only modbus-1s`: the Modbus hot path at 1 s. N devices × 50 float32 ABCD
// (100 holding registers, one request per poll, each device on its own connection) served by
// scripts/bench-modbus-1s-sim.ts in a child process, polled by the default service in this
// process (alarms with the shipped rules, latest values, the API listening, one /ws client
// subscribed to 20 stations) into the SQLite store, or with `--store influxdb` into a throwaway
// influxd on the same machine (the store's defaults). After the warm-up, over `--seconds`:
// this process's CPU (process.cpuUsage, % of one core), influxd's CPU, polls made / expected,
// late and skipped polls, values stored/s and CPU per 1,000 values/s. Prints one JSON line last.
//
//   node --import tsx scripts/bench-modbus-1s.ts --devices 2000 [--store sqlite|influxdb] [--seconds 60] [--warmup-s 20]
//        [--profile out.cpuprofile]   (the inspector's CPU profile over the measured window only)
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import WebSocket from 'ws';
import { startProfile, threadCpu } from './bench-process.ts';
import { ModbusAdapter } from '../src/adapters/modbus/adapter.ts';
import { parseConfigText } from '../src/config/load.ts';
import { createLogger } from '../src/log.ts';
import type { Sample } from '../src/model.ts';
import { startService } from '../src/service.ts';
import { pointEncodings } from '../src/store/codec/from-config.ts';
import { SqliteSeriesStore } from '../src/store/sqlite-series.ts';
import { startInfluxd } from '../tests/setup/servers.ts';

const { values } = parseArgs({
  options: {
    devices: { type: 'string', default: '2000' },
    /** sqlite, or influxdb (a throwaway influxd started here; no month trend) */
    store: { type: 'string', default: 'sqlite' },
    seconds: { type: 'string', default: '60' },
    'warmup-s': { type: 'string', default: '20' },
    profile: { type: 'string' },
    /**
     * after the measured window, with ingest still running: N days of history (10 points of
     * one station at 10 s, written into the store before the service starts) queried through
     * /api/series at 1-minute steps, 20 times; 0 skips it
     */
    'query-days': { type: 'string', default: '0' },
    /** without the /ws client (to see what the live feed costs) */
    'no-ws': { type: 'boolean', default: false },
  },
});
const DEVICES = Number(values.devices);
const STORE = values.store === 'influxdb' ? 'influxdb' : 'sqlite';
const influxd = STORE === 'influxdb' ? await startInfluxd() : null;
/** CPU seconds of another process (utime + stime, 100 ticks a second) */
const cpuSeconds = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
};
const SECONDS = Number(values.seconds);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const NAMES = ['t_pri_supply', 't_pri_return', 't_sec_supply', 't_sec_return', 'p_sec_supply', 'p_sec_return', 'p_pri_supply', 'p_pri_return', 'f_pri', 'f_sec', 't_outdoor', 't_room_avg', 'tank_level'];

const sim = spawn(process.execPath, ['--import', 'tsx', 'scripts/bench-modbus-1s-sim.ts', '--devices', String(DEVICES)], { stdio: ['pipe', 'pipe', 'inherit'] });
const ports: number[] = await new Promise((resolve, reject) => {
  sim.on('exit', (c) => reject(new Error(`register server exited ${c}`)));
  createInterface({ input: sim.stdout! }).once('line', (l) => resolve(JSON.parse(l).ports));
});

const dir = mkdtempSync(join(tmpdir(), 'heatwatch-bench-1s-'));
const token = 'bench-viewer-token-0123456789';
const points = Array.from({ length: 50 }, (_, j) => `      - { id: ${NAMES[j] ?? `v${j}`}, table: holding, address: ${2 * j}, type: float32, order: ABCD }`);
const yaml = [
  'site: { name: bench, timezone: Asia/Shanghai }',
  'storage:',
  influxd ? `  series: { kind: influxdb, url: "${influxd.url}", database: heatwatch_bench }` : `  series: { kind: sqlite, path: ${join(dir, 'series.db')} }`,
  `  state: { kind: sqlite, path: ${join(dir, 'state.db')} }`,
  'api: { host: 127.0.0.1, port: 0 }',
  `auth: { tokens: [ { name: viewer, token: "${token}", role: viewer } ] }`,
  'templates:',
  '  bench50:',
  '    protocol: modbus',
  '    points:',
  ...points,
  'stations:',
  ...ports.map((p, i) => `  - { id: hs-${String(i).padStart(4, '0')}, name: s${i}, devices: [ { id: plc, template: bench50, endpoint: "modbus+tcp://127.0.0.1:${p}", unit: 1, pollMs: 1000 } ] }`),
].join('\n');
const cfg = parseConfigText(yaml, 'bench-modbus-1s');

// the month trend reads history written into the SQLite store before the start
const QUERY_DAYS = influxd ? 0 : Number(values['query-days']);
const QUERY_POINTS = cfg.stations[0].devices[0].points.slice(0, 10).map((p) => `${cfg.stations[0].id}.plc.${p.id}`);
if (QUERY_DAYS > 0) await writeHistory(join(dir, 'series.db'), QUERY_DAYS);

/**
 * The query phase's client (a worker thread, plain JS): 20 month trends half a second apart;
 * posts the times to the whole body and to the headers (the store's query and the plan, before
 * the body streams), and the buckets of the last answer.
 */
const QUERY_CLIENT = `
const { parentPort, workerData: w } = require('node:worker_threads');
(async () => {
  const ms = [], head = [];
  let last = '';
  for (let i = 0; i < 20; i++) {
    const to = Date.now();
    const url = w.url + '/api/series?points=' + w.points.join(',') + '&from=' + (to - w.days * 86400000) + '&to=' + to + '&step=1m&agg=mean';
    const t = performance.now();
    const res = await fetch(url, { headers: { authorization: 'Bearer ' + w.token } });
    head.push(performance.now() - t);
    last = await res.text();
    ms.push(performance.now() - t);
    if (!res.ok) return parentPort.postMessage({ error: 'query ' + res.status + ': ' + last });
    await new Promise((r) => setTimeout(r, 500));
  }
  const buckets = JSON.parse(last).series.reduce((n, x) => n + x.points.length, 0);
  parentPort.postMessage({ ms, head, buckets });
})();
`;

/** History of the queried points, compacted into blocks as the store leaves it after the days. */
async function writeHistory(path: string, days: number): Promise<void> {
  const store = new SqliteSeriesStore({ path, encodings: pointEncodings(cfg.stations) });
  await store.init();
  const end = Date.now() - 60_000;
  const start = end - days * 86_400_000;
  let batch: Sample[] = [];
  for (let ts = start; ts < end; ts += 10_000) {
    QUERY_POINTS.forEach((point, j) => batch.push({ point, ts, value: Math.round((50 + 10 * Math.sin(ts / 3_600_000 + j)) * 100) / 100, quality: 'good' }));
    if (batch.length >= 5000) {
      store.writeSync(batch);
      batch = [];
    }
  }
  store.writeSync(batch);
  store.compact({ all: true });
  await store.close();
}

const svc = await startService(cfg, { logger: createLogger('warn'), listen: true });
const modbus = svc.adapters.find((a): a is ModbusAdapter => a instanceof ModbusAdapter)!;
let wsBytes = 0;
const ws = values['no-ws'] ? null : new WebSocket(`${svc.url.replace('http', 'ws')}/ws`, { headers: { authorization: `Bearer ${token}` } });
ws?.on('open', () => ws.send(JSON.stringify({ subscribe: { stations: cfg.stations.slice(0, 20).map((s) => s.id) } })));
ws?.on('message', (d: Buffer) => (wsBytes += d.length));

await sleep(Number(values['warmup-s']) * 1000);
type Counters = ReturnType<ModbusAdapter['counters']>[number] & { late?: number };
const sum = (f: (c: Counters) => number) => modbus.counters().reduce((n, c) => n + f(c), 0);
const snap = () => ({ polls: sum((c) => c.polls - c.deferred), late: sum((c) => c.late ?? 0), skipped: sum((c) => c.skipped), errors: sum((c) => c.errors), stored: svc.pipeline.stats().stored, ws: wsBytes });
const stopProfile = values.profile ? await startProfile(values.profile) : null;
const a = snap();
const t0 = performance.now();
const cpu0 = process.cpuUsage();
const th0 = threadCpu();
const influxd0 = influxd ? cpuSeconds(influxd.pid()!) : 0;
let lagMax = 0;
for (let i = 0; i < SECONDS; i++) {
  const t = performance.now();
  await sleep(1000);
  lagMax = Math.max(lagMax, performance.now() - t - 1000);
}
const cpu = process.cpuUsage(cpu0);
const th1 = threadCpu();
const wallS = (performance.now() - t0) / 1000;
const influxdPct = influxd ? ((cpuSeconds(influxd.pid()!) - influxd0) / wallS) * 100 : null;
const b = snap();
await stopProfile?.();
const st = svc.pipeline.stats();
const cpuPct = ((cpu.user + cpu.system) / 1e6 / wallS) * 100;
const storedPerS = (b.stored - a.stored) / wallS;
const c = cpus();
const result: Record<string, unknown> = {
  machine: `${c.length} × ${c[0]?.model ?? 'cpu'}, Node ${process.version}, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`,
  devices: DEVICES,
  store: STORE,
  seconds: Math.round(wallS),
  cpuPct: +cpuPct.toFixed(1),
  mainThreadCpuPct: +(((th1.main - th0.main) / wallS) * 100).toFixed(1),
  otherThreadsCpuPct: +(((th1.other - th0.other) / wallS) * 100).toFixed(1),
  pollsMade: b.polls - a.polls,
  pollsExpected: Math.round(DEVICES * wallS),
  late: b.late - a.late,
  skipped: b.skipped - a.skipped,
  pollErrors: b.errors - a.errors,
  storedPerS: Math.round(storedPerS),
  cpuPer1kValuesPerS: +(cpuPct / (storedPerS / 1000)).toFixed(3),
  ...(influxdPct !== null ? { influxdCpuPct: +influxdPct.toFixed(1), withInfluxdPer1kValuesPerS: +((cpuPct + influxdPct) / (storedPerS / 1000)).toFixed(3) } : {}),
  queueDepth: st.queueDepth,
  dropped: st.dropped,
  timerLagMaxMs: Math.round(lagMax),
  wsKBps: Math.round((b.ws - a.ws) / wallS / 1024),
};
if (QUERY_DAYS > 0) Object.assign(result, await queryPhase());

/** /api/series over QUERY_DAYS at 1-minute steps while ingest runs: latency, and what the polls felt meanwhile. */
async function queryPhase(): Promise<Record<string, number>> {
  const before = snap();
  let lag = 0;
  let stop = false;
  const watch = (async () => {
    while (!stop) {
      const t = performance.now();
      await sleep(10);
      lag = Math.max(lag, performance.now() - t - 10);
    }
  })();
  // the client runs on a thread of its own, as a browser would be elsewhere: receiving and
  // parsing 13 MB of JSON on the service's thread was counted as the service's stall
  const client = new Worker(QUERY_CLIENT, { eval: true, workerData: { url: svc.url, token, points: QUERY_POINTS, days: QUERY_DAYS } });
  const got = await new Promise<{ ms: number[]; head: number[]; buckets: number; error?: string }>((resolve, reject) => {
    client.once('message', resolve);
    client.once('error', reject);
  });
  await client.terminate();
  stop = true;
  await watch;
  const after = snap();
  if (got.error) throw new Error(got.error);
  const { ms, head, buckets } = got;
  // the first answer is made with nothing kept (the store keeps compacted hours' JSON): shown apart
  const first = ms[0];
  ms.sort((x, y) => x - y);
  head.sort((x, y) => x - y);
  return { queryFirstMs: Math.round(first), queryHeadersP50Ms: Math.round(head[10]), queryDays: QUERY_DAYS, queryPoints: QUERY_POINTS.length, queryBuckets: buckets, queryP50Ms: Math.round(ms[10]), queryMaxMs: Math.round(ms[19]), queryTimerLagMaxMs: Math.round(lag), queryLatePolls: after.late - before.late, querySkippedPolls: after.skipped - before.skipped };
}

ws?.close();
await svc.stop();
sim.kill('SIGTERM');
await influxd?.destroy();
rmSync(dir, { recursive: true, force: true });
process.stdout.write(JSON.stringify(result) + '\n');
process.exit(0);
