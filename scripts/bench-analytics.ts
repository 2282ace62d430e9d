// The network ranking on a city's worth of stations while ingest runs: the simulator (S stations,
// gateway layout, three-zone template) in a child process, heatwatch in this one polling it into
// SQLite at the given period, its state database holding D days of daily rows per station. Measures
// GET /api/analytics/ranking over those D days (HTTP handling and JSON included) while ingest runs,
// the same ranking read with nothing else running, and the daily job's first run after start and a
// later one (today's new minutes).
// Spawned by scripts/bench.ts (`--only analytics`); prints its table.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { addDays, daysFrom } from '../src/analytics/days.ts';
import type { DailyRow } from '../src/analytics/ranking.ts';
import { AnalyticsService } from '../src/analytics/service.ts';
import { DailyStore } from '../src/analytics/store.ts';
import { loadConfig } from '../src/config/load.ts';
import { createLogger } from '../src/log.ts';
import { localDate } from '../src/reports/period.ts';
import { startService } from '../src/service.ts';
import { SqliteStateDb } from '../src/state/sqlite-db.ts';

const { values } = parseArgs({
  options: {
    stations: { type: 'string', default: '5000' },
    days: { type: 'string', default: '30' },
    'period-ms': { type: 'string', default: '10000' },
    'warmup-s': { type: 'string', default: '30' },
    /** ranking requests while ingest runs, one a second: this many periods not asked before, then one period this many times */
    requests: { type: 'string', default: '10' },
    /** off: stop the daily job at start (ingest and the ranking alone, for comparison) */
    job: { type: 'string', default: 'on' },
  },
});
const stations = Number(values.stations);
const days = Number(values.days);
const periodMs = Number(values['period-ms']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const wall0 = performance.now();
const phase = (what: string) => process.stderr.write(`  [${((performance.now() - wall0) / 1000).toFixed(0)} s] ${what}\n`);
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

const dir = mkdtempSync(join(tmpdir(), 'heatwatch-bench-analytics-'));
const cfgPath = join(dir, 'heatwatch.yaml');
const basePort = 21000 + Math.floor(Math.random() * 20000);
const sim = spawn(process.execPath, [
  'src/bin/heatwatch.js', 'sim', '--stations', String(stations), '--layout', 'gateway', '--template', 'hs-plc-3zone',
  '--modbus-port', String(basePort), '--control-port', '0', '--seed', '1', '--write-config', cfgPath,
], { stdio: ['ignore', 'ignore', 'inherit'] });

try {
  const until = Date.now() + 180_000;
  while (!existsSync(cfgPath)) {
    if (Date.now() > until) throw new Error('the simulator wrote no config');
    await sleep(200);
  }
  await sleep(500);
  phase('simulator up');
  const cfg = loadConfig(cfgPath);
  cfg.storage.series = { kind: 'sqlite', path: join(dir, 'series.db') };
  cfg.storage.state = { kind: 'sqlite', path: join(dir, 'state.db') };
  for (const s of cfg.stations) for (const d of s.devices) d.pollMs = periodMs;
  const tz = cfg.site.timezone;
  // the config holds the simulator's fresh read token
  const token = cfg.tokens.find((t) => t.role === 'viewer')?.token;
  if (!token) throw new Error('the simulator config has no read token');

  // D days of daily rows before today, as the job would have left them
  const to = addDays(localDate(Date.now(), tz), -1);
  const from = addDays(to, -(days - 1));
  // rows for the earlier periods the measurement asks for too (each of D days)
  const requests = Number(values.requests);
  const db = new SqliteStateDb(cfg.storage.state.path);
  const daily = await DailyStore.open(db);
  let seed = 1;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (const day of daysFrom(addDays(from, -requests - 5), to)) {
    const rows: DailyRow[] = cfg.stations.map((s) => {
      const outdoor = -12 + 6 * rnd();
      return {
        station: s.id, day, heatGJ: ((s.heatedAreaM2 ?? 100_000) * 7e-5 * (18 - outdoor)) * (0.85 + 0.3 * rnd()), makeupM3: 2 * rnd(), hdd: 18 - outdoor,
        meanOutdoorC: outdoor, meanSupplyC: 60 + 5 * rnd(), meanReturnC: 42 + 4 * rnd(), meanPriReturnC: 46 + 4 * rnd(), meanFlowSec: 300 * (0.8 + 0.4 * rnd()),
        curveDeviationMin: Math.floor(60 * rnd()), samplesOk: 0.98 + 0.02 * rnd(),
      };
    });
    await daily.upsert(rows, Date.now());
  }

  phase('daily rows written');
  // the ranking with nothing else running: the table read and the ranking computed (no HTTP)
  const quiet = await AnalyticsService.open({ db, stations: cfg.stations, settings: cfg.analytics, timeZone: tz, season: null, series: { query: async () => [] }, now: Date.now, logger: pino({ level: 'silent' }) });
  const idle: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const r = await quiet.ranking(addDays(from, -i), addDays(to, -i));
    idle.push(performance.now() - t0);
    if (r.stations.length !== stations) throw new Error(`ranking has ${r.stations.length} stations`);
  }
  await db.close();

  const svc = await startService(cfg, { logger: createLogger('warn'), listen: false });
  const jobOn = values.job !== 'off';
  if (!jobOn) await svc.analytics.stop();
  phase('service started');
  await sleep(Number(values['warmup-s']) * 1000);
  phase('warmed up');
  // the job's first run after start (before its schedule's) reads today so far and yesterday whole
  const f0 = performance.now();
  if (jobOn) await svc.analytics.job.run(Date.now());
  const firstRunS = jobOn ? (performance.now() - f0) / 1000 : Number.NaN;
  phase('first job run done');
  const stored0 = svc.pipeline.stats().stored;
  const t0 = performance.now();
  // each request a period not asked before (computed), then the same period again (kept until its days' rows change)
  const busy: number[] = [];
  const again: number[] = [];
  let bytes = 0;
  const ask = async (q: string, into: number[]) => {
    const a = performance.now();
    const r = await svc.app.inject({ method: 'GET', url: `/api/analytics/ranking?${q}`, headers: { authorization: `Bearer ${token}` } });
    into.push(performance.now() - a);
    if (r.statusCode !== 200) throw new Error(`ranking: ${r.statusCode} ${r.body.slice(0, 200)}`);
    bytes = r.body.length;
    await sleep(1000);
  };
  // the first request after start compiles the route and warms the code: not counted
  await ask(`from=${addDays(from, -requests)}&to=${addDays(to, -requests)}`, []);
  for (let i = 0; i < requests; i++) await ask(`from=${addDays(from, -i)}&to=${addDays(to, -i)}`, busy);
  for (let i = 0; i < requests; i++) await ask(`from=${from}&to=${to}`, again);
  phase(`ranking ms, computed: ${busy.map((x) => x.toFixed(0)).join(' ')}; asked again: ${again.map((x) => x.toFixed(0)).join(' ')}`);
  const storedPerS = (svc.pipeline.stats().stored - stored0) / ((performance.now() - t0) / 1000);
  phase('ranking measured');
  // a later run of the daily job over every station: the minutes settled since the last run
  // folded in, the unsettled tail read afresh
  const j0 = performance.now();
  if (jobOn) await svc.analytics.job.run(Date.now());
  const jobS = jobOn ? (performance.now() - j0) / 1000 : Number.NaN;
  await svc.stop();

  console.log(`stations\tdays\trows\tidle ms\twith ingest: computed p50 / max ms\tasked again p50 / max ms\tresponse KB\tingest stored/s\tfirst job run s\tlater job run s`);
  console.log([stations, days, stations * days, idle.length ? pct(idle, 50).toFixed(0) : '-', `${pct(busy, 50).toFixed(0)} / ${Math.max(...busy).toFixed(0)}`, `${pct(again, 50).toFixed(0)} / ${Math.max(...again).toFixed(0)}`, (bytes / 1024).toFixed(0), storedPerS.toFixed(0), firstRunS.toFixed(1), jobS.toFixed(1)].join('\t'));
} finally {
  sim.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
