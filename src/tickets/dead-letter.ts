/**
 * When a failed webhook attempt ends an event's delivery (pure). A receiver that keeps failing
 * one event must not hold back its later events for ever, so after a cap the event is
 * dead-lettered: kept, counted, listed for an admin, and re-sendable (outbox-rows.ts).
 *
 * @example
 *   afterFailure({ kind: 'retry', attempt: 20, ageMs: 3_600_000 }, { maxAttempts: 20, maxAgeMs: 48 * 3_600_000 });
 *   // → { dead: true, reason: 'max_attempts' }
 */

export type FailureVerdict = { dead: false; reason: 'retry' } | { dead: true; reason: 'permanent' | 'max_attempts' | 'max_age' };

export interface DeadLetterLimits {
  maxAttempts: number;
  maxAgeMs: number;
}

export const DEFAULT_DEAD_LETTER_LIMITS: DeadLetterLimits = { maxAttempts: 20, maxAgeMs: 48 * 3_600_000 };

/**
 * `attempt` is the attempt that just failed (1-based); `ageMs` the time since the event's
 * delivery began (its creation, or an admin's re-send). Every event gets at least one attempt.
 */
export function afterFailure(f: { kind: 'retry' | 'permanent'; attempt: number; ageMs: number }, limits: Partial<DeadLetterLimits> = {}): FailureVerdict {
  const l = { ...DEFAULT_DEAD_LETTER_LIMITS, ...limits };
  if (f.kind === 'permanent') return { dead: true, reason: 'permanent' };
  if (f.attempt >= l.maxAttempts) return { dead: true, reason: 'max_attempts' };
  if (f.ageMs >= l.maxAgeMs) return { dead: true, reason: 'max_age' };
  return { dead: false, reason: 'retry' };
}

/**
 * A receiver URL fit for logs and API answers: scheme, host and path only. Webhook URLs often
 * carry their credential (`?key=...`, `user:pass@`), which must never be logged or returned.
 */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}${u.search ? '?…' : ''}`;
  } catch {
    return '(unparseable url)';
  }
}
