// `npm run bench`: every performance figure heatwatch is judged by, on this machine.
//  - sqlite / influxdb: the simulator in one process, heatwatch (Modbus adapter → ingest → store,
//    alarms and API included) in another, for S stations × ~120 points at a 10 s period: samples/s
//    stored, heatwatch CPU % and RSS, poll lateness p50/p99, and the simulator's (and influxd's) CPU.
//  - opcua: S stations × 100 monitored items at 1 s through subscriptions into the store.
//  - alarms: the pure engine's samples/s, and sample → alarm event on /ws latency.
//  - modbus: how late answering devices are polled while others are silent (scripts/bench-modbus.ts).
//  - modbus-1s: the hot path, N devices × 50 float32 at 1 s into SQLite, CPU per 1,000 values/s (scripts/bench-modbus-1s.ts).
//  - season: 500 stations × 7 days of normal work and faults through the alarms and tickets (scripts/bench-season.ts).
//  - page: the control-room page in headless Chromium with 2,000 stations updating.
//  - import: `heatwatch import` of a generated 10 M-sample CSV into SQLite (scripts/bench-import.ts).
//  - influx-store: the InfluxDB series store alone against its own influxd, at --influx-stations (scripts/bench-influx-store.ts).
//  - analytics: the network ranking over 30 days of daily rows for 5,000 stations while ingest runs (scripts/bench-analytics.ts).
//  - storage: bytes per stored sample and write throughput of the SQLite historian on a simulated day (scripts/bench-storage.ts);
//    --storage-stations 10 (of 5,000, extrapolated), --storage-hours 24; compares the one-row-per-sample store of git HEAD.
//  - compact: one SQLite compaction pass alone over a 36-minute head, at --compact-stations (1,000) × 122 points, steps of
//    --compact-batches series (400,4096), alternating, twice (scripts/bench-compact.ts).
//  - state: the state database, PostgreSQL beside SQLite, at --state-stations: alarm events/s one runner sustains, and
//    ticket changes/s by 1 and 8 requests in flight (scripts/bench-state.ts).
// Options: --only sqlite,influxdb,opcua,alarms,modbus,season,page,analytics,import,state --import-samples 10000000 --modbus-seconds 10 --stations 500,2000,5000
//          --analytics-stations 5000 --analytics-days 30 --influx-stations 5000
//          --season-stations 500 --season-days 7 --season-poll-ms 60000 --state-stations 5000
//          --after-analytics (the sqlite / influxdb windows begin once the analytics job's first
//          run, a one-off catch-up of the day 60 s after start, is done)
//          --in-flight 6 (requests of a poll in flight: the devices' inFlight; default 1)
//          --trace-s 60 (every 60 s of the window: the threads' CPU, RSS, samples stored and analytics runs, on stderr)
//          --window-at HH:MM (the window begins at that local time, after the warm-up: an hour from hh:02 holds
//          the compaction passes of hh:05 and hh:35, every sample of an hour once the data began at hh-1:30)
//          --profile-dir DIR (a CPU profile of each sqlite / influxdb case's measured window,
//          and with --heap-snapshots a heap snapshot of heatwatch's main thread after it)
//          --opcua-stations 200 --page 2000 --seconds 60 --warmup-s 30 --period-ms 10000
//          --only modbus-1s --modbus-1s-devices 2000,1000 --modbus-1s-stores sqlite,influxdb (uses --seconds; its own 20 s warm-up) --query-days 30 (a month trend of 10 points queried 20 times after the window, ingest running; 0 skips it)
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
// the same helper the tests use to start a throwaway influxd on free ports
import { startInfluxd } from '../tests/setup/servers.ts';


const { values } = parseArgs({
  options: {
    /** which sections to run; default all */
    only: { type: 'string', default: 'sqlite,influxdb,opcua,alarms,modbus,season,page,analytics,import,state' },
    /** devices of the modbus-1s case (each 50 float32 at 1 s), one run per entry */
    'modbus-1s-devices': { type: 'string', default: '2000,1000' },
    /** stores of the modbus-1s case, each run at every device count */
    'modbus-1s-stores': { type: 'string', default: 'sqlite,influxdb' },
    /** the modbus-1s case's month trend: days of history queried at 1-minute steps while ingest runs (0: none) */
    'query-days': { type: 'string', default: '30' },
    /** samples in the generated CSV of the import case */
    'import-samples': { type: 'string', default: '10000000' },
    /** the storage case: stations simulated for --storage-hours, extrapolated to 5,000 */
    'storage-stations': { type: 'string', default: '10' },
    'storage-hours': { type: 'string', default: '24' },
    /** the compact case: stations of the head one pass compacts, and the step sizes compared */
    'compact-stations': { type: 'string', default: '1000' },
    'compact-batches': { type: 'string', default: '400,4096' },
    /** the ranking case: stations and days of daily rows */
    'analytics-stations': { type: 'string', default: '5000' },
    'analytics-days': { type: 'string', default: '30' },
    /** season check size: stations × days at a poll period */
    'season-stations': { type: 'string', default: '500' },
    'season-days': { type: 'string', default: '7' },
    'season-poll-ms': { type: 'string', default: '60000' },
    /** the state database case: stations covered by the alarm rules and tickets */
    'state-stations': { type: 'string', default: '5000' },
    stations: { type: 'string', default: '500,2000,5000' },
    /** stations for the InfluxDB path (it starts its own influxd and reports its CPU too) */
    'influx-stations': { type: 'string', default: '5000' },
    /** stations for the OPC UA case (subscriptions, 100 items per station at 1 s) */
    'opcua-stations': { type: 'string', default: '200' },
    seconds: { type: 'string', default: '60' },
    /** long enough at 5,000 stations for start-up and the first poll round (which creates every series) to pass */
    'warmup-s': { type: 'string', default: '30' },
    'period-ms': { type: 'string', default: '10000' },
    /** requests of a station's poll in flight at once in the Modbus → store cases (devices' `inFlight`) */
    'in-flight': { type: 'string', default: '1' },
    /** measured seconds per Modbus lateness case */
    'modbus-seconds': { type: 'string', default: '10' },
    /** stations for the page case (scripts/bench-page.ts); 0 skips it */
    page: { type: 'string', default: '2000' },
    /** the sqlite / influxdb cases: a CPU profile of heatwatch's measured window per case, written here */
    'profile-dir': { type: 'string' },
    'heap-snapshots': { type: 'boolean', default: false },
    /** sqlite / influxdb cases: start each window once the analytics job's first run is done */
    'after-analytics': { type: 'boolean', default: false },
    'trace-s': { type: 'string', default: '0' },
    'window-at': { type: 'string' },
  },
});

function cpuTicks(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(f[11]) + Number(f[12]); // utime + stime, in clock ticks (100/s)
}

async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function collect(child: ChildProcess): { out: () => string } {
  let out = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => process.stderr.write(d));
  return { out: () => out };
}

async function runCase(stations: number, store: 'sqlite' | 'influxdb'): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'heatwatch-bench-'));
  const cfgPath = join(dir, 'heatwatch.yaml');
  const basePort = 21000 + Math.floor(Math.random() * 20000);
  const influxd = store === 'influxdb' ? await startInfluxd() : null;
  const sim = spawn(process.execPath, [
    'src/bin/heatwatch.js', 'sim', '--stations', String(stations), '--layout', 'gateway', '--template', 'hs-plc-3zone',
    '--modbus-port', String(basePort), '--control-port', '0', '--seed', '1', '--write-config', cfgPath,
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  collect(sim);
  try {
    await waitFor(() => existsSync(cfgPath), 120_000, 'the simulator to write its config');
    const hw = spawn(process.execPath, [
      '--expose-gc', '--import', 'tsx', 'scripts/bench-pipeline.ts', '--config', cfgPath,
      '--seconds', values.seconds!, '--warmup-s', values['warmup-s']!, '--period-ms', values['period-ms']!, '--in-flight', values['in-flight']!,
      ...(influxd ? ['--influx-url', influxd.url] : []),
      ...(values['profile-dir'] ? ['--profile', join(values['profile-dir'], `${store}-${stations}.cpuprofile`)] : []),
      ...(values['after-analytics'] ? ['--after-analytics'] : []),
      '--trace-s', values['trace-s']!,
      ...(values['window-at'] ? ['--window-at', values['window-at']] : []),
      ...(values['profile-dir'] && values['heap-snapshots'] ? ['--heap-snapshot', join(values['profile-dir'], `${store}-${stations}.heapsnapshot`)] : []),
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    const hwOut = collect(hw);
    // the simulator's CPU over the same window, for context (it shares the 2 cores)
    await waitFor(() => hwOut.out().includes('{"window":"start"}') || hw.exitCode !== null, values['window-at'] ? 25 * 3_600_000 : 900_000, 'the measured window');
    const simTicks0 = cpuTicks(sim.pid!);
    const influxTicks0 = influxd ? cpuTicks(influxd.pid()!) : 0;
    const t0 = Date.now();
    const code: number = await new Promise((r) => hw.on('exit', (c) => r(c ?? 1)));
    const simCpuPct = ((cpuTicks(sim.pid!) - simTicks0) / 100 / ((Date.now() - t0) / 1000)) * 100;
    const influxdCpuPct = influxd ? ((cpuTicks(influxd.pid()!) - influxTicks0) / 100 / ((Date.now() - t0) / 1000)) * 100 : NaN;
    if (code !== 0) throw new Error(`bench-pipeline exited ${code}`);
    // the result line; warnings logged while the service stops may follow it
    const line = hwOut.out().trim().split('\n').reverse().find((l) => l.startsWith('{"stations"'))!;
    return { ...JSON.parse(line), simCpuPct, influxdCpuPct };
  } finally {
    sim.kill('SIGTERM');
    await influxd?.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

// the profiles' folder is made here: a missing one would fail the run only after its window
if (values['profile-dir']) mkdirSync(values['profile-dir'], { recursive: true });
const sections = new Set(values.only!.split(','));
const c = cpus();
console.log(`machine: ${c.length} × ${c[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
const fmt = (n: number, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : '-');

async function pipelineSection(store: 'sqlite' | 'influxdb', cases: number[]): Promise<void> {
  console.log(`\n== Modbus → ingest → ${store}: ~120 points per station, period ${values['period-ms']} ms, ${values['in-flight']} request(s) of a poll in flight, measured ${values.seconds} s after ${values['warmup-s']} s warm-up`);
  console.log('   target at 5,000 stations: 60,000 samples/s stored, heatwatch < 100 % CPU, RSS < 1 GB, p99 poll lateness < 1 s');
  const rows: string[] = [];
  for (const s of cases) {
    const r = await runCase(s, store);
    console.log(`   ${s} stations, CPU % by thread: ${JSON.stringify(r.threadPct)}`);
    if (values['after-analytics']) console.log(`   ${s} stations: the window began ${fmt(r.analyticsWaitS)} s after the warm-up, when the analytics job's first run was done`);
    const runs = r.analyticsRuns as unknown as Array<{ atS: number; ms: number }>;
    if (runs.length) console.log(`   ${s} stations, the analytics job's runs in the window (s into it: wall ms): ${runs.map((x) => `${x.atS}: ${x.ms}`).join(', ')}`);
    console.log(`   ${s} stations, memory: array buffers ${fmt(r.arrayBuffersMB)} MB${r.workerHeapUsedMB ? `, the store worker's heap used/total ${fmt(r.workerHeapUsedMB)}/${fmt(r.workerHeapTotalMB)} MB` : ''}`);
    console.log(`   ${s} stations, the main heap's spaces at the end, MB reserved/used: ${JSON.stringify(r.heapSpaces)}`);
    console.log(`   ${s} stations, live after a full GC at the end: main heap ${fmt(r.liveHeapMB)} MB${r.workerLiveHeapMB ? `, the store worker's ${fmt(r.workerLiveHeapMB)} MB` : ''}`);
    rows.push(
      [s, r.points, fmt(r.offeredPerS), fmt(r.storedPerS), fmt(r.cpuPct, 1), `${fmt(r.mainThreadPct, 1)}/${fmt(r.otherThreadsPct, 1)}`, fmt(r.rssMB), `${fmt(r.heapUsedMB)}/${fmt(r.heapTotalMB)}`, fmt(r.latenessP50), fmt(r.latenessP99), r.pollErrors, r.dropped, `${fmt(r.queueDepthStart)}→${fmt(r.queueDepth)}`, fmt(r.simCpuPct, 1), fmt(r.influxdCpuPct, 1)].join('\t'),
    );
  }
  console.log('stations\tpoints\toffered/s\tstored/s\tcpu%\tmain/other%\trssMB\theap used/total MB\tlate p50 ms\tlate p99 ms\tpoll errors\tdropped\tqueue start→end\tsim cpu%\tinfluxd cpu%');
  for (const r of rows) console.log(r);
}

/** A sub-benchmark in its own process, so each measures a clean heap. */
function child(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${args[0]} exited ${code}`))));
  });
}

if (sections.has('sqlite')) await pipelineSection('sqlite', values.stations!.split(',').map(Number));
if (sections.has('influxdb')) await pipelineSection('influxdb', values['influx-stations']!.split(',').map(Number));
if (sections.has('influx-store')) {
  console.log(`\n== InfluxDB series store alone (its own influxd, pipeline-shaped writes): ~120 points per station, period ${values['period-ms']} ms, ${values.seconds} s measured`);
  console.log('   target at 5,000 stations: 60,000 samples/s stored, 0 dropped; one JSON line per case (cpuPct = the writer, influxdCpuPct = influxd)');
  for (const s of values['influx-stations']!.split(',')) await child(['scripts/bench-influx-store.ts', '--stations', s, '--seconds', values.seconds!, '--period-ms', values['period-ms']!]);
}
if (sections.has('opcua')) {
  console.log('\n== OPC UA subscriptions → ingest → SQLite');
  await child(['scripts/bench-opcua.ts', '--stations', values['opcua-stations']!]);
}
if (sections.has('alarms')) {
  console.log('\n== alarm engine (pure, default rules, 1,000 stations; target ≥ 1,000,000 samples/s)');
  await child(['tests/alarms/bench-engine.ts']);
  console.log('\n== sample → alarm event on /ws (target p99 < 100 ms, excluding the rule\'s own delay)');
  await child(['scripts/bench-alarms.ts']);
}
if (sections.has('modbus')) {
  console.log('\n== Modbus poll lateness of answering devices beside silent ones (was asserted in tests; depends on the machine)');
  await child(['scripts/bench-modbus.ts', '--seconds', values['modbus-seconds']!]);
}
if (sections.has('modbus-1s')) {
  console.log(`\n== Modbus hot path: devices × 50 float32 ABCD (100 holding registers, one request per poll) at 1 s → default service → SQLite or InfluxDB; ${values.seconds} s measured after 20 s warm-up`);
  console.log('   target at 2,000 devices (100,000 values/s): ≤ 45 % of one core (+ influxd ≤ 60 %), every poll made; one JSON line per case (cpuPct = this process, all threads)');
  for (const store of values['modbus-1s-stores']!.split(',')) {
    for (const d of values['modbus-1s-devices']!.split(',')) {
      await child(['scripts/bench-modbus-1s.ts', '--devices', d, '--store', store, '--seconds', values.seconds!, '--warmup-s', '20', '--query-days', values['query-days']!]);
    }
  }
}
if (sections.has('season')) {
  console.log('\n== season check: a winter of normal work and labelled faults through the default rules, runner and tickets');
  await child(['scripts/bench-season.ts', '--stations', values['season-stations']!, '--days', values['season-days']!, '--poll-ms', values['season-poll-ms']!]);
}
if (sections.has('storage')) {
  console.log('\n== storage: bytes per sample (target ≤ 2, rollups included) and write throughput of the SQLite historian');
  await child(['scripts/bench-storage.ts', '--stations', values['storage-stations']!, '--hours', values['storage-hours']!, '--old']);
}
if (sections.has('compact')) {
  console.log('\n== compaction: the CPU of one pass of the SQLite historian, alone');
  await child(['scripts/bench-compact.ts', '--stations', values['compact-stations']!, '--batches', values['compact-batches']!]);
}
if (sections.has('analytics')) {
  console.log(`\n== network ranking over ${values['analytics-days']} days of daily rows while ingest runs (target < 1 s)`);
  await child(['scripts/bench-analytics.ts', '--stations', values['analytics-stations']!, '--days', values['analytics-days']!, '--period-ms', values['period-ms']!]);
}
if (sections.has('import')) {
  console.log(`\n== heatwatch import of ${values['import-samples']} CSV samples into SQLite (target ≥ 200,000 samples/s)`);
  await child(['scripts/bench-import.ts', '--samples', values['import-samples']!]);
}
if (sections.has('state')) {
  console.log('\n== state database: PostgreSQL (the machine\'s server) beside SQLite; alarm events written, ticket changes');
  await child(['scripts/bench-state.ts', '--stations', values['state-stations']!]);
}
if (sections.has('page') && Number(values.page) > 0) {
  console.log('\n== control-room page in headless Chromium');
  await child(['scripts/bench-page.ts', '--stations', values.page!, '--period-ms', values['period-ms']!]);
}
process.exit(0);
