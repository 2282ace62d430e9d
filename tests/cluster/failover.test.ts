/**
 * No single point of failure, end to end: two `heatwatch serve` processes sharing their state in
 * PostgreSQL and two `heatwatch collect` processes for one shard, over the simulator, real
 * Mosquitto and InfluxDB.
 * - kill -9 the serve instance that owns a station with an active unacknowledged alarm: within
 *   30 s the other owns it, the alarm keeps its state, an ack through the survivor works, and
 *   no ticket is opened twice; faults injected across the stations during the kill make one
 *   ticket per station and fault, as one instance makes;
 * - kill -9 the collector polling: the standby polls within 15 s and the stored series have a
 *   gap of at most 15 s.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import { parse, stringify } from 'yaml';
import { PgStateDb } from '../../src/state/pg-db.ts';
import { InfluxSeriesStore } from '../../src/store/influx/store.ts';
import type { Ticket } from '../../src/tickets/types.ts';
import { startSimulator, type Simulator } from '../../simulators/index.ts';
import { reservePort, type PortLease } from '../helpers/ports.ts';
import { createTestPgDatabase } from '../helpers/state-db.ts';
import { logTail, startHeatwatch, type HeatwatchProcess } from '../helpers/heatwatch-process.ts';
import { waitFor } from '../helpers/wait.ts';

/** serve refuses the published demo tokens outside `heatwatch demo` */
const TOKEN = randomBytes(24).toString('hex');
const OP = { authorization: `Bearer ${TOKEN}` };
const STATIONS = 10;
const POLL_MS = 1000;

describe('two serve instances and a standby collector pair', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hw-failover-'));
  const procs: HeatwatchProcess[] = [];
  const ports: PortLease[] = [];
  const killed: { serve?: HeatwatchProcess; collector?: HeatwatchProcess } = {};
  const sockets: WebSocket[] = [];
  let sim: Simulator | undefined;
  let pg: Awaited<ReturnType<typeof createTestPgDatabase>> | undefined;
  let db: PgStateDb | undefined;
  afterAll(async () => {
    for (const w of sockets) w.terminate();
    for (const p of procs) if (p.p.exitCode === null) p.p.kill('SIGKILL');
    await db?.close();
    await pg?.drop();
    await sim?.stop();
    for (const p of ports) await p.release();
    rmSync(dir, { recursive: true, force: true });
  });

  it('survives kill -9 of the serve owning an alarm, and of the collector polling', async () => {
    pg = await createTestPgDatabase();
    db = new PgStateDb({ url: pg.url });
    sim = await startSimulator({ stations: STATIONS, seed: 7, modbusPort: 0, controlPort: 0, speed: 10 });
    // a standby pump running beside pump 1 at every station: a trip is pump 1's own P2 alarm
    for (const st of sim.stations) sim.network.writePoint(st.index, 'pump2_cmd', true);
    const prefix = `failover${process.pid}`;
    const influxDb = `failover_${process.pid}`;
    const base = parse(sim.configYaml({ pollMs: POLL_MS })) as Record<string, unknown>;
    base.mqtt = { url: inject('mqttUrl'), prefix, qos: 1, reconnectMinMs: 200 };
    base.storage = { series: { kind: 'influxdb', url: inject('influxUrl'), database: influxDb }, state: { kind: 'postgresql', url: pg.url, files: dir } };
    base.auth = { tokens: [{ name: 'desk', token: TOKEN, role: 'operator' }] };
    base.tickets = { ...((base.tickets as object | undefined) ?? {}), storm: { groupWaitS: 0 }, tickMs: 500 };
    const serveCfg = async (instance: string) => {
      const port = await reservePort();
      ports.push(port);
      const file = join(dir, `${instance}.yaml`);
      // the default lease (20 s, renewed every 5 s): the 30 s takeover as shipped
      writeFileSync(file, stringify({ ...base, api: { ...((base.api as object | undefined) ?? {}), host: '127.0.0.1', port: port.port }, cluster: { instance } }));
      return { file, url: `http://127.0.0.1:${port.port}` };
    };
    const a = await serveCfg('serve-a');
    const b = await serveCfg('serve-b');
    // the API port is reserved by this process until the child binds it: release just before
    const serve = (name: string, c: { file: string }) => startHeatwatch(name, ['serve', '--config', c.file]);
    for (const p of ports) await p.release();
    ports.length = 0;
    const serveA = serve('serve-a', a);
    const serveB = serve('serve-b', b);
    procs.push(serveA, serveB);
    const collectorFile = join(dir, 'collect.yaml');
    writeFileSync(collectorFile, stringify(base));
    const collectors = [startHeatwatch('collect-1', ['collect', '--shard', '1/1', '--config', collectorFile]), startHeatwatch('collect-2', ['collect', '--shard', '1/1', '--config', collectorFile])];
    procs.push(...collectors);

    const api = async <T>(base: string, path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> => {
      const r = await fetch(base + path, { ...init, headers: { ...OP, 'content-type': 'application/json', ...(init.headers ?? {}) } });
      return { status: r.status, body: (await r.json()) as T };
    };
    const detail = () => procs.map((p) => logTail(p)).join('\n');
    // a process that exits before its time fails the wait at once, saying which
    const failIf = () => procs.filter((p) => p.p.exitCode !== null && p !== killed.serve && p !== killed.collector).map((p) => `${p.name} exited ${p.p.exitCode}`)[0];
    const watch = { detail, failIf };
    type Health = { status: string; cluster?: { instance: string; stations: number; members: Array<{ instance: string; live: boolean }> } };
    await waitFor(async () => {
      const [ha, hb] = [await api<Health>(a.url, '/api/health'), await api<Health>(b.url, '/api/health')];
      return ha.body.cluster && hb.body.cluster && ha.body.cluster.stations + hb.body.cluster.stations === STATIONS && ha.body.cluster.stations > 0 && hb.body.cluster.stations > 0;
    }, 60_000, 'both serve instances up, the stations divided between them', watch);
    await waitFor(async () => (await api<Array<{ comm: string }>>(b.url, '/api/stations')).body.every((s) => s.comm === 'online'), 60_000, 'every station online', watch);

    const owners = async () => new Map((await db!.all<{ name: string; owner: string | null }>("SELECT name, owner FROM cluster_leases WHERE name LIKE 'station:%'")).map((r) => [r.name.slice(8), r.owner]));
    const station = [...(await owners())].find(([, o]) => o === 'serve-a')![0];

    // serve-b's live feed: the events of a station serve-a owns reach its clients too
    const live: Array<{ type: string; event?: { station?: string; alarmId?: string } | string; ticket?: { id: number } }> = [];
    const ws = new WebSocket(`${b.url.replace('http', 'ws')}/ws`, { headers: OP });
    sockets.push(ws);
    ws.on('message', (d) => live.push(JSON.parse(String(d))));
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));

    // an active, unacknowledged P1 alarm at a station serve-a owns, seen through serve-b too
    sim.setFault(station, 'burst', true);
    type View = { id: string; state: string; active: boolean; priority: number };
    const alarm = await waitFor(async () => (await api<View[]>(b.url, `/api/alarms?station=${station}`)).body.find((x) => x.active && x.state === 'unacked' && x.priority === 1), 90_000, `an unacked P1 alarm at ${station} on serve-b`, watch);
    const ticketsOf = async (st: string) => (await api<Ticket[]>(b.url, `/api/tickets?station=${st}`)).body;
    await waitFor(async () => (await ticketsOf(station)).some((t) => t.alarmIds.includes(alarm.id)), 60_000, 'its ticket', watch);
    const firstTickets = (await ticketsOf(station)).filter((t) => t.alarmIds.includes(alarm.id));
    expect(firstTickets).toHaveLength(1);
    await waitFor(() => live.some((m) => m.type === 'alarm' && typeof m.event === 'object' && m.event.alarmId === alarm.id), 10_000, 'the alarm on serve-b\'s live feed', watch);
    await waitFor(() => live.some((m) => m.type === 'ticket' && m.ticket?.id === firstTickets[0].id), 10_000, 'its ticket on serve-b\'s live feed', watch);

    // an ack through serve-b of alarms serve-a owns (one station's, in bulk) is made by serve-a
    const other = [...(await owners())].find(([st, o]) => o === 'serve-a' && st !== station)?.[0];
    if (other) {
      sim.setFault(other, 'pump_trip', true);
      const trip = await waitFor(async () => (await api<View[]>(b.url, `/api/alarms?station=${other}`)).body.find((x) => x.active && x.state === 'unacked'), 60_000, `an unacked alarm at ${other} on serve-b`, watch);
      const bulk = await api<{ acknowledged: number }>(b.url, '/api/alarms/ack', { method: 'POST', body: JSON.stringify({ station: other, comment: 'seen from b' }) });
      expect(bulk.status).toBe(200);
      expect(bulk.body.acknowledged, JSON.stringify([bulk.body, (await api<View[]>(a.url, `/api/alarms?station=${other}`)).body.filter((x) => x.active)])).toBeGreaterThanOrEqual(1);
      expect((await api<View>(a.url, `/api/alarms/${encodeURIComponent(trip.id)}`)).body.state).toBe('acked');
    }

    // kill -9 the owner; faults at every station during the takeover
    const killedAt = Date.now();
    killed.serve = serveA;
    serveA.p.kill('SIGKILL');
    for (const st of sim.stations) sim.setFault(st.id, 'pump_trip', true);
    await waitFor(async () => (await owners()).get(station) === 'serve-b', 30_000, `serve-b owns ${station}`, watch);
    expect(Date.now() - killedAt).toBeLessThan(30_000);
    const kept = (await api<View[]>(b.url, `/api/alarms?station=${station}`)).body.find((x) => x.id === alarm.id);
    expect(kept?.state).toBe('unacked');
    // right after the takeover an action may get 503 with retry-after (serve-b still taking the
    // alarms over): a client tries again, as the API asks
    const ack = await waitFor(async () => {
      const r = await api<View>(b.url, `/api/alarms/${encodeURIComponent(alarm.id)}/ack`, { method: 'POST', body: JSON.stringify({ comment: 'crew on the way' }) });
      return r.status === 503 ? null : r;
    }, 30_000, `an ack through serve-b of ${alarm.id}`, watch);
    expect(ack.status).toBe(200);
    expect(ack.body.state).toBe('acked');

    // one pump-trip ticket per station (as one instance makes), and the burst's P1 still the one
    await waitFor(async () => {
      for (const st of sim!.stations) if (!(await ticketsOf(st.id)).some((t) => t.faultClass === 'pump_trip')) return false;
      return true;
    }, 120_000, 'a pump trip ticket at every station', watch);
    for (const st of sim.stations) expect((await ticketsOf(st.id)).filter((t) => t.faultClass === 'pump_trip'), st.id).toHaveLength(1);
    const now = await ticketsOf(station);
    expect(now.filter((t) => t.key === firstTickets[0].key).map((t) => t.id), JSON.stringify(now.map((t) => [t.id, t.key, t.priority, t.faultClass, t.title]))).toEqual(firstTickets.map((t) => t.id));
    // and no cause has two tickets
    expect(new Set(now.map((t) => t.key)).size).toBe(now.length);

    // kill -9 the collector polling: the standby polls within 15 s
    const polling = (c: HeatwatchProcess) => c.logs.some((l) => l.msg === 'collector polling');
    const active = collectors.find(polling)!;
    const standby = collectors.find((c) => c !== active)!;
    const cut = Date.now();
    killed.collector = active;
    active.p.kill('SIGKILL');
    await waitFor(() => polling(standby), 15_000, 'the standby collector polling', watch);
    const point = `${sim.stations[0].id}.plc.t_sec_supply`;
    const store = new InfluxSeriesStore({ url: inject('influxUrl'), database: influxDb });
    try {
      const counts = await waitFor(async () => {
        const [r] = await store.query({ points: [point], from: cut - 20_000, to: Date.now(), stepMs: POLL_MS, agg: 'count' });
        const ts = r.points.filter(([, n]) => (n ?? 0) > 0).map(([t]) => t);
        return ts.length && ts[ts.length - 1] > cut + 5 * POLL_MS ? ts : null;
      }, 30_000, 'stored samples after the takeover', watch);
      const gaps = counts.slice(1).map((t, i) => t - counts[i]);
      expect(Math.max(...gaps)).toBeLessThanOrEqual(15_000);
    } finally {
      await store.close();
    }
  }, 400_000);
});
