// The page views' read routes over HTTP, on the simulator's stations and the full service: the
// network map's states (an alarm, a comm loss, maintenance, all well) with locations and district
// outlines, a station's supply-vs-outdoor pairs from stored hours with its curve, trend markers
// from a raised alarm and a ticket's events, the season overlay's shape, and bad input refused
// naming the field.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sample } from '../../../src/model.ts';
import { localDate } from '../../../src/reports/period.ts';
import { dayBounds } from '../../../src/analytics/days.ts';
import { startStack, type Stack } from '../../ui/stack.ts';
import { waitFor } from '../../helpers/wait.ts';

const TZ = 'Asia/Shanghai';
const T = 30_000;
let stack: Stack;
let ids: string[];

beforeAll(async () => {
  stack = await startStack({
    stations: 4,
    pollMs: 1000,
    configure: (cfg) => {
      cfg.stations.forEach((s, i) => (s.location = { x: 100 + 400 * (i % 2), y: 100 + 300 * Math.floor(i / 2) }));
      cfg.analytics.districts = [{ area: cfg.stations[0].area!, outline: [[0, 0], [300, 0], [300, 250], [0, 250]] }];
    },
  });
  ids = stack.sim.stations.map((s) => s.id);
}, 90_000);
afterAll(async () => {
  await stack?.stop();
});

async function get(path: string, token = 'demo-read'): Promise<{ status: number; body: any }> {
  const r = await fetch(`${stack.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: r.status, body: await r.json() };
}
async function send(method: string, path: string, body: unknown): Promise<any> {
  const r = await fetch(`${stack.url}${path}`, { method, headers: { authorization: 'Bearer demo-operator', 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
  return r.json();
}

describe('GET /api/analytics/map', () => {
  it("every station with its location and its state now: alarm, comm loss, maintenance, ok; the districts' outlines", async () => {
    await waitFor(async () => (await get('/api/stations')).body.every((s: any) => s.comm === 'online'), T, 'all stations online');
    stack.svc.alarms.raiseExternal({ key: 'map_test', station: ids[0], class: 'no_heat', priority: 2, message: '测试报警', active: true });
    stack.sim.setFault(ids[1], 'comm_loss', true);
    await send('PUT', `/api/stations/${ids[2]}/mode`, { mode: 'maintenance', comment: '更换过滤器' });
    try {
      const map = await waitFor(async () => {
        const { body } = await get('/api/analytics/map');
        return body.stations.find((s: any) => s.station === ids[1]).state === 'comm_loss' && body.stations.find((s: any) => s.station === ids[0]).state === 'alarm' ? body : null;
      }, T, 'the map to show the alarm and the comm loss');
      expect(map.kind).toBe('plan');
      expect(map.stations.map((s: any) => [s.station, s.state])).toEqual([
        [ids[0], 'alarm'],
        [ids[1], 'comm_loss'],
        [ids[2], 'maintenance'],
        [ids[3], 'ok'],
      ]);
      expect(map.stations[0]).toMatchObject({ name: stack.sim.stations[0].name, area: stack.sim.stations[0].area, location: { x: 100, y: 100 }, worstAlarm: 2, comm: 'online' });
      expect(map.stations[2]).toMatchObject({ mode: 'maintenance', worstAlarm: null });
      expect(map.districts).toEqual([{ area: stack.sim.stations[0].area, outline: [[0, 0], [300, 0], [300, 250], [0, 250]] }]);
    } finally {
      stack.sim.setFault(ids[1], 'comm_loss', false);
    }
  }, 60_000);
});

describe('GET /api/analytics/scatter', () => {
  it("pairs the stored hourly means of a past day, with the station's curve", async () => {
    const day = localDate(Date.now() - 2 * 86_400_000, TZ);
    const { from } = dayBounds(day, TZ);
    const outdoor = `${ids[0]}.plc.t_outdoor`;
    const supply = `${ids[0]}.plc.t_sec_supply`;
    // two samples an hour whose means are known; hour 5 has no supply (a gap is no pair)
    const samples: Sample[] = [];
    for (let h = 0; h < 24; h++) {
      const ts = from + h * 3_600_000;
      const x = -20 + h;
      for (const m of [10, 40]) {
        samples.push({ point: outdoor, ts: ts + m * 60_000, value: x + (m === 10 ? -0.5 : 0.5), quality: 'good' });
        if (h !== 5) samples.push({ point: supply, ts: ts + m * 60_000, value: 70 - h + (m === 10 ? -1 : 1), quality: 'good' });
      }
    }
    await stack.svc.series.write(samples);
    const { status, body } = await get(`/api/analytics/scatter?station=${ids[0]}&from=${day}&to=${day}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ station: ids[0], from: day, to: day, points: { outdoor, supply }, bandK: 3 });
    expect(body.pairs).toEqual(Array.from({ length: 24 }, (_, h) => [-20 + h, 70 - h]).filter((_, h) => h !== 5));
    const curve = [...(await get(`/api/stations/${ids[0]}`)).body.curve].sort((a: number[], b: number[]) => a[0] - b[0]);
    expect(body.curve).toEqual(curve);
    expect(body.curve.length).toBeGreaterThanOrEqual(2);
    // the default period: the 30 days to today
    const def = await get(`/api/analytics/scatter?station=${ids[0]}`);
    expect(def.body.to).toBe(localDate(Date.now(), TZ));
    expect(def.body.pairs.length).toBeGreaterThanOrEqual(23);
  });

  it.each([
    ['station=hs-999', 'querystring.station'],
    ['from=2026-01-01', 'querystring.station'],
    [`station=ID&from=2026-13-01`, 'querystring.from'],
    [`station=ID&from=yesterday`, 'querystring.from'],
    [`station=ID&to=2999-01-01`, 'querystring.to'],
    [`station=ID&from=2024-01-01&to=2025-06-01`, 'querystring.to'],
    [`station=ID&colour=red`, 'querystring.colour'],
  ])('%s → 400 naming %s', async (q, field) => {
    const { status, body } = await get(`/api/analytics/scatter?${q.replace('ID', ids[0])}`);
    expect(status).toBe(400);
    expect(body.field).toBe(field);
    expect(body.message).toContain(field);
  });
});

describe('GET /api/analytics/markers', () => {
  it("a station's alarm raises and ticket events in time order, in the language asked", async () => {
    const since = Date.now() - 1000;
    stack.svc.alarms.raiseExternal({ key: 'marker_test', station: ids[3], class: 'sensor', priority: 3, message: '测试传感器故障', active: true });
    const ticket = await send('POST', '/api/tickets', { source: 'manual', priority: 'P2', title: '换热器检查', description: '板换温差偏大', station: ids[3] });
    const id = ticket.ticket?.id ?? ticket.id;
    await send('POST', `/api/tickets/${id}/transition`, { to: 'dispatched', assignee: '维修一班' });
    const body = await waitFor(async () => {
      const r = await get(`/api/analytics/markers?station=${ids[3]}&from=${since}`);
      return r.body.markers.some((m: any) => m.kind === 'alarm') ? r.body : null;
    }, T, 'the alarm raise to be stored');
    expect(body.markers.map((m: any) => [m.kind, m.label, m.priority])).toEqual([
      ['alarm', '测试传感器故障', 3],
      ['ticket', `#${id} 新建: 换热器检查`, 2],
      ['ticket', `#${id} 已派单: 换热器检查`, 2],
    ]);
    expect(body.markers.every((m: any, i: number, all: any[]) => i === 0 || all[i - 1].ts <= m.ts)).toBe(true);
    const en = await get(`/api/analytics/markers?station=${ids[3]}&from=${since}&lang=en`);
    expect(en.body.markers[2].label).toBe(`#${id} dispatched: 换热器检查`);
    // another station's trend shows none of it
    const other = await get(`/api/analytics/markers?station=${ids[2]}&from=${since}`);
    expect(other.body.markers.filter((m: any) => m.ref === String(id) || m.label === '测试传感器故障')).toEqual([]);
  });

  it.each([
    ['station=ID', 'querystring.from'],
    ['station=ID&from=last-week', 'querystring.from'],
    ['station=ID&from=now-1h&to=soon', 'querystring.to'],
    ['station=ID&from=now&to=now-1h', 'querystring.from'],
    ['station=ID&from=now-500d', 'querystring.from'],
    ['station=nope&from=now-1h', 'querystring.station'],
  ])('%s → 400 naming %s', async (q, field) => {
    const { status, body } = await get(`/api/analytics/markers?${q.replace('ID', ids[0])}`);
    expect(status).toBe(400);
    expect(body.field).toBe(field);
  });
});

describe('GET /api/analytics/season', () => {
  it("this season and last on one day-of-season axis, from the daily table's rows", async () => {
    // no operations.season: heating years from 1 July
    const today = localDate(Date.now(), TZ);
    const year = Number(today.slice(0, 4)) - (today.slice(5) < '07-01' ? 1 : 0);
    const row = (day: string, meanSupplyC: number, heatGJ: number) => ({
      station: ids[0], day, heatGJ, makeupM3: 1, hdd: 20, meanOutdoorC: -2, meanSupplyC, meanReturnC: 40, meanPriReturnC: 45, meanFlowSec: 50, curveDeviationMin: 0, samplesOk: 1,
    });
    // last season's days are long past: the table's job never recomputes them
    await stack.svc.analytics.daily.upsert([row(`${year - 1}-07-01`, 50.5, 100), row(`${year - 1}-07-03`, 52.5, 120), row(`${year - 1}-07-02`, 51, 110)], Date.now());
    const { status, body } = await get(`/api/analytics/season?station=${ids[0]}&metric=meanSupplyC`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ station: ids[0], metric: 'meanSupplyC', current: { from: `${year}-07-01`, to: today }, last: { from: `${year - 1}-07-01`, to: `${year}-06-30` } });
    expect(body.days.slice(0, 4).map((d: any) => [d.index, d.day, d.lastDay, d.lastValue])).toEqual([
      [0, `${year}-07-01`, `${year - 1}-07-01`, 50.5],
      [1, `${year}-07-02`, `${year - 1}-07-02`, 51],
      [2, `${year}-07-03`, `${year - 1}-07-03`, 52.5],
      [3, `${year}-07-04`, `${year - 1}-07-04`, null],
    ]);
    const lastLength = (Date.UTC(year, 5, 30) - Date.UTC(year - 1, 6, 1)) / 86_400_000 + 1;
    expect(body.days.length).toBe(Math.max(lastLength, body.days.findIndex((d: any) => d.day === today) + 1));
    const heat = await get(`/api/analytics/season?station=${ids[0]}`);
    expect(heat.body.metric).toBe('heatGJ');
    expect(heat.body.days.slice(0, 3).map((d: any) => d.lastValue)).toEqual([100, 110, 120]);
  });

  it.each([
    ['station=ID&metric=colour', 'querystring.metric'],
    ['metric=heatGJ', 'querystring.station'],
    ['station=hs-999', 'querystring.station'],
  ])('%s → 400 naming %s', async (q, field) => {
    const { status, body } = await get(`/api/analytics/season?${q.replace('ID', ids[0])}`);
    expect(status).toBe(400);
    expect(body.field).toBe(field);
  });
});
