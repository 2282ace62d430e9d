// /ws over real sockets: connection caps per instance and per token, ping/pong with a timeout,
// and the per-client buffer bound on broadcasts (a client that stops reading is dropped and
// counted; one that reads gets everything). Failed token attempts per address end in 429.
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { FailureLimiter } from '../../src/api/failures.ts';
import { waitFor } from '../helpers/wait.ts';
import { bearer, lightApp, VIEWER, VIEWER2, type LightApp } from './light-app.ts';

let l: LightApp | undefined;
const open: WebSocket[] = [];
afterEach(async () => {
  for (const ws of open.splice(0)) ws.terminate();
  await l?.close();
  l = undefined;
});

async function start(api: string): Promise<string> {
  l = await lightApp({ api });
  const url = await l.app.listen({ host: '127.0.0.1', port: 0 });
  return url.replace('http', 'ws');
}

/** Opens /ws with `token`; resolves with the socket, or rejects with the HTTP status of a refusal. */
function connect(base: string, token: string, opts: WebSocket.ClientOptions = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${base}/ws`, { headers: bearer(token), ...opts });
    open.push(ws);
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

const metric = async (name: string) => (await l!.app.inject({ url: '/metrics' })).body.split('\n').find((line) => line.startsWith(name));

describe('/ws connection caps', () => {
  it('refuses past api.ws.maxClients (503) and past maxPerToken (429), and counts both', async () => {
    const base = await start('{ ws: { maxClients: 3, maxPerToken: 2 } }');
    await connect(base, VIEWER);
    await connect(base, VIEWER);
    await expect(connect(base, VIEWER)).rejects.toThrow('HTTP 429');
    await connect(base, VIEWER2);
    await expect(connect(base, VIEWER2)).rejects.toThrow('HTTP 503');
    expect(await metric('heatwatch_ws_clients')).toBe('heatwatch_ws_clients 3');
    expect(await metric('heatwatch_ws_rejected_total{reason="max_per_token"}')).toMatch(/ 1$/);
    expect(await metric('heatwatch_ws_rejected_total{reason="max_clients"}')).toMatch(/ 1$/);
    // a closed connection frees its place
    open[0].close();
    await waitFor(async () => (await metric('heatwatch_ws_clients')) === 'heatwatch_ws_clients 2', 5000, 'the closed client to be gone');
    await connect(base, VIEWER);
  });
});

describe('/ws heartbeat', () => {
  it('closes a client that does not answer pings and keeps one that does', async () => {
    // long enough that a busy CI machine's event loop answers in time
    const base = await start('{ ws: { pingMs: 400 } }');
    const answering = await connect(base, VIEWER);
    let pings = 0;
    answering.on('ping', () => pings++);
    const silent = await connect(base, VIEWER, { autoPong: false });
    const closed = new Promise<number>((r) => silent.once('close', (code) => r(code)));
    await waitFor(() => pings >= 3, 10_000, 'three pings answered');
    expect(await closed).toBe(1006); // terminated: no closing handshake with a peer that does not answer
    expect(answering.readyState).toBe(WebSocket.OPEN);
    expect(await metric('heatwatch_ws_dropped_total{reason="ping_timeout"}')).toMatch(/ 1$/);
  });
});

describe('/ws buffer bound', () => {
  it('drops a client that stops reading once more than maxBufferedBytes are queued; a reading client gets every message', async () => {
    const base = await start('{ ws: { maxBufferedBytes: 65536 } }');
    const reader = await connect(base, VIEWER);
    let got = 0;
    reader.on('message', (d) => String(d).startsWith('{"type":"alarm"') && got++);
    const stalled = await connect(base, VIEWER2);
    await waitFor(async () => (await metric('heatwatch_ws_clients')) === 'heatwatch_ws_clients 2', 5000, 'both registered');
    // the stalled client's socket is no longer read: the kernel buffers fill, then ws queues in memory
    (stalled as unknown as { _socket: { pause(): void } })._socket.pause();
    // small messages, a few per turn of the event loop: the reader keeps up, so only the stalled one is dropped
    const big = 'x'.repeat(4 * 1024);
    let sent = 0;
    await waitFor(
      async () => {
        for (let i = 0; i < 8; i++, sent++) l!.app.broadcast!({ type: 'alarm', n: sent, big });
        return (await metric('heatwatch_ws_dropped_total{reason="slow"}'))?.endsWith(' 1');
      },
      30_000,
      'the stalled client to be dropped',
    );
    expect(await metric('heatwatch_ws_clients')).toBe('heatwatch_ws_clients 1');
    // one shared queue, no longer than the bound behind the remaining client (plus one turn's messages)
    expect(Number((await metric('heatwatch_ws_queue_bytes'))!.split(' ')[1])).toBeLessThanOrEqual(65_536 + 8 * 4200);
    await waitFor(() => got === sent, 30_000, `the reader to get all ${sent} messages`);
    expect(reader.readyState).toBe(WebSocket.OPEN);
  });

  it('delivers messages of every frame length form intact and in order', async () => {
    const base = await start('{}');
    const ws = await connect(base, VIEWER);
    const got: Array<{ n: number; pad: string }> = [];
    ws.on('message', (d, binary) => {
      expect(binary).toBe(false);
      const m = JSON.parse(String(d));
      if (m.type === 'alarm') got.push(m);
    });
    const sizes = [0, 100, 125, 126, 65_535, 65_536, 300_000];
    sizes.forEach((n, i) => l!.app.broadcast!({ type: 'alarm', n: i, pad: 'é'.repeat(n) }));
    await waitFor(() => got.length === sizes.length, 10_000, 'every message');
    expect(got.map((m) => [m.n, m.pad.length])).toEqual(sizes.map((n, i) => [i, n]));
  });

  it('sends each client only its subscribed stations', async () => {
    const base = await start('{}');
    const all = await connect(base, VIEWER);
    const one = await connect(base, VIEWER2);
    const seen = (ws: WebSocket) => {
      const points: string[] = [];
      ws.on('message', (d) => {
        const m = JSON.parse(String(d));
        if (m.type === 'sample') points.push(...m.samples.map((s: { point: string }) => s.point));
      });
      return points;
    };
    const a = seen(all);
    const b = seen(one);
    const subscribed = new Promise((r) => one.on('message', (d) => String(d).includes('"subscribed"') && r(null)));
    one.send(JSON.stringify({ subscribe: { stations: ['hs-002'] } }));
    await subscribed;
    const ts = Date.now();
    l!.push([{ point: 'hs-001.plc.t', ts, value: 1, quality: 'good' }, { point: 'hs-002.plc.t', ts, value: 2, quality: 'good' }]);
    await waitFor(() => a.length === 2 && b.length === 1, 5000, 'the flush');
    expect(b).toEqual(['hs-002.plc.t']);
  });
});

describe('failed token attempts', () => {
  it('FailureLimiter: max failures in a window, then refusals until the window ends', () => {
    let t = 1_000_000;
    const f = new FailureLimiter({ max: 3, windowMs: 60_000, now: () => t });
    for (let i = 0; i < 3; i++) {
      expect(f.retryAfterS('a')).toBe(0);
      f.fail('a');
    }
    expect(f.retryAfterS('a')).toBe(60);
    expect(f.retryAfterS('b')).toBe(0);
    t += 59_001;
    expect(f.retryAfterS('a')).toBe(1);
    t += 1000;
    expect(f.retryAfterS('a')).toBe(0);
    expect(f.counts).toEqual({ failures: 3, refused: 2 });
  });

  it('FailureLimiter forgets the oldest addresses past its bound', () => {
    let t = 0;
    const f = new FailureLimiter({ max: 1, windowMs: 60_000, now: () => t++, maxAddresses: 100 });
    for (let i = 0; i < 1000; i++) f.fail(`10.0.${i >> 8}.${i & 255}`);
    expect(f.size).toBe(100);
    expect(f.retryAfterS('10.0.3.231')).toBeGreaterThan(0);
  });

  it('the API answers 429 with Retry-After per client address, even to a valid token, until the window ends', async () => {
    let t = Date.UTC(2025, 0, 1);
    l = await lightApp({ api: '{ authFailures: { max: 20, windowS: 60 } }', now: () => t });
    const from = (remoteAddress: string, token: string) => l!.app.inject({ url: '/api/stations', remoteAddress, headers: bearer(token) });
    for (let i = 0; i < 20; i++) expect((await from('10.0.0.9', `wrong-token-${i}-0123456789`)).statusCode).toBe(401);
    const refused = await from('10.0.0.9', VIEWER);
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBe('60');
    expect((await from('10.0.0.10', VIEWER)).statusCode).toBe(200);
    t += 30_000;
    expect((await from('10.0.0.9', VIEWER)).headers['retry-after']).toBe('30');
    t += 30_000;
    expect((await from('10.0.0.9', VIEWER)).statusCode).toBe(200);
    const m = await l.app.inject({ url: '/metrics' });
    expect(m.body).toContain('heatwatch_auth_failures_total{result="failures"} 20');
    expect(m.body).toContain('heatwatch_auth_failures_total{result="refused"} 2');
  });
});
