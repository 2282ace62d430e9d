// Webhook dead letters: a failing event is retried up to the cap, then dead-lettered so the
// receiver's later events go out; admins list and re-send dead letters (audited); /metrics reads
// counters. A real HTTP receiver on loopback.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.ts';
import { TokenAuth } from '../../src/api/auth.ts';
import type { LiveView } from '../../src/api/deps.ts';
import { parseConfigText } from '../../src/config/load.ts';
import { openSqliteState, type SqliteState } from '../helpers/sqlite-state.ts';
import type { SqliteStateDb } from '../../src/state/sqlite-db.ts';
import { openTestState } from './helpers.ts';
import type { SeriesStore } from '../../src/store/port.ts';
import { afterFailure } from '../../src/tickets/dead-letter.ts';
import { registerTicketMetrics } from '../../src/tickets/metrics.ts';
import { Outbox, WebhookDispatcher } from '../../src/tickets/outbox.ts';
import { TicketService } from '../../src/tickets/service.ts';
import { waitFor } from '../helpers/wait.ts';

const ADMIN = 'admin-token-0123456789abcdef';
const OPERATOR = 'operator-token-0123456789abc';
const H = (token: string) => ({ authorization: `Bearer ${token}` });

/** Answers 500 to any event of a ticket whose description says "poison", 204 to the rest. */
class Receiver {
  poison = true;
  accepted: Array<{ id: string; description: string }> = [];
  refused = 0;
  server!: Server;
  url = '';
  async start() {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const j = JSON.parse(body) as { id: string; ticket: { description: string } };
        if (this.poison && j.ticket.description.includes('poison')) {
          this.refused++;
          res.writeHead(500).end();
          return;
        }
        this.accepted.push({ id: j.id, description: j.ticket.description });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }
  stop() {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(r));
  }
}

let dir: string;
let rx: Receiver;
let stateDb: SqliteStateDb;
let state: SqliteState;
let svc: TicketService;
let app: FastifyInstance | undefined;
let metrics: Registry;
const op = { name: 'desk-1', role: 'operator' };

async function setUp(retry: Record<string, number>) {
  const yaml = `
stations: [ { id: hs-001, devices: [ { id: plc, endpoint: "modbus+tcp://127.0.0.1:5020", points: [ { id: t, table: holding, address: 0, type: int16 } ] } ] } ]
tickets:
  webhooks: [ { name: ext, url: "${rx.url}", secret: test-secret-1 } ]
  retry: ${JSON.stringify(retry)}
auth:
  tokens:
    - { name: admin-1, token: ${ADMIN}, role: admin }
    - { name: desk-1, token: ${OPERATOR}, role: operator }
`;
  const cfg = parseConfigText(yaml, 'test');
  ({ stateDb, state } = await openTestState(join(dir, 'state.db')));
  svc = new TicketService({ db: stateDb, settings: cfg.tickets, stations: cfg.stations, audit: (e) => state.audit(e) });
  await svc.init();
  metrics = new Registry();
  registerTicketMetrics(metrics, svc);
  const live: LiveView = { latest: () => undefined, deviceStatus: () => undefined, onSamples: () => () => {}, health: () => ({ status: 'ok' }) };
  app = await buildApp({ config: cfg, auth: new TokenAuth(cfg.tokens), live, series: {} as SeriesStore, state: state.store, metrics, logger: pino({ level: 'silent' }), tickets: svc });
  svc.start();
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'heatwatch-deadletter-'));
  rx = new Receiver();
  await rx.start();
});
afterEach(async () => {
  await app?.close();
  app = undefined;
  await svc?.stop();
  state?.close();
  await rx.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('dead-letter decision', () => {
  it.each([
    [{ kind: 'permanent', attempt: 1, ageMs: 0 }, 'permanent'],
    [{ kind: 'retry', attempt: 19, ageMs: 0 }, 'retry'],
    [{ kind: 'retry', attempt: 20, ageMs: 0 }, 'max_attempts'],
    [{ kind: 'retry', attempt: 2, ageMs: 48 * 3_600_000 }, 'max_age'],
  ] as const)('%j → %s (defaults 20 attempts, 48 h)', (f, reason) => expect(afterFailure(f).reason).toBe(reason));
});

describe('webhook dead letters', () => {
  it('an event failing maxAttempts times is dead-lettered and no longer blocks later events; counted in /metrics', async () => {
    await setUp({ baseMs: 5, maxMs: 20, maxAttempts: 3 });
    await svc.createTicket({ source: 'manual', priority: 'P2', description: 'poison pill' }, op);
    for (let i = 0; i < 3; i++) await svc.createTicket({ source: 'manual', priority: 'P3', description: `after ${i}` }, op);
    await waitFor(() => rx.accepted.length >= 3, 10_000, 'the later events delivered past the failing one');
    expect(rx.accepted.map((a) => a.description)).toEqual(['after 0', 'after 1', 'after 2']);
    expect(rx.refused).toBe(3);
    await waitFor(async () => (await svc.outbox.stats()).delivered === 3, 5000, 'deliveries recorded');
    expect(await svc.outbox.stats()).toEqual({ pending: 0, dead: 1, delivered: 3 });
    const text = await metrics.metrics();
    expect(text).toContain('heatwatch_webhook_outbox{state="dead"} 1');
    expect(text).toContain('heatwatch_webhook_dead_letters_total{receiver="ext",reason="max_attempts"} 1');
  });

  it('admins list dead letters and re-send one (audited); others get 403; the receiver gets it once it accepts', async () => {
    await setUp({ baseMs: 5, maxMs: 20, maxAttempts: 2 });
    const { ticket } = await svc.createTicket({ source: 'manual', priority: 'P2', description: 'poison again' }, op);
    await waitFor(async () => (await svc.outbox.stats()).dead === 1, 10_000, 'the event dead-lettered');
    expect((await app!.inject({ url: '/api/outbox?status=dead', headers: H(OPERATOR) })).statusCode).toBe(403);
    expect((await app!.inject({ url: '/api/outbox?status=dead' })).statusCode).toBe(401);
    const list = await app!.inject({ url: '/api/outbox?status=dead', headers: H(ADMIN) });
    expect(list.statusCode).toBe(200);
    const body = list.json();
    expect(body.counts).toMatchObject({ dead: 1, pending: 0 });
    expect(body.items).toHaveLength(1);
    const row = body.items[0];
    expect(row).toMatchObject({ receiver: 'ext', ticket: ticket.id, change: 'created', status: 'dead', attempts: 2 });
    expect(row.lastError).toMatch(/HTTP 500/);
    expect(row).not.toHaveProperty('body');

    expect((await app!.inject({ method: 'POST', url: `/api/outbox/${row.id}/retry`, headers: H(OPERATOR), payload: {} })).statusCode).toBe(403);
    expect((await app!.inject({ method: 'POST', url: '/api/outbox/9999/retry', headers: H(ADMIN), payload: {} })).statusCode).toBe(404);
    rx.poison = false;
    const retry = await app!.inject({ method: 'POST', url: `/api/outbox/${row.id}/retry`, headers: H(ADMIN), payload: { comment: 'receiver fixed' } });
    expect(retry.statusCode).toBe(200);
    await waitFor(() => rx.accepted.length === 1, 10_000, 'the re-sent event delivered');
    expect(rx.accepted[0].id).toBe(row.eventId);
    await waitFor(async () => (await svc.outbox.stats()).delivered === 1, 5000, 'delivery recorded');
    expect(await svc.outbox.stats()).toEqual({ pending: 0, dead: 0, delivered: 1 });
    const audit = (await state.listAudit()).filter((a) => a.action === 'outbox.retry');
    expect(audit).toEqual([expect.objectContaining({ user: 'admin-1', role: 'admin', target: `outbox:${row.id}`, detail: { receiver: 'ext', event: row.eventId, comment: 'receiver fixed' } })]);
    // no longer dead: a second re-send is a conflict and writes no audit row
    expect((await app!.inject({ method: 'POST', url: `/api/outbox/${row.id}/retry`, headers: H(ADMIN), payload: {} })).statusCode).toBe(409);
    expect((await state.listAudit()).filter((a) => a.action === 'outbox.retry')).toHaveLength(1);
  });

  it('an event older than maxAge at a failed attempt is dead-lettered (injected clock)', async () => {
    await setUp({ baseMs: 5, maxMs: 20 });
    await svc.stop();
    let now = Date.UTC(2025, 0, 1);
    const outbox = new Outbox(svc.outbox.db, svc.settings.webhooks);
    await outbox.enqueue({ id: 'old:1', type: 'created', ts: now, change: 'created', ticket: { description: 'poison, queued while the service was down' } as never }, now);
    now += 49 * 3_600_000;
    const d = new WebhookDispatcher({ db: outbox.db, targets: svc.settings.webhooks, retry: { baseMs: 5, maxMs: 20, maxAttempts: 100, maxAgeMs: 48 * 3_600_000 }, now: () => now });
    const reasons: string[] = [];
    d.onDeadLetter((_r, reason) => reasons.push(reason));
    d.start();
    try {
      await waitFor(async () => (await outbox.stats()).dead === 1, 10_000, 'the old event dead-lettered');
      expect(rx.refused).toBe(1);
      expect(reasons).toEqual(['max_age']);
    } finally {
      await d.stop();
    }
  });

  it('/metrics reads the trigger-kept counters (a rolled-back change leaves them), never the table', async () => {
    await setUp({ baseMs: 5, maxMs: 20 });
    await svc.stop();
    const count = (text: string) => Number(/heatwatch_webhook_outbox\{state="pending"\} (\d+)/.exec(text)?.[1]);
    const db = svc.outbox.db;
    await expect(
      db.tx(async () => {
        await svc.outbox.enqueue({ id: 'x:1', type: 'created', ts: 1, change: 'created', ticket: { description: 'x' } as never }, 1);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(count(await metrics.metrics())).toBe(0);
    await svc.outbox.enqueue({ id: 'x:2', type: 'created', ts: 1, change: 'created', ticket: { description: 'x' } as never }, 1);
    expect(count(await metrics.metrics())).toBe(1);
    // a scrape that counted rows would still say 1 here
    state.db.prepare("UPDATE tk_outbox_counts SET n = 41 WHERE k = 'pending'").run();
    expect(count(await metrics.metrics())).toBe(41);
  });
});
