#!/usr/bin/env node
// Makes sure what the test suite talks to is installed: Debian packages are
// installed with apt-get when running as root; otherwise we stop with the
// exact command to run. Kept in plain JS so it runs before anything else.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

/** file the tests use (a binary they start, a font) → Debian package that provides it */
const REQUIRED = [
  { path: '/usr/bin/influxd', pkg: 'influxdb' },
  { path: '/usr/bin/influx', pkg: 'influxdb-client' },
  { path: '/usr/sbin/mosquitto', pkg: 'mosquitto' },
  { path: '/usr/bin/chromium', pkg: 'chromium' },
  { path: '/usr/bin/mosquitto_sub', pkg: 'mosquitto-clients' },
  // the page is Chinese by default: without a CJK font its screenshots show empty boxes
  { path: '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc', pkg: 'fonts-noto-cjk' },
];

const missing = REQUIRED.filter((r) => !existsSync(r.path));
if (missing.length) {
  const pkgs = [...new Set(missing.map((m) => m.pkg))];
  const cmd = `apt-get install -y --no-install-recommends ${pkgs.join(' ')}`;
  if (process.getuid?.() === 0) {
    console.log(`pretest: installing ${pkgs.join(', ')}`);
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    const r = spawnSync('sh', ['-c', `DEBIAN_FRONTEND=noninteractive ${cmd}`], { stdio: 'inherit' });
    if (r.status !== 0) {
      console.error(`pretest: '${cmd}' failed (exit ${r.status})`);
      process.exit(1);
    }
  } else {
    console.error(`pretest: missing ${missing.map((m) => m.path).join(', ')}. Run:\n  sudo ${cmd}`);
    process.exit(1);
  }
}

// The native SQLite binding is built by `npm ci`; fail early and clearly if it is not.
try {
  const require = createRequire(import.meta.url);
  const Database = require('better-sqlite3');
  new Database(':memory:').close();
} catch (err) {
  console.error(`pretest: better-sqlite3 does not load (${err.message}). Run:\n  npm rebuild better-sqlite3`);
  process.exit(1);
}
// The state tests run on PostgreSQL too: the machine's server on 127.0.0.1:5432 (trust auth).
// Started here when it is installed but stopped (as root); installed first when it is missing.
const PG_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
async function pgReachable() {
  const require = createRequire(import.meta.url);
  const pg = require('pg');
  const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}
if (!(await pgReachable())) {
  const root = process.getuid?.() === 0;
  const install = 'apt-get install -y --no-install-recommends postgresql';
  const start = 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start';
  if (!root) {
    console.error(`pretest: PostgreSQL is not reachable at ${PG_URL}. Run:\n  ${existsSync('/etc/postgresql') ? '' : `sudo ${install} && `}sudo ${start}`);
    process.exit(1);
  }
  if (!existsSync('/etc/postgresql')) {
    console.log('pretest: installing postgresql');
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    execFileSync('sh', ['-c', `DEBIAN_FRONTEND=noninteractive ${install}`], { stdio: 'inherit' });
  }
  console.log('pretest: starting PostgreSQL');
  spawnSync('sh', ['-c', start], { stdio: 'inherit' });
  let up = false;
  for (let i = 0; i < 30 && !(up = await pgReachable()); i++) await new Promise((r) => setTimeout(r, 500));
  if (!up) {
    console.error(`pretest: PostgreSQL did not come up at ${PG_URL} (tests connect as user postgres without a password: trust auth on 127.0.0.1)`);
    process.exit(1);
  }
}
console.log('pretest: ok');
