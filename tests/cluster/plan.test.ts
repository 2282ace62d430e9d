import { describe, expect, it } from 'vitest';
import { ownerByHash, planLeases, type LeaseRow } from '../../src/cluster/plan.ts';

const stations = Array.from({ length: 1000 }, (_, i) => `station:hs-${String(i + 1).padStart(4, '0')}`);

describe('division of leases', () => {
  it('spreads names evenly and moves only the leaver\'s share', () => {
    const three = new Map<string, number>();
    const before = new Map(stations.map((n) => [n, ownerByHash(n, ['a', 'b', 'c'])!]));
    for (const o of before.values()) three.set(o, (three.get(o) ?? 0) + 1);
    for (const m of ['a', 'b', 'c']) expect(three.get(m)).toBeGreaterThan(280);
    const after = new Map(stations.map((n) => [n, ownerByHash(n, ['a', 'c'])!]));
    const moved = stations.filter((n) => before.get(n) !== after.get(n));
    expect(moved.every((n) => before.get(n) === 'b')).toBe(true);
    expect(moved).toHaveLength(three.get('b')!);
  });

  it('claims what is free or held by a dead member, keeps and releases what is held', () => {
    const [s1, s2, s3, s4] = stations.filter((n) => ownerByHash(n, ['a', 'b']) === 'a').slice(0, 4);
    const theirs = stations.find((n) => ownerByHash(n, ['a', 'b']) === 'b')!;
    const leases = new Map<string, LeaseRow>([
      [s1, { owner: 'a', expiresAt: 100 }], // mine, valid: keep
      [s2, { owner: 'dead', expiresAt: 10_000 }], // a dead member's, edited by hand to last: claim
      [s3, { owner: 'a', expiresAt: 5 }], // mine but expired: claim again
      [theirs, { owner: 'a', expiresAt: 100 }], // mine, but b wins it: release
      ['station:gone', { owner: 'a', expiresAt: 100 }], // not needed any more: release
    ]);
    const plan = planLeases({ me: 'a', names: [s1, s2, s3, s4, theirs], live: ['a', 'b'], leases, now: 50 });
    expect(plan.keep).toEqual([s1]);
    expect(plan.claim.sort()).toEqual([s2, s3, s4].sort());
    expect(plan.release.sort()).toEqual(['station:gone', theirs].sort());
  });

  it('never claims a name a live member holds, even when the hash says mine', () => {
    const mine = stations.find((n) => ownerByHash(n, ['a', 'b']) === 'a')!;
    const plan = planLeases({ me: 'a', names: [mine], live: ['a', 'b'], leases: new Map([[mine, { owner: 'b', expiresAt: 100 }]]), now: 50 });
    expect(plan).toEqual({ claim: [], release: [], keep: [] });
  });
});
