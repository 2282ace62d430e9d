/**
 * The PLC as a mode source end to end, over real Modbus TCP to the simulator: its mode selector
 * set to maintenance makes the station's mode come from the PLC in the API (a garbled code is
 * ignored); a patrol's open door outside attended hours is no annunciated intrusion while the
 * crew's check-in switch is on, and is one once the switch goes off with the door still open.
 * The switch and the selector are turned through the simulator's control API, as a crew would.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Service } from '../../src/service.ts';
import type { Simulator } from '../../simulators/index.ts';
import { startSimService, type SimService } from '../helpers/sim-service.ts';
import { waitFor } from '../helpers/wait.ts';

const READ = { authorization: 'Bearer demo-read' };
const INTRUSION = 'hs-001.plc.door:intrusion';

let sim: Simulator;
let svc: Service;
let both: SimService | undefined;

beforeAll(async () => {
  const now = Date.now();
  both = await startSimService({
    name: 'plc-modes',
    // no scheduled work but one long patrol at hs-001: its door is open and its crew checked in
    sim: { stations: 2, seed: 31, operations: { kinds: [], extra: [{ kind: 'patrol', station: 0, fromMs: now - 60_000, toMs: now + 3_600_000 }] } },
    pollMs: 200,
    // no attended hours: an open door is an intrusion unless a crew is checked in
    configure: (cfg) => {
      cfg.operations.attended = { all: null, areas: new Map() };
    },
  });
  ({ sim, svc } = both);
});

afterAll(async () => {
  await both?.stop();
});

/** Turns the check-in switch or the mode selector at the simulated PLC (null: back to the model). */
async function force(station: string, point: 'attended' | 'station_mode', value: number | boolean | null): Promise<void> {
  const r = await fetch(`${sim.controlUrl}/points`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ station, point, value }) });
  expect(r.status, await r.text()).toBe(200);
}
const modeOf = async (station: string) => (await svc.app.inject({ url: `/api/stations/${station}/mode`, headers: READ })).json();
const annunciated = async (station: string): Promise<string[]> =>
  (await svc.app.inject({ url: `/api/alarms?station=${station}`, headers: READ })).json().map((a: { id: string }) => a.id);

describe('PLC mode and check-in over Modbus', () => {
  it("the PLC's maintenance decides the station mode (source plc); a garbled code is ignored", async () => {
    await waitFor(async () => (await modeOf('hs-002')).source === 'plc', 15_000, "the PLC's auto");
    expect(await modeOf('hs-002')).toMatchObject({ mode: 'in_service', source: 'plc', plc: { mode: 'in_service', checkIn: false } });
    await force('hs-002', 'station_mode', 3);
    await waitFor(async () => (await modeOf('hs-002')).source === 'plc' && (await modeOf('hs-002')).mode === 'maintenance', 15_000, 'maintenance from the PLC');
    expect(await modeOf('hs-002')).toMatchObject({ mode: 'maintenance', source: 'plc', attended: true, until: null });
    await force('hs-002', 'station_mode', 65535);
    await waitFor(async () => (await modeOf('hs-002')).source === 'default', 15_000, 'a garbled code ignored');
    expect(await modeOf('hs-002')).toMatchObject({ mode: 'in_service', attended: false, plc: { mode: null } });
    await force('hs-002', 'station_mode', null);
    await waitFor(async () => (await modeOf('hs-002')).source === 'plc', 15_000, "the model's own mode again");
  });

  it('an open door outside attended hours is no intrusion while the crew is checked in, and is one once the switch is off', async () => {
    await waitFor(async () => (await modeOf('hs-001')).plc?.checkIn, 15_000, 'the crew checked in');
    expect(await modeOf('hs-001')).toMatchObject({ mode: 'in_service', attended: true, plc: { checkIn: true, attended: true } });
    // the door's condition holds past its on-delay, suppressed by design (attended), not annunciated
    await waitFor(() => {
      const a = svc.alarms.get(INTRUSION);
      return a?.active && a.state === 'suppressed' && a.suppressedBy?.includes('mode');
    }, 15_000, 'the open door held as suppressed by the check-in');
    expect(await annunciated('hs-001')).not.toContain(INTRUSION);
    // the crew turns the switch off and leaves the door open
    await force('hs-001', 'attended', false);
    await waitFor(() => svc.alarms.get(INTRUSION)?.state === 'unacked', 15_000, 'intrusion annunciated');
    expect(await annunciated('hs-001')).toContain(INTRUSION);
    expect(await modeOf('hs-001')).toMatchObject({ attended: false, plc: { checkIn: false } });
    await force('hs-001', 'attended', null);
  });
});
