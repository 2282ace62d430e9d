/** How {@link waitFor} polls; a number is taken as `everyMs`. */
export interface WaitOptions {
  /** time between tries, default 50 ms */
  everyMs?: number;
  /** checked before each try: a message fails the wait at once (e.g. the process being waited for exited) */
  failIf?: () => string | undefined;
  /** context appended to a failure message (e.g. the tail of a child's log) */
  detail?: () => string;
}

/**
 * Polls `cond` until it returns a truthy value (which it resolves to) or the deadline passes;
 * tests wait on conditions with it, never on fixed sleeps. A throwing `cond` counts as false.
 *
 * @example
 * await waitFor(() => svc.pipeline.stats().stored > 200, 20_000, 'first samples stored');
 * await waitFor(ping, 30_000, 'influxd', { failIf: () => (child.exitCode !== null ? 'influxd exited' : undefined) });
 */
export async function waitFor<T>(cond: () => T | Promise<T>, timeoutMs = 10_000, what = 'condition', opts: number | WaitOptions = {}): Promise<NonNullable<T>> {
  const o: WaitOptions = typeof opts === 'number' ? { everyMs: opts } : opts;
  const end = Date.now() + timeoutMs;
  const detail = () => (o.detail ? `\n${o.detail()}` : '');
  let last: unknown;
  for (;;) {
    const failed = o.failIf?.();
    if (failed) throw new Error(`${what}: ${failed}${detail()}`);
    try {
      const v = await cond();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}${detail()}`);
    await new Promise((r) => setTimeout(r, o.everyMs ?? 50));
  }
}
