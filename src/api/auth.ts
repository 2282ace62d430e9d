import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { RoleName } from '../config/schema.ts';
import type { TokenSpec } from './tokens.ts';
import { FailureLimiter } from './failures.ts';
import { ApiError, forbidden, unauthorized } from './errors.ts';
import { roleAtLeast } from '../roles.ts';


export interface Principal {
  name: string;
  role: RoleName;
  /** the config key of the token (per-token limits count by it) */
  key?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

export { roleAtLeast };

/**
 * Routes that take `?token=`: those a browser opens without being able to set a header (the
 * websocket, a CSV link, an attachment link). Anywhere else a token in the URL ends up in proxy
 * and access logs, so it is refused.
 */
const QUERY_TOKEN_ROUTES: Record<string, (query: Record<string, unknown>) => boolean> = {
  '/ws': () => true,
  '/api/series': (q) => q.format === 'csv',
  '/api/tickets/:id/attachments/:aid': () => true,
};

export function queryTokenAllowed(req: FastifyRequest): boolean {
  if (req.method !== 'GET') return false;
  const allow = QUERY_TOKEN_ROUTES[req.routeOptions.url ?? ''];
  return allow !== undefined && allow((req.query ?? {}) as Record<string, unknown>);
}

export interface TokenAuthOptions {
  /** failed attempts per client address within windowMs before 429 (defaults 20 per 60 s) */
  authFailures?: { max: number; windowMs: number };
  now?: () => number;
}

/**
 * Bearer-token authentication: every /api read needs a valid token; writes need a role.
 * Tokens are held as SHA-256 digests and compared in constant time, all of them every time.
 */
export class TokenAuth {
  private readonly entries: Array<{ digest: Buffer; principal: Principal }>;
  readonly failures: FailureLimiter;

  constructor(tokens: TokenSpec[], o: TokenAuthOptions = {}) {
    this.entries = tokens
      .filter((t) => t.digest !== null)
      .map((t) => ({ digest: Buffer.from(t.digest!, 'hex'), principal: { name: t.name, role: t.role, key: t.key } }));
    this.failures = new FailureLimiter({ max: o.authFailures?.max ?? 20, windowMs: o.authFailures?.windowMs ?? 60_000, ...(o.now ? { now: o.now } : {}) });
  }

  /** The principal of a token, or undefined. */
  lookup(token: string): Principal | undefined {
    const d = createHash('sha256').update(token, 'utf8').digest();
    let found: Principal | undefined;
    // no early exit: the time taken does not depend on which entry matched
    for (const e of this.entries) if (timingSafeEqual(d, e.digest) && !found) found = e.principal;
    return found;
  }

  /** token from `Authorization: Bearer X`, or `?token=X` where {@link queryTokenAllowed} */
  presented(req: FastifyRequest): { token?: string; misplaced?: boolean } {
    const header = req.headers.authorization;
    if (header?.startsWith('Bearer ')) return { token: header.slice(7).trim() };
    const q = (req.query as Record<string, unknown> | undefined)?.token;
    if (typeof q !== 'string') return {};
    return queryTokenAllowed(req) ? { token: q } : { misplaced: true };
  }

  identify(req: FastifyRequest): Principal | undefined {
    const { token } = this.presented(req);
    return token === undefined ? undefined : this.lookup(token);
  }

  require(req: FastifyRequest, need: RoleName): Principal {
    let p = req.principal;
    if (!p) {
      const wait = this.failures.retryAfterS(req.ip);
      if (wait > 0) throw new ApiError(429, 'too_many_failures', `too many failed token attempts from this address; retry in ${wait} s`, undefined, { 'retry-after': String(wait) });
      const { token, misplaced } = this.presented(req);
      if (misplaced) throw new ApiError(401, 'unauthorized', '?token= is accepted only on /ws and GET downloads; send Authorization: Bearer TOKEN');
      if (token === undefined) throw unauthorized();
      p = this.lookup(token);
      if (!p) {
        this.failures.fail(req.ip);
        throw unauthorized();
      }
    }
    if (!roleAtLeast(p.role, need)) throw forbidden(need);
    req.principal = p;
    return p;
  }
}
