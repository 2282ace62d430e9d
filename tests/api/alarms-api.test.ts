import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.ts';
import { startService, type Service } from '../../src/service.ts';
import { startSimulator, type Simulator } from '../../simulators/index.ts';
import { waitFor } from '../helpers/wait.ts';

const READ = { authorization: 'Bearer demo-read' };
const OP = { authorization: 'Bearer demo-operator' };
const FLOOD = 'hs-001.plc.flood:flood';
const url = (id: string, action: string) => `/api/alarms/${encodeURIComponent(id)}/${action}`;

let sim: Simulator;
let svc: Service;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'heatwatch-alarm-api-'));
  sim = await startSimulator({ stations: 2, seed: 11, modbusPort: 0, controlPort: 0 });
  const cfg = parseConfigText(sim.configYaml({ pollMs: 200 }), 'test');
  cfg.storage.series = { kind: 'sqlite', path: join(dir, 'series.db') };
  cfg.storage.state = { kind: 'sqlite', path: join(dir, 'state.db') };
  svc = await startService(cfg, { logger: pino({ level: 'silent' }), listen: false });
  sim.setFault('hs-001', 'burst', true);
  await waitFor(() => svc.alarms.get(FLOOD)?.state === 'unacked', 15_000, 'the flood alarm');
});

afterAll(async () => {
  await svc?.stop();
  await sim?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const post = (u: string, body: unknown, headers: Record<string, string> = OP) =>
  svc.app.inject({ method: 'POST', url: u, headers: { ...headers, 'content-type': 'application/json' }, payload: JSON.stringify(body) });

describe('alarm API', () => {
  it('lists active alarms by priority, filters by station and priority, and shows the station worst priority', async () => {
    const list = (await svc.app.inject({ url: '/api/alarms', headers: READ })).json();
    expect(list.find((a: { id: string }) => a.id === FLOOD)).toMatchObject({ state: 'unacked', priority: 1, station: 'hs-001', class: 'flood' });
    const prios = list.map((a: { priority: number }) => a.priority);
    expect(prios).toEqual([...prios].sort((a, b) => a - b));
    expect((await svc.app.inject({ url: '/api/alarms?station=hs-002', headers: READ })).json()).toEqual([]);
    const p1 = (await svc.app.inject({ url: '/api/alarms?priority=1', headers: READ })).json();
    expect(p1.every((a: { priority: number }) => a.priority === 1)).toBe(true);
    const stations = (await svc.app.inject({ url: '/api/stations', headers: READ })).json();
    expect(stations.find((s: { id: string }) => s.id === 'hs-001').worstAlarm).toBe(1);
    expect(stations.find((s: { id: string }) => s.id === 'hs-002').worstAlarm).toBeNull();
  });

  it('write actions need a token (401) and the operator role (403); nothing changes', async () => {
    expect((await post(url(FLOOD, 'ack'), {}, {})).statusCode).toBe(401);
    const r = await post(url(FLOOD, 'ack'), {}, READ);
    expect(r.statusCode).toBe(403);
    expect(r.json().message).toContain('operator');
    expect(svc.alarms.get(FLOOD)!.state).toBe('unacked');
  });

  it('bad bodies get 400 naming the field; unknown alarm 404', async () => {
    const noComment = await post(url(FLOOD, 'shelve'), { minutes: 10 });
    expect(noComment.statusCode).toBe(400);
    expect(noComment.json().field).toBe('body.comment');
    const badMinutes = await post(url(FLOOD, 'shelve'), { comment: 'x', minutes: 'ten' });
    expect(badMinutes.json().field).toBe('body.minutes');
    const tooLong = await post(url(FLOOD, 'shelve'), { comment: 'x', minutes: 100_000 });
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.json().field).toBe('minutes');
    const extra = await post(url(FLOOD, 'ack'), { comment: 'x', colour: 'red' });
    expect(extra.statusCode).toBe(400);
    expect((await post(url('hs-001.plc.nope:x', 'ack'), {})).statusCode).toBe(404);
    expect(svc.alarms.get(FLOOD)!.state).toBe('unacked');
  });

  it('ack records who and when, is audited, and a second ack is a 409', async () => {
    const r = await post(url(FLOOD, 'ack'), { comment: 'crew sent' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ state: 'acked', ackedBy: 'demo-operator', comment: 'crew sent' });
    expect((await post(url(FLOOD, 'ack'), {})).statusCode).toBe(409);
    const audit = await svc.state.listAudit();
    expect(audit[0]).toMatchObject({ user: 'demo-operator', action: 'alarm.ack', target: FLOOD });
    const history = (await svc.app.inject({ url: '/api/alarms/history?station=hs-001&from=now-1h', headers: READ })).json();
    expect(history.find((e: { type: string; alarmId: string }) => e.type === 'ack' && e.alarmId === FLOOD)).toMatchObject({ user: 'demo-operator', comment: 'crew sent', from: 'unacked', to: 'acked' });
    // texts in the request's language: Chinese by default, English on request
    expect(history.find((e: { alarmId: string }) => e.alarmId === FLOOD).message).toBe('站内水浸');
    const en = (await svc.app.inject({ url: '/api/alarms/history?station=hs-001&from=now-1h&lang=en', headers: READ })).json();
    expect(en.find((e: { alarmId: string }) => e.alarmId === FLOOD).message).toBe('flooding in the substation');
  });

  it('shelve and unshelve with a comment', async () => {
    const s = await post(url(FLOOD, 'shelve'), { comment: 'crew on site', minutes: 30 });
    expect(s.statusCode).toBe(200);
    expect(s.json()).toMatchObject({ state: 'shelved', shelvedBy: 'demo-operator' });
    expect(s.json().shelvedUntil).toBeGreaterThan(Date.now() + 29 * 60_000);
    const u = await post(url(FLOOD, 'unshelve'), {});
    expect(u.statusCode).toBe(200);
    // DOMAIN §3: leaving shelved returns to unacked while the condition holds
    expect(u.json().state).toBe('unacked');
  });

  it('gives KPI figures for a window', async () => {
    const k = (await svc.app.inject({ url: '/api/alarms/kpis?from=now-1h', headers: READ })).json();
    expect(k.raises).toBeGreaterThanOrEqual(1);
    expect(k.priorities['1'].count).toBeGreaterThanOrEqual(1);
    expect(k).toHaveProperty('peak10Min');
    expect(k).toHaveProperty('floodPercent');
    expect(k).toHaveProperty('top10Share');
    expect((await svc.app.inject({ url: '/api/alarms/kpis?from=tomorrow', headers: READ })).json().field).toBe('from');
  });

  it('pushes alarm events on /ws', async () => {
    await svc.app.ready();
    const ws = await svc.app.injectWS('/ws', { headers: READ });
    const got: Array<{ type: string; event?: { alarmId: string; type: string } }> = [];
    ws.on('message', (d) => got.push(JSON.parse(String(d))));
    sim.setFault('hs-002', 'power_loss', true);
    // power_loss, or power_loss_cold with power_loss its child when the simulated outdoor
    // temperature is below −10 °C at this hour: one of the two is raised, never neither
    const raised = (m: (typeof got)[number]) =>
      m.type === 'alarm' && m.event?.type === 'raise' && (m.event.alarmId === 'hs-002.plc.power_ok:power_loss' || m.event.alarmId === 'hs-002.plc.power_ok:power_loss_cold');
    await waitFor(() => got.some(raised), 20_000, 'power-loss alarm on /ws');
    ws.terminate();
  });
});
