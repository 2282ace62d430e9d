/**
 * API tokens: what a usable token is and how the config gives one. A token has at least
 * 16 characters and is given in the file (`token`), in an environment variable (`tokenEnv`),
 * or only as its SHA-256 (`sha256`, so the file never holds it). Published tokens are refused:
 * the example config's placeholders everywhere, the demo's by every command but `heatwatch
 * demo` ({@link startupTokenProblems}), since anyone who read the README knows them.
 *
 * @example
 * const tokens = resolveTokens([{ name: 'desk', tokenEnv: 'HW_DESK', role: 'operator' }], problems, process.env);
 * startupTokenProblems(tokens); // [] when HW_DESK is set to a good token
 */
import { createHash } from 'node:crypto';
import type { RoleName } from '../config/schema.ts';

export const MIN_TOKEN_LENGTH = 16;
export const DEMO_READ_TOKEN = 'demo-read';
export const DEMO_OPERATOR_TOKEN = 'demo-operator';
/** the tokens `heatwatch demo` and the simulator's generated config publish */
export const DEMO_TOKENS: readonly string[] = [DEMO_READ_TOKEN, DEMO_OPERATOR_TOKEN];
/** placeholders of the example config and the docs (`change-me`, `change-me-read`, `changeme`) */
const EXAMPLE_TOKEN = /^change-?me/i;

export interface TokenInput {
  name: string;
  token?: string;
  tokenEnv?: string;
  sha256?: string;
  role: RoleName;
}

export interface TokenSpec {
  name: string;
  role: RoleName;
  /** the token when the config holds it (in the file or the environment); never logged */
  token?: string;
  /** hex SHA-256 of the token; null while its environment variable is not set */
  digest: string | null;
  /** the config key that gives it, e.g. `auth.tokens[1].tokenEnv`: problems and per-token limits name it */
  key: string;
  /** with tokenEnv: the variable's name */
  env?: string;
}

type Problem = { path: string; message: string };

export const sha256Hex = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');
const DEMO_DIGESTS = new Map(DEMO_TOKENS.map((t) => [sha256Hex(t), t]));
const EXAMPLE_DIGESTS = new Set(['change-me', 'change-me-read', 'changeme'].map(sha256Hex));
const ADVICE = `give at least ${MIN_TOKEN_LENGTH} random characters, e.g. from \`openssl rand -hex 24\``;

/** A token value's problem, or undefined; demo tokens pass here and are refused at start-up. */
function valueProblem(value: string, where: string): string | undefined {
  if (EXAMPLE_TOKEN.test(value)) return `'${value}' is the example's placeholder, not a token; ${ADVICE}`;
  if (DEMO_TOKENS.includes(value)) return undefined;
  if (value.length < MIN_TOKEN_LENGTH) return `${where}${value.length} characters, too short to resist guessing; ${ADVICE}`;
  return undefined;
}

/** Resolves `auth.tokens`, pushing one problem per bad entry; `env` is the process environment. */
export function resolveTokens(input: TokenInput[], problems: Problem[], env: Record<string, string | undefined>): TokenSpec[] {
  const out: TokenSpec[] = [];
  const seen = new Map<string, string>();
  input.forEach((t, i) => {
    const base = `auth.tokens[${i}]`;
    const given = (['token', 'tokenEnv', 'sha256'] as const).filter((k) => t[k] !== undefined);
    if (given.length !== 1) {
      problems.push({ path: base, message: `give exactly one of token, tokenEnv, sha256 (found ${given.join(', ') || 'none'})` });
      return;
    }
    const key = `${base}.${given[0]}`;
    let digest: string | null;
    let value: string | undefined;
    if (t.sha256 !== undefined) {
      digest = t.sha256.toLowerCase();
      if (EXAMPLE_DIGESTS.has(digest)) problems.push({ path: key, message: `is the digest of an example placeholder; ${ADVICE}` });
    } else {
      value = t.token ?? (env[t.tokenEnv!] || undefined);
      const problem = value === undefined ? undefined : valueProblem(value, t.tokenEnv ? `${t.tokenEnv} holds ` : '');
      if (problem) problems.push({ path: key, message: problem });
      digest = value === undefined ? null : sha256Hex(value);
    }
    if (digest !== null) {
      const first = seen.get(digest);
      if (first) problems.push({ path: key, message: `duplicate token (same as ${first})` });
      else seen.set(digest, key);
    }
    out.push({ name: t.name, role: t.role, digest, key, ...(value !== undefined ? { token: value } : {}), ...(t.tokenEnv ? { env: t.tokenEnv } : {}) });
  });
  return out;
}

/**
 * What `heatwatch run`, `serve` and `check-config` refuse beyond the config's own checks: the
 * demo's published tokens and, unless `envRequired` is false, token variables that are not set.
 */
export function startupTokenProblems(tokens: TokenSpec[], o: { envRequired?: boolean } = {}): Problem[] {
  const problems: Problem[] = [];
  for (const t of tokens) {
    const demo = t.digest === null ? undefined : DEMO_DIGESTS.get(t.digest);
    if (demo) problems.push({ path: t.key, message: `'${demo}' is a demo token, published in the README; only \`heatwatch demo\` accepts it — ${ADVICE}` });
    else if (t.digest === null && o.envRequired !== false) problems.push({ path: t.key, message: `environment variable ${t.env} is not set` });
  }
  return problems;
}

/** Token variables not set in this environment (check-config mentions them; run refuses). */
export function unsetTokenEnvs(tokens: TokenSpec[]): TokenSpec[] {
  return tokens.filter((t) => t.digest === null);
}
