import type { Logger } from 'pino';
import { sampleProblem, type Sample, type SampleProblem } from '../model.ts';
import type { SeriesStore } from '../store/port.ts';
import { LatestValues } from './latest.ts';
import { backoffDelay } from '../backoff.ts';

export interface PipelineOptions {
  store: SeriesStore;
  /** most samples per store write */
  batchSize?: number;
  /** a queued sample is written at the latest this long after it arrived (while the store keeps up) */
  maxDelayMs?: number;
  /** samples held in memory (queued + the batch being retried); beyond it the oldest are dropped and counted */
  queueLimit?: number;
  logger: Logger;
  /** first retry delay after a failed write; doubles per failure up to retryMaxMs */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** clock, for tests */
  now?: () => number;
}

export interface PipelineStats {
  received: number;
  stored: number;
  /** samples dropped: queue over its limit, pushed after stop(), or invalid */
  dropped: number;
  /** of `dropped`, samples refused by the sample rule (model.ts `sampleProblem`) */
  rejected: number;
  /** `rejected` by reason: malformed, dated before 2000, or more than 5 minutes ahead of the clock */
  rejectedBy: Record<SampleProblem, number>;
  /** failed store writes (each retry counts) */
  writeErrors: number;
  queueDepth: number;
  /** duration of the most recent store write, ms */
  lastWriteMs: number;
  /** when the most recent successful write ended, ms epoch (0 = never) */
  lastWriteAt: number;
  /** over the last 256 writes, ms */
  writeLatency: { p50: number; p99: number };
  /** true while the store is failing (between a failed write and the next good one) */
  failing: boolean;
  /** samples received / stored per second over the last ~10 s */
  receivedPerSecond: number;
  storedPerSecond: number;
}

export type SamplesListener = (batch: Sample[]) => void;
export type WriteListener = (w: { rows: number; ms: number; ok: boolean }) => void;

interface Chunk {
  s: Sample[];
  off: number;
  at: number;
}

const LATENCY_WINDOW = 256;
const DROP_LOG_EVERY_MS = 10_000;

/**
 * Between adapters and the series store: fans every pushed batch out to listeners
 * (live feed, alarms) synchronously, keeps the latest sample per point, and writes
 * to the store in batches of up to `batchSize`, when full or `maxDelayMs` old, one
 * write in flight at a time. A failed write keeps its batch at the head of the queue
 * and is retried with exponential backoff, so nothing is lost while the store is away
 * until the queue reaches `queueLimit`; then the oldest samples are dropped, counted
 * and logged.
 *
 * @example
 * const p = new IngestPipeline({ store, batchSize: 5000, maxDelayMs: 1000, queueLimit: 1_000_000, logger });
 * p.onSamples((batch) => alarms.feed(batch));
 * adapterSink.samples = (batch) => p.push(batch);
 * await p.stop();
 */
export class IngestPipeline {
  /** newest sample per point, from every pushed sample (whether stored yet or not) */
  /** newest sample per point (pushed, written or not) */
  readonly latest = new LatestValues();
  private readonly store: SeriesStore;
  private readonly batchSize: number;
  private readonly maxDelayMs: number;
  private readonly queueLimit: number;
  private readonly log: Logger;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  private readonly now: () => number;

  private chunks: Chunk[] = [];
  private head = 0;
  private queued = 0;
  /** the batch being written or waiting for its retry; the oldest samples held */
  private pending: Sample[] | null = null;
  private inFlight = false;
  private draining: Promise<void> | null = null;
  private ageTimer: NodeJS.Timeout | null = null;
  private backoff: { timer: NodeJS.Timeout; wake: () => void } | null = null;
  private failStreak = 0;
  private failSince = 0;
  private stopping = false;
  private stopped = false;
  private flushWaiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  private readonly listeners = new Set<SamplesListener>();
  private readonly writeListeners = new Set<WriteListener>();

  private received = 0;
  private stored = 0;
  private dropped = 0;
  private rejected = 0;
  private readonly rejectedBy: Record<SampleProblem, number> = { malformed: 0, too_old: 0, future: 0 };
  /** devices (`station.device`) whose refused sample was logged: once each */
  private readonly rejectLogged = new Set<string>();
  private writeErrors = 0;
  private lastWriteMs = 0;
  private lastWriteAt = 0;
  private readonly latencies = new Float64Array(LATENCY_WINDOW);
  private latencyN = 0;
  private lastDropLog = -Infinity;
  private readonly receivedRate = new RateWindow();
  private readonly storedRate = new RateWindow();

  constructor(opts: PipelineOptions) {
    this.store = opts.store;
    this.batchSize = opts.batchSize ?? 5000;
    this.maxDelayMs = opts.maxDelayMs ?? 1000;
    this.queueLimit = opts.queueLimit ?? 1_000_000;
    this.log = opts.logger;
    this.retryBaseMs = opts.retryBaseMs ?? 100;
    this.retryMaxMs = opts.retryMaxMs ?? 10_000;
    this.now = opts.now ?? Date.now;
    if (!(this.batchSize >= 1 && this.maxDelayMs >= 0 && this.queueLimit >= 1)) {
      throw new RangeError(`ingest: batchSize ${this.batchSize}, maxDelayMs ${this.maxDelayMs}, queueLimit ${this.queueLimit} out of range`);
    }
  }

  /** Takes one batch from an adapter. Synchronous; never blocks, never throws. The pipeline owns `batch` afterwards. */
  push(batch: Sample[]): void {
    try {
      const now = this.now();
      if (this.stopping) {
        this.countDrop(batch.length, now, 'pushed after stop');
        return;
      }
      let good = batch;
      for (let i = 0; i < batch.length; i++) {
        if (sampleProblem(batch[i], now) !== null) {
          good = this.refuse(batch, now);
          break;
        }
      }
      if (good.length === 0) return;
      this.received += good.length;
      this.receivedRate.add(now, good.length);
      for (const s of good) {
        this.latest.set(s);
      }
      for (const l of this.listeners) {
        try {
          l(good);
        } catch (err) {
          this.log.error({ err }, 'sample listener threw; ingest continues');
        }
      }
      this.chunks.push({ s: good, off: 0, at: now });
      this.queued += good.length;
      this.enforceLimit(now);
      this.schedule();
    } catch (err) {
      try {
        this.log.error({ err }, 'ingest push failed');
      } catch {
        /* nothing more to do */
      }
    }
  }

  /** The samples of `batch` the sample rule accepts; the others counted, and logged once per device. */
  private refuse(batch: Sample[], now: number): Sample[] {
    const good: Sample[] = [];
    for (const x of batch) {
      const problem = sampleProblem(x, now);
      if (problem === null) {
        good.push(x);
        continue;
      }
      this.rejected++;
      this.received++;
      this.dropped++;
      this.rejectedBy[problem]++;
      const point = typeof x?.point === 'string' ? x.point : '';
      const device = point.slice(0, point.lastIndexOf('.'));
      if (!this.rejectLogged.has(device) && this.rejectLogged.size < 10_000) {
        this.rejectLogged.add(device);
        this.log.warn({ device: device || null, sample: x, reason: problem, now }, `ingest refused a sample (${problem}); not stored, logged once per device`);
      }
    }
    return good;
  }

  /** Subscribes to every pushed batch (called synchronously inside push); returns the unsubscribe function. */
  onSamples(listener: SamplesListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Subscribes to store write outcomes (one call per write, for metrics). */
  onWrite(listener: WriteListener): () => void {
    this.writeListeners.add(listener);
    return () => this.writeListeners.delete(listener);
  }

  stats(): PipelineStats {
    const n = Math.min(this.latencyN, LATENCY_WINDOW);
    const sorted = Array.from(this.latencies.subarray(0, n)).sort((a, b) => a - b);
    const pct = (p: number) => (n === 0 ? 0 : sorted[Math.min(n - 1, Math.floor(p * n))]);
    const now = this.now();
    return {
      received: this.received,
      stored: this.stored,
      dropped: this.dropped,
      rejected: this.rejected,
      rejectedBy: { ...this.rejectedBy },
      writeErrors: this.writeErrors,
      queueDepth: this.depth(),
      lastWriteMs: this.lastWriteMs,
      lastWriteAt: this.lastWriteAt,
      writeLatency: { p50: pct(0.5), p99: pct(0.99) },
      failing: this.failStreak > 0,
      receivedPerSecond: this.receivedRate.rate(now),
      storedPerSecond: this.storedRate.rate(now),
    };
  }

  /** Resolves when everything queued so far is written (waits through store outages); rejects if stop() gives up. */
  flush(): Promise<void> {
    if (this.depth() === 0 && !this.inFlight) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.flushWaiters.push({ resolve, reject });
      this.kick();
    });
  }

  /**
   * Stops accepting samples (later pushes are counted as dropped), writes what is queued,
   * and resolves. If the store fails during this last drain, the rest is dropped, counted and logged.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopping = true;
    if (this.ageTimer) clearTimeout(this.ageTimer);
    this.ageTimer = null;
    this.backoff?.wake();
    this.kick();
    while (this.draining) await this.draining;
    const left = this.depth();
    if (left > 0) {
      this.dropAll();
      this.log.error({ samples: left }, 'ingest stopped with unwritten samples; they are dropped');
    }
    this.stopped = true;
    this.settleWaiters();
  }

  private depth(): number {
    return this.queued + (this.pending ? this.pending.length : 0);
  }

  private schedule(): void {
    if (this.draining || this.backoff) return;
    if (this.queued >= this.batchSize || this.flushWaiters.length > 0) {
      this.kick();
      return;
    }
    if (this.queued > 0 && !this.ageTimer) {
      const oldest = this.chunks[this.head].at;
      const wait = Math.max(0, oldest + this.maxDelayMs - this.now());
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

  /** The one writer: takes batches and writes them until the queue holds less than a due batch. */
  private async drain(): Promise<void> {
    let wrote = false;
    for (;;) {
      if (!this.pending) {
        if (this.queued === 0) return;
        const urgent = this.stopping || this.flushWaiters.length > 0 || this.queued >= this.batchSize;
        if (!urgent && this.now() - this.chunks[this.head].at < this.maxDelayMs) return;
        // Let adapters' I/O run between back-to-back batches (better-sqlite3 writes synchronously).
        if (wrote) await new Promise((r) => setImmediate(r));
        this.pending = this.take(this.batchSize);
      }
      const batch = this.pending;
      this.inFlight = true;
      const t0 = performance.now();
      let error: unknown = null;
      try {
        await this.store.write(batch);
      } catch (err) {
        error = err ?? new Error('store write failed');
      }
      this.inFlight = false;
      const ms = performance.now() - t0;
      this.lastWriteMs = ms;
      for (const l of this.writeListeners) {
        try {
          l({ rows: batch.length, ms, ok: error === null });
        } catch (err) {
          this.log.error({ err }, 'write listener threw');
        }
      }
      if (error === null) {
        wrote = true;
        this.recordLatency(ms);
        this.stored += batch.length;
        const now = this.now();
        this.storedRate.add(now, batch.length);
        this.lastWriteAt = now;
        this.pending = null; // never trimmed while in flight (enforceLimit skips it)
        if (this.failStreak > 0) {
          this.log.info({ failures: this.failStreak, downMs: now - this.failSince }, 'series store writes recovered');
          this.failStreak = 0;
        }
        this.settleWaiters();
        continue;
      }
      this.writeErrors++;
      if (this.failStreak === 0) {
        this.failSince = this.now();
        this.log.error({ err: error, batch: batch.length, queueDepth: this.depth() }, 'series store write failed; retrying with backoff');
      }
      this.failStreak++;
      if (this.stopping) return;
      const delay = backoffDelay(this.failStreak - 1, { baseMs: this.retryBaseMs, maxMs: this.retryMaxMs });
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.backoff = null;
          resolve();
        }, delay);
        this.backoff = {
          timer,
          wake: () => {
            clearTimeout(timer);
            this.backoff = null;
            resolve();
          },
        };
      });
      if (this.pending && this.pending.length === 0) this.pending = null;
    }
  }

  /** Removes up to n of the oldest queued samples into one array. */
  private take(n: number): Sample[] {
    const out: Sample[] = [];
    while (out.length < n && this.head < this.chunks.length) {
      const c = this.chunks[this.head];
      const want = n - out.length;
      const avail = c.s.length - c.off;
      if (c.off === 0 && avail <= want && out.length === 0 && avail === n) {
        out.push(...c.s);
      } else {
        const end = c.off + Math.min(want, avail);
        for (let i = c.off; i < end; i++) out.push(c.s[i]);
      }
      const used = Math.min(want, avail);
      c.off += used;
      this.queued -= used;
      if (c.off >= c.s.length) this.head++;
    }
    this.compact();
    return out;
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    } else if (this.head === this.chunks.length) {
      this.chunks = [];
      this.head = 0;
    }
  }

  /** Drops the oldest samples beyond queueLimit: the waiting retry batch first (unless being written), then the queue. */
  private enforceLimit(now: number): void {
    let over = this.depth() - this.queueLimit;
    if (over <= 0) return;
    let n = 0;
    if (this.pending && !this.inFlight) {
      const cut = Math.min(over, this.pending.length);
      this.pending = this.pending.slice(cut);
      over -= cut;
      n += cut;
    }
    while (over > 0 && this.head < this.chunks.length) {
      const c = this.chunks[this.head];
      const cut = Math.min(over, c.s.length - c.off);
      c.off += cut;
      this.queued -= cut;
      over -= cut;
      n += cut;
      if (c.off >= c.s.length) this.head++;
    }
    this.compact();
    this.countDrop(n, now, 'queue over its limit');
  }

  private dropAll(): void {
    const n = this.depth();
    this.pending = null;
    this.chunks = [];
    this.head = 0;
    this.queued = 0;
    this.dropped += n;
  }

  private countDrop(n: number, now: number, reason: string, example?: unknown): void {
    if (n <= 0) return;
    this.dropped += n;
    if (now - this.lastDropLog >= DROP_LOG_EVERY_MS) {
      this.lastDropLog = now;
      this.log.warn({ samples: n, droppedTotal: this.dropped, queueLimit: this.queueLimit, example }, `ingest dropped samples: ${reason}`);
    }
  }

  private recordLatency(ms: number): void {
    this.latencies[this.latencyN % LATENCY_WINDOW] = ms;
    this.latencyN++;
  }

  private settleWaiters(): void {
    if (this.flushWaiters.length === 0) return;
    if (this.depth() === 0 && !this.inFlight) {
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

/** Counts per wall-clock second over the last 10 seconds. */
class RateWindow {
  private readonly sec = new Float64Array(10).fill(-1);
  private readonly n = new Float64Array(10);

  add(now: number, count: number): void {
    const s = Math.floor(now / 1000);
    const i = s % 10;
    if (this.sec[i] !== s) {
      this.sec[i] = s;
      this.n[i] = 0;
    }
    this.n[i] += count;
  }

  /** per second over the 9 full seconds before now plus the current partial second */
  rate(now: number): number {
    const s = Math.floor(now / 1000);
    let sum = 0;
    for (let i = 0; i < 10; i++) if (this.sec[i] > s - 10 && this.sec[i] <= s) sum += this.n[i];
    return sum / (9 + (now % 1000) / 1000);
  }
}
