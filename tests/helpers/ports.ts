import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:net';

/** A port held for this process until {@link PortLease.release}. */
export interface PortLease {
  port: number;
  release(): Promise<void>;
}

/** lowest port handed out by {@link reservePort}: above the well-known and common fixed ports (8080, 8086, 8099, 1883, 5020 …) */
const POOL_LOW = 20_000;

function ephemeralLow(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32_768;
  } catch {
    return 32_768;
  }
}

function listen(srv: Server, where: string | number): Promise<boolean> {
  return new Promise((resolve) => {
    srv.once('error', () => resolve(false));
    if (typeof where === 'string') srv.listen(where, () => resolve(true));
    else srv.listen(where, '127.0.0.1', () => resolve(true));
  });
}
const close = (srv: Server) => new Promise<void>((r) => srv.close(() => r()));

/**
 * A TCP port on 127.0.0.1 reserved for this process until `release()`, even while nothing
 * listens on it (a server stopped and started again keeps its port). Two things make the
 * reservation hold where binding port 0, closing and handing the number on would race:
 * - the port lies below the OS's ephemeral range, which `listen(0)` and outgoing connections
 *   draw from, so the OS never hands it to anyone;
 * - it is claimed across processes (parallel test files) by listening on an abstract Unix
 *   socket named after it; the kernel drops the claim when the holder exits, so a killed run
 *   leaves nothing stale behind.
 * A program outside the tests may still hold a fixed port in the pool: callers check that
 * their child really listens ({@link listensOn}) and take another port if not.
 *
 * @example
 * const lease = await reservePort(); spawn('influxd', …lease.port…); … await lease.release();
 */
export async function reservePort(): Promise<PortLease> {
  const high = ephemeralLow();
  const span = high - POOL_LOW;
  if (span < 1000) throw new Error(`reservePort: the ephemeral range starts at ${high}, leaving no pool above ${POOL_LOW}`);
  for (let tries = 0; tries < 200; tries++) {
    const port = POOL_LOW + Math.floor(Math.random() * span);
    const claim = createServer();
    if (!(await listen(claim, `\0heatwatch-test-port-${port}`))) continue; // another test process holds it
    claim.unref();
    const probe = createServer();
    if (await listen(probe, port)) {
      await close(probe);
      return { port, release: () => close(claim) };
    }
    await close(claim); // something outside the tests listens there
  }
  throw new Error('reservePort: no free port found in 200 tries');
}

/**
 * True when process `pid` holds the listening TCP socket on `port` (read from Linux /proc):
 * a server that answers on the port is then known to be the child we started, not another
 * process that got there first. Where /proc is missing it cannot tell and returns true.
 */
export function listensOn(pid: number, port: number): boolean {
  let tables = '';
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    try {
      tables += readFileSync(f, 'utf8');
    } catch {
      // no IPv6 table, or no /proc at all
    }
  }
  if (!tables) return true;
  const suffix = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const inodes = new Set<string>();
  for (const line of tables.split('\n')) {
    // sl local_address rem_address st … inode; st 0A = LISTEN
    const f = line.trim().split(/\s+/);
    if (f.length > 9 && f[1].endsWith(suffix) && f[3] === '0A') inodes.add(f[9]);
  }
  if (inodes.size === 0) return false;
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m && inodes.has(m[1])) return true;
    }
  } catch {
    // the process is gone (or its fds closed while we read)
  }
  return false;
}
