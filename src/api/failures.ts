/**
 * Failed token attempts per client address: after `max` failures within `windowMs` of the
 * first, the address is refused (429) until that window ends, so guessing a token costs a
 * window per `max` tries. The clock is injected; the table is bounded (oldest addresses go first).
 *
 * @example
 * const f = new FailureLimiter({ max: 20, windowMs: 60_000, now: () => clock });
 * if (f.retryAfterS(ip) > 0) reply 429; else if (badToken) f.fail(ip);
 */
export interface FailureLimits {
  max: number;
  windowMs: number;
  now?: () => number;
  /** addresses tracked at most; beyond it the oldest entries are forgotten (default 10000) */
  maxAddresses?: number;
}

export class FailureLimiter {
  private readonly byAddress = new Map<string, { since: number; count: number }>();
  private readonly now: () => number;
  /** failures counted and requests refused, for /metrics */
  readonly counts = { failures: 0, refused: 0 };

  constructor(private readonly o: FailureLimits) {
    this.now = o.now ?? Date.now;
  }

  /** Seconds until `address` may try again; 0 when it may now. Counts a refusal when > 0. */
  retryAfterS(address: string): number {
    const e = this.byAddress.get(address);
    if (!e) return 0;
    const left = e.since + this.o.windowMs - this.now();
    if (left <= 0) {
      this.byAddress.delete(address);
      return 0;
    }
    if (e.count < this.o.max) return 0;
    this.counts.refused++;
    return Math.ceil(left / 1000);
  }

  /** Records one failed attempt from `address`. */
  fail(address: string): void {
    this.counts.failures++;
    const t = this.now();
    const e = this.byAddress.get(address);
    if (e && t - e.since < this.o.windowMs) {
      e.count++;
      return;
    }
    this.byAddress.delete(address);
    this.byAddress.set(address, { since: t, count: 1 });
    this.prune(t);
  }

  get size(): number {
    return this.byAddress.size;
  }

  private prune(t: number): void {
    const cap = this.o.maxAddresses ?? 10_000;
    if (this.byAddress.size <= cap) return;
    // entries are in order of their window's start: expired ones first, then the oldest
    for (const [k, e] of this.byAddress) {
      if (this.byAddress.size <= cap && t - e.since < this.o.windowMs) break;
      this.byAddress.delete(k);
    }
  }
}
