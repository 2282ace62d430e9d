// OPC UA client limits over real loopback OPC UA: a server answering with a message larger than
// the client's maxMessageSize cannot make it buffer the message (the read fails, the device
// reports it); within the limit the same server reads fine. And a password with securityMode
// None is refused by check-config, naming the key.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataType, Variant } from 'node-opcua-client';
import { OPCUAServer } from 'node-opcua-server';
import { OPCUACertificateManager } from 'node-opcua-certificate-manager';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpcuaAdapter } from '../../src/adapters/opcua/adapter.ts';
import { parseConfigText } from '../../src/config/load.ts';
import type { OpcuaDeviceSpec } from '../../src/config/resolve.ts';
import type { Sample } from '../../src/model.ts';
import { reservePort, type PortLease } from '../helpers/ports.ts';
import { waitFor } from '../helpers/wait.ts';

const BIG = 'x'.repeat(2 * 1024 * 1024);
let dir: string;
let server: OPCUAServer;
let endpoint: string;
let lease: PortLease;
const adapters: OpcuaAdapter[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'heatwatch-opcua-limits-'));
  // below the ephemeral range and claimed: no outgoing connection can take it before the server binds
  lease = await reservePort();
  const port = lease.port;
  const serverCertificateManager = new OPCUACertificateManager({ rootFolder: join(dir, 'server-pki'), automaticallyAcceptUnknownCertificate: true });
  await serverCertificateManager.initialize();
  server = new OPCUAServer({ port, hostname: '127.0.0.1', alternateHostname: ['127.0.0.1'], resourcePath: '', serverCertificateManager, allowAnonymous: true });
  await server.initialize();
  const ns = server.engine.addressSpace!.getOwnNamespace();
  const folder = server.engine.addressSpace!.rootFolder.objects;
  ns.addVariable({ organizedBy: folder, minimumSamplingInterval: 100, browseName: 'small', nodeId: 's=small', dataType: 'Double', value: { get: () => new Variant({ dataType: DataType.Double, value: 42 }) } });
  ns.addVariable({ organizedBy: folder, minimumSamplingInterval: 100, browseName: 'big', nodeId: 's=big', dataType: 'String', value: { get: () => new Variant({ dataType: DataType.String, value: BIG }) } });
  await server.start();
  endpoint = `opc.tcp://127.0.0.1:${port}`;
}, 60_000);
afterAll(async () => {
  for (const a of adapters) await a.stop();
  await server?.shutdown(0);
  await lease?.release();
  rmSync(dir, { recursive: true, force: true });
});

function device(id: string): OpcuaDeviceSpec {
  const cfg = parseConfigText(
    `stations: [ { id: hs-001, devices: [ { id: ${id}, endpoint: "${endpoint}", mode: poll, pollMs: 300, points: [ { id: small, nodeId: "ns=1;s=small" }, { id: big, nodeId: "ns=1;s=big" } ] } ] } ]`,
    'limits.yaml',
  );
  return cfg.stations[0].devices[0] as OpcuaDeviceSpec;
}

function start(id: string, limits?: { maxMessageSize: number; maxChunkCount: number }) {
  const samples: Sample[] = [];
  const a = new OpcuaAdapter({
    devices: [device(id)],
    sink: { samples: (b) => samples.push(...b), status: () => undefined },
    logger: pino({ level: 'silent' }),
    pkiDir: join(dir, `pki-${id}`),
    ...(limits ? { limits } : {}),
  });
  adapters.push(a);
  void a.start();
  return { a, good: () => samples.some((s) => s.point === `hs-001.${id}.small` && s.quality === 'good' && s.value === 42) };
}

describe('OPC UA message limits', () => {
  it('a response above maxMessageSize fails the read instead of being buffered', async () => {
    const { a, good } = start('capped', { maxMessageSize: 1024 * 1024, maxChunkCount: 64 });
    await waitFor(() => /Bad\w*TooLarge/.test(a.counters()[0].lastError ?? ''), 20_000, 'the read refused as too large');
    expect(good()).toBe(false);
  });

  it('the default limit (4 MiB) reads the same server', async () => {
    const { a, good } = start('default');
    await waitFor(() => good(), 20_000, 'a good read under the default limit');
    expect(a.counters()[0].lastError ?? '').toBe('');
  });
});

describe('OPC UA password with securityMode None', () => {
  it('is refused by the config check, naming the key', () => {
    const yaml = `stations: [ { id: hs-001, devices: [ { id: ua, endpoint: "opc.tcp://10.0.0.1:4840", username: plc, password: secret-1, points: [ { id: t, nodeId: "ns=1;s=t" } ] } ] } ]`;
    expect(() => parseConfigText(yaml, 'clear.yaml')).toThrow(/stations\[0\]\.devices\[0\]\.password: a password with securityMode None would cross the network in clear/);
    expect(() => parseConfigText(yaml.replace('username: plc', 'securityMode: SignAndEncrypt, username: plc'), 'secure.yaml')).not.toThrow();
  });
});
