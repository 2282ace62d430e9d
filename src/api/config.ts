/**
 * `api:` config (DESIGN §3): listen address, optional TLS, /ws limits and the failed-token
 * limit. Every key but host and port is optional; `resolveApiSettings` fills the defaults.
 */
import { accessSync, constants } from 'node:fs';
import Type, { type Static } from 'typebox';

const strict = { additionalProperties: false } as const;

export const ApiConfig = Type.Object(
  {
    host: Type.Optional(Type.String()),
    port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
    /** HTTPS (and wss) with these PEM files; without it the API is plain HTTP */
    tls: Type.Optional(Type.Object({ cert: Type.String({ minLength: 1 }), key: Type.String({ minLength: 1 }) }, strict)),
    ws: Type.Optional(
      Type.Object(
        {
          /** open /ws connections per instance (default 2000) */
          maxClients: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
          /** open /ws connections per token (default 200) */
          maxPerToken: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
          /** ping interval; a client that has not answered the previous ping is closed (default 30000) */
          pingMs: Type.Optional(Type.Integer({ minimum: 50, maximum: 600_000 })),
          /** bytes a client may be behind before it is dropped (default 16 MiB); the queue is shared, so this bounds the hub's memory */
          maxBufferedBytes: Type.Optional(Type.Integer({ minimum: 1024, maximum: 1024 * 2 ** 20 })),
        },
        strict,
      ),
    ),
    /** failed token attempts per client address within windowS before 429 (defaults 20 and 60) */
    authFailures: Type.Optional(
      Type.Object({ max: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })), windowS: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400 })) }, strict),
    ),
  },
  strict,
);
export type ApiConfigInput = Static<typeof ApiConfig>;

export interface WsSettings {
  maxClients: number;
  maxPerToken: number;
  pingMs: number;
  maxBufferedBytes: number;
}

export interface ApiSettings {
  host: string;
  port: number;
  tls?: { cert: string; key: string };
  ws: WsSettings;
  authFailures: { max: number; windowMs: number };
}

export const WS_DEFAULTS: WsSettings = { maxClients: 2000, maxPerToken: 200, pingMs: 30_000, maxBufferedBytes: 16 * 2 ** 20 };

/** Defaults filled in; a TLS file that cannot be read is a problem named by its key. */
export function resolveApiSettings(input: ApiConfigInput | undefined, problems: Array<{ path: string; message: string }>): ApiSettings {
  const tls = input?.tls;
  if (tls) {
    for (const k of ['cert', 'key'] as const) {
      try {
        accessSync(tls[k], constants.R_OK);
      } catch (err) {
        problems.push({ path: `api.tls.${k}`, message: `cannot read ${tls[k]}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
      }
    }
  }
  return {
    host: input?.host ?? '127.0.0.1',
    port: input?.port ?? 8080,
    ...(tls ? { tls: { cert: tls.cert, key: tls.key } } : {}),
    ws: { ...WS_DEFAULTS, ...input?.ws },
    authFailures: { max: input?.authFailures?.max ?? 20, windowMs: (input?.authFailures?.windowS ?? 60) * 1000 },
  };
}
