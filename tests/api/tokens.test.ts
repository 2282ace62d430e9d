// Tokens in the config: length, published placeholders and demo tokens, environment variables,
// digests; and what the API keeps of them (digests only) and where it takes `?token=`.
import { createHash } from 'node:crypto';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenAuth } from '../../src/api/auth.ts';
import { startupTokenProblems } from '../../src/api/tokens.ts';
import { ConfigError, parseConfigText } from '../../src/config/load.ts';
import { bearer, lightApp, OPERATOR, VIEWER, type LightApp } from './light-app.ts';

const STATION = 'stations:\n  - id: hs-001\n    devices: [ { id: plc, endpoint: "modbus+tcp://127.0.0.1:5020", points: [ { id: t, table: holding, address: 0, type: float32 } ] } ]\n';
const withTokens = (...entries: string[]) => `${STATION}auth:\n  tokens:\n${entries.map((e) => `    - ${e}\n`).join('')}`;

function problems(yaml: string): string[] {
  try {
    parseConfigText(yaml, 'test.yaml');
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.path}: ${p.message}`);
    throw err;
  }
  return [];
}

describe('tokens in the config', () => {
  it.each([
    ['a short token', '{ name: a, token: abc, role: viewer }', 'auth.tokens[0].token: 3 characters'],
    ['15 characters', '{ name: a, token: 0123456789abcde, role: viewer }', 'auth.tokens[0].token: 15 characters'],
    ['the example placeholder', '{ name: a, token: change-me, role: operator }', "auth.tokens[0].token: 'change-me' is the example's placeholder"],
    ['a long placeholder', '{ name: a, token: change-me-please-0000, role: operator }', 'auth.tokens[0].token:'],
    ['no token at all', '{ name: a, role: viewer }', 'auth.tokens[0]: give exactly one of token, tokenEnv, sha256 (found none)'],
    ['two ways at once', `{ name: a, token: ${VIEWER}, tokenEnv: HW_X, role: viewer }`, 'auth.tokens[0]: give exactly one of token, tokenEnv, sha256 (found token, tokenEnv)'],
    ['the digest of a placeholder', `{ name: a, sha256: ${createHash('sha256').update('change-me').digest('hex')}, role: viewer }`, 'auth.tokens[0].sha256: is the digest of an example placeholder'],
  ])('%s is refused, naming the key', (_name, entry, expected) => {
    const list = problems(withTokens(entry));
    expect(list.some((p) => p.startsWith(expected)), list.join('\n')).toBe(true);
  });

  it('names the second of two equal tokens', () => {
    expect(problems(withTokens(`{ name: a, token: ${VIEWER}, role: viewer }`, `{ name: b, token: ${VIEWER}, role: admin }`))).toEqual(['auth.tokens[1].token: duplicate token (same as auth.tokens[0].token)']);
  });

  it('accepts 16 characters; never echoes a real token in a problem', () => {
    expect(problems(withTokens('{ name: a, token: 0123456789abcdef, role: viewer }'))).toEqual([]);
    expect(problems(withTokens('{ name: a, token: s3cr3t, role: viewer }')).join('\n')).not.toContain('s3cr3t');
  });

  it('lets the demo tokens through the config (the demo runs on it) but refuses them at start-up', () => {
    const cfg = parseConfigText(withTokens('{ name: a, token: demo-read, role: viewer }', '{ name: b, token: demo-operator, role: operator }'), 'test.yaml');
    const refused = startupTokenProblems(cfg.tokens).map((p) => `${p.path}: ${p.message}`);
    expect(refused).toHaveLength(2);
    expect(refused[0]).toMatch(/^auth\.tokens\[0\]\.token: 'demo-read' is a demo token/);
    expect(refused[1]).toMatch(/^auth\.tokens\[1\]\.token: 'demo-operator' is a demo token/);
    const digest = createHash('sha256').update('demo-operator').digest('hex');
    expect(startupTokenProblems(parseConfigText(withTokens(`{ name: a, sha256: ${digest}, role: viewer }`), 't').tokens)[0].path).toBe('auth.tokens[0].sha256');
  });

  describe('tokenEnv', () => {
    const NAME = 'HEATWATCH_TEST_TOKEN_ENV';
    afterAll(() => {
      delete process.env[NAME];
    });
    const yaml = withTokens(`{ name: desk, tokenEnv: ${NAME}, role: operator }`);

    it('unset: the config loads, start-up refuses naming the key and the variable', () => {
      delete process.env[NAME];
      const cfg = parseConfigText(yaml, 'test.yaml');
      expect(startupTokenProblems(cfg.tokens)).toEqual([{ path: 'auth.tokens[0].tokenEnv', message: `environment variable ${NAME} is not set` }]);
      expect(startupTokenProblems(cfg.tokens, { envRequired: false })).toEqual([]);
    });

    it('set: the same rules as a token in the file, and the API takes it', () => {
      process.env[NAME] = 'short';
      expect(problems(yaml)).toEqual([`auth.tokens[0].tokenEnv: ${NAME} holds 5 characters, too short to resist guessing; give at least 16 random characters, e.g. from \`openssl rand -hex 24\``]);
      process.env[NAME] = 'env-token-0123456789abcdef';
      const cfg = parseConfigText(yaml, 'test.yaml');
      expect(startupTokenProblems(cfg.tokens)).toEqual([]);
      expect(new TokenAuth(cfg.tokens).lookup('env-token-0123456789abcdef')).toMatchObject({ name: 'desk', role: 'operator' });
    });
  });

  it('sha256: the file holds only the digest and the API takes the token', () => {
    const token = 'digest-token-0123456789';
    const cfg = parseConfigText(withTokens(`{ name: eng, sha256: ${createHash('sha256').update(token).digest('hex').toUpperCase()}, role: engineer }`), 't');
    const auth = new TokenAuth(cfg.tokens);
    expect(auth.lookup(token)).toMatchObject({ name: 'eng', role: 'engineer' });
    expect(auth.lookup(token.slice(0, -1))).toBeUndefined();
  });

  it('the API keeps digests, not tokens', () => {
    const cfg = parseConfigText(withTokens(`{ name: a, token: ${VIEWER}, role: viewer }`), 't');
    const auth = new TokenAuth(cfg.tokens);
    expect(inspect(auth, { depth: 10 })).not.toContain(VIEWER);
    expect(auth.lookup(VIEWER)).toMatchObject({ name: 'a' });
  });
});

describe('?token= in the URL', () => {
  let l: LightApp;
  beforeAll(async () => {
    l = await lightApp();
  });
  afterAll(() => l?.close());

  it('is refused on JSON reads and on every write, with a message saying where it is taken', async () => {
    const stations = await l.app.inject({ url: `/api/stations?token=${VIEWER}` });
    expect(stations.statusCode).toBe(401);
    expect(stations.json().message).toContain('Authorization: Bearer');
    expect((await l.app.inject({ url: `/api/series?points=hs-001.plc.t&token=${VIEWER}` })).statusCode).toBe(401);
    const post = await l.app.inject({ method: 'POST', url: `/api/tickets?token=${OPERATOR}`, payload: { source: 'manual', title: 'x', description: 'valve check', station: 'hs-001', priority: 'P3' } });
    expect(post.statusCode).toBe(401);
    expect((await l.app.inject({ method: 'POST', url: '/api/tickets', payload: { source: 'manual', title: 'x', description: 'valve check', station: 'hs-001', priority: 'P3' }, headers: bearer(OPERATOR) })).statusCode).toBe(201);
  });

  it('is taken by a CSV link, an attachment link and /ws', async () => {
    // past authentication: the unknown point and attachment are 404, not 401
    expect((await l.app.inject({ url: `/api/series?points=hs-001.plc.nope&format=csv&token=${VIEWER}` })).statusCode).toBe(404);
    expect((await l.app.inject({ url: `/api/tickets/1/attachments/1?token=${VIEWER}` })).statusCode).toBe(404);
    const ws = await l.app.injectWS(`/ws?token=${VIEWER}`);
    ws.terminate();
    await expect(l.app.injectWS('/ws?token=wrong-token-0123456789')).rejects.toThrow('401');
  });
});
