/**
 * Exponential backoff with a cap and optional jitter: the one formula every retry loop uses
 * (Modbus and OPC UA reconnects, the MQTT client, store writes, the spool forwarder, webhooks).
 * Pure: the random source is injected, so tests pin it.
 *
 * @example
 * ```ts
 * backoffDelay(0, { baseMs: 500, maxMs: 30_000 }); // 500
 * backoffDelay(3, { baseMs: 500, maxMs: 30_000 }); // 4000
 * backoffDelay(9, { baseMs: 500, maxMs: 30_000 }); // 30000 (capped)
 * // "equal jitter": a delay in [b/2, b]
 * backoffDelay(2, { baseMs: 500, maxMs: 30_000, jitter: 0.5, random: () => 0 }); // 1000
 * ```
 */
export interface Backoff {
  /** the delay of attempt 0 */
  baseMs: number;
  /** the doubling stops here */
  maxMs: number;
  /**
   * Fraction of the delay that is random, taken off the top: the delay is uniform in
   * [b·(1 − jitter), b]. 0 (default) none; 0.5 "equal jitter". Jitter spreads the retries of
   * many clients that failed together (a broker or store restart) so they do not return at once.
   */
  jitter?: number;
  /** uniform in [0, 1); default Math.random */
  random?: () => number;
}

/** Delay before retry `attempt` (0 for the first): b = min(maxMs, baseMs × 2^attempt), jittered, in whole ms. */
export function backoffDelay(attempt: number, o: Backoff): number {
  // past 2^64 any cap has long been reached; the bound keeps a zero base from giving 0 × ∞ = NaN
  const b = Math.min(o.maxMs, o.baseMs * 2 ** Math.min(Math.max(0, attempt), 64));
  const jitter = o.jitter ?? 0;
  if (jitter <= 0) return Math.round(b);
  const r = (o.random ?? Math.random)();
  return Math.round(b * (1 - jitter) + b * jitter * r);
}
