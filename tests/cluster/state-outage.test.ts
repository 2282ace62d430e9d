/**
 * The state database away for 30 s under a running `serve` (its own PostgreSQL server, stopped
 * and started again): polling and series storage go on; /api/health says degraded; a ticket
 * change through the API is refused with 503 and a clear message; the alarm a fault raises
 * during the outage is evaluated and shown at once, and its events, its ticket and nothing
 * twice are in the database once it is back.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { parseConfigText } from '../../src/config/load.ts';
import { startService, type Service } from '../../src/service.ts';
import type { Ticket } from '../../src/tickets/types.ts';
import { startSimulator, type Simulator } from '../../simulators/index.ts';
import { startPostgres } from '../setup/postgres.ts';
import type { ManagedServer } from '../setup/servers.ts';
import { waitFor } from '../helpers/wait.ts';

const TOKEN = randomBytes(24).toString('hex');
const OP = { authorization: `Bearer ${TOKEN}` };
const OUTAGE_MS = 30_000;

describe('serve with the state database away for 30 s', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hw-state-outage-'));
  let pg: ManagedServer | undefined;
  let sim: Simulator | undefined;
  let svc: Service | undefined;
  let collector: ChildProcess | undefined;
  afterAll(async () => {
    collector?.kill('SIGKILL');
    await svc?.stop();
    await sim?.stop();
    await pg?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps polling and storing, says degraded, refuses ticket changes clearly, and loses no alarm event', async () => {
    pg = await startPostgres();
    sim = await startSimulator({ stations: 2, seed: 3, modbusPort: 0, controlPort: 0, speed: 10 });
    const doc = parse(sim.configYaml({ pollMs: 1000 })) as Record<string, unknown>;
    doc.mqtt = { url: inject('mqttUrl'), prefix: `outage${process.pid}`, qos: 1, reconnectMinMs: 200 };
    doc.storage = { series: { kind: 'sqlite', path: join(dir, 'series.db') }, state: { kind: 'postgresql', url: pg.url, files: dir } };
    doc.auth = { tokens: [{ name: 'desk', token: TOKEN, role: 'operator' }] };
    doc.tickets = { storm: { groupWaitS: 0 }, tickMs: 500 };
    doc.cluster = { instance: 'solo', leaseMs: 6000, renewMs: 1000 };
    const file = join(dir, 'heatwatch.yaml');
    writeFileSync(file, stringify(doc));
    svc = await startService(parseConfigText(stringify(doc), 'outage'), { logger: pino({ level: 'silent' }), listen: false, mode: 'serve' });
    const s = svc;
    collector = spawn(process.execPath, ['src/bin/heatwatch.js', 'collect', '--shard', '1/1', '--config', file], { stdio: 'ignore' });
    let lastHealth: unknown;
    const get = async <T>(url: string) => {
      const body = (await s.app.inject({ url, headers: OP })).json() as T;
      if (url === '/api/health') lastHealth = body;
      return body;
    };
    type Health = { status: string; state: { reachable: boolean; alarmWriteBacklog: number }; cluster: { stations: number; error: string | null } };
    await waitFor(async () => (await get<Array<{ comm: string }>>('/api/stations')).every((x) => x.comm === 'online'), 60_000, 'every station online');
    await waitFor(async () => (await get<Health>('/api/health')).cluster.stations === 2, 10_000, 'the stations held');
    expect((await get<Health>('/api/health')).status).toBe('ok');

    // PostgreSQL goes down; a burst happens meanwhile
    await pg.stop();
    const downAt = Date.now();
    const storedAtDown = s.pipeline.stats().stored;
    sim.setFault('hs-001', 'burst', true);
    type View = { id: string; state: string; active: boolean; priority: number };
    const alarm = await waitFor(async () => (await get<View[]>('/api/alarms?station=hs-001')).find((a) => a.active && a.priority === 1), 60_000, 'the burst alarm evaluated during the outage');
    await waitFor(async () => (await get<Health>('/api/health')).status === 'degraded', 20_000, 'health says degraded');
    const h = await get<Health>('/api/health');
    expect(h.state.reachable).toBe(false);
    const refused = await s.app.inject({ method: 'POST', url: '/api/tickets', headers: OP, payload: { source: 'manual', priority: 'P3', station: 'hs-002', description: 'filed during the outage' } });
    expect(refused.statusCode).toBe(503);
    expect(refused.json()).toMatchObject({ error: 'state_unavailable', message: expect.stringContaining('nothing was changed') });
    // an acknowledgement could not be recorded with its audit row: refused before it changes anything
    const ack = await s.app.inject({ method: 'POST', url: `/api/alarms/${encodeURIComponent(alarm.id)}/ack`, headers: OP, payload: { comment: 'seen' } });
    expect(ack.statusCode).toBe(503);
    expect(ack.json()).toMatchObject({ error: 'state_unavailable' });
    // the alarm's events wait on local disk (a journal), not only in memory
    await waitFor(async () => (await get<Health>('/api/health')).state.alarmWriteBacklog > 0, 10_000, 'the alarm events kept for later');
    // the stations stay held (nobody can claim through a database that is away), polling and storage go on
    await waitFor(() => Date.now() - downAt >= OUTAGE_MS, OUTAGE_MS + 5000, 'thirty seconds of outage', { everyMs: 500 });
    expect((await get<Health>('/api/health')).cluster.stations).toBe(2);
    expect(s.pipeline.stats().stored).toBeGreaterThan(storedAtDown + 2 * 20 * 10);
    expect((await get<View[]>('/api/alarms?station=hs-001')).find((a) => a.id === alarm.id)?.active).toBe(true);

    // back: the events written, the ticket opened once, health ok
    await pg.start();
    await waitFor(async () => (await get<Health>('/api/health')).status === 'ok', 30_000, 'health ok again', { detail: () => JSON.stringify(lastHealth) });
    const history = await get<Array<{ alarmId: string; type: string }>>(`/api/alarms/history?station=hs-001&from=${downAt - 60_000}`);
    expect(history.filter((e) => e.alarmId === alarm.id && e.type === 'raise')).toHaveLength(1);
    const tickets = await waitFor(async () => {
      const l = (await get<Ticket[]>('/api/tickets?station=hs-001')).filter((t) => t.priority === 'P1');
      return l.some((t) => t.alarmIds.includes(alarm.id)) ? l : null;
    }, 30_000, 'the burst alarm\'s ticket after the outage');
    // a burst can raise more than one P1 cause; each has its one ticket
    const keys = tickets.map((t) => t.key);
    expect(new Set(keys).size, JSON.stringify(keys)).toBe(keys.length);
    const after = await s.app.inject({ method: 'POST', url: '/api/tickets', headers: OP, payload: { source: 'manual', priority: 'P3', station: 'hs-002', description: 'filed after the outage' } });
    expect(after.statusCode).toBe(201);
  }, 200_000);
});
