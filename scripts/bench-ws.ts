// /ws clients during an alarm storm: heatwatch's RSS with N idle /ws clients against the same run
// without them. The simulator runs in its own process (gateway layout), `heatwatch run` in
// another (RSS read from /proc), the clients in this one. Each case: start heatwatch on a fresh
// state, wait for every station online, connect the clients (10 viewer tokens, so the default
// per-token cap of 200 holds), settle, then comm_loss on every station through the simulator's
// control API (the storm: a comm-loss alarm per station, tickets, suppression) and sample RSS.
// Cases: none (no clients), reading (idle viewers that read what they are sent), stalled (idle
// clients that stop reading their socket: the worst case, which the buffer bound must catch).
//
//   node --import tsx scripts/bench-ws.ts [--stations 300] [--clients 1000] [--settle-s 15] [--storm-s 60]
//                                        [--cases none,reading,stalled] (repeat a case to see the spread)
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { parse, stringify } from 'yaml';

const { values } = parseArgs({
  options: {
    stations: { type: 'string', default: '300' },
    clients: { type: 'string', default: '1000' },
    'settle-s': { type: 'string', default: '15' },
    'storm-s': { type: 'string', default: '60' },
    cases: { type: 'string', default: 'none,reading,stalled' },
  },
});
const STATIONS = Number(values.stations);
const CLIENTS = Number(values.clients);
const TOKENS = Array.from({ length: 10 }, () => randomBytes(18).toString('base64url'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(cond: () => T | Promise<T>, ms: number, what: string): Promise<NonNullable<T>> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await Promise.resolve(cond()).catch(() => undefined);
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

const rssMB = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

/** The child's output (the tail of it) and the API address from its "listening" line. */
function logOf(child: ChildProcess): { tail: () => string; url: () => string | undefined } {
  let out = '';
  let url: string | undefined;
  const take = (d: Buffer) => {
    out = (out + d).slice(-20_000);
    url ??= /"url":"(http[^"]+)","msg":"heatwatch API listening"/.exec(out)?.[1];
  };
  child.stdout?.on('data', take);
  child.stderr?.on('data', take);
  return { tail: () => out.slice(-4000), url: () => url };
}

const basePort = 23000 + Math.floor(Math.random() * 20000);
const controlPort = basePort + 100;
const control = `http://127.0.0.1:${controlPort}`;
let caseNo = 0;
const dir = mkdtempSync(join(tmpdir(), 'heatwatch-bench-ws-'));
const simCfg = join(dir, 'sim.yaml');
const sim = spawn(process.execPath, [
  'src/bin/heatwatch.js', 'sim', '--stations', String(STATIONS), '--layout', 'gateway',
  '--modbus-port', String(basePort), '--control-port', String(controlPort), '--seed', '1', '--write-config', simCfg,
], { stdio: ['ignore', 'pipe', 'pipe'] });
const simLog = logOf(sim);

async function setCommLoss(active: boolean, ids: string[]): Promise<void> {
  for (let i = 0; i < ids.length; i += 50) {
    await Promise.all(ids.slice(i, i + 50).map((station) => fetch(`${control}/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ station, fault: 'comm_loss', active }) })));
  }
}

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))].reduce((n, m) => n + Number(m[1]), 0);
}

interface Result { case: string; clients: number; before: number; peak: number; heapPeak: number; externalPeak: number; end: number; alarms: number; dropped: number; bytesPerClient: number }

async function runCase(kind: 'none' | 'reading' | 'stalled', stationIds: string[]): Promise<Result> {
  const caseDir = mkdtempSync(join(dir, `${kind}-`));
  const cfg = parse(readFileSync(simCfg, 'utf8'));
  // a port of our own: heatwatch logs at warn (a storm's info lines through a pipe would be measured too)
  const port = basePort + 200 + caseNo++;
  cfg.api = { host: '127.0.0.1', port };
  cfg.storage = { series: { kind: 'sqlite', path: join(caseDir, 'series.db') }, state: { kind: 'sqlite', path: join(caseDir, 'state.db') } };
  cfg.auth = { tokens: TOKENS.map((token, i) => ({ name: `wall-${i}`, token, role: 'viewer' })) };
  // the storm within the measured window: comm-loss alarms after seconds instead of 10 and 15 minutes
  cfg.alarms = [...(cfg.alarms ?? []), { id: 'comm_loss', afterS: 20 }, { id: 'comm_loss_15m', afterS: 30 }];
  const cfgPath = join(caseDir, 'heatwatch.yaml');
  writeFileSync(cfgPath, stringify(cfg, { lineWidth: 0 }));
  const hw = spawn(process.execPath, ['src/bin/heatwatch.js', 'run', '--config', cfgPath, '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const hwLog = logOf(hw);
  const clients: WebSocket[] = [];
  try {
    const url = `http://127.0.0.1:${port}`;
    await waitFor(() => fetch(`${url}/api/health`).then((r) => r.ok), 120_000, 'heatwatch to answer');
    const auth = { authorization: `Bearer ${TOKENS[0]}` };
    await waitFor(async () => ((await (await fetch(`${url}/api/stations`, { headers: auth })).json()) as Array<{ comm: string }>).every((s) => s.comm === 'online'), 120_000, 'every station online');
    let received = 0;
    if (kind !== 'none') {
      for (let i = 0; i < CLIENTS; i += 50) {
        await Promise.all(Array.from({ length: Math.min(50, CLIENTS - i) }, (_, j) => new Promise<void>((resolve, reject) => {
          const ws = new WebSocket(`${url.replace('http', 'ws')}/ws`, { headers: { authorization: `Bearer ${TOKENS[(i + j) % TOKENS.length]}` } });
          clients.push(ws);
          ws.on('message', (d: Buffer) => (received += d.length));
          ws.once('open', () => {
            // a stalled client's socket is never read again: the kernel buffers fill, then heatwatch's queue
            if (kind === 'stalled') (ws as unknown as { _socket: { pause(): void } })._socket.pause();
            resolve();
          });
          ws.once('error', reject);
        })));
      }
    }
    await sleep(Number(values['settle-s']) * 1000);
    const before = rssMB(hw.pid!);
    const received0 = received;
    await setCommLoss(true, stationIds);
    let peak = before;
    let heapPeak = 0;
    let externalPeak = 0;
    const end = Date.now() + Number(values['storm-s']) * 1000;
    for (let i = 0; Date.now() < end; i++) {
      await sleep(500);
      peak = Math.max(peak, rssMB(hw.pid!));
      if (i % 4 === 0) {
        heapPeak = Math.max(heapPeak, (await metric(url, 'nodejs_heap_size_total_bytes')) / 2 ** 20);
        externalPeak = Math.max(externalPeak, (await metric(url, 'nodejs_external_memory_bytes')) / 2 ** 20);
      }
    }
    const endRss = rssMB(hw.pid!);
    peak = Math.max(peak, endRss);
    const alarms = ((await (await fetch(`${url}/api/alarms?state=not_normal`, { headers: auth })).json()) as unknown[]).length;
    const dropped = await metric(url, 'heatwatch_ws_dropped_total');
    return { case: kind, clients: kind === 'none' ? 0 : CLIENTS, before, peak, heapPeak, externalPeak, end: endRss, alarms, dropped, bytesPerClient: clients.length ? (received - received0) / clients.length : 0 };
  } catch (err) {
    process.stderr.write(`heatwatch log:\n${hwLog.tail()}\n`);
    throw err;
  } finally {
    for (const ws of clients) ws.terminate();
    hw.kill('SIGTERM');
    await new Promise((r) => (hw.exitCode !== null ? r(null) : hw.once('exit', r)));
    await setCommLoss(false, stationIds);
  }
}

try {
  await waitFor(() => existsSync(simCfg), 120_000, 'the simulator to write its config');
  const stationIds = ((await waitFor(() => fetch(`${control}/stations`).then((r) => r.json()), 30_000, 'the control API')) as { stations: Array<{ id: string }> }).stations.map((s) => s.id);
  const c = cpus();
  console.log(`machine: ${c.length} × ${c[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`${STATIONS} stations, comm_loss on all after ${values['settle-s']} s, RSS sampled every 0.5 s for ${values['storm-s']} s`);
  console.log('case\tclients\tRSS before MB\tRSS peak MB\theap peak MB\texternal peak MB\tRSS end MB\talarms not normal\tws dropped\tKB per client in storm');
  const results: Result[] = [];
  for (const kind of values.cases!.split(',') as Array<'none' | 'reading' | 'stalled'>) {
    const r = await runCase(kind, stationIds);
    results.push(r);
    console.log([r.case, r.clients, r.before.toFixed(0), r.peak.toFixed(0), r.heapPeak.toFixed(0), r.externalPeak.toFixed(0), r.end.toFixed(0), r.alarms, r.dropped, (r.bytesPerClient / 1024).toFixed(0)].join('\t'));
  }
  // RSS moves by tens of MB between identical runs (when V8 collects), so cases may be repeated
  // (--cases none,reading,none,reading) and the worst of each is compared with the worst without clients
  const worst = (kind: string) => Math.max(...results.filter((r) => r.case === kind).map((r) => r.peak));
  if (results.some((r) => r.case === 'none')) {
    for (const kind of new Set(results.map((r) => r.case).filter((k) => k !== 'none'))) {
      const peaks = results.filter((r) => r.case === kind).map((r) => r.peak.toFixed(0)).join(' / ');
      console.log(`${kind}: worst peak RSS ${(worst(kind) - worst('none')).toFixed(0)} MB above the worst run without clients (peaks ${peaks}; without clients ${results.filter((r) => r.case === 'none').map((r) => r.peak.toFixed(0)).join(' / ')}; target ≤ 100 MB)`);
    }
  }
} catch (err) {
  process.stderr.write(`simulator log:\n${simLog.tail()}\n`);
  throw err;
} finally {
  sim.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
