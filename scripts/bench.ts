// `npm run bench`: the simulator in one process, heatwatch (adapter → ingest → store) in
// another, for S = 500, 2,000 and 5,000 stations × ~120 points at a 10 s period.
// Prints samples/s stored, heatwatch CPU % and RSS, p99 poll lateness, and the machine.
// Options: --stations 500,2000 --seconds 60 --warmup-s 15 --period-ms 10000
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startInfluxd } from '../tests/setup/servers.ts';

// `npm run bench -- --opcua [--stations 50,200]` runs the OPC UA case instead (scripts/bench-opcua.ts)
if (process.argv.includes('--opcua')) {
  await import('./bench-opcua.ts');
}

const { values } = parseArgs({
  options: {
    opcua: { type: 'boolean' },
    stations: { type: 'string', default: '500,2000,5000' },
    /** sqlite (default) or influxdb: starts its own influxd (tests/setup/servers.ts) and reports its CPU too */
    store: { type: 'string', default: 'sqlite' },
    seconds: { type: 'string', default: '60' },
    'warmup-s': { type: 'string', default: '15' },
    'period-ms': { type: 'string', default: '10000' },
    /** stations for the page case (scripts/bench-page.ts); 0 skips it */
    page: { type: 'string', default: '2000' },
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

async function runCase(stations: number): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'heatwatch-bench-'));
  const cfgPath = join(dir, 'heatwatch.yaml');
  const basePort = 21000 + Math.floor(Math.random() * 20000);
  const influxd = values.store === 'influxdb' ? await startInfluxd() : null;
  const sim = spawn(process.execPath, [
    'src/bin/heatwatch.js', 'sim', '--stations', String(stations), '--layout', 'gateway', '--template', 'hs-plc-3zone',
    '--modbus-port', String(basePort), '--control-port', '0', '--seed', '1', '--write-config', cfgPath,
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  collect(sim);
  try {
    await waitFor(() => existsSync(cfgPath), 120_000, 'the simulator to write its config');
    const hw = spawn(process.execPath, [
      '--import', 'tsx', 'scripts/bench-pipeline.ts', '--config', cfgPath,
      '--seconds', values.seconds!, '--warmup-s', values['warmup-s']!, '--period-ms', values['period-ms']!,
      ...(influxd ? ['--influx-url', influxd.url] : []),
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    const hwOut = collect(hw);
    // the simulator's CPU over the same window, for context (it shares the 2 cores)
    await new Promise((r) => setTimeout(r, (Number(values['warmup-s']) + 3) * 1000));
    const simTicks0 = cpuTicks(sim.pid!);
    const influxTicks0 = influxd ? cpuTicks(influxd.pid()!) : 0;
    const t0 = Date.now();
    const code: number = await new Promise((r) => hw.on('exit', (c) => r(c ?? 1)));
    const simCpuPct = ((cpuTicks(sim.pid!) - simTicks0) / 100 / ((Date.now() - t0) / 1000)) * 100;
    const influxdCpuPct = influxd ? ((cpuTicks(influxd.pid()!) - influxTicks0) / 100 / ((Date.now() - t0) / 1000)) * 100 : NaN;
    if (code !== 0) throw new Error(`bench-pipeline exited ${code}`);
    const line = hwOut.out().trim().split('\n').pop()!;
    return { ...JSON.parse(line), simCpuPct, influxdCpuPct };
  } finally {
    sim.kill('SIGTERM');
    await influxd?.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

const cases = values.stations!.split(',').map(Number);
const c = cpus();
console.log(`machine: ${c.length} × ${c[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log(`period ${values['period-ms']} ms, measured ${values.seconds} s after ${values['warmup-s']} s warm-up; target at 5,000: 60,000 samples/s, < 100 % CPU, RSS < 1 GB, p99 lateness < 1 s\n`);
const rows: string[] = [];
const fmt = (n: number, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : '-');
for (const s of cases) {
  const r = await runCase(s);
  rows.push(
    [s, r.points, fmt(r.offeredPerS), fmt(r.storedPerS), fmt(r.cpuPct, 1), fmt(r.rssMB), fmt(r.latenessP50), fmt(r.latenessP99), r.pollErrors, r.dropped, fmt(r.simCpuPct, 1), fmt(r.influxdCpuPct, 1)].join('\t'),
  );
  console.log(`${s} stations done`);
}
console.log('\nstations\tpoints\toffered/s\tstored/s\tcpu%\trssMB\tlate p50 ms\tlate p99 ms\tpoll errors\tdropped\tsim cpu%\tinfluxd cpu%');
for (const r of rows) console.log(r);

if (Number(values.page) > 0) {
  const { runPageBench, formatPageBench } = await import('./bench-page.ts');
  console.log(`\n${formatPageBench(await runPageBench({ stations: Number(values.page), periodMs: Number(values['period-ms']), seconds: 30 }))}`);
}
