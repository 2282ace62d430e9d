// SIGKILL heatwatch with active alarms (one acknowledged), start it again: the same alarms
// in the same states, and not one duplicate raise event.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../simulators/index.ts';
import { freePort } from '../helpers/ports.ts';
import { waitFor } from '../helpers/wait.ts';

let sim: Simulator;
let dir: string;
let cfgPath: string;
let base: string;
let child: ChildProcess | null = null;
const READ = { authorization: 'Bearer demo-read' };
const OPERATOR = { authorization: 'Bearer demo-operator', 'content-type': 'application/json' };

async function startHeatwatch(): Promise<void> {
  child = spawn(process.execPath, ['src/bin/heatwatch.js', 'run', '--config', cfgPath, '--log-level', 'warn'], { stdio: ['ignore', 'ignore', 'inherit'] });
  await waitFor(async () => (await fetch(`${base}/api/health`)).ok, 30_000, 'heatwatch to answer');
}

async function alarms(): Promise<Array<{ id: string; state: string; ackedBy: string | null }>> {
  const r = await fetch(`${base}/api/alarms`, { headers: READ });
  return (await r.json()).map((a: { id: string; state: string; ackedBy: string | null }) => ({ id: a.id, state: a.state, ackedBy: a.ackedBy }));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'heatwatch-restart-'));
  sim = await startSimulator({ stations: 3, seed: 5, modbusPort: 0, controlPort: 0 });
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  cfgPath = join(dir, 'heatwatch.yaml');
  const yaml = sim
    .configYaml({ pollMs: 300 })
    .replace(/port: 8080/, `port: ${port}`)
    .replace('path: data/series.db', `path: ${join(dir, 'series.db')}`)
    .replace('path: data/state.db', `path: ${join(dir, 'state.db')}`);
  writeFileSync(cfgPath, yaml);
  await startHeatwatch();
}, 60_000);

afterAll(async () => {
  child?.kill('SIGKILL');
  await sim?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('alarm state across a crash', () => {
  it('keeps the same alarms and states after SIGKILL and raises nothing twice', async () => {
    sim.setFault('hs-001', 'burst', true);
    sim.setFault('hs-002', 'pump_trip', true);
    await waitFor(async () => {
      const ids = (await alarms()).map((a) => a.id);
      return ids.includes('hs-001.plc.flood:flood') && ids.includes('hs-002.plc.pump1_cmd:pump1_trip');
    }, 30_000, 'flood and pump-trip alarms').catch(async (err) => {
      throw new Error(`${err.message}; alarms: ${JSON.stringify(await alarms())}`);
    });
    const ack = await fetch(`${base}/api/alarms/${encodeURIComponent('hs-001.plc.flood:flood')}/ack`, { method: 'POST', headers: OPERATOR, body: JSON.stringify({ comment: 'crew sent' }) });
    expect(ack.status).toBe(200);
    expect((await ack.json()).state).toBe('acked');

    const before = (await alarms()).sort((a, b) => a.id.localeCompare(b.id));
    child!.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));
    await startHeatwatch();

    // let it poll the still-faulty stations for a while after the restart
    const t0 = Date.now();
    await waitFor(async () => Date.now() - t0 > 3000 && (await fetch(`${base}/api/stations`, { headers: READ })).ok, 10_000, 'a few polls');
    const after = (await alarms()).sort((a, b) => a.id.localeCompare(b.id));
    expect(after).toEqual(before);
    expect(after.find((a) => a.id === 'hs-001.plc.flood:flood')).toEqual({ id: 'hs-001.plc.flood:flood', state: 'acked', ackedBy: 'demo-operator' });

    const history = await (await fetch(`${base}/api/alarms/history?from=now-1h`, { headers: READ })).json();
    const raises = new Map<string, number>();
    for (const e of history) if (e.type === 'raise') raises.set(e.alarmId, (raises.get(e.alarmId) ?? 0) + 1);
    expect([...raises.values()].every((n) => n === 1), JSON.stringify([...raises])).toBe(true);
    // an alarm suppressed by design (low flow while the pump is stopped) never annunciated, so it has no raise
    expect(raises.size).toBe(before.filter((a) => a.state !== 'suppressed').length);
  }, 90_000);
});
