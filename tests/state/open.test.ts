/**
 * `storage.state` at start-up: a PostgreSQL server that cannot be reached stops the start with
 * exit 2 and one line naming `storage.state.url`, without the password.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStateDb, StateUnreachableError } from '../../src/state/open.ts';
import { reservePort } from '../helpers/ports.ts';

describe('opening the state database', () => {
  it('names storage.state.url when PostgreSQL cannot be reached', async () => {
    const closed = await reservePort(); // reserved, nobody listens
    try {
      const url = `postgres://heatwatch:secret@127.0.0.1:${closed.port}/heatwatch`;
      const err = await openStateDb({ kind: 'postgresql', url }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StateUnreachableError);
      expect((err as Error).message).toMatch(/^storage\.state\.url: cannot reach PostgreSQL at postgres:\/\/heatwatch:\*\*\*@127\.0\.0\.1:\d+\/heatwatch: /);
      expect((err as Error).message).not.toContain('secret');

      const dir = mkdtempSync(join(tmpdir(), 'hw-state-open-'));
      const cfg = join(dir, 'heatwatch.yaml');
      writeFileSync(cfg, ['site: { name: t }', 'api: { port: 0 }', `storage:`, `  series: { kind: sqlite, path: ${dir}/series.db }`, `  state: { kind: postgresql, url: "${url}" }`, 'stations: []', ''].join('\n'));
      const r = spawnSync(process.execPath, ['src/bin/heatwatch.js', 'run', '--config', cfg], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status).toBe(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/storage\.state\.url: cannot reach PostgreSQL/);
      expect(r.stderr).not.toContain('secret');
    } finally {
      await closed.release();
    }
  });
});
