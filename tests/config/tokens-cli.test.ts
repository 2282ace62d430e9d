// `heatwatch run`, `serve` and `check-config` refuse placeholder and demo tokens and unset token
// variables before anything starts, naming the key (exit 2); the shipped example passes
// check-config but cannot be run as it is.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'heatwatch-tokens-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const EXAMPLE = readFileSync('config/heatwatch.example.yaml', 'utf8');
const VARS = ['HEATWATCH_TOKEN_WALL_SCREEN', 'HEATWATCH_TOKEN_DISPATCHER_1'];
const env = () => Object.fromEntries(Object.entries(process.env).filter(([k]) => !VARS.includes(k)));

/** the example with its two token entries replaced */
function config(name: string, wall: string, dispatcher: string): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, EXAMPLE.replace('tokenEnv: HEATWATCH_TOKEN_WALL_SCREEN', wall).replace('tokenEnv: HEATWATCH_TOKEN_DISPATCHER_1', dispatcher));
  return file;
}

// a command that wrongly started would keep running: the timeout turns that into a failure
const heatwatch = (...args: string[]) => spawnSync(process.execPath, ['src/bin/heatwatch.js', ...args], { encoding: 'utf8', env: env(), timeout: 60_000 });

// each command is a Node start-up of several seconds on a busy machine
describe('start-up refuses published tokens', { timeout: 180_000 }, () => {
  it('run: the example placeholder change-me, naming the key', () => {
    const r = heatwatch('run', '--config', config('change-me', 'token: wall-screen-token-0123456789', 'token: change-me'));
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("auth.tokens[1].token: 'change-me' is the example's placeholder");
  });

  it('run and serve: a demo token, naming the key; check-config refuses it too', () => {
    const file = config('demo', 'token: demo-read', 'token: dispatcher-token-0123456789');
    for (const command of ['run', 'serve', 'check-config']) {
      const r = heatwatch(command, '--config', file);
      expect(r.status, `${command}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain("auth.tokens[0].token: 'demo-read' is a demo token");
    }
  });

  it('the example as shipped: check-config passes and notes the variables, run refuses while they are unset', () => {
    const check = heatwatch('check-config', '--config', 'config/heatwatch.example.yaml');
    expect(check.status).toBe(0);
    expect(check.stdout).toContain('auth.tokens[0].tokenEnv: HEATWATCH_TOKEN_WALL_SCREEN is not set here');
    const run = heatwatch('run', '--config', 'config/heatwatch.example.yaml');
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('auth.tokens[0].tokenEnv: environment variable HEATWATCH_TOKEN_WALL_SCREEN is not set');
    expect(run.stderr).toContain('auth.tokens[1].tokenEnv: environment variable HEATWATCH_TOKEN_DISPATCHER_1 is not set');
  });
});
