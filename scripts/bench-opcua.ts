// OPC UA case of `npm run bench` (`npm run bench -- --opcua`, or run directly):
// the simulator's OPC UA server in a child process (S stations, template hs-plc-3zone, first
// 100 points of each station), heatwatch's OpcuaAdapter here, subscriptions at 1 s → ingest
// → SQLite store. Prints notifications/s, samples stored/s, heatwatch CPU % and RSS, and the
// simulator's CPU for context. Target: 200 stations (20,000 values/s) on less than one core.
// Two modes, each a row per station count:
//  - changes: the items that change every model step (measured from the model below: analog
//    measurements with noise; booleans, setpoints, counters and standby drives do not), at
//    most --points-per-station of them; plain OPC UA data-change reporting (StatusValue);
//  - samples: the first --points-per-station points, trigger StatusValueTimestamp: the
//    simulator stamps every value with the model step, so every 1 s sample is reported and
//    stored even when the value is the same (what a Modbus poll stores) = S × 100 values/s.
// Options: --stations 50,200 --seconds 30 --warmup-s 15 --modes changes,samples
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { OpcuaAdapter } from '../src/adapters/opcua/adapter.ts';
import { loadConfig } from '../src/config/load.ts';
import { createNetwork } from '../simulators/model.ts';
import { loadTemplate } from '../simulators/templates.ts';
import type { OpcuaDeviceSpec } from '../src/config/resolve.ts';
import { IngestPipeline } from '../src/ingest/pipeline.ts';
import { createLogger } from '../src/log.ts';
import { createSeriesStore } from '../src/store/create.ts';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--opcua'),
  options: {
    stations: { type: 'string', default: '50,200' },
    seconds: { type: 'string', default: '30' },
    'warmup-s': { type: 'string', default: '15' },
    'points-per-station': { type: 'string', default: '100' },
    modes: { type: 'string', default: 'changes,samples' },
  },
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
function cpuTicks(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(f[11]) + Number(f[12]);
}

type Mode = 'changes' | 'samples';

/** Template points whose reading changes at every model step (1 s) in every one of 20 stations over 60 s. */
function changingPoints(): Set<string> {
  const t = loadTemplate('hs-plc-3zone');
  const start = Date.now();
  const n = 20;
  const net = createNetwork({ stations: n, seed: 1, template: t, startMs: start });
  const read = () => t.points.map((p) => Array.from({ length: n }, (_, s) => net.readPoint(s, p.id)));
  let prev = read();
  const always = new Set(t.points.map((p) => p.id));
  for (let k = 1; k <= 60; k++) {
    net.advance(start + k * 1000);
    const cur = read();
    t.points.forEach((p, i) => {
      for (let s = 0; s < n; s++) if (cur[i][s] === prev[i][s]) always.delete(p.id);
    });
    prev = cur;
  }
  return always;
}
const CHANGING = changingPoints();

async function runCase(stations: number, mode: Mode): Promise<Record<string, number | string>> {
  const dir = mkdtempSync(join(tmpdir(), 'heatwatch-bench-ua-'));
  const cfgPath = join(dir, 'heatwatch.yaml');
  const port = 30000 + Math.floor(Math.random() * 20000);
  // BENCH_SIM_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' profiles the simulator
  const simNodeArgs = process.env.BENCH_SIM_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const sim = spawn(process.execPath, [
    ...simNodeArgs,
    'src/bin/heatwatch.js', 'sim', '--stations', String(stations), '--template', 'hs-plc-3zone', '--layout', 'gateway',
    '--modbus-port', String(port + 1), '--opcua-port', String(port), '--opcua-pki', join(dir, 'sim-pki'),
    '--control-port', '0', '--write-config', cfgPath,
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let simErr = '';
  sim.stderr?.on('data', (d) => (simErr += d));
  try {
    const end = Date.now() + 180_000;
    while (!existsSync(cfgPath)) {
      if (Date.now() > end || sim.exitCode !== null) throw new Error(`simulator did not start: ${simErr.slice(-500)}`);
      await sleep(200);
    }
    const cfg = loadConfig(cfgPath);
    const per = Number(values['points-per-station']);
    const devices = cfg.stations
      .flatMap((s) => s.devices)
      .filter((d): d is OpcuaDeviceSpec => d.protocol === 'opcua')
      .map((d) => ({
        ...d,
        pollMs: 1000,
        points: (mode === 'changes' ? d.points.filter((p) => CHANGING.has(p.id)) : d.points).slice(0, per),
        opcua: { ...d.opcua, alarms: 'none' as const, ...(mode === 'samples' ? { trigger: 'StatusValueTimestamp' as const } : {}) },
      }));
    const store = createSeriesStore({ kind: 'sqlite', path: join(dir, 'series.db') });
    await store.init();
    const log = createLogger('warn');
    const pipeline = new IngestPipeline({ store, batchSize: 5000, maxDelayMs: 500, queueLimit: 2_000_000, logger: log });
    let received = 0;
    const adapter = new OpcuaAdapter({
      devices,
      pkiDir: join(dir, 'pki'),
      logger: log,
      sink: { samples: (b) => ((received += b.length), pipeline.push(b)), status: () => undefined },
    });
    await adapter.start();
    await sleep(Number(values['warmup-s']) * 1000);
    const notes = () => adapter.counters().reduce((n, c) => n + c.notifications, 0);
    const n0 = notes();
    const stored0 = pipeline.stats().stored;
    const cpu0 = process.cpuUsage();
    const simTicks0 = cpuTicks(sim.pid!);
    const t0 = performance.now();
    let rss = process.memoryUsage().rss;
    for (let i = 0; i < Number(values.seconds); i++) {
      await sleep(1000);
      rss = Math.max(rss, process.memoryUsage().rss);
    }
    const wallS = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const result = {
      mode,
      stations,
      items: devices.reduce((n, d) => n + d.points.length, 0),
      notificationsPerS: (notes() - n0) / wallS,
      storedPerS: (pipeline.stats().stored - stored0) / wallS,
      cpuPct: ((cpu.user + cpu.system) / 1e6 / wallS) * 100,
      rssMB: rss / 2 ** 20,
      simCpuPct: ((cpuTicks(sim.pid!) - simTicks0) / 100 / wallS) * 100,
      online: adapter.counters().filter((c) => c.comm === 'online').length,
      received,
    };
    await adapter.stop();
    await pipeline.stop();
    await store.close();
    return result;
  } finally {
    sim.kill('SIGTERM');
    await new Promise((r) => (sim.exitCode !== null ? r(null) : sim.once('exit', r)));
    rmSync(dir, { recursive: true, force: true });
  }
}

const c = cpus();
console.log(`machine: ${c.length} × ${c[0]?.model ?? 'cpu'}, Node ${process.version}, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log(`OPC UA: subscriptions at 1 s, up to ${values['points-per-station']} items per station, ${values.seconds} s after ${values['warmup-s']} s warm-up; target 200 stations = 20,000 values/s on < 100 % CPU`);
console.log(`points of hs-plc-3zone that change every 1 s step: ${CHANGING.size} of ${loadTemplate('hs-plc-3zone').points.length}\n`);
const rows: string[] = [];
for (const mode of values.modes!.split(',') as Mode[]) {
  if (mode !== 'changes' && mode !== 'samples') throw new Error(`unknown mode '${mode}' (changes, samples)`);
  for (const s of values.stations!.split(',').map(Number)) {
    const r = await runCase(s, mode);
    const num = (k: string, f = 0) => Number(r[k]).toFixed(f);
    rows.push([r.mode, r.stations, r.items, num('notificationsPerS'), num('storedPerS'), num('cpuPct', 1), num('rssMB'), num('simCpuPct', 1), r.online].join('\t'));
    console.log(`${mode} ${s} stations done`);
  }
}
console.log('\nmode\tstations\titems\tnotif/s\tstored/s\tcpu%\trssMB\tsim cpu%\tonline devices');
for (const r of rows) console.log(r);
process.exit(0);
