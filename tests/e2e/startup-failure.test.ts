// A start-up that fails partway closes everything it opened: with the API port taken, or the
// state store failing at init, no database stays open (SQLite removes a WAL file when its last
// connection closes), no Modbus connection stays up, and `heatwatch demo` frees the simulators'
// ports so they can be bound again.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../simulators/index.ts';
import { runDemo } from '../../src/cli/demo.ts';
import { parseConfigText } from '../../src/config/load.ts';
import { startService } from '../../src/service.ts';
import { reservePort } from '../helpers/ports.ts';
import { waitFor } from '../helpers/wait.ts';

let dir: string;
let sim: Simulator;
let blocker: Server;
let blockedPort: number;

const sockets = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;

function bind(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'heatwatch-startfail-'));
  sim = await startSimulator({ stations: 2, modbusPort: 0, controlPort: 0 });
  blocker = await bind(0);
  blockedPort = (blocker.address() as { port: number }).port;
}, 60_000);
afterAll(async () => {
  if (blocker) await new Promise((r) => blocker.close(r));
  await sim?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function config(name: string) {
  const cfg = parseConfigText(sim.configYaml({ pollMs: 200 }), name);
  cfg.storage.series = { kind: 'sqlite', path: join(dir, name, 'series.db') };
  cfg.storage.state = { kind: 'sqlite', path: join(dir, name, 'state.db') };
  cfg.api.port = blockedPort;
  return cfg;
}

describe('a failed start-up closes what it opened', () => {
  it('API port taken: both databases closed, no Modbus connection left', async () => {
    const before = sockets();
    const cfg = config('port-taken');
    await expect(startService(cfg, { logger: pino({ level: 'silent' }) })).rejects.toThrow(/EADDRINUSE/);
    expect(existsSync(`${(cfg.storage.state as { path: string }).path}-wal`)).toBe(false);
    expect(existsSync(`${(cfg.storage.series as { path: string }).path}-wal`)).toBe(false);
    // the adapter's sockets (and the simulator's side of them) are gone: a leaked adapter keeps polling
    await waitFor(() => sockets() === before, 5000, 'the Modbus connections closed');
  });

  it('state store failing at init: the series store opened before it is closed again', async () => {
    const cfg = config('state-fails');
    const api = await reservePort();
    cfg.api.port = api.port;
    mkdirSync((cfg.storage.state as { path: string }).path, { recursive: true }); // a folder where the database file should be
    await expect(startService(cfg, { logger: pino({ level: 'silent' }) })).rejects.toThrow();
    expect(existsSync(join(dir, 'state-fails', 'series.db'))).toBe(true);
    expect(existsSync(join(dir, 'state-fails', 'series.db-wal'))).toBe(false);
    await api.release();
  });

  it('heatwatch demo with its API port taken: the simulators stop, their ports can be bound again', async () => {
    // ports below the OS's ephemeral range, claimed for this test: no other connection can take them between here and the demo's bind
    const [modbusLease, controlLease] = await Promise.all([reservePort(), reservePort()]);
    const [modbus, control] = [modbusLease.port, controlLease.port];
    const argv = ['--stations', '2', '--port', String(blockedPort), '--modbus-port', String(modbus), '--control-port', String(control), '--opcua-every', '0', '--operations', 'off', '--data', join(dir, 'demo'), '--log-level', 'silent'];
    await expect(runDemo(argv)).rejects.toThrow(/EADDRINUSE/);
    const again = await Promise.all([bind(modbus), bind(control)]);
    for (const s of again) await new Promise((r) => s.close(r));
    expect(existsSync(join(dir, 'demo', 'state.db-wal'))).toBe(false);
    await Promise.all([modbusLease.release(), controlLease.release()]);
  });
});
