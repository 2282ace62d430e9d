import type { Logger } from 'pino';
import type { Sample } from '../model.ts';
import type { PollColumns } from '../poll-columns.ts';
import type { SeriesStore } from '../store/port.ts';
import { backoffDelay } from '../backoff.ts';
import { sliceColumns, takesColumns, toSamples, type PointTable, type SampleColumns } from './columns.ts';
import { ColumnQueue } from './queue.ts';
import type { IngestCounters } from './stats.ts';

export type WriteListener = (w: { rows: number; ms: number; ok: boolean }) => void;

export interface WriterOptions {
  store: SeriesStore;
  batchSize: number;
  maxDelayMs: number;
  queueLimit: number;
  retryBaseMs: number;
  retryMaxMs: number;
  logger: Logger;
  now: () => number;
  counters: IngestCounters;
  /** the point ids' table of the queue, if shared (the pipeline's latest values use the same) */
  table?: PointTable;
}

const DROP_LOG_EVERY_MS = 10_000;

/**
 * The one writer between the queue and the store: takes batches of up to `batchSize` when one
 * is full or its oldest sample is `maxDelayMs` old, one write in flight at a time, so a point's
 * samples reach the store in the order they were pushed. A failed write keeps its batch (the
 * oldest samples) and is retried with exponential backoff before anything newer is written;
 * while the store is away the queue grows up to `queueLimit`, then the oldest are dropped.
 * Stores that parallelise (InfluxDB: writeBatch × writeConcurrency) get batches big enough to
 * fill their writes in flight (see defaults.ts).
 */
export class BatchWriter {
  readonly queue: ColumnQueue;
  private readonly o: WriterOptions;
  /** the batch being written or waiting for its retry; the oldest samples held */
  private pending: SampleColumns | null = null;
  /** arrival time of the pending batch's oldest sample */
  private pendingAt = 0;
  private inFlight = false;
  private draining: Promise<void> | null = null;
  private ageTimer: NodeJS.Timeout | null = null;
  private backoff: { timer: NodeJS.Timeout; wake: () => void } | null = null;
  private failStreak = 0;
  private failSince = 0;
  private stopping = false;
  private stopped = false;
  private flushWaiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  private lastDropLog = -Infinity;
  readonly writeListeners = new Set<WriteListener>();

  constructor(opts: WriterOptions) {
    this.o = opts;
    this.queue = new ColumnQueue(opts.table);
  }

  get depth(): number {
    return this.queue.size + (this.pending ? this.pending.length : 0);
  }

  get writesInFlight(): number {
    return this.inFlight ? 1 : 0;
  }

  get failing(): boolean {
    return this.failStreak > 0;
  }

  /** How long the oldest held sample has waited, ms (0 when nothing is held). */
  ageMs(now: number): number {
    const at = this.pending && this.pending.length ? this.pendingAt : this.queue.oldestAt;
    return Number.isNaN(at) ? 0 : Math.max(0, now - at);
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  /** Queues an accepted batch (the writer owns it from here). */
  enqueue(batch: readonly Sample[], now: number): void {
    this.queue.push(batch, now);
    this.queued(batch.length, now);
  }

  /** {@link enqueue} for a poll's columns. */
  enqueuePoll(p: PollColumns, now: number): void {
    this.queue.pushPoll(p, now);
    this.queued(p.ids.length, now);
  }

  private queued(n: number, now: number): void {
    this.o.counters.queuedRate.add(now, n);
    this.enforceLimit(now);
    this.schedule();
  }

  /** Resolves when everything queued so far is written (waits through store outages); rejects if stop() gives up. */
  flush(): Promise<void> {
    if (this.depth === 0 && !this.inFlight) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.flushWaiters.push({ resolve, reject });
      this.kick();
    });
  }

  /** Writes what is queued, then stops; what a failing store leaves is dropped, counted and logged. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopping = true;
    if (this.ageTimer) clearTimeout(this.ageTimer);
    this.ageTimer = null;
    this.backoff?.wake();
    this.kick();
    while (this.draining) await this.draining;
    const left = this.depth;
    if (left > 0) {
      this.pending = null;
      this.queue.clear();
      this.o.counters.dropped += left;
      this.o.logger.error({ samples: left }, 'ingest stopped with unwritten samples; they are dropped');
    }
    this.stopped = true;
    this.settleWaiters();
  }

  /** Counts (and at most every 10 s logs) samples dropped for `reason`. */
  countDrop(n: number, now: number, reason: string): void {
    if (n <= 0) return;
    this.o.counters.dropped += n;
    if (now - this.lastDropLog >= DROP_LOG_EVERY_MS) {
      this.lastDropLog = now;
      this.o.logger.warn({ samples: n, droppedTotal: this.o.counters.dropped, queueLimit: this.o.queueLimit }, `ingest dropped samples: ${reason}`);
    }
  }

  private schedule(): void {
    if (this.draining || this.backoff) return;
    if (this.queue.size >= this.o.batchSize || this.flushWaiters.length > 0) {
      this.kick();
      return;
    }
    if (this.queue.size > 0 && !this.ageTimer) {
      const wait = Math.max(0, this.queue.oldestAt + this.o.maxDelayMs - this.o.now());
      this.ageTimer = setTimeout(() => {
        this.ageTimer = null;
        this.kick();
      }, wait);
    }
  }

  private kick(): void {
    if (this.draining) return;
    if (this.ageTimer) {
      clearTimeout(this.ageTimer);
      this.ageTimer = null;
    }
    this.draining = this.drain().finally(() => {
      this.draining = null;
      this.settleWaiters();
      if (!this.stopping) this.schedule();
    });
  }

  /** Takes batches and writes them until the queue holds less than a due batch. */
  private async drain(): Promise<void> {
    const o = this.o;
    const c = o.counters;
    let wrote = false;
    for (;;) {
      if (!this.pending) {
        if (this.queue.size === 0) return;
        const urgent = this.stopping || this.flushWaiters.length > 0 || this.queue.size >= o.batchSize;
        if (!urgent && o.now() - this.queue.oldestAt < o.maxDelayMs) return;
        // Let adapters' I/O run between back-to-back batches (an in-thread SQLite store writes synchronously).
        if (wrote) await new Promise((r) => setImmediate(r));
        this.pendingAt = this.queue.oldestAt;
        this.pending = this.queue.take(o.batchSize);
      }
      const batch = this.pending;
      this.inFlight = true;
      const t0 = performance.now();
      let error: unknown = null;
      try {
        // a store that takes columns gets them as queued; others get Sample objects, built now
        if (takesColumns(o.store)) await o.store.writeColumns(batch, this.queue.size >= 2 * o.batchSize);
        else await o.store.write(toSamples(batch, batch.table.ids));
      } catch (err) {
        error = err ?? new Error('store write failed');
      }
      this.inFlight = false;
      const ms = performance.now() - t0;
      c.lastWriteMs = ms;
      for (const l of this.writeListeners) {
        try {
          l({ rows: batch.length, ms, ok: error === null });
        } catch (err) {
          o.logger.error({ err }, 'write listener threw');
        }
      }
      if (error === null) {
        wrote = true;
        c.recordLatency(ms);
        c.stored += batch.length;
        const now = o.now();
        c.storedRate.add(now, batch.length);
        c.leftRate.add(now, batch.length);
        c.lastWriteAt = now;
        this.pending = null; // never trimmed while in flight (enforceLimit skips it)
        if (this.failStreak > 0) {
          o.logger.info({ failures: this.failStreak, downMs: now - this.failSince }, 'series store writes recovered');
          this.failStreak = 0;
        }
        this.settleWaiters();
        continue;
      }
      c.writeErrors++;
      if (this.failStreak === 0) {
        this.failSince = o.now();
        o.logger.error({ err: error, batch: batch.length, queueDepth: this.depth }, 'series store write failed; retrying with backoff');
      }
      this.failStreak++;
      if (this.stopping) return;
      await this.sleep(backoffDelay(this.failStreak - 1, { baseMs: o.retryBaseMs, maxMs: o.retryMaxMs }));
      if (this.pending && this.pending.length === 0) this.pending = null;
    }
  }

  /** The retry wait; stop() cuts it short. */
  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.backoff = null;
        resolve();
      }, ms);
      this.backoff = {
        timer,
        wake: () => {
          clearTimeout(timer);
          this.backoff = null;
          resolve();
        },
      };
    });
  }

  /** Drops the oldest samples beyond queueLimit: the waiting retry batch first (unless being written), then the queue. */
  private enforceLimit(now: number): void {
    let over = this.depth - this.o.queueLimit;
    if (over <= 0) return;
    let n = 0;
    if (this.pending && !this.inFlight) {
      const cut = Math.min(over, this.pending.length);
      this.pending = sliceColumns(this.pending, cut);
      over -= cut;
      n += cut;
    }
    n += this.queue.dropOldest(over);
    this.o.counters.leftRate.add(now, n);
    this.countDrop(n, now, 'queue over its limit');
  }

  private settleWaiters(): void {
    if (this.flushWaiters.length === 0) return;
    if (this.depth === 0 && !this.inFlight) {
      const w = this.flushWaiters;
      this.flushWaiters = [];
      for (const x of w) x.resolve();
    } else if (this.stopped) {
      const w = this.flushWaiters;
      this.flushWaiters = [];
      for (const x of w) x.reject(new Error('ingest stopped before these samples were written'));
    }
  }
}
