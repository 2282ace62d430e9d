/**
 * The hourly retention pass: old samples out of the series store (every instance, its own store
 * or its share of the work), and old state rows (alarm events, audit, delivered and dead outbox
 * rows) in batches — in a cluster on the one instance holding the `retention` job.
 */
import type { Logger } from 'pino';
import { pruneState, type StateRetention } from './state/retention.ts';
import type { StateDb } from './state/db.ts';
import type { SeriesStore } from './store/port.ts';

const EVERY_MS = 3_600_000;

export interface RetentionSchedule {
  series: SeriesStore;
  stateDb: StateDb;
  state: StateRetention;
  now: () => number;
  logger: Logger;
  /** whether this instance prunes the shared state now (default: always) */
  prunesState?: () => boolean;
}

/** Starts the timer; the returned function stops it, and a prune under way stops at its next batch. */
export function scheduleRetention(o: RetentionSchedule): () => void {
  const stopPruning = new AbortController();
  const timer = setInterval(() => {
    o.series.applyRetention(o.now()).then(
      (n) => n > 0 && o.logger.info({ rows: n }, 'retention removed old samples'),
      (err: unknown) => o.logger.error({ err }, 'retention failed'),
    );
    if (o.prunesState && !o.prunesState()) return;
    pruneState(o.stateDb, o.state, o.now(), undefined, stopPruning.signal).then(
      (n) => Object.values(n).some((x) => x > 0) && o.logger.info({ rows: n }, 'retention removed old state rows'),
      (err: unknown) => o.logger.error({ err }, 'state retention failed'),
    );
  }, EVERY_MS);
  timer.unref();
  return () => {
    clearInterval(timer);
    stopPruning.abort();
  };
}
