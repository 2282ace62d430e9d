/**
 * Store-and-forward in front of a series store. While the inner store accepts writes, a write
 * goes straight through. When one fails, that batch and every later one go to the durable
 * {@link Spool} (so order is kept) and the write resolves; a forwarder writes the spool back,
 * oldest chunk first, retrying with backoff, and deletes a chunk only after the inner store
 * took it. Once the spool is empty, writes go straight through again. A chunk that was
 * written but not yet deleted when the process died is written again after the restart:
 * harmless, because the inner store overwrites a (point, ts) it already has — InfluxDB
 * points with the same measurement + tags + timestamp replace each other.
 *
 * @example
 * const store = new SpoolingStore({ inner: influx, spool: new Spool({ path, maxBytes, maxAgeMs }), logger });
 * await store.init();
 */
import type { Logger } from 'pino';
import { storableSamples, type Sample } from '../../model.ts';
import { queryValues, type SeriesQuery, type SeriesResult, type SeriesStore, type SeriesValues } from '../port.ts';
import type { Spool, SpoolStats } from './spool.ts';
import { backoffDelay } from '../../backoff.ts';
import { storableRows, takesColumns, toSamples, type SampleColumns } from '../../ingest/columns.ts';

export interface SpoolingStoreOptions {
  inner: SeriesStore;
  spool: Spool;
  logger: Logger;
  /** first retry delay of the forwarder; doubles up to retryMaxMs */
  retryBaseMs?: number;
  retryMaxMs?: number;
  now?: () => number;
}

export interface ForwardStats extends SpoolStats {
  /** true while writes go to the spool */
  spooling: boolean;
  /** samples written back from the spool, since start */
  forwarded: number;
  /** samples left out by the sample rule (model.ts `sampleProblem`): never spooled, never retried */
  rejected: number;
}

export class SpoolingStore implements SeriesStore {
  private readonly inner: SeriesStore;
  readonly spool: Spool;
  private readonly log: Logger;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  private readonly now: () => number;
  private spooling = false;
  private forwarding: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private closed = false;
  private forwarded = 0;
  private rejected = 0;
  private innerReady = false;

  constructor(o: SpoolingStoreOptions) {
    this.inner = o.inner;
    this.spool = o.spool;
    this.log = o.logger;
    this.retryBaseMs = o.retryBaseMs ?? 200;
    this.retryMaxMs = o.retryMaxMs ?? 5_000;
    this.now = o.now ?? Date.now;
  }

  /** Initialises the inner store; if it is unreachable, starts anyway in spooling mode and keeps trying. */
  async init(): Promise<void> {
    try {
      await this.inner.init();
      this.innerReady = true;
    } catch (err) {
      this.log.error({ err }, 'series store unreachable at start-up; spooling until it answers');
      this.spooling = true;
    }
    if (this.spool.stats().chunks > 0) {
      this.spooling = true;
      this.log.info({ samples: this.spool.stats().samples }, 'spool holds samples from before; forwarding them first');
    }
    if (this.spooling) this.startForwarder();
  }

  async write(batch: Sample[]): Promise<void> {
    if (this.closed) throw new Error('spooling store is closed');
    // refused here, not by the inner store: a refused sample is never spooled, never retried
    const samples = storableSamples(batch);
    this.rejected += batch.length - samples.length;
    if (samples.length === 0) return;
    await this.deliver(samples.length, () => this.inner.write(samples), () => samples);
  }

  /**
   * {@link write} for the ingest queue's columns: while the inner store answers and takes columns
   * (InfluxDB, the SQLite worker) they go to it as they are, with no Sample object per row;
   * spooled as samples otherwise.
   */
  async writeColumns(c: SampleColumns): Promise<void> {
    if (this.closed) throw new Error('spooling store is closed');
    const ids = c.table.ids;
    const rows = storableRows(c, ids);
    this.rejected += c.point.length - rows.point.length;
    if (rows.point.length === 0) return;
    const inner = this.inner;
    const kept = rows === c ? c : { ...rows, table: c.table, length: rows.point.length };
    const samples = () => toSamples(rows, ids);
    await this.deliver(rows.point.length, takesColumns(inner) ? () => inner.writeColumns(kept) : () => inner.write(samples()), samples);
  }

  /** To the inner store while it answers; to the spool while it does not, or when this write fails. */
  private async deliver(n: number, send: () => Promise<void>, samples: () => Sample[]): Promise<void> {
    if (!this.spooling) {
      try {
        await send();
        return;
      } catch (err) {
        this.spooling = true;
        this.log.error({ err, samples: n }, 'series store write failed; spooling to disk until it recovers');
      }
    }
    const dropped = this.spool.append(samples());
    if (dropped > 0) this.log.warn({ dropped, spool: this.spool.stats() }, 'spool over its bound: oldest samples dropped');
    this.startForwarder();
  }

  latest(points: string[]): Promise<Map<string, Sample>> {
    return this.inner.latest(points);
  }

  query(q: SeriesQuery): Promise<SeriesResult[]> {
    return this.inner.query(q);
  }

  /** The inner store's typed answers (port.ts `queryValues`), made from its pairs when it has none. */
  queryValues(q: SeriesQuery): Promise<SeriesValues[]> {
    return queryValues(this.inner, q);
  }

  applyRetention(now: number): Promise<number> {
    return this.inner.applyRetention(now);
  }

  stats(): ForwardStats {
    return { ...this.spool.stats(), spooling: this.spooling, forwarded: this.forwarded, rejected: this.rejected };
  }

  /** Resolves when the spool is empty (tests, shutdown with a reachable store). */
  async drained(): Promise<void> {
    while (this.forwarding) await this.forwarding;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wake?.();
    while (this.forwarding) await this.forwarding;
    if (this.innerReady) await this.inner.close().catch((err) => this.log.warn({ err }, 'closing the series store failed'));
    this.spool.close();
  }

  private startForwarder(): void {
    if (this.forwarding || this.closed) return;
    this.forwarding = this.forward().finally(() => {
      this.forwarding = null;
    });
  }

  private async forward(): Promise<void> {
    let failures = 0;
    let downSince = this.now();
    while (!this.closed) {
      try {
        if (!this.innerReady) {
          await this.inner.init();
          this.innerReady = true;
        }
        const dropped = this.spool.enforce();
        if (dropped > 0) this.log.warn({ dropped }, 'spool: samples older than its age bound dropped');
        const chunk = this.spool.peek();
        if (!chunk) {
          this.spooling = false;
          if (failures > 0 || this.forwarded > 0) this.log.info({ downMs: this.now() - downSince, forwarded: this.forwarded }, 'spool forwarded; writing directly again');
          return;
        }
        // a spool written by an earlier version may hold samples the rule now refuses: left out, counted
        const storable = storableSamples(chunk.samples);
        this.rejected += chunk.samples.length - storable.length;
        if (storable.length) await this.inner.write(storable);
        this.spool.remove(chunk.id);
        this.forwarded += chunk.samples.length;
        failures = 0;
      } catch (err) {
        if (failures === 0) {
          downSince = this.now();
          this.log.warn({ err: (err as Error).message }, 'spool forwarder: series store still failing; retrying');
        }
        failures++;
        const delay = backoffDelay(failures - 1, { baseMs: this.retryBaseMs, maxMs: this.retryMaxMs });
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, delay);
          this.wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        this.wake = null;
      }
    }
  }
}
