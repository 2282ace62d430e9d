// The whole service with its state in PostgreSQL: over the simulator, a leak opens one P1
// ticket, an operator acknowledges the alarm, and after a restart the alarm keeps its state and
// the ticket is not opened again; the audit trail and the outbox are in the same database.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.ts';
import type { ResolvedConfig } from '../../src/config/resolve.ts';
import { startService, type Service } from '../../src/service.ts';
import type { Ticket } from '../../src/tickets/types.ts';
import { startSimulator, type Simulator } from '../../simulators/index.ts';
import { createTestPgDatabase } from '../helpers/state-db.ts';
import { waitFor } from '../helpers/wait.ts';

const OP = { authorization: 'Bearer demo-operator' };
let sim: Simulator;
let svc: Service | undefined;
let dir: string;
let cfg: ResolvedConfig;
let pg: Awaited<ReturnType<typeof createTestPgDatabase>>;

const start = () => startService(cfg, { logger: pino({ level: 'silent' }), listen: false, now: () => sim.network.timeMs });
const get = async <T>(url: string): Promise<T> => (await svc!.app.inject({ url, headers: OP })).json() as T;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'heatwatch-state-pg-'));
  pg = await createTestPgDatabase();
  sim = await startSimulator({ stations: 2, seed: 11, modbusPort: 0, controlPort: 0, speed: 10 });
  cfg = parseConfigText(sim.configYaml({ pollMs: 300 }), 'test');
  cfg.storage.series = { kind: 'sqlite', path: join(dir, 'series.db') };
  cfg.storage.state = { kind: 'postgresql', url: pg.url, files: dir };
  cfg.tickets.storm.groupWaitMs = 0;
  cfg.tickets.tickMs = 200;
  svc = await start();
});
afterAll(async () => {
  await svc?.stop();
  await sim?.stop();
  await pg?.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('service with its state in PostgreSQL', () => {
  it('leak → one P1 ticket; an ack and the ticket survive a restart, nothing opens twice', async () => {
    sim.setFault('hs-002', 'leak', true);
    const leakTickets = async () => (await get<Ticket[]>('/api/tickets?station=hs-002')).filter((t) => t.faultClass === 'leak');
    const [ticket] = await waitFor(async () => {
      const l = await leakTickets();
      return l.some((t) => t.priority === 'P1') ? l : null;
    }, 80_000, 'a P1 leak ticket');
    type View = { id: string; state: string; active: boolean; priority: number };
    const alarm = await waitFor(async () => (await get<View[]>('/api/alarms?station=hs-002')).find((a) => a.active && a.state === 'unacked' && a.priority === 1), 20_000, 'an unacked P1 alarm');
    const ack = await svc!.app.inject({ method: 'POST', url: `/api/alarms/${alarm.id}/ack`, headers: OP, payload: { comment: 'crew on the way' } });
    expect(ack.statusCode).toBe(200);
    expect(ack.json().state).toBe('acked');

    await svc!.stop();
    svc = undefined;
    svc = await start();
    const after = await get<View[]>('/api/alarms?station=hs-002');
    expect(after.find((a) => a.id === alarm.id)?.state).toBe('acked');
    // polls go on after the restart and the leak is still there: still exactly one leak ticket
    await waitFor(async () => (await get<Array<{ comm: string }>>('/api/stations')).every((s) => s.comm === 'online'), 15_000, 'polling again');
    const stored = svc.pipeline.stats().stored;
    await waitFor(() => svc!.pipeline.stats().stored > stored + 100, 15_000, 'more samples stored');
    await svc.tickets.handleAlarmEvents([]); // settles the ticket work queued so far
    const leaks = await leakTickets();
    expect(leaks.map((t) => t.id)).toEqual([ticket.id]);
    const audit = await svc.state.listAudit({});
    expect(audit.some((a) => a.action === 'alarm.ack' && a.target === alarm.id)).toBe(true);
    expect((await svc.tickets.metrics()).outbox).toBeDefined();
  }, 150_000);
});
