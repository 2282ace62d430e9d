/**
 * Telling "the state database cannot be reached" from every other failure: the API answers it
 * with 503 and says the change was not made (a transaction either committed or did nothing), so
 * a dispatcher retries instead of reading a 500 as a bug; health reports it as degraded.
 */

/** Network errors, and PostgreSQL's connection-exception (08) and shutdown (57P0x) classes. */
const CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', '57P01', '57P02', '57P03']);
const MESSAGES = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Cannot use a pool after calling end|the database system is (starting up|shutting down)/i;

export function isStateUnavailable(err: unknown): boolean {
  for (let e = err as { code?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && (CODES.has(e.code) || e.code.startsWith('08'))) return true;
    if (typeof e.message === 'string' && MESSAGES.test(e.message)) return true;
    if (e instanceof AggregateError && e.errors.some((x) => isStateUnavailable(x))) return true;
  }
  return false;
}
