/**
 * Station modes and planned stops over the API, against the simulator over real Modbus: a
 * planned stop suppresses the station's process alarms for its window while flooding still
 * raises; a mode set by an operator is audited; bad input is a 400 naming the field and
 * changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Service } from '../../src/service.ts';
import type { Simulator } from '../../simulators/index.ts';
import { startSimService, type SimService } from '../helpers/sim-service.ts';
import { waitFor } from '../helpers/wait.ts';

const READ = { authorization: 'Bearer demo-read' };
const OP = { authorization: 'Bearer demo-operator', 'content-type': 'application/json' };

let sim: Simulator;
let svc: Service;
let both: SimService | undefined;

beforeAll(async () => {
  both = await startSimService({ name: 'modes', sim: { stations: 3, seed: 21 }, pollMs: 200 });
  ({ sim, svc } = both);
});

afterAll(async () => {
  await both?.stop();
});

const send = (method: 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown) =>
  body === undefined
    ? svc.app.inject({ method, url, headers: { authorization: OP.authorization } })
    : svc.app.inject({ method, url, headers: OP, payload: JSON.stringify(body) });
const iso = (ms: number) => new Date(ms).toISOString();

describe('station modes and planned stops', () => {
  it('a planned stop suppresses process alarms in its window; flooding still raises', async () => {
    const now = Date.now();
    const r = await send('POST', '/api/planned-stops', { stations: ['hs-002'], from: iso(now - 60_000), to: iso(now + 3_600_000), reason: '换热器检修' });
    expect(r.statusCode).toBe(201);
    const stop = r.json();
    expect((await svc.app.inject({ url: '/api/stations/hs-002/mode', headers: READ })).json()).toMatchObject({ mode: 'stopped', source: 'planned_stop' });
    // the crew stops the pumps: no_pump / pump trips would raise in service; power loss too
    sim.setFault('hs-002', 'power_loss', true);
    sim.setFault('hs-002', 'burst', true);
    await waitFor(() => svc.alarms.get('hs-002.plc.flood:flood')?.state === 'unacked', 15_000, 'the flood alarm in the stop');
    await waitFor(() => svc.alarms.get('hs-002.plc.power_ok:power_loss')?.active, 20_000, 'the power-loss condition');
    const annunciated = (await svc.app.inject({ url: '/api/alarms?station=hs-002', headers: READ })).json().map((a: { ruleId: string }) => a.ruleId);
    expect(annunciated.filter((id: string) => !['flood', 'burst'].includes(id))).toEqual([]);
    const suppressed = (await svc.app.inject({ url: '/api/alarms?station=hs-002&state=suppressed', headers: READ })).json();
    // by the stop; in deep cold (the simulated outdoor temperature at this hour) also as the
    // child of power_loss_cold
    expect(suppressed.find((a: { ruleId: string }) => a.ruleId === 'power_loss')?.suppressedBy).toContain('mode');
    const counts = (await svc.app.inject({ url: '/api/alarms/counts', headers: READ })).json();
    expect(counts.suppressed).toBeGreaterThan(0);
    // cancelling the stop annunciates what still holds
    expect((await send('DELETE', `/api/planned-stops/${stop.id}`)).statusCode).toBe(204);
    // back in service, the rule's 5 s on-delay runs from the cancellation
    await waitFor(() => svc.alarms.get('hs-002.plc.power_ok:power_loss')?.state === 'unacked' || svc.alarms.get('hs-002.plc.power_ok:power_loss_cold')?.state === 'unacked', 20_000, 'power loss annunciated after the stop');
    sim.setFault('hs-002', 'power_loss', false);
    sim.setFault('hs-002', 'burst', false);
  });

  it('a planned stop takes ms epoch times as well as ISO', async () => {
    const now = Date.now();
    const r = await send('POST', '/api/planned-stops', { area: sim.stations[0].area, from: now + 86_400_000, to: now + 90_000_000, reason: '管网检修' });
    expect(r.statusCode).toBe(201);
    expect(r.json()).toMatchObject({ from: now + 86_400_000, to: now + 90_000_000, area: sim.stations[0].area, stations: null });
    expect((await send('DELETE', `/api/planned-stops/${r.json().id}`)).statusCode).toBe(204);
  });

  it('an operator sets maintenance with a comment and an end; it is audited', async () => {
    const until = Date.now() + 7_200_000;
    const r = await send('PUT', '/api/stations/hs-003/mode', { mode: 'maintenance', comment: '班组巡检', until: iso(until) });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ mode: 'maintenance', source: 'operator', attended: true, until });
    const audit = (await svc.state.listAudit({ limit: 10 })).find((a) => a.action === 'station.mode' && a.target === 'hs-003');
    expect(audit).toMatchObject({ user: 'demo-operator', detail: { mode: 'maintenance', comment: '班组巡检' } });
  });

  it('bad input is a 400 naming the field, and nothing is applied', async () => {
    const before = (await svc.app.inject({ url: '/api/modes', headers: READ })).json();
    const stopsBefore = (await svc.app.inject({ url: '/api/planned-stops', headers: READ })).json().length;
    const now = Date.now();
    const cases: Array<[string, Promise<{ statusCode: number; json(): { field?: string; message: string } }>, string]> = [
      ['end before start', send('PUT', '/api/stations/hs-001/mode', { mode: 'maintenance', comment: 'x', from: iso(now + 7_200_000), until: iso(now + 3_600_000) }), 'until'],
      ['unknown mode', send('PUT', '/api/stations/hs-001/mode', { mode: 'holiday', comment: 'x' }), 'mode'],
      ['no comment', send('PUT', '/api/stations/hs-001/mode', { mode: 'maintenance', comment: ' ' }), 'comment'],
      ['unknown station in a stop', send('POST', '/api/planned-stops', { stations: ['hs-001', 'hs-999'], from: iso(now), to: iso(now + 1000), reason: 'x' }), 'stations[1]'],
      ['stop ends before it starts', send('POST', '/api/planned-stops', { stations: ['hs-001'], from: iso(now + 1000), to: iso(now), reason: 'x' }), 'to'],
      ['bulk mode for a whole unknown area', send('POST', '/api/modes', { area: '不存在区', mode: 'stopped', comment: 'x' }), 'area'],
      ['bulk acknowledge matching nothing', send('POST', '/api/alarms/ack', { station: 'hs-001', class: 'no_such_class', comment: 'x' }), 'station'],
    ];
    for (const [what, p, field] of cases) {
      const r = await p;
      expect(r.statusCode, what).toBe(400);
      expect(r.json().message, what).toMatch(new RegExp(`^${field.replace(/[[\]]/g, '\\$&')}: `));
    }
    expect((await svc.app.inject({ url: '/api/modes', headers: READ })).json()).toEqual(before);
    expect((await svc.app.inject({ url: '/api/planned-stops', headers: READ })).json()).toHaveLength(stopsBefore);
  });

  it('bulk acknowledge by station acknowledges each matching alarm with one comment, audited per alarm', async () => {
    sim.setFault('hs-001', 'burst', true);
    await waitFor(() => svc.alarms.get('hs-001.plc.flood:flood')?.state === 'unacked', 15_000, 'flood at hs-001');
    const r = await send('POST', '/api/alarms/ack', { station: 'hs-001', comment: '已派抢修' });
    expect(r.statusCode).toBe(200);
    const ids: string[] = r.json().alarms.map((a: { id: string }) => a.id);
    expect(ids).toContain('hs-001.plc.flood:flood');
    expect(svc.alarms.get('hs-001.plc.flood:flood')!.state).toBe('acked');
    const audited = (await svc.state.listAudit({ limit: 100 })).filter((a) => a.action === 'alarm.ack' && ids.includes(a.target));
    expect(audited).toHaveLength(ids.length);
    sim.setFault('hs-001', 'burst', false);
  });
});
