// Alarm latency for `npm run bench`: the time from a sample entering the pipeline to its
// alarm event arriving at a /ws client, over real Modbus from the simulator. A flood input
// (a rule with no delay) is toggled on several stations; each raise/clear is timed from the
// moment the adapter handed the poll's samples to the pipeline until a websocket client
// received the event. The engine's own throughput is printed by tests/alarms/bench-engine.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import WebSocket from 'ws';
import { parseConfigText } from '../src/config/load.ts';
import { startService } from '../src/service.ts';
import { startSimulator } from '../simulators/index.ts';

export interface AlarmLatency {
  events: number;
  p50: number;
  p99: number;
  max: number;
}

export async function runAlarmLatencyBench(opts: { stations?: number; rounds?: number } = {}): Promise<AlarmLatency> {
  const stations = opts.stations ?? 20;
  const dir = mkdtempSync(join(tmpdir(), 'heatwatch-bench-alarms-'));
  const sim = await startSimulator({ stations, seed: 1, modbusPort: 0, controlPort: 0 });
  const cfg = parseConfigText(sim.configYaml({ pollMs: 250 }), 'bench');
  cfg.api.port = 0;
  cfg.storage.series = { kind: 'sqlite', path: join(dir, 'series.db') };
  cfg.storage.state = { kind: 'sqlite', path: join(dir, 'state.db') };
  const svc = await startService(cfg, { logger: pino({ level: 'silent' }) });
  // when each flood sample entered the pipeline, by station (the latest poll carrying a new flood value)
  const entered = new Map<string, number>();
  const lastFlood = new Map<string, unknown>();
  svc.pipeline.onSamples((batch) => {
    const t = performance.timeOrigin + performance.now();
    for (const s of batch) {
      if (!s.point.endsWith('.flood')) continue;
      if (lastFlood.get(s.point) !== s.value) entered.set(s.point.split('.')[0], t);
      lastFlood.set(s.point, s.value);
    }
  });
  const ws = new WebSocket(`${svc.url.replace('http', 'ws')}/ws?token=demo-read`);
  await new Promise((r, j) => ws.once('open', r).once('error', j));
  ws.send(JSON.stringify({ subscribe: { stations: [], points: [] } })); // alarms only, no samples
  const latencies: number[] = [];
  ws.on('message', (d) => {
    const t = performance.timeOrigin + performance.now();
    const m = JSON.parse(String(d));
    if (m.type !== 'alarm' || m.event.ruleId !== 'flood' || (m.event.type !== 'raise' && m.event.type !== 'clear')) return;
    const t0 = entered.get(m.event.station);
    if (t0 !== undefined) latencies.push(t - t0);
  });
  await new Promise((r) => setTimeout(r, 2000));
  const rounds = opts.rounds ?? 10;
  for (let r = 0; r < rounds; r++) {
    for (const s of sim.stations) sim.setFault(s.id, 'burst', r % 2 === 0);
    await new Promise((res) => setTimeout(res, 1500));
  }
  ws.close();
  await svc.stop();
  await sim.stop();
  rmSync(dir, { recursive: true, force: true });
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.ceil(p * latencies.length) - 1)] ?? NaN;
  return { events: latencies.length, p50: q(0.5), p99: q(0.99), max: latencies[latencies.length - 1] ?? NaN };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await runAlarmLatencyBench();
  console.log(`sample → alarm event on /ws: ${r.events} events, p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, max ${r.max.toFixed(1)} ms`);
  process.exit(0);
}
