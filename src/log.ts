import pino, { type Logger } from 'pino';

export type { Logger };

/** The process logger; modules take child loggers carrying { station, device } or { module }. */
export function createLogger(level = 'info'): Logger {
  return pino({ level, base: { app: 'heatwatch' }, timestamp: pino.stdTimeFunctions.isoTime });
}
