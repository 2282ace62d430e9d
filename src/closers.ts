/**
 * What a start-up has opened, to close in reverse order: on `stop()`, and when a later step of
 * the start-up throws (a port taken, a store failing), so a failed start leaves no socket, timer
 * or open database behind.
 *
 * @example
 *   const closers = new Closers(log);
 *   const db = open(); closers.add('state database', () => db.close());
 *   try { await listen(); } catch (err) { await closers.closeAll(); throw err; }
 */
import type { Logger } from 'pino';

export class Closers {
  private readonly list: Array<{ name: string; close: () => unknown }> = [];
  private closing: Promise<void> | null = null;

  constructor(private readonly log?: Logger) {}

  /** Registers a closer; register it as soon as the thing is open (before a start that may throw). */
  add(name: string, close: () => unknown): void {
    this.list.push({ name, close });
  }

  /** Closes everything, last opened first; a failing closer is logged and the rest still run. Idempotent. */
  closeAll(): Promise<void> {
    this.closing ??= (async () => {
      for (const c of this.list.splice(0).reverse()) {
        try {
          await c.close();
        } catch (err) {
          this.log?.error({ err }, `closing ${c.name} failed`);
        }
      }
    })();
    return this.closing;
  }
}
