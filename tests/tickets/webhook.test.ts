import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteStateStore } from '../../src/state/sqlite-state.ts';
import { resolveTicketSettings } from '../../src/tickets/config.ts';
import { backoffMs, classifyStatus, verifySignature } from '../../src/tickets/outbox.ts';
import { TicketService } from '../../src/tickets/service.ts';
import { waitFor } from '../helpers/wait.ts';

const SECRET = 'test-secret-1';

interface Received {
  id: string;
  type: string;
  signed: boolean;
  idempotencyKey: string | undefined;
}

/** A real HTTP receiver: refuses (503) while `refusing`, records accepted deliveries. */
class Receiver {
  refusing = true;
  refused = 0;
  accepted: Received[] = [];
  server!: Server;
  url = '';
  async start() {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        if (this.refusing) {
          this.refused++;
          res.writeHead(503).end();
          return;
        }
        const j = JSON.parse(body) as { id: string; type: string };
        this.accepted.push({ id: j.id, type: j.type, signed: verifySignature(SECRET, body, req.headers['x-heatwatch-signature'] as string), idempotencyKey: req.headers['idempotency-key'] as string | undefined });
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
const children: ChildProcess[] = [];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'heatwatch-webhook-'));
  rx = new Receiver();
  await rx.start();
});
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await rx.stop();
  rmSync(dir, { recursive: true, force: true });
});

const outboxIds = (db: SqliteStateStore['db']) => (db.prepare('SELECT event_id FROM tk_outbox ORDER BY id').all() as Array<{ event_id: string }>).map((r) => r.event_id);

describe('webhook delivery', () => {
  it.each([
    [200, 'delivered'],
    [204, 'delivered'],
    [503, 'retry'],
    [429, 'retry'],
    [408, 'retry'],
    [400, 'permanent'],
    [404, 'permanent'],
  ] as const)('HTTP %i → %s', (status, want) => expect(classifyStatus(status)).toBe(want));

  it('backs off exponentially up to the cap', () => {
    const r = { baseMs: 1000, maxMs: 60_000 };
    expect([1, 2, 3, 4, 10].map((a) => backoffMs(a, r, () => 1))).toEqual([1000, 2000, 4000, 8000, 60_000]);
    expect(backoffMs(3, r, () => 0)).toBe(3000);
  });

  it('a receiver that refuses for a while then accepts gets every event once, in order, signed', async () => {
    const state = new SqliteStateStore(join(dir, 'state.db'));
    const svc = new TicketService({
      db: state.db,
      settings: resolveTicketSettings({ webhooks: [{ name: 'ext', url: rx.url, secret: SECRET }], retry: { baseMs: 10, maxMs: 80 } }),
      stations: [{ id: 'hs-001' }],
    });
    try {
      svc.start();
      const op = { name: 'op', role: 'operator' };
      for (let i = 0; i < 5; i++) {
        const { ticket } = svc.createTicket({ source: 'manual', priority: 'P2', description: `t${i}` }, op);
        svc.transition(ticket.id, { to: 'dispatched', assignee: 'crew' }, op);
      }
      await waitFor(() => rx.refused >= 5, 10_000, 'five refused attempts');
      rx.refusing = false;
      const want = outboxIds(state.db);
      expect(want).toHaveLength(10);
      await waitFor(() => rx.accepted.length >= want.length, 10_000, 'all events delivered');
      expect(rx.accepted.map((r) => r.id)).toEqual(want);
      expect(rx.accepted.every((r) => r.signed && r.idempotencyKey === r.id)).toBe(true);
      expect(rx.accepted.map((r) => r.type)).toEqual(Array(5).fill(['created', 'updated']).flat());
      // the sender marks an event delivered when the receiver's response reaches it, just after the receiver logged it
      await waitFor(async () => (await svc.metrics().outbox).delivered === 10, 10_000, 'the outbox to mark every event delivered');
      expect(await svc.metrics().outbox).toEqual({ pending: 0, dead: 0, delivered: 10 });
    } finally {
      await svc.stop();
      state.close();
    }
  });

  it('events pending when heatwatch is SIGKILLed are delivered after restart, once each, in order', async () => {
    const db = join(dir, 'state.db');
    const spawnChild = (mode: string) => {
      const c = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'outbox-child.ts'), db, rx.url, mode, '6'], { stdio: ['ignore', 'pipe', 'inherit'] });
      children.push(c);
      let out = '';
      c.stdout!.on('data', (d) => (out += d));
      return { c, ready: () => waitFor(() => out.includes('ready'), 20_000, `child ${mode} ready`) };
    };
    const first = spawnChild('produce');
    await first.ready();
    await waitFor(() => rx.refused >= 2, 10_000, 'deliveries attempted and refused');
    first.c.kill('SIGKILL');
    await waitFor(() => first.c.signalCode === 'SIGKILL', 5000, 'child killed');
    rx.refusing = false;
    expect(rx.accepted).toEqual([]);

    const second = spawnChild('deliver');
    await second.ready();
    const check = new SqliteStateStore(db);
    try {
      const want = outboxIds(check.db);
      expect(want).toHaveLength(6);
      await waitFor(() => rx.accepted.length >= 6, 15_000, 'events delivered after restart');
      expect(rx.accepted.map((r) => r.id)).toEqual(want);
      expect(rx.accepted.every((r) => r.signed)).toBe(true);
    } finally {
      check.close();
    }
  });
});
