import type { Logger } from 'pino';
import { MAX_FUTURE_MS, MAX_SAMPLE_TS_MS, MIN_SAMPLE_TS_MS, sampleProblem, type Sample } from '../model.ts';
import { LayoutCache, pollSamples, storablePoll, type PollColumns } from '../poll-columns.ts';
import type { SeriesStore } from '../store/port.ts';
import { PointTable } from './columns.ts';
import { LatestValues } from './latest.ts';
import { IngestCounters, type PipelineStats } from './stats.ts';
import { BatchWriter, type WriteListener } from './writer.ts';

export type { PipelineStats } from './stats.ts';
export type { WriteListener } from './writer.ts';

export interface PipelineOptions {
  store: SeriesStore;
  /** most samples per store write (default 5000; see defaults.ts for the store-derived default) */
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

export type SamplesListener = (batch: Sample[]) => void;

/** A listener that also takes a poll's columns (poll-columns.ts) as they are, without Sample objects. */
export interface IngestListener {
  samples: SamplesListener;
  /** called instead of `samples` for a poll pushed as columns; copies what it keeps */
  poll(p: PollColumns): void;
}

/**
 * Between adapters and the series store: fans every pushed batch out to listeners
 * (live feed, alarms) synchronously, keeps the latest sample per point, and hands the batch
 * to the {@link BatchWriter} (writer.ts), which writes batches of up to `batchSize` in push
 * order, one write in flight, retrying a failed write so nothing is lost while the store is
 * away until the queue reaches `queueLimit`; then the oldest samples are dropped, counted and
 * logged. The queue (queue.ts) holds samples as typed columns (columns.ts); counters and rates
 * live in stats.ts.
 *
 * @example
 * const p = new IngestPipeline({ store, batchSize: 5000, maxDelayMs: 1000, queueLimit: 1_000_000, logger });
 * p.onSamples((batch) => alarms.feed(batch));
 * adapterSink.samples = (batch) => p.push(batch);
 * await p.stop();
 */
export class IngestPipeline {
  /** newest sample per point (pushed, written or not) */
  readonly latest: LatestValues;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly batchSize: number;
  private readonly counters = new IngestCounters();
  private readonly writer: BatchWriter;
  private readonly listeners = new Set<SamplesListener | IngestListener>();
  /** latest-value slots of each poll layout the sample rule accepted whole, null until then */
  private readonly pollSlots = new LayoutCache<{ slots: Int32Array | null }>(() => ({ slots: null }));
  /** devices (`station.device`) whose refused sample was logged: once each */
  private readonly rejectLogged = new Set<string>();

  constructor(opts: PipelineOptions) {
    const batchSize = opts.batchSize ?? 5000;
    const maxDelayMs = opts.maxDelayMs ?? 1000;
    const queueLimit = opts.queueLimit ?? 1_000_000;
    if (!(batchSize >= 1 && maxDelayMs >= 0 && queueLimit >= 1)) {
      throw new RangeError(`ingest: batchSize ${batchSize}, maxDelayMs ${maxDelayMs}, queueLimit ${queueLimit} out of range`);
    }
    this.log = opts.logger;
    this.now = opts.now ?? Date.now;
    this.batchSize = batchSize;
    // one table of point ids for the latest values and the queue
    const table = new PointTable();
    this.latest = new LatestValues(table);
    this.writer = new BatchWriter({
      table,
      store: opts.store,
      batchSize,
      maxDelayMs,
      queueLimit,
      retryBaseMs: opts.retryBaseMs ?? 100,
      retryMaxMs: opts.retryMaxMs ?? 10_000,
      logger: opts.logger,
      now: this.now,
      counters: this.counters,
    });
  }

  /** Takes one batch from an adapter. Synchronous; never blocks, never throws. Listeners see `batch`; the queue keeps a copy as columns. */
  push(batch: Sample[]): void {
    this.guarded(() => {
      const now = this.now();
      if (this.writer.isStopping) {
        this.writer.countDrop(batch.length, now, 'pushed after stop');
        return;
      }
      // a batch laid out like an earlier one (a device's next poll) has known-good point ids:
      // check only time, value and quality, and reuse its latest-value slots
      let slots = this.latest.layoutOf(batch);
      let good = batch;
      for (let i = 0; i < batch.length; i++) {
        if (slots !== null ? !storableKnownPoint(batch[i], now) : sampleProblem(batch[i], now) !== null) {
          good = this.refuse(batch, now);
          slots = null;
          break;
        }
      }
      if (good.length === 0) return;
      this.counters.accepted(good.length, now);
      this.latest.setBatch(good, slots);
      for (const l of this.listeners) {
        try {
          if (typeof l === 'function') l(good);
          else l.samples(good);
        } catch (err) {
          this.log.error({ err }, 'sample listener threw; ingest continues');
        }
      }
      this.writer.enqueue(good, now);
    });
  }

  /**
   * {@link push} for one device poll as columns (what the Modbus adapter hands over): the same
   * rule, counters, listeners and queue, with no Sample object made unless a listener needs them.
   * The first poll of a layout, and one the sample rule refuses a row of, go through `push`.
   */
  pushPoll(p: PollColumns): void {
    this.guarded(() => {
      const now = this.now();
      const layout = this.pollSlots.of(p.ids);
      if (layout.slots === null || this.writer.isStopping || !storablePoll(p, now)) {
        const samples = pollSamples(p);
        this.push(samples);
        // a layout every row of which was accepted: its ids are known good from now on
        if (layout.slots === null && !this.writer.isStopping) layout.slots = this.latest.layoutOf(samples);
        return;
      }
      this.counters.accepted(p.ids.length, now);
      this.latest.setPoll(p, layout.slots);
      let samples: Sample[] | null = null;
      for (const l of this.listeners) {
        try {
          if (typeof l !== 'function') l.poll(p);
          else l((samples ??= pollSamples(p)));
        } catch (err) {
          this.log.error({ err }, 'sample listener threw; ingest continues');
        }
      }
      this.writer.enqueuePoll(p, now);
    });
  }

  /** Runs one push: whatever it throws is logged, never thrown back to the adapter. */
  private guarded(push: () => void): void {
    try {
      push();
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
    const c = this.counters;
    for (const x of batch) {
      const problem = sampleProblem(x, now);
      if (problem === null) {
        good.push(x);
        continue;
      }
      c.rejected++;
      c.received++;
      c.dropped++;
      c.rejectedBy[problem]++;
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
  onSamples(listener: SamplesListener | IngestListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Subscribes to store write outcomes (one call per write, for metrics). */
  onWrite(listener: WriteListener): () => void {
    this.writer.writeListeners.add(listener);
    return () => this.writer.writeListeners.delete(listener);
  }

  stats(): PipelineStats {
    const c = this.counters;
    const w = this.writer;
    const now = this.now();
    return {
      received: c.received,
      stored: c.stored,
      dropped: c.dropped,
      rejected: c.rejected,
      rejectedBy: { ...c.rejectedBy },
      writeErrors: c.writeErrors,
      queueDepth: w.depth,
      queueAgeMs: Math.round(w.ageMs(now)),
      queueGrowthPerSecond: c.queuedRate.rate(now) - c.leftRate.rate(now),
      writesInFlight: w.writesInFlight,
      batchSize: this.batchSize,
      lastWriteMs: c.lastWriteMs,
      lastWriteAt: c.lastWriteAt,
      writeLatency: c.latency(),
      failing: w.failing,
      receivedPerSecond: c.receivedRate.rate(now),
      storedPerSecond: c.storedRate.rate(now),
    };
  }

  /** Resolves when everything queued so far is written (waits through store outages); rejects if stop() gives up. */
  flush(): Promise<void> {
    return this.writer.flush();
  }

  /**
   * Stops accepting samples (later pushes are counted as dropped), writes what is queued,
   * and resolves. If the store fails during this last drain, the rest is dropped, counted and logged.
   */
  stop(): Promise<void> {
    return this.writer.stop();
  }
}

/**
 * model.ts `sampleProblem(s, now) === null` for a sample whose point id is already known to be
 * valid: the same rule without scanning the id. A false here goes to sampleProblem for the reason.
 */
function storableKnownPoint(s: Sample, now: number): boolean {
  const ts = s.ts;
  const v = s.value;
  const q = s.quality;
  return (
    Number.isSafeInteger(ts) &&
    ts >= MIN_SAMPLE_TS_MS &&
    ts < MAX_SAMPLE_TS_MS &&
    ts <= now + MAX_FUTURE_MS &&
    (v === null || typeof v === 'boolean' || (typeof v === 'number' && v - v === 0)) &&
    (q === 'good' || q === 'uncertain' || q === 'bad')
  );
}
