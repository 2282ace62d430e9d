/**
 * `cluster`: how a `serve` instance takes part when several share their state in PostgreSQL
 * (`storage.state.kind: postgresql`). Every key is optional.
 *
 * @example
 * cluster: { instance: serve-b, leaseMs: 20000, renewMs: 5000 }
 */
import { hostname } from 'node:os';
import Type, { type Static } from 'typebox';

export const ClusterConfig = Type.Object(
  {
    /** this instance's name, unique in the cluster; default `<host>-<api port>`, the same across restarts */
    instance: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' })),
    /** how long a lease and a heartbeat last (default 20000): a dead instance's stations move within it plus one renewal */
    leaseMs: Type.Optional(Type.Integer({ minimum: 1500, maximum: 600_000 })),
    /** how often leases are renewed (default 5000); at most a third of leaseMs */
    renewMs: Type.Optional(Type.Integer({ minimum: 200, maximum: 200_000 })),
  },
  { additionalProperties: false },
);
export type ClusterInput = Static<typeof ClusterConfig>;

export interface ClusterSettings {
  instance: string;
  leaseMs: number;
  renewMs: number;
}

export function resolveCluster(c: ClusterInput | undefined, apiPort: number, problems: Array<{ path: string; message: string }>): ClusterSettings {
  const leaseMs = c?.leaseMs ?? 20_000;
  const renewMs = c?.renewMs ?? Math.min(5_000, Math.floor(leaseMs / 4));
  if (renewMs * 3 > leaseMs) problems.push({ path: 'cluster.renewMs', message: `is ${renewMs}: renew at most every third of leaseMs (${leaseMs})` });
  return { instance: c?.instance ?? `${hostname()}-${apiPort}`, leaseMs, renewMs };
}
