// `api.tls`: the API and /ws over TLS with a self-signed certificate made here by openssl
// (node's crypto cannot make certificates); a file that cannot be read is a config problem.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ConfigError, parseConfigText } from '../../src/config/load.ts';
import { bearer, LIGHT_YAML, lightApp, VIEWER, type LightApp } from './light-app.ts';

let dir: string;
let cert: string;
let key: string;
let l: LightApp;
let base: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'heatwatch-tls-'));
  cert = join(dir, 'api.crt');
  key = join(dir, 'api.key');
  // node-opcua's PKI sets OPENSSL_CONF in its process (to 'undefined' when it has none); a test file
  // that ran before this one in the same worker leaves it behind, and openssl would fail to read it
  const env = { ...process.env };
  delete env.OPENSSL_CONF;
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'pipe', env });
  } catch (err) {
    throw new Error(`openssl could not make a test certificate (install it: apt-get install -y openssl): ${(err as Error).message}`);
  }
  l = await lightApp({ api: `{ tls: { cert: ${JSON.stringify(cert)}, key: ${JSON.stringify(key)} } }` });
  base = await l.app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await l?.close();
  rmSync(dir, { recursive: true, force: true });
});

function httpsGet(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, { ca: readFileSync(cert), headers }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d)).on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

describe('api.tls', () => {
  it('serves the API over HTTPS with the configured certificate', async () => {
    expect(base).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const r = await httpsGet(`${base}/api/stations`, bearer(VIEWER));
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body).map((s: { id: string }) => s.id)).toEqual(['hs-001', 'hs-002']);
  });

  it('serves /ws as wss', async () => {
    const ws = new WebSocket(`${base.replace('https', 'wss')}/ws`, { ca: readFileSync(cert), headers: bearer(VIEWER) });
    const hello = await new Promise<{ type: string }>((resolve, reject) => ws.once('message', (d) => resolve(JSON.parse(String(d)))).once('error', reject));
    expect(hello.type).toBe('hello');
    ws.terminate();
  });

  it('answers no plain HTTP on that port', async () => {
    const r = await fetch(`${base.replace('https', 'http')}/api/health`).then((x) => x.status, (err: Error) => err.message);
    expect(r).not.toBe(200);
  });

  it('names the key of a file that cannot be read', () => {
    try {
      parseConfigText(`${LIGHT_YAML}api: { tls: { cert: ${JSON.stringify(cert)}, key: ${JSON.stringify(join(dir, 'missing.key'))} } }\n`, 't.yaml');
      expect.unreachable('the config was accepted');
    } catch (err) {
      expect((err as ConfigError).problems).toEqual([{ path: 'api.tls.key', message: `cannot read ${join(dir, 'missing.key')}: ENOENT` }]);
    }
  });
});
