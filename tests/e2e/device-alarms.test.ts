// OPC UA server alarms (Part 9 conditions) through the whole service: a device-side
// condition appears in /api/alarms with source 'device', and acknowledging it over the
// API acknowledges it at the server (its AckedState becomes true); a device condition for
// the same equipment and cause as a rule alarm joins that alarm's group and ticket.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.ts';
import { startService, type Service } from '../../src/service.ts';
import { startSimulator, type Simulator } from '../../simulators/index.ts';
import { waitFor } from '../helpers/wait.ts';

let sim: Simulator;
let svc: Service;
let dir: string;
const READ = { authorization: 'Bearer demo-read' };

// stations 2 and 4 are served over OPC UA; at station 2 the site has no rule on the pump's
// fault bit, so the device's own condition is the only alarm for it
const NO_FAULT_RULE = `
alarms:
  - { id: pump1_fault, stations: [hs-002], enabled: false }
`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'heatwatch-device-alarms-'));
  sim = await startSimulator({ stations: 4, seed: 9, modbusPort: 0, controlPort: 0, opcua: { port: 0, every: 2, pkiDir: join(dir, 'server-pki') } });
  const cfg = parseConfigText(sim.configYaml({ pollMs: 500 }) + NO_FAULT_RULE, 'device alarm test');
  cfg.storage.series = { kind: 'sqlite', path: join(dir, 'series.db') };
  cfg.storage.state = { kind: 'sqlite', path: join(dir, 'state.db') };
  cfg.opcua.pkiDir = join(dir, 'pki');
  svc = await startService(cfg, { logger: pino({ level: 'silent' }), listen: false });
}, 60_000);

afterAll(async () => {
  await svc?.stop();
  await sim?.stop();
  rmSync(dir, { recursive: true, force: true });
});

type View = { id: string; source: string; state: string; priority: number; parent: string | null };
const alarmsOf = async (station: string, state = 'active') =>
  (await svc.app.inject({ url: `/api/alarms?station=${station}&state=${state}`, headers: READ })).json() as View[];

describe('device-side alarms', () => {
  it('imports a server condition as an alarm and acknowledges it at the server', async () => {
    const station = sim.stations[1].id; // every 2nd station is served over OPC UA
    await waitFor(async () => (await svc.app.inject({ url: `/api/stations/${station}`, headers: READ })).json().comm === 'online', 30_000, 'the OPC UA station online');
    sim.setFault(station, 'pump_trip', true);
    const alarm = await waitFor(async () => {
      const list = (await svc.app.inject({ url: `/api/alarms?station=${station}`, headers: READ })).json() as Array<{ id: string; source: string; state: string; priority: number }>;
      return list.find((a) => a.source === 'device' && a.state === 'unacked');
    }, 30_000, 'a device alarm');
    expect(alarm.priority).toBeLessThanOrEqual(2);
    expect(sim.opcua!.condition(station, 'pump1_trip')).toMatchObject({ active: true, acked: false });

    const r = await svc.app.inject({
      method: 'POST',
      url: `/api/alarms/${encodeURIComponent(alarm.id)}/ack`,
      headers: { authorization: 'Bearer demo-operator', 'content-type': 'application/json' },
      payload: JSON.stringify({ comment: 'crew sent' }),
    });
    expect(r.statusCode).toBe(200);
    expect(r.json().state).toBe('acked');
    await waitFor(() => sim.opcua!.condition(station, 'pump1_trip').acked, 15_000, 'AckedState true at the server');
    expect(sim.opcua!.condition(station, 'pump1_trip').lastComment).toContain('crew sent');
  }, 90_000);

  it("a pump trip at an OPC UA station is one annunciated alarm and one ticket: the device's own condition joins the rule alarm's group", async () => {
    const station = sim.stations[3].id;
    await waitFor(async () => (await svc.app.inject({ url: `/api/stations/${station}`, headers: READ })).json().comm === 'online', 30_000, 'the OPC UA station online');
    sim.setFault(station, 'pump_trip', true);
    const device = await waitFor(async () => (await alarmsOf(station, 'suppressed')).find((a) => a.source === 'device'), 45_000, 'the device condition grouped');
    // the rule alarm annunciates after its on-delay; the device condition stays under it
    const annunciated = await waitFor(async () => {
      const list = await alarmsOf(station);
      return list.length ? list : null;
    }, 30_000, 'the first-out alarm');
    expect(annunciated.map((a) => a.source)).toEqual(['rule']);
    // its parent is the group's first-out now: over OPC UA the fault bit's change can arrive
    // before the run feedback's, so at first sight the group's chain may not be complete yet
    const grouped = await waitFor(async () => {
      const d = (await alarmsOf(station, 'suppressed')).find((a) => a.id === device.id);
      return d?.parent === annunciated[0].id ? d : null;
    }, 15_000, 'the device condition under the first-out alarm');
    expect(grouped.state).toBe('suppressed');
    const tickets = await waitFor(async () => {
      const list = (await svc.app.inject({ url: `/api/tickets?station=${station}`, headers: READ })).json() as Array<{ source: string }>;
      return list.length ? list : null;
    }, 30_000, 'the ticket');
    expect(tickets).toHaveLength(1);
    sim.setFault(station, 'pump_trip', false);
  }, 90_000);
});
