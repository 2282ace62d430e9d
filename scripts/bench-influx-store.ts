// The InfluxDB series store alone at city scale, against its own influxd on this machine:
// S stations × ~120 points polled every P ms (one device per station, values as the Modbus
// path gives them: floats, some digital points, a few bad reads), written the way the ingest
// pipeline does (batches of B samples, one write in flight, a poll cut at a batch boundary,
// oldest dropped past a queue limit). Prints one JSON line: samples/s offered and stored,
// dropped, write latency, this process's CPU and influxd's CPU. Spawned by scripts/bench.ts
// (`--only influx-store`); `--store-module` benches another store build (e.g. an older tree).
//
//   node --import tsx scripts/bench-influx-store.ts --stations 5000 --seconds 60 --warmup-s 20
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import type { Sample } from '../src/model.ts';
import type { SeriesStore } from '../src/store/port.ts';
import { startInfluxd } from '../tests/setup/servers.ts';

const { values } = parseArgs({
  options: {
    stations: { type: 'string', default: '5000' },
    points: { type: 'string', default: '120' },
    'period-ms': { type: 'string', default: '10000' },
    seconds: { type: 'string', default: '60' },
    'warmup-s': { type: 'string', default: '20' },
    /** samples per store write (ingest.batchSize) */
    batch: { type: 'string', default: '20000' },
    'write-batch': { type: 'string' },
    'write-concurrency': { type: 'string', default: '4' },
    /** samples held before the oldest are dropped (ingest.queueLimit) */
    'queue-limit': { type: 'string', default: '2000000' },
    'store-module': { type: 'string', default: '../src/store/influx/store.ts' },
  },
});
const stations = Number(values.stations);
const perPoll = Number(values.points);
const periodMs = Number(values['period-ms']);
const batchSize = Number(values.batch);
const queueLimit = Number(values['queue-limit']);

const cpuTicks = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(f[11]) + Number(f[12]);
};

const influxd = await startInfluxd();
const mod = (await import(values['store-module']!.startsWith('.') ? values['store-module']! : pathToFileURL(values['store-module']!).href)) as {
  InfluxSeriesStore: new (o: Record<string, unknown>) => SeriesStore;
};
const store = new mod.InfluxSeriesStore({
  url: influxd.url,
  database: 'bench',
  ...(values['write-batch'] ? { writeBatch: Number(values['write-batch']) } : {}),
  writeConcurrency: Number(values['write-concurrency']),
});
await store.init();

const ids = Array.from({ length: stations }, (_, i) => `hs-${String(i).padStart(4, '0')}`);
const names = Array.from({ length: perPoll }, (_, j) => (j % 10 === 9 ? `run_${j}` : `p_${j}`));
let rnd = 1;
const rand = () => ((rnd = (rnd * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
function poll(i: number, ts: number): Sample[] {
  const bad = rand() < 0.005; // a failed read: every point of the device bad
  return names.map((n, j) => {
    const point = `${ids[i]}.plc.${n}`;
    if (bad) return { point, ts, value: null, quality: 'bad' };
    const value = j % 10 === 9 ? rand() < 0.5 : Math.round((40 + 30 * Math.sin(ts / 6e5 + i + j) + rand()) * 1000) / 1000;
    return { point, ts, value, quality: 'good' };
  });
}

// the pipeline's queue: polls in arrival order, a write takes up to batchSize samples
const queue: Sample[][] = [];
let head = 0;
let queued = 0;
let offered = 0;
let stored = 0;
let dropped = 0;
const latencies: number[] = [];
let stopping = false;

const slices = periodMs / 100;
const t0 = Date.now();
let emitted = 0;
const ticker = setInterval(() => {
  // each device polled once per period, spread over it in 100 ms slices; a late tick catches up
  const due = Math.floor((Date.now() - t0) / 100);
  for (; emitted <= due; emitted++) {
    const slice = emitted % slices;
    const ts = t0 + emitted * 100;
    for (let i = slice; i < stations; i += slices) {
      const p = poll(i, ts);
      queue.push(p);
      queued += p.length;
      offered += p.length;
    }
  }
  while (queued > queueLimit) {
    const p = queue[head];
    queue[head++] = [];
    queued -= p.length;
    dropped += p.length;
  }
}, 100);

async function writer(): Promise<void> {
  while (!stopping) {
    if (queued === 0) {
      await new Promise((r) => setTimeout(r, 50));
      continue;
    }
    const batch: Sample[] = [];
    while (batch.length < batchSize && head < queue.length) {
      const p = queue[head];
      const take = Math.min(p.length, batchSize - batch.length);
      for (let k = 0; k < take; k++) batch.push(p[k]);
      if (take === p.length) queue[head++] = [];
      else queue[head] = p.slice(take); // a poll cut at the batch boundary, as the pipeline does
    }
    queued -= batch.length;
    if (head > 100_000) {
      queue.splice(0, head);
      head = 0;
    }
    const t = performance.now();
    for (;;) {
      try {
        await store.write(batch);
        break;
      } catch (err) {
        console.error(`write failed, retrying: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    latencies.push(performance.now() - t);
    stored += batch.length;
  }
}

const done = writer();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
await sleep(Number(values['warmup-s']) * 1000);
const s0 = { stored, offered, dropped, t: performance.now(), cpu: process.cpuUsage(), influx: cpuTicks(influxd.pid()!) };
latencies.length = 0;
await sleep(Number(values.seconds) * 1000);
const wallS = (performance.now() - s0.t) / 1000;
const cpu = process.cpuUsage(s0.cpu);
const influxTicks = cpuTicks(influxd.pid()!) - s0.influx;
const sorted = [...latencies].sort((a, b) => a - b);
const pct = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : 0);
const series = await fetch(`${influxd.url}/query?db=bench&q=${encodeURIComponent('SHOW SERIES CARDINALITY')}`).then((r) => r.json() as Promise<{ results: Array<{ series?: Array<{ values: number[][] }> }> }>);
process.stdout.write(
  JSON.stringify({
    stations,
    points: stations * perPoll,
    offeredPerS: (offered - s0.offered) / wallS,
    storedPerS: (stored - s0.stored) / wallS,
    dropped: dropped - s0.dropped,
    queueDepth: queued,
    writes: latencies.length,
    writeP50: pct(0.5),
    writeP99: pct(0.99),
    cpuPct: ((cpu.user + cpu.system) / 1e6 / wallS) * 100,
    influxdCpuPct: (influxTicks / 100 / wallS) * 100,
    series: series.results[0]?.series?.[0]?.values[0]?.[0] ?? null,
  }) + '\n',
);
stopping = true;
clearInterval(ticker);
await done;
await store.close();
await influxd.destroy();
process.exit(0);
