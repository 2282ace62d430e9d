// A value wandering around a limit (the simulator's measurement noise, σ ≈ 0.1 K, around a
// limit set at the current level) raises one alarm thanks to the deadband, not one per crossing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlarmEvent } from '../../src/alarms/types.ts';
import { parseConfigText } from '../../src/config/load.ts';
import { startService, type Service } from '../../src/service.ts';
import { startSimulator, type Simulator } from '../../simulators/index.ts';
import { waitFor } from '../helpers/wait.ts';

let sim: Simulator;
let svc: Service;
let dir: string;
let limit: number;
/** when the service started: stored readings are read from here on */
let startedAt: number;
const events: AlarmEvent[] = [];
const POINT = 'hs-001.plc.t_sec_supply';
const ID = `${POINT}:dead_test`;
/** good readings of POINT as the service takes them in */
const live: number[] = [];
const CROSSINGS = 3;
const crossingsOf = (values: number[]) => values.filter((v, i) => i > 0 && (v > limit) !== (values[i - 1] > limit)).length;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'heatwatch-deadband-'));
  sim = await startSimulator({ stations: 1, seed: 21, modbusPort: 0, controlPort: 0 });
  // just under the current level, so most readings are above and noise dips below now and then
  limit = (sim.network.readPoint(0, 't_sec_supply') as number) - 0.05;
  const yaml = `${sim.configYaml({ pollMs: 200 }).replace(/^alarms:.*$/m, '')}alarms:\n  - { id: dead_test, point: "hs-001.plc.t_sec_supply", type: high, limit: ${limit.toFixed(3)}, deadband: 1, priority: 3 }\n`;
  const cfg = parseConfigText(yaml, 'deadband test');
  cfg.storage.series = { kind: 'sqlite', path: join(dir, 'series.db') };
  cfg.storage.state = { kind: 'sqlite', path: join(dir, 'state.db') };
  startedAt = Date.now();
  svc = await startService(cfg, { logger: pino({ level: 'silent' }), listen: false });
  svc.alarms.onEvents((e) => events.push(...e));
  svc.pipeline.onSamples((b) => {
    for (const s of b) if (s.point === POINT && s.quality === 'good' && typeof s.value === 'number') live.push(s.value);
  });
}, 60_000);

afterAll(async () => {
  await svc?.stop();
  await sim?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('deadband', () => {
  it('raises once while the value wanders around the limit', async () => {
    // wait for the wandering itself, not for a time or a number of polls: how soon the noise
    // crosses the limit depends on which model steps the polls happen to read. Three crossings
    // hold one dip below the limit and back after the first raise, whichever side it started on.
    await waitFor(() => crossingsOf(live) >= CROSSINGS, 75_000, `readings crossing ${limit.toFixed(3)} ${CROSSINGS} times`);
    await svc.pipeline.flush();
    const values: number[] = [];
    for await (const batch of svc.series.scan!(startedAt, Date.now() + 1)) {
      for (const s of batch) if (s.point === POINT && typeof s.value === 'number') values.push(s.value);
    }
    const crossings = crossingsOf(values);
    console.log(`${values.length} readings crossed the limit ${crossings} times`);
    const raises = events.filter((e) => e.alarmId === ID && e.type === 'raise');
    expect(crossings, 'the value must really wander across the limit for this to mean anything').toBeGreaterThanOrEqual(CROSSINGS);
    expect(raises.length, `${values.length} readings crossed the limit ${crossings} times`).toBe(1);
    expect(events.filter((e) => e.alarmId === ID && e.type === 'clear')).toEqual([]);
  }, 90_000);
});
