// Webhook redirects are never followed: the signed body goes to the configured URL only. A
// receiver answering 3xx points at a second local server, which must never see a request.
// The receiver URL's credential (query string) never reaches the logs or the outbox row.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteState, type SqliteState } from '../helpers/sqlite-state.ts';
import { openTestState } from './helpers.ts';
import { resolveTicketSettings } from '../../src/tickets/config.ts';
import { classifyStatus } from '../../src/tickets/outbox.ts';
import { listOutbox } from '../../src/tickets/outbox-rows.ts';
import { TicketService } from '../../src/tickets/service.ts';
import { waitFor } from '../helpers/wait.ts';

async function listen(handler: (status: { body: string; method: string }) => [number, Record<string, string>]): Promise<{ server: Server; url: string; hits: Array<{ method: string; body: string }> }> {
  const hits: Array<{ method: string; body: string }> = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      hits.push({ method: req.method ?? '', body });
      const [status, headers] = handler({ body, method: req.method ?? '' });
      res.writeHead(status, headers).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits };
}

let dir: string;
const servers: Server[] = [];
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'heatwatch-redirect-'));
});
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('webhook redirects', () => {
  it.each([
    [302, 'retry'],
    [303, 'retry'],
    [307, 'retry'],
    [301, 'permanent'],
    [308, 'permanent'],
  ] as const)('HTTP %i is a failed attempt (%s), not followed', (status, want) => expect(classifyStatus(status)).toBe(want));

  it.each([302, 307, 308])('a %i to a second server: the second never receives the signed body; the URL key is never logged', async (status) => {
    const second = await listen(() => [204, {}]);
    servers.push(second.server);
    const first = await listen(() => [status, { location: `${second.url}/stolen?x=1` }]);
    servers.push(first.server);
    const lines: string[] = [];
    const logger = pino({ level: 'debug' }, new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }));
    const { stateDb, state } = await openTestState(join(dir, `state-${status}.db`));
    const svc = new TicketService({
      db: stateDb,
      settings: resolveTicketSettings({ webhooks: [{ name: 'ext', url: `${first.url}/hook?key=SECRET-KEY-123`, secret: 'test-secret-1' }], retry: { baseMs: 5, maxMs: 10, maxAttempts: 3 } }),
      stations: [{ id: 'hs-001' }],
      logger,
    });
    await svc.init();
    try {
      svc.start();
      await svc.createTicket({ source: 'manual', priority: 'P2', description: 'redirected' }, { name: 'op', role: 'operator' });
      await waitFor(async () => (await svc.outbox.stats()).dead === 1, 10_000, 'the redirected event dead-lettered');
      expect(first.hits.length).toBe(status === 308 ? 1 : 3);
      expect(first.hits[0]).toMatchObject({ method: 'POST' });
      expect(second.hits).toEqual([]);
      const row = (await listOutbox(svc.outbox.db, { status: 'dead', limit: 10 }))[0];
      expect(row.lastError).toMatch(new RegExp(`HTTP ${status} redirect to http://127\\.0\\.0\\.1:\\d+/stolen\\?… not followed`));
      const logged = lines.join('');
      expect(logged).toContain('dead-lettered');
      expect(logged).not.toContain('SECRET-KEY-123');
      expect(row.lastError).not.toContain('SECRET-KEY-123');
    } finally {
      await svc.stop();
      await stateDb.close();
    }
  });
});
