/**
 * A PostgreSQL server of a test's own, on a reserved loopback port with a temporary data
 * directory, for tests that stop and restart the state database (the machine's shared server
 * on 5432 serves every other test and is never stopped). As root it runs as the `postgres`
 * user: the server refuses to run as root.
 *
 * @example
 * const pg = await startPostgres(); ... await pg.stop(); await pg.start(); ... await pg.destroy();
 * // pg.url: postgres://postgres@127.0.0.1:<port>/postgres
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { startManaged, type ManagedServer } from './servers.ts';

function binDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  if (!versions.length) throw new Error(`${root} is missing; install it with: sudo apt-get install -y postgresql`);
  return join(root, versions[0], 'bin');
}

function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  return { uid, gid };
}

export async function startPostgres(): Promise<ManagedServer> {
  const bin = binDir();
  const user = postgresUser();
  return startManaged(
    {
      what: 'postgres',
      bin: join(bin, 'postgres'),
      ports: 1,
      user,
      // fast shutdown: clients are cut off, as when the server goes down under them
      stopSignal: 'SIGINT',
      configure(dir, [port]) {
        const data = join(dir, 'data');
        if (!existsSync(data)) {
          if (user) chownSync(dir, user.uid, user.gid);
          const r = spawnSync(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions'], { ...(user ?? {}), encoding: 'utf8' });
          if (r.status !== 0) throw new Error(`initdb failed: ${r.stderr || r.stdout}`);
        }
        return {
          args: ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'shared_buffers=16MB', '-c', 'max_connections=50'],
          url: `postgres://postgres@127.0.0.1:${port}/postgres`,
        };
      },
      answers: async (url) => {
        const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
        try {
          await c.connect();
          await c.query('SELECT 1');
          return true;
        } finally {
          await c.end().catch(() => {});
        }
      },
      readyMs: 30_000,
    },
    'hw-postgres-',
  );
}
