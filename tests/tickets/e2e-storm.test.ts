// End to end over the simulator: an alarm raised again and again stays one ticket with its
// occurrences counted; comm loss at 50 stations of one area (a cell tower going down) becomes
// one incident ticket listing them, not 50 tickets.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.ts';
import { startService, type Service } from '../../src/service.ts';
import type { Ticket } from '../../src/tickets/types.ts';
import { startSimulator, type Simulator } from '../../simulators/index.ts';
import { waitFor } from '../helpers/wait.ts';

const OP = { authorization: 'Bearer demo-operator' };
const STATIONS = 52;
let sim: Simulator;
let svc: Service;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'heatwatch-tickets-storm-'));
  // one endpoint per station, as with a 4G router per station behind a cell tower
  sim = await startSimulator({ stations: STATIONS, seed: 12, modbusPort: 0, controlPort: 0, layout: 'per-station' });
  // comm loss after 3 s instead of 60 s, so the storm forms quickly
  const yaml = `${sim.configYaml({ pollMs: 500 }).replace(/^alarms:.*$/m, '')}alarms:\n  - { id: comm_loss, afterS: 3 }\n`;
  const cfg = parseConfigText(yaml, 'storm test');
  cfg.storage.series = { kind: 'sqlite', path: join(dir, 'series.db') };
  cfg.storage.state = { kind: 'sqlite', path: join(dir, 'state.db') };
  for (const s of cfg.stations) {
    s.area = '南岗区'; // one cell tower serves them all
    for (const d of s.devices) d.timeoutMs = 300;
  }
  cfg.tickets.openAfterMin[2] = 0; // comm loss is priority 3: open at once here instead of after 30 min
  cfg.tickets.tickMs = 200;
  cfg.tickets.storm.groupWaitMs = 5000;
  svc = await startService(cfg, { logger: pino({ level: 'silent' }), listen: false });
  await waitFor(() => svc.adapters[0].counters().every((c) => c.polls > 2), 30_000, 'every station polled');
}, 60_000);

afterAll(async () => {
  await svc?.stop();
  await sim?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const all = async (): Promise<Ticket[]> => (await svc.app.inject({ url: '/api/tickets?limit=1000', headers: OP })).json();

describe('ticket dedup over the simulator', () => {
  it('an alarm raised ten times stays one ticket with the occurrences counted', async () => {
    const station = sim.stations[STATIONS - 1].id;
    for (let i = 0; i < 10; i++) {
      sim.setFault(station, 'burst', true);
      await waitFor(() => svc.alarms.get(`${station}.plc.flood:flood`)?.active === true, 10_000, `raise ${i + 1}`);
      sim.setFault(station, 'burst', false);
      await waitFor(() => svc.alarms.get(`${station}.plc.flood:flood`)?.active === false, 10_000, `clear ${i + 1}`);
    }
    const raises = (await svc.alarms.history({ from: 0, to: Date.now() + 1, alarmId: `${station}.plc.flood:flood` })).filter((e) => e.type === 'raise');
    expect(raises.length).toBe(10);
    const flood = (await all()).filter((t) => t.station === station && t.faultClass === 'flood');
    expect(flood).toHaveLength(1);
    expect(flood[0].priority).toBe('P1');
    expect(flood[0].occurrences).toBe(10);
  }, 120_000);

  it('comm loss at 50 stations of one area becomes one incident ticket', async () => {
    const lost = sim.stations.slice(0, 50).map((s) => s.id);
    for (const id of lost) sim.setFault(id, 'comm_loss', true);
    const incident = await waitFor(async () => {
      const i = (await all()).find((t) => t.kind === 'incident');
      return i && i.stations.length === 50 ? i : null;
    }, 60_000, 'an incident ticket with 50 stations').catch(async (err) => {
      const l = await all();
      throw new Error(`${err.message}; tickets: ${JSON.stringify(l.map((t) => [t.id, t.kind, t.station, t.faultClass, t.stations?.length, t.stations]))}; comm alarms: ${svc.alarms.list().filter((a) => a.class === 'comm_loss').length}`);
    });
    expect(incident.stations.filter((s) => !lost.includes(s)), 'stations in the incident that did not lose comm').toEqual([]);
    expect([...incident.stations].sort()).toEqual([...lost].sort());
    const perStation = (await all()).filter((t) => t.faultClass === 'comm_loss' && t.kind !== 'incident');
    expect(perStation).toEqual([]);
  }, 90_000);
});
