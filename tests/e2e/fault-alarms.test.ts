// Every fault of the simulator's list, injected over real Modbus TCP, raises the
// expected alarm with the expected priority and clears after the fault is removed.
// The simulator runs its physics 30× faster so that slow faults (a leak's pressure
// fall, a stuck valve drifting) develop in seconds; rule delays that are minutes
// long in production are shortened by per-rule overrides, the way a site tunes them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.ts';
import { startService, type Service } from '../../src/service.ts';
import type { AlarmEvent } from '../../src/alarms/types.ts';
import { startSimulator, type Simulator } from '../../simulators/index.ts';
import { waitFor } from '../helpers/wait.ts';

const POLL_MS = 500;
const SPEED = 30;
const OVERRIDES = `
alarms:
  - { id: valve_stuck, onDelayS: 5 }
  - { id: t_sec_hh, onDelayS: 3 }
  - { id: curve_low, onDelayS: 3 }
  - { id: t_sec_frozen, afterS: 5 }
  - { id: comm_loss, afterS: 3 }
`;

/**
 * fault → the alarm rule it must raise, with its priority. `delayMs` is the rule's delay
 * where the fault shows at once in the points (so detection time is bounded by delay +
 * two poll periods + the one-second tick); null where the physics takes time to develop.
 */
const CASES = [
  { fault: 'leak', rule: 'leak_fall', priority: 1, delayMs: null },
  { fault: 'burst', rule: 'flood', priority: 1, delayMs: 0 },
  { fault: 'pump_trip', rule: 'pump1_trip', priority: 2, delayMs: 10_000 },
  { fault: 'valve_stuck', rule: 'valve_stuck', priority: 2, delayMs: null },
  { fault: 'over_temp', rule: 't_sec_hh', priority: 2, delayMs: null },
  { fault: 'under_supply', rule: 'curve_low', priority: 2, delayMs: null },
  { fault: 'sensor_freeze', rule: 't_sec_frozen', priority: 3, delayMs: 5_000 },
  { fault: 'power_loss', rule: 'power_loss', priority: 2, delayMs: 5_000 },
  { fault: 'comm_loss', rule: 'comm_loss', priority: 3, delayMs: 3_000 },
  { fault: 'garbage', rule: 'comm_loss', priority: 3, delayMs: 3_000 },
] as const;
const TICK_MS = 1000;
/** a loaded CI machine may deliver a poll or a tick late */
const SLACK_MS = 1500;

let sim: Simulator;
let svc: Service;
let dir: string;
const events: AlarmEvent[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'heatwatch-faults-'));
  sim = await startSimulator({ stations: CASES.length + 2, seed: 3, modbusPort: 0, controlPort: 0, speed: SPEED });
  const yaml = sim.configYaml({ pollMs: POLL_MS }).replace(/^alarms:.*$/m, '') + OVERRIDES;
  const cfg = parseConfigText(yaml, 'fault test');
  cfg.storage.series = { kind: 'sqlite', path: join(dir, 'series.db') };
  cfg.storage.state = { kind: 'sqlite', path: join(dir, 'state.db') };
  for (const s of cfg.stations) for (const d of s.devices) d.timeoutMs = 300;
  svc = await startService(cfg, { logger: pino({ level: 'silent' }), listen: false });
  svc.alarms.onEvents((e) => events.push(...e));
  await waitFor(() => svc.app.inject({ url: '/api/stations', headers: { authorization: 'Bearer demo-read' } }).then((r) => r.json().every((s: { comm: string }) => s.comm === 'online')), 15_000, 'all stations online');
}, 60_000);

afterAll(async () => {
  await svc?.stop();
  await sim?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const ruleOf = (e: AlarmEvent) => e.ruleId;

describe('faults raise their alarms', () => {
  it('every fault raises its alarm with its priority, and it clears after the fault is removed', async () => {
    const start = Date.now();
    const injected = CASES.map((c, i) => ({ ...c, station: sim.stations[i].id }));
    for (const c of injected) sim.setFault(c.station, c.fault, true);

    const raisedAt = new Map<string, number>();
    await waitFor(() => {
      for (const c of injected) {
        const e = events.find((x) => x.station === c.station && ruleOf(x) === c.rule && x.type === 'raise');
        if (e && !raisedAt.has(c.fault)) raisedAt.set(c.fault, e.ts - start);
      }
      return raisedAt.size === injected.length;
    }, 90_000, `alarms for ${CASES.map((c) => c.fault).join(', ')}`, 200).catch((err) => {
      const missing = injected.filter((c) => !raisedAt.has(c.fault)).map((c) => `${c.fault}@${c.station}`);
      throw new Error(`${err.message}; missing ${missing.join(', ')}; seen ${events.filter((e) => e.type === 'raise').map((e) => e.alarmId).join(', ')}`);
    });
    for (const c of injected) {
      const e = events.find((x) => x.station === c.station && ruleOf(x) === c.rule && x.type === 'raise')!;
      expect(e.priority, `${c.fault} → ${c.rule}`).toBe(c.priority);
      if (c.delayMs !== null) expect(raisedAt.get(c.fault), `${c.fault} detection time`).toBeLessThanOrEqual(c.delayMs + 2 * POLL_MS + TICK_MS + SLACK_MS);
    }

    // stations without a fault stay quiet
    const faulted = new Set(injected.map((c) => c.station));
    const stray = events.filter((e) => e.type === 'raise' && !faulted.has(e.station));
    expect(stray.map((e) => e.alarmId)).toEqual([]);

    // comm loss (silence or garbage): exactly one comm-loss alarm, no point alarms for that station
    for (const c of injected.filter((x) => x.fault === 'comm_loss' || x.fault === 'garbage')) {
      const raised = events.filter((e) => e.station === c.station && e.type === 'raise');
      expect(raised.map((e) => e.alarmId), c.fault).toEqual([`${c.station}.plc:comm_loss`]);
    }

    for (const c of injected) sim.setFault(c.station, c.fault, false);
    await waitFor(() => injected.every((c) => {
      const a = svc.alarms.list({ state: 'all', station: c.station }).find((v) => v.ruleId === c.rule);
      return a !== undefined && !a.active;
    }), 90_000, 'every alarm to clear', 200);
    console.log('fault → alarm after (ms):', Object.fromEntries(raisedAt));
  }, 200_000);

});
