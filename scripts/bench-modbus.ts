// Modbus poll lateness for `npm run bench -- --only modbus`: how late the devices that answer
// are polled while others do not, on this machine (the tests count polls; this measures ms).
// Lateness = when a poll's first request went out − its slot. Two cases, the simulator in-process:
//  - endpoints: 4 stations on their own connections at 100 ms, one silent (timeout 300 ms);
//  - gateway: 20 units behind one connection at 500 ms, 15 silent (timeout 300 ms).
// Options: --seconds S (measured per case, default 10)
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { percentile } from '../src/adapters/modbus/adapter.ts';
import { waitFor } from '../tests/helpers/wait.ts';
import { adapter, devicesOf, recorder, runCleanups, sim } from '../tests/adapters/modbus/harness.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '10' } } });
const SECONDS = Number(values.seconds);

interface Case {
  name: string;
  stations: number;
  layout: 'per-station' | 'gateway';
  pollMs: number;
  timeoutMs: number;
  silent: number[];
}

async function run(c: Case): Promise<void> {
  const s = await sim(c.stations, c.layout);
  const devs = devicesOf(s, { pollMs: c.pollMs, timeoutMs: c.timeoutMs });
  const key = (i: number) => `${devs[i].station}/plc`;
  const live = devs.map((_, i) => i).filter((i) => !c.silent.includes(i));
  const rec = recorder();
  // a live device's lateness, read when its poll's samples arrive (set when that poll started)
  let measuring = false;
  const lateness: number[] = [];
  const index = new Map(live.map((i) => [key(i), i]));
  const sink = {
    samples: (b: Parameters<typeof rec.sink.samples>[0]) => {
      rec.sink.samples(b);
      const i = index.get(b[0].point.split('.').slice(0, 2).join('/'));
      if (measuring && i !== undefined) lateness.push(a.counters()[i].lastLatenessMs);
    },
    status: rec.sink.status,
  };
  const a = adapter(devs, { ...rec, sink });
  await a.start();
  for (let i = 0; i < devs.length; i++) await waitFor(() => rec.allGood(key(i)), 30_000, `${key(i)} good`);
  const tFault = Date.now();
  for (const i of c.silent) s.setFault(devs[i].station, 'comm_loss', true);
  await waitFor(() => {
    const cs = a.counters();
    return c.silent.every((i) => rec.allBad(key(i)) && cs[i].unitBackoffMs > 0);
  }, 60_000, 'the silent units in backoff');
  const onsetMs = Date.now() - tFault;
  const onsetLive = Math.max(...live.map((i) => a.counters()[i].lastLatenessMs));
  // steady state: after each live device answered twice more (the onset's queue drained)
  const n0 = live.map((i) => rec.count(key(i)));
  await waitFor(() => live.every((i, j) => rec.count(key(i)) >= n0[j] + 2), 30_000, 'the onset to drain');
  const probes0 = a.endpointStates().reduce((n, e) => n + e.probes, 0);
  measuring = true;
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  measuring = false;
  const probes = a.endpointStates().reduce((n, e) => n + e.probes, 0) - probes0;
  const tClear = Date.now();
  for (const i of c.silent) s.setFault(devs[i].station, 'comm_loss', false);
  await waitFor(() => c.silent.every((i) => rec.allGood(key(i))), 60_000, 'the silent units back');
  const recoveryMs = Date.now() - tClear;
  await runCleanups();
  const f = (x: number) => x.toFixed(1);
  console.log(
    [c.name, `${live.length}/${devs.length}`, lateness.length, f(percentile(lateness, 50)), f(percentile(lateness, 99)), f(Math.max(...lateness)), probes, onsetMs, f(onsetLive), recoveryMs].join('\t'),
  );
}

const cpu = cpus();
console.log(`machine: ${cpu.length} × ${cpu[0]?.model ?? 'cpu'}, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}; ${SECONDS} s measured per case`);
console.log('case\tlive/all\tlive polls\tlate p50 ms\tlate p99 ms\tlate max ms\tprobes\tonset ms\tonset live late ms\trecovery ms');
await run({ name: 'endpoints (100 ms, 1 silent)', stations: 4, layout: 'per-station', pollMs: 100, timeoutMs: 300, silent: [0] });
const gw = Array.from({ length: 20 }, (_, i) => i).filter((i) => i % 4 !== 0);
await run({ name: 'gateway (500 ms, 15 silent)', stations: 20, layout: 'gateway', pollMs: 500, timeoutMs: 300, silent: gw });
process.exit(0);
