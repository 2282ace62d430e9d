// SIGKILL heatwatch with active alarms (one acknowledged), start it again: the same alarms
// in the same states, and not one duplicate raise event. The faults keep acting across the
// restart (a burst drains the loop), so alarms may be added after the crash; the ones that
// annunciated before it must come back as they were, and none may be raised twice.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../simulators/index.ts';
import { waitFor } from '../helpers/wait.ts';

let sim: Simulator;
let dir: string;
let cfgPath: string;
let base: string;
let child: ChildProcess | null = null;
// `heatwatch run` refuses the demo's published tokens: this config has its own
const TOKENS = { read: 'restart-test-read-0123456789', operator: 'restart-test-operator-0123456789' };
const READ = { authorization: `Bearer ${TOKENS.read}` };
const OPERATOR = { authorization: `Bearer ${TOKENS.operator}`, 'content-type': 'application/json' };
/** polls of every device the restarted process makes before the alarms are compared */
const POLLS_AFTER_RESTART = 10;

/**
 * Starts `heatwatch run` with `api.port: 0` and takes the port the OS gave it from its
 * "API listening" log line: no port is picked before the process binds it, so none can race.
 */
async function startHeatwatch(): Promise<void> {
  const c = spawn(process.execPath, ['src/bin/heatwatch.js', 'run', '--config', cfgPath, '--log-level', 'info'], { stdio: ['ignore', 'pipe', 'inherit'] });
  child = c;
  let url = '';
  let out = '';
  c.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    for (let i = out.indexOf('\n'); i >= 0; i = out.indexOf('\n')) {
      const line = out.slice(0, i);
      out = out.slice(i + 1);
      if (!url && line.includes('heatwatch API listening')) url = (JSON.parse(line) as { url: string }).url;
    }
  });
  const exited = () => (c.exitCode !== null || c.signalCode !== null ? `heatwatch exited (${c.exitCode ?? c.signalCode})` : undefined);
  base = await waitFor(() => url, 30_000, 'heatwatch to report its API address', { failIf: exited });
  await waitFor(async () => (await fetch(`${base}/api/health`)).ok, 30_000, 'heatwatch to answer', { failIf: exited });
}

/** `heatwatch_polls_total` of every device, from /metrics */
async function polls(): Promise<number[]> {
  const text = await (await fetch(`${base}/metrics`, { headers: READ })).text();
  return [...text.matchAll(/^heatwatch_polls_total\{[^}]*\} (\d+)$/gm)].map((m) => Number(m[1]));
}

async function alarms(): Promise<Array<{ id: string; state: string; ackedBy: string | null }>> {
  const r = await fetch(`${base}/api/alarms`, { headers: READ });
  return (await r.json()).map((a: { id: string; state: string; ackedBy: string | null }) => ({ id: a.id, state: a.state, ackedBy: a.ackedBy }));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'heatwatch-restart-'));
  sim = await startSimulator({ stations: 3, seed: 5, modbusPort: 0, controlPort: 0 });
  // the standby pump runs where pump 1 will trip, so the trip raises pump1_trip itself (with no
  // pump left running, no_pump would explain it and group pump1_trip under it by design)
  sim.network.writePoint(sim.stations.find((s) => s.id === 'hs-002')!.index, 'pump2_cmd', true);
  cfgPath = join(dir, 'heatwatch.yaml');
  const yaml = sim
    .configYaml({ pollMs: 300, tokens: TOKENS })
    .replace(/port: 8080/, 'port: 0')
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
    const FLOOD = 'hs-001.plc.flood:flood';
    const TRIP = 'hs-002.plc.pump1_cmd:pump1_trip';
    await waitFor(async () => {
      const list = await alarms();
      return list.some((a) => a.id === FLOOD && a.state === 'unacked') && list.some((a) => a.id === TRIP && a.state === 'unacked');
    }, 30_000, 'flood and pump-trip alarms').catch(async (err) => {
      throw new Error(`${err.message}; alarms: ${JSON.stringify(await alarms())}`);
    });
    const ack = await fetch(`${base}/api/alarms/${encodeURIComponent(FLOOD)}/ack`, { method: 'POST', headers: OPERATOR, body: JSON.stringify({ comment: 'crew sent' }) });
    expect(ack.status).toBe(200);
    expect((await ack.json()).state).toBe('acked');

    const before = (await alarms()).sort((a, b) => a.id.localeCompare(b.id));
    child!.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));
    await startHeatwatch();

    // let it poll the still-faulty stations a number of times after the restart
    await waitFor(async () => {
      const n = await polls();
      return n.length === sim.stations.length && n.every((k) => k >= POLLS_AFTER_RESTART);
    }, 30_000, `${POLLS_AFTER_RESTART} polls of every station after the restart`);
    const history = await (await fetch(`${base}/api/alarms/history?from=now-1h`, { headers: READ })).json();
    const after = new Map((await alarms()).map((a) => [a.id, a]));
    // every alarm that annunciated before the crash is back in the same state, acknowledgement included
    const annunciated = before.filter((a) => a.state !== 'suppressed');
    expect(annunciated.map((a) => a.id)).toEqual(expect.arrayContaining([FLOOD, TRIP]));
    expect(annunciated.map((a) => after.get(a.id))).toEqual(annunciated);
    expect(after.get(FLOOD)).toEqual({ id: FLOOD, state: 'acked', ackedBy: 'demo-operator' });

    const raises = new Map<string, number>();
    for (const e of history) if (e.type === 'raise') raises.set(e.alarmId, (raises.get(e.alarmId) ?? 0) + 1);
    expect([...raises].filter(([, n]) => n > 1), 'alarms raised more than once').toEqual([]);
    expect(annunciated.map((a) => [a.id, raises.get(a.id)])).toEqual(annunciated.map((a) => [a.id, 1]));
    // an alarm suppressed by design (a pump fault under its trip, low pressure under the burst) never annunciated: no raise
    const quiet = before.filter((a) => a.state === 'suppressed' && after.get(a.id)?.state === 'suppressed');
    expect(quiet.filter((a) => raises.has(a.id)).map((a) => a.id)).toEqual([]);
  }, 90_000);
});
