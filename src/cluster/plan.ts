/**
 * Who should hold which lease, decided from what every instance can read in the state database:
 * the live members and the lease rows. Pure, so every instance computes the same division and
 * the tests can walk through crashes without a clock.
 *
 * Names are stations (`station:<id>`) and cluster-wide jobs (`job:<name>`). Each name goes to
 * the live member with the highest rendezvous hash of (name, member): a member joining or
 * leaving moves only the names it wins or held, about 1/N of them.
 *
 * @example
 * planLeases({ me: 'a', names: ['station:hs-001'], live: ['a', 'b'], leases: new Map(), now: 0 });
 * // → { claim: ['station:hs-001'] } when 'a' wins hs-001's hash, else { claim: [] }
 */

export interface LeaseRow {
  owner: string | null;
  expiresAt: number;
}

export interface LeasePlanInput {
  me: string;
  /** every name that needs an owner */
  names: readonly string[];
  /** members whose heartbeat is within the lease time, me included */
  live: readonly string[];
  leases: ReadonlyMap<string, LeaseRow>;
  now: number;
}

export interface LeasePlan {
  /** free, expired, or held by a member that is not live, and mine by the hash */
  claim: string[];
  /** held by me, but another live member wins it: let go so that it can claim */
  release: string[];
  /** held by me and still mine: extend */
  keep: string[];
}

/** FNV-1a, 32 bits: stable across processes and releases (the division must not change with Node's hash seed). */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // a final avalanche so that names differing in their last character spread over members
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  return h >>> 0;
}

/** The member that should hold `name` (highest random weight); ties broken by member id. */
export function ownerByHash(name: string, members: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestW = -1;
  for (const m of members) {
    const w = fnv1a(`${name}\u0000${m}`);
    if (w > bestW || (w === bestW && best !== undefined && m < best)) {
      best = m;
      bestW = w;
    }
  }
  return best;
}

export function planLeases(i: LeasePlanInput): LeasePlan {
  const live = new Set(i.live);
  const plan: LeasePlan = { claim: [], release: [], keep: [] };
  for (const name of i.names) {
    const want = ownerByHash(name, i.live);
    const row = i.leases.get(name);
    const held = row && row.owner !== null && row.expiresAt > i.now && live.has(row.owner) ? row.owner : null;
    if (held === i.me) (want === i.me ? plan.keep : plan.release).push(name);
    else if (held === null && want === i.me) plan.claim.push(name);
  }
  // names that need no owner any more (a station taken out of the config) are let go too
  const needed = new Set(i.names);
  for (const [name, row] of i.leases) if (row.owner === i.me && !needed.has(name)) plan.release.push(name);
  return plan;
}
