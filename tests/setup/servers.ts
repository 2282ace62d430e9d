/**
 * Real servers for tests: `influxd` and `mosquitto` on free loopback ports with temporary
 * data directories. A missing binary is an error naming the apt-get command, never a skip.
 *
 * @example
 * const influx = await startInfluxd(); ... await influx.stop(); await influx.start(); ... await influx.destroy();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../helpers/ports.ts';

export { freePort };

export const INFLUXD = '/usr/bin/influxd';
export const MOSQUITTO = '/usr/sbin/mosquitto';
export const MOSQUITTO_SUB = '/usr/bin/mosquitto_sub';

export function requireBinary(bin: string, pkg: string): void {
  if (!existsSync(bin)) throw new Error(`${bin} is missing; install it with: sudo apt-get install -y ${pkg}`);
}


async function until(cond: () => Promise<boolean>, ms: number, what: string, child?: ChildProcess, log?: () => string): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (child && child.exitCode !== null) throw new Error(`${what}: process exited ${child.exitCode}\n${log?.() ?? ''}`);
    if (await cond().catch(() => false)) return;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}\n${log?.() ?? ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function stopChild(child: ChildProcess | null, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill(signal);
  });
}

export interface ManagedServer {
  url: string;
  port: number;
  dir: string;
  /** (re)starts the process on the same port and data directory; resolves when it answers */
  start(): Promise<void>;
  /** stops the process (SIGTERM), keeping its data */
  stop(): Promise<void>;
  /** stops it and removes its data directory */
  destroy(): Promise<void>;
  pid(): number | undefined;
}

/** influxd 1.x: ready when GET /ping answers 204. Config per TOOLING.md. */
export async function startInfluxd(): Promise<ManagedServer> {
  requireBinary(INFLUXD, 'influxdb influxdb-client');
  const dir = mkdtempSync(join(tmpdir(), 'hw-influxd-'));
  const port = await freePort();
  const rpc = await freePort();
  const conf = join(dir, 'influxd.conf');
  writeFileSync(
    conf,
    [
      'reporting-enabled = false',
      'reporting-disabled = true',
      `bind-address = "127.0.0.1:${rpc}"`,
      '[meta]',
      `  dir = "${join(dir, 'meta')}"`,
      '[data]',
      `  dir = "${join(dir, 'data')}"`,
      `  wal-dir = "${join(dir, 'wal')}"`,
      '  query-log-enabled = false',
      '[http]',
      `  bind-address = "127.0.0.1:${port}"`,
      '  log-enabled = false',
      '[monitor]',
      '  store-enabled = false',
      '[continuous_queries]',
      '  log-enabled = false',
      '[logging]',
      '  level = "error"',
      '',
    ].join('\n'),
  );
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;
  let log = '';
  const server: ManagedServer = {
    url,
    port,
    dir,
    async start() {
      log = '';
      child = spawn(INFLUXD, ['-config', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
      child.stderr?.on('data', (d) => (log = (log + d).slice(-4000)));
      await until(async () => (await fetch(`${url}/ping`)).status === 204, 30_000, `influxd on ${url}`, child, () => log);
    },
    stop: () => stopChild(child),
    async destroy() {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
    pid: () => child?.pid,
  };
  await server.start();
  return server;
}

/** mosquitto 2.x with anonymous access on one loopback listener. */
export async function startMosquitto(): Promise<ManagedServer> {
  requireBinary(MOSQUITTO, 'mosquitto');
  requireBinary(MOSQUITTO_SUB, 'mosquitto-clients');
  const dir = mkdtempSync(join(tmpdir(), 'hw-mosquitto-'));
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'persistence false',
      'max_queued_messages 200000',
      'log_dest none',
      ...(process.getuid?.() === 0 ? ['user root'] : []),
      '',
    ].join('\n'),
  );
  const url = `mqtt://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;
  let log = '';
  const server: ManagedServer = {
    url,
    port,
    dir,
    async start() {
      child = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
      child.stderr?.on('data', (d) => (log = (log + d).slice(-4000)));
      await until(
        () =>
          new Promise<boolean>((resolve) => {
            const s = connect(port, '127.0.0.1');
            s.once('connect', () => (s.destroy(), resolve(true)));
            s.once('error', () => resolve(false));
          }),
        20_000,
        `mosquitto on ${url}`,
        child,
        () => log,
      );
    },
    stop: () => stopChild(child),
    async destroy() {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
    pid: () => child?.pid,
  };
  await server.start();
  return server;
}

