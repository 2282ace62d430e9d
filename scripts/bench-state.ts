// The state database under load for `npm run bench`: PostgreSQL (the machine's server, in a
// database of its own dropped at the end) and, in the same run, SQLite (a temp file), at 5,000
// stations.
//  - alarms: an AlarmRunner whose flood alarm is raised and cleared at station after station at
//    rising offered rates, its events written behind it in order, each drain of the write queue
//    one transaction (src/alarms/persist-queue.ts). A step is sustained when what the engine
//    raised and cleared was committed within it: at its end less than 0.25 s of events waits.
//    Higher steps are skipped after the first that is not.
//  - tickets: manual tickets taken through their whole lifecycle (created, dispatched, on site,
//    resolved, verified, closed) by 1 and by 8 requests in flight; each change one transaction
//    of ticket, timeline, audit and outbox rows.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import pino from 'pino';
import { compileRules } from '../src/alarms/compile.ts';
import { DEFAULT_RULES } from '../src/alarms/default-rules.ts';
import { AlarmRunner } from '../src/alarms/runner.ts';
import type { Sample } from '../src/model.ts';
import { DelegatingStateDb, type StateDb, type StateDialect } from '../src/state/db.ts';
import { PgStateDb } from '../src/state/pg-db.ts';
import { SqliteStateDb } from '../src/state/sqlite-db.ts';
import { StateStore } from '../src/state/state-store.ts';
import { resolveTicketSettings } from '../src/tickets/config.ts';
import { TicketService } from '../src/tickets/service.ts';

export const PG_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const T0 = Date.UTC(2026, 0, 12, 8);
/** on past where this machine falls behind on either backend; the steps end at the first not sustained */
const DEFAULT_RATES = [1000, 5000, 10_000, 20_000, 30_000, 40_000, 50_000, 100_000];

export interface StateBenchOptions {
  stations?: number;
  /** offered alarm events/s, one step each */
  alarmRates?: number[];
  alarmStepS?: number;
  /** requests in flight, one run each */
  concurrency?: number[];
  ticketS?: number;
}

export interface AlarmStep {
  offered: number;
  /** raise and clear events the engine produced, per second */
  events: number;
  /** alarm_events rows committed during the step, per second */
  written: number;
  transactions: number;
  /** mean events per write transaction, and its mean duration */
  perTx: number;
  txMs: number;
  /** most events queued and not yet taken by a transaction, sampled every 50 ms */
  maxBacklog: number;
  /** events produced but not committed when the step ended */
  behind: number;
  /** from the end of the step until everything was committed */
  drainMs: number;
  /** % of one core: this process, the PostgreSQL backends of the run's database, the whole machine */
  cpu: number;
  pgCpu: number;
  machineCpu: number;
  sustained: boolean;
}

export interface TicketRun {
  inFlight: number;
  changes: number;
  tickets: number;
  p50: number;
  p99: number;
  cpu: number;
  pgCpu: number;
  machineCpu: number;
}

export interface StateBenchResult {
  backend: StateDialect;
  alarms: AlarmStep[];
  tickets: TicketRun[];
}

/** The port with its transactions counted and timed (the alarm writes'; they never nest). */
class CountingDb extends DelegatingStateDb {
  transactions = 0;
  txMs = 0;
  override async tx<T>(fn: () => Promise<T>): Promise<T> {
    const t = performance.now();
    try {
      return await this.target.tx(fn);
    } finally {
      this.transactions++;
      this.txMs += performance.now() - t;
    }
  }
}

/** CPU ticks (10 ms) so far of each PostgreSQL backend serving `database` (their titles name it), by pid. */
function backendTicks(database: string): Map<string, number> {
  const ticks = new Map<string, number>();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(` ${database} `)) continue;
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      ticks.set(pid, Number(f[11]) + Number(f[12]));
    } catch {
      // gone meanwhile
    }
  }
  return ticks;
}

/**
 * CPU use from here on, in % of one core: this process's, the PostgreSQL backends' of `database`
 * (one the pool closed meanwhile is not counted), and the whole machine's (other work on it included).
 */
function cpuMeter(database?: string): () => { cpu: number; pgCpu: number; machineCpu: number } {
  const machine = () => {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return f[0] + f[1] + f[2] + f[5] + f[6]; // user, nice, system, irq, softirq: ticks of 10 ms
  };
  const c0 = process.cpuUsage();
  const m0 = machine();
  const b0 = database ? backendTicks(database) : null;
  const t0 = performance.now();
  return () => {
    const s = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(c0);
    let backends = NaN;
    if (database && b0) {
      backends = 0;
      for (const [pid, t] of backendTicks(database)) backends += t - (b0.get(pid) ?? 0);
    }
    return {
      cpu: ((c.user + c.system) / 1e6 / s) * 100,
      pgCpu: (backends / 100 / s) * 100,
      machineCpu: ((machine() - m0) / 100 / s) * 100,
    };
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const stationIds = (n: number) => Array.from({ length: n }, (_, i) => `hs-${String(i + 1).padStart(4, '0')}`);

async function countEvents(db: StateDb): Promise<number> {
  return Number((await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM alarm_events'))?.n ?? 0);
}

async function alarmSteps(db: CountingDb, stations: string[], rates: number[], stepS: number, pgDatabase?: string): Promise<AlarmStep[]> {
  const points = stations.flatMap((station) => ['flood', 'power_ok'].map((point) => ({ station, device: 'plc', point, pollMs: 1000 })));
  const compiled = compileRules([], points, { defaults: DEFAULT_RULES });
  const origin = performance.now();
  // the engine's clock runs with real time, so its ticks, checkpoints and chatter windows see the rate
  const now = () => T0 + Math.round(performance.now() - origin);
  const runner = await AlarmRunner.open({ compiled, db, logger: pino({ level: 'silent' }), now });
  runner.start();
  let produced = 0;
  runner.onEvents((es) => (produced += es.length));
  const floodPoints = stations.map((s) => `${s}.plc.flood`);
  const flooded = new Uint8Array(stations.length);
  let cursor = 0;
  const steps: AlarmStep[] = [];
  try {
    for (const rate of rates) {
      const rows0 = await countEvents(db);
      const produced0 = produced;
      const tx0 = db.transactions;
      const txMs0 = db.txMs;
      const meter = cpuMeter(pgDatabase);
      let fed = 0;
      let maxBacklog = 0;
      const t0 = performance.now();
      for (let el = 0; el < stepS * 1000; el = performance.now() - t0) {
        // catch up to the offered rate, whatever the last wait was: a blocked loop gets a bigger batch
        const due = Math.floor((rate * el) / 1000) - fed;
        if (due > 0) {
          const ts = now();
          const batch: Sample[] = new Array(due);
          for (let i = 0; i < due; i++) {
            flooded[cursor] ^= 1;
            batch[i] = { point: floodPoints[cursor], ts, value: flooded[cursor] === 1, quality: 'good' };
            cursor = (cursor + 1) % stations.length;
          }
          runner.samples(batch);
          fed += due;
        }
        maxBacklog = Math.max(maxBacklog, runner.writeStats().backlog);
        await sleep(50);
      }
      const seconds = (performance.now() - t0) / 1000;
      const events = produced - produced0;
      const committed = (await countEvents(db)) - rows0;
      const cpu = meter();
      const d0 = performance.now();
      await runner.written();
      const drainMs = performance.now() - d0;
      const total = (await countEvents(db)) - rows0;
      if (total !== events) throw new Error(`${db.dialect}: ${events} alarm events produced at ${rate}/s, ${total} written`);
      const transactions = db.transactions - tx0;
      const behind = events - committed;
      // a backlog that grows leaves more than that behind within a step; one that holds leaves a transaction or two
      const sustained = events >= 0.95 * rate * stepS && behind <= rate / 4;
      steps.push({
        offered: rate,
        events: events / seconds,
        written: committed / seconds,
        transactions,
        perTx: transactions ? events / transactions : NaN,
        txMs: transactions ? (db.txMs - txMs0) / transactions : NaN,
        maxBacklog,
        behind,
        drainMs,
        ...cpu,
        sustained,
      });
      if (!sustained) break;
    }
  } finally {
    await runner.stop();
  }
  return steps;
}

async function ticketRuns(db: StateDb, stations: string[], concurrency: number[], seconds: number, pgDatabase?: string): Promise<TicketRun[]> {
  const state = await StateStore.open(db);
  const origin = performance.now();
  const now = () => T0 + Math.round(performance.now() - origin);
  const settings = resolveTicketSettings({
    // one receiver taking every event, so each change also writes its outbox row; never started, nothing is sent
    webhooks: [{ name: 'crm', url: 'http://127.0.0.1:9/hook', secret: 'bench-secret' }],
  });
  const svc = new TicketService({
    db,
    settings,
    stations: stations.map((id, i) => ({ id, area: `area-${i % 20}` })),
    now,
    audit: (e) => state.audit(e),
  });
  await svc.init();
  const OP = { name: 'desk', role: 'operator' };
  const ENG = { name: 'eng', role: 'engineer' };
  const QA = { name: 'qa', role: 'qa' };
  const resolution = settings.resolutionCodes[0];
  // a ticket's life after it is created: what the control room does with it through the API
  const life = [
    (id: number) => svc.transition(id, { to: 'dispatched', team: 'crew-north' }, OP),
    (id: number) => svc.transition(id, { to: 'in_progress' }, OP),
    (id: number) => svc.transition(id, { to: 'resolved', resolution, note: 'valve replaced' }, ENG),
    (id: number) => svc.transition(id, { to: 'verified' }, QA),
    (id: number) => svc.transition(id, { to: 'closed' }, OP),
  ];
  let next = 0;
  async function run(inFlight: number, ms: number): Promise<{ changes: number; tickets: number; latencies: number[] }> {
    const latencies: number[] = [];
    let tickets = 0;
    const end = performance.now() + ms;
    const timed = async <T>(p: () => Promise<T>): Promise<T> => {
      const t = performance.now();
      const out = await p();
      latencies.push(performance.now() - t);
      return out;
    };
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (performance.now() < end) {
          const station = stations[next++ % stations.length];
          const { ticket } = await timed(() => svc.createTicket({ source: 'manual', priority: 'P3', station, description: 'bench: valve leaking at the pump' }, OP));
          tickets++;
          for (const step of life) {
            if (performance.now() >= end) break;
            await timed(() => step(ticket.id));
          }
        }
      }),
    );
    return { changes: latencies.length, tickets, latencies };
  }
  const runs: TicketRun[] = [];
  try {
    await run(2, 1000); // warm-up: JIT and the first pages of the tables
    for (const inFlight of concurrency) {
      const meter = cpuMeter(pgDatabase);
      const t0 = performance.now();
      const r = await run(inFlight, seconds * 1000);
      const s = (performance.now() - t0) / 1000;
      r.latencies.sort((a, b) => a - b);
      const q = (p: number) => r.latencies[Math.min(r.latencies.length - 1, Math.ceil(p * r.latencies.length) - 1)] ?? NaN;
      runs.push({ inFlight, changes: r.changes / s, tickets: r.tickets / s, p50: q(0.5), p99: q(0.99), ...meter() });
    }
    // every change wrote its audit and outbox rows with it
    const count = async (table: string) => Number((await db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`))?.n);
    const [timeline, audit, outbox] = [await count('tk_timeline'), await count('audit'), await count('tk_outbox')];
    if (audit !== timeline || outbox !== timeline) throw new Error(`${db.dialect}: ${timeline} timeline entries, ${audit} audit rows, ${outbox} outbox rows`);
  } finally {
    await svc.stop();
  }
  return runs;
}

async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 5000 });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

/** Both cases on one backend, in a database made for the run and removed after it. */
export async function runStateBench(backend: StateDialect, opts: StateBenchOptions = {}): Promise<StateBenchResult> {
  const stations = stationIds(opts.stations ?? 5000);
  let db: StateDb;
  let drop: () => Promise<void>;
  let name: string | undefined;
  if (backend === 'postgresql') {
    name = `hw_bench_state_${process.pid}`;
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin(`CREATE DATABASE ${name}`);
    db = new PgStateDb({ url: PG_ADMIN_URL.replace(/\/postgres$/, `/${name}`), applicationName: 'heatwatch-bench' });
    drop = () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'heatwatch-bench-state-'));
    db = new SqliteStateDb(join(dir, 'state.db'));
    drop = async () => rmSync(dir, { recursive: true, force: true });
  }
  try {
    const counted = new CountingDb(db);
    const alarms = await alarmSteps(counted, stations, opts.alarmRates ?? DEFAULT_RATES, opts.alarmStepS ?? 8, name);
    const tickets = await ticketRuns(db, stations, opts.concurrency ?? [1, 8], opts.ticketS ?? 10, name);
    return { backend, alarms, tickets };
  } finally {
    await db.close().catch(() => {});
    await drop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      stations: { type: 'string', default: '5000' },
      'alarm-rates': { type: 'string', default: DEFAULT_RATES.join(',') },
      'alarm-step-s': { type: 'string', default: '8' },
      concurrency: { type: 'string', default: '1,8' },
      'ticket-s': { type: 'string', default: '10' },
      backends: { type: 'string', default: 'postgresql,sqlite' },
    },
  });
  const opts: StateBenchOptions = {
    stations: Number(values.stations),
    alarmRates: values['alarm-rates']!.split(',').map(Number),
    alarmStepS: Number(values['alarm-step-s']),
    concurrency: values.concurrency!.split(',').map(Number),
    ticketS: Number(values['ticket-s']),
  };
  const results: StateBenchResult[] = [];
  for (const b of values.backends!.split(',') as StateDialect[]) results.push(await runStateBench(b, opts));
  const fmt = (n: number, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : '-');
  console.log(`alarm events written (${opts.stations} stations, flood raised and cleared; ${opts.alarmStepS} s per step; cpu in % of one core: this process, the PostgreSQL backends of its database, the machine with all else on it)`);
  console.log('backend\toffered/s\tevents/s\twritten/s\ttx\tevents/tx\ttx ms\tmax backlog\tbehind at end\tdrain ms\tcpu%\tpg cpu%\tmachine cpu%\tsustained');
  for (const r of results) {
    for (const s of r.alarms) {
      console.log([r.backend, s.offered, fmt(s.events), fmt(s.written), s.transactions, fmt(s.perTx, 1), fmt(s.txMs, 1), s.maxBacklog, s.behind, fmt(s.drainMs), fmt(s.cpu), fmt(s.pgCpu), fmt(s.machineCpu), s.sustained ? 'yes' : 'no'].join('\t'));
    }
  }
  for (const r of results) {
    const best = r.alarms.filter((s) => s.sustained).at(-1);
    console.log(`${r.backend}: one instance sustains ${best ? `${best.offered} alarm events/s` : `fewer than ${r.alarms[0]?.offered} alarm events/s`}`);
  }
  console.log(`\nticket changes (manual tickets created, dispatched, on site, resolved, verified, closed; ${opts.ticketS} s per run; each change one transaction)`);
  console.log('backend\tin flight\tchanges/s\ttickets/s\tp50 ms\tp99 ms\tcpu%\tpg cpu%\tmachine cpu%');
  for (const r of results) {
    for (const t of r.tickets) console.log([r.backend, t.inFlight, fmt(t.changes), fmt(t.tickets, 1), fmt(t.p50, 1), fmt(t.p99, 1), fmt(t.cpu), fmt(t.pgCpu), fmt(t.machineCpu)].join('\t'));
  }
  process.exit(0);
}
