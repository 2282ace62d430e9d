/**
 * Real servers for tests: `influxd` and `mosquitto` on reserved loopback ports with temporary
 * data directories. A missing binary is an error naming the apt-get command, never a skip.
 *
 * Ports come from {@link reservePort} and stay reserved until `destroy()`, so a server keeps
 * its port across `stop()`/`start()` and no parallel test file can take it meanwhile. A server
 * counts as started only when the child itself holds the listening socket ({@link listensOn});
 * if the first start finds a port taken anyway (by a program outside the tests), it retries on
 * new ports.
 *
 * @example
 * const influx = await startInfluxd(); ... await influx.stop(); await influx.start(); ... await influx.destroy();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listensOn, reservePort, type PortLease } from '../helpers/ports.ts';
import { waitFor } from '../helpers/wait.ts';

export const INFLUXD = '/usr/bin/influxd';
export const MOSQUITTO = '/usr/sbin/mosquitto';
export const MOSQUITTO_SUB = '/usr/bin/mosquitto_sub';

/** first starts on fresh ports before giving up */
const START_ATTEMPTS = 5;

export function requireBinary(bin: string, pkg: string): void {
  if (!existsSync(bin)) throw new Error(`${bin} is missing; install it with: sudo apt-get install -y ${pkg}`);
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

/** The start failed because a port was taken: worth trying again on other ports. */
class PortTaken extends Error {}

export interface ServerKind {
  what: string;
  bin: string;
  /** ports to reserve; the first is the one clients use */
  ports: number;
  /** writes the config for these ports into `dir`; returns the command line and the client URL */
  configure(dir: string, ports: number[]): { args: string[]; url: string };
  /** the server answers its clients */
  answers(url: string, port: number): Promise<boolean>;
  readyMs: number;
  /** how to stop it (default SIGTERM) */
  stopSignal?: NodeJS.Signals;
  /** run the process as this user (a server that refuses to run as root) */
  user?: { uid: number; gid: number };
}

export async function startManaged(kind: ServerKind, dirPrefix: string): Promise<ManagedServer> {
  const dir = mkdtempSync(join(tmpdir(), dirPrefix));
  let leases: PortLease[] = [];
  let child: ChildProcess | null = null;
  let args: string[] = [];
  let url = '';
  const release = async () => {
    await Promise.all(leases.map((l) => l.release()));
    leases = [];
  };

  const launch = async (): Promise<void> => {
    let log = '';
    const c = spawn(kind.bin, args, { stdio: ['ignore', 'ignore', 'pipe'], ...(kind.user ?? {}) });
    child = c;
    c.stderr?.on('data', (d) => (log = (log + d).slice(-4000)));
    const ports = leases.map((l) => l.port);
    let foreign = false; // something answered, but not our child
    const ready = async () => {
      if (!(await kind.answers(url, ports[0]))) return false;
      if (ports.every((p) => listensOn(c.pid!, p))) return true;
      foreign = !listensOn(c.pid!, ports[0]);
      return false;
    };
    try {
      await waitFor(ready, kind.readyMs, `${kind.what} on ${url}`, {
        // a port taken by another process shows as the child exiting with a bind error
        failIf: () => (c.exitCode !== null || c.signalCode !== null ? `process exited (${c.exitCode ?? c.signalCode})` : undefined),
        detail: () => log,
      });
    } catch (err) {
      await stopChild(c);
      const msg = (err as Error).message;
      if (/address already in use/i.test(msg) || foreign) throw new PortTaken(msg);
      throw err;
    }
  };

  let last: unknown;
  for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
    leases = await Promise.all(Array.from({ length: kind.ports }, () => reservePort()));
    ({ args, url } = kind.configure(dir, leases.map((l) => l.port)));
    try {
      await launch();
      last = undefined;
      break;
    } catch (err) {
      await release();
      last = err;
      if (!(err instanceof PortTaken)) break;
    }
  }
  if (last !== undefined) {
    rmSync(dir, { recursive: true, force: true });
    throw last;
  }
  const port = leases[0].port;
  return {
    url,
    port,
    dir,
    start: launch,
    stop: () => stopChild(child, kind.stopSignal),
    async destroy() {
      await stopChild(child, kind.stopSignal);
      await release();
      rmSync(dir, { recursive: true, force: true });
    },
    pid: () => child?.pid,
  };
}

/** influxd 1.x: ready when GET /ping answers 204. Config per TOOLING.md. */
export async function startInfluxd(): Promise<ManagedServer> {
  requireBinary(INFLUXD, 'influxdb influxdb-client');
  return startManaged(
    {
      what: 'influxd',
      bin: INFLUXD,
      ports: 2,
      configure(dir, [port, rpc]) {
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
        return { args: ['-config', conf], url: `http://127.0.0.1:${port}` };
      },
      answers: async (url) => (await fetch(`${url}/ping`)).status === 204,
      readyMs: 30_000,
    },
    'hw-influxd-',
  );
}

/**
 * mosquitto 2.x on one loopback listener: anonymous access, or the access lines `auth` writes
 * into the server's data folder (`password_file`, `acl_file`, `allow_anonymous false`).
 */
export async function startMosquitto(opts: { auth?: (dir: string) => string[] } = {}): Promise<ManagedServer> {
  requireBinary(MOSQUITTO, 'mosquitto');
  requireBinary(MOSQUITTO_SUB, 'mosquitto-clients');
  return startManaged(
    {
      what: 'mosquitto',
      bin: MOSQUITTO,
      ports: 1,
      configure(dir, [port]) {
        const conf = join(dir, 'mosquitto.conf');
        writeFileSync(
          conf,
          [
            `listener ${port} 127.0.0.1`,
            ...(opts.auth ? opts.auth(dir) : ['allow_anonymous true']),
            'persistence false',
            'max_queued_messages 200000',
            // errors only, to stderr: a taken port shows as "Address already in use"
            'log_dest stderr',
            'log_type error',
            ...(process.getuid?.() === 0 ? ['user root'] : []),
            '',
          ].join('\n'),
        );
        return { args: ['-c', conf], url: `mqtt://127.0.0.1:${port}` };
      },
      answers: (_url, port) =>
        new Promise<boolean>((resolve) => {
          const s = connect(port, '127.0.0.1');
          s.once('connect', () => (s.destroy(), resolve(true)));
          s.once('error', () => resolve(false));
        }),
      readyMs: 20_000,
    },
    'hw-mosquitto-',
  );
}
