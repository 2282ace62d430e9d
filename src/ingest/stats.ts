import type { SampleProblem } from '../model.ts';

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
  /** how long the oldest sample held (queued, or in the batch being written or retried) has waited, ms; 0 when none */
  queueAgeMs: number;
  /** change of queueDepth per second over the last ~10 s (samples queued − samples written or dropped); > 0 = the store falls behind */
  queueGrowthPerSecond: number;
  /** store writes in progress now */
  writesInFlight: number;
  /** most samples per store write (ingest.batchSize) */
  batchSize: number;
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

const LATENCY_WINDOW = 256;

/**
 * The pipeline's counters. Plain fields bumped on the hot path, read at scrape time; rates over
 * the last 10 wall-clock seconds; write latency percentiles over the last 256 writes.
 */
export class IngestCounters {
  received = 0;
  stored = 0;
  dropped = 0;
  rejected = 0;
  readonly rejectedBy: Record<SampleProblem, number> = { malformed: 0, too_old: 0, future: 0 };
  writeErrors = 0;
  lastWriteMs = 0;
  lastWriteAt = 0;
  readonly receivedRate = new RateWindow();
  readonly storedRate = new RateWindow();
  /** samples that entered the queue, and that left it (written or dropped): the queue's growth */
  readonly queuedRate = new RateWindow();
  readonly leftRate = new RateWindow();
  private readonly latencies = new Float64Array(LATENCY_WINDOW);
  private latencyN = 0;

  /** `n` samples the sample rule accepted at `now` */
  accepted(n: number, now: number): void {
    this.received += n;
    this.receivedRate.add(now, n);
  }

  recordLatency(ms: number): void {
    this.latencies[this.latencyN % LATENCY_WINDOW] = ms;
    this.latencyN++;
  }

  latency(): { p50: number; p99: number } {
    const n = Math.min(this.latencyN, LATENCY_WINDOW);
    const sorted = this.latencies.slice(0, n).sort();
    const pct = (p: number) => (n === 0 ? 0 : sorted[Math.min(n - 1, Math.floor(p * n))]);
    return { p50: pct(0.5), p99: pct(0.99) };
  }
}

/** Counts per wall-clock second over the last 10 seconds. */
export class RateWindow {
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
