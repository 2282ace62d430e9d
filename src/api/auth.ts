import type { FastifyRequest } from 'fastify';
import type { RoleName } from '../config/schema.ts';
import type { TokenSpec } from '../config/resolve.ts';
import { forbidden, unauthorized } from './errors.ts';

const RANK: Record<RoleName, number> = { viewer: 0, operator: 1, qa: 1, engineer: 2, admin: 3 };

export interface Principal {
  name: string;
  role: RoleName;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

export function roleAtLeast(role: RoleName, need: RoleName): boolean {
  return RANK[role] >= RANK[need];
}

/** Bearer-token authentication: every /api read needs a valid token; writes need a role. */
export class TokenAuth {
  private readonly byToken: Map<string, Principal>;

  constructor(tokens: TokenSpec[]) {
    this.byToken = new Map(tokens.map((t) => [t.token, { name: t.name, role: t.role }]));
  }

  /** token from `Authorization: Bearer X`, or `?token=X` for the websocket and CSV links */
  identify(req: FastifyRequest): Principal | undefined {
    const header = req.headers.authorization;
    let token: string | undefined;
    if (header?.startsWith('Bearer ')) token = header.slice(7).trim();
    else if (typeof (req.query as Record<string, unknown> | undefined)?.token === 'string') {
      token = (req.query as Record<string, string>).token;
    }
    return token === undefined ? undefined : this.byToken.get(token);
  }

  require(req: FastifyRequest, need: RoleName): Principal {
    const p = req.principal ?? this.identify(req);
    if (!p) throw unauthorized();
    if (!roleAtLeast(p.role, need)) throw forbidden(need);
    req.principal = p;
    return p;
  }
}
