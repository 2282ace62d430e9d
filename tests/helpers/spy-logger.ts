/**
 * A pino-shaped logger whose calls a test can read (and that prints nothing), for modules that
 * take a logger.
 *
 * @example
 * const log = spyLogger(); run(log); expect(log.error).toHaveBeenCalledWith(expect.anything(), expect.stringContaining('failed'));
 */
import type { Logger } from 'pino';
import { vi } from 'vitest';

export function spyLogger(): Logger & { error: ReturnType<typeof vi.fn>; info: ReturnType<typeof vi.fn>; warn: ReturnType<typeof vi.fn> } {
  const l = { error: vi.fn(), info: vi.fn(), warn: vi.fn(), debug: vi.fn(), trace: vi.fn(), fatal: vi.fn() } as Record<string, unknown>;
  l.child = () => l;
  return l as never;
}
