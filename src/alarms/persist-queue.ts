/**
 * The alarm runner's writes, kept off the polling path: a flush queues its events with the
 * records they touched and returns at once; one promise chain writes the queue in order, each
 * drain in one transaction, then the latest checkpoint. A failed write stays at the head of the
 * queue and is tried again with the next flush, tick or checkpoint, so nothing is dropped while
 * the database is away; failures are counted for /metrics.
 *
 * @example
 * const q = new AlarmWriteQueue(await AlarmPersistence.open(db), log);
 * void q.write(events.map(eventRow), rows);               // polling path: never rejects
 * await q.write(events.map(eventRow), rows, audit, true); // an operator action: rejects if not recorded
 */
import type { Logger } from 'pino';
import type { AlarmEventRow, AlarmPersistence, AlarmRow, WriteFence } from './persist.ts';

interface Unit {
  events: AlarmEventRow[];
  rows: AlarmRow[];
  /** more to write in the same transaction (an action's audit row); kept for the retry with its events */
  within?: () => unknown;
  waiter?: { resolve: () => void; reject: (err: unknown) => void };
}

export interface AlarmWriteStats {
  /** transactions that failed since start */
  failures: number;
  /** events waiting to be written */
  backlog: number;
  /** the last write failed */
  failing: boolean;
}

/** while writes keep failing, one log line a minute */
const LOG_EVERY_MS = 60_000;

export class AlarmWriteQueue {
  private queue: Unit[] = [];
  private checkpointDue: { state: string; ts: number } | null = null;
  private chain: Promise<void> = Promise.resolve();
  private scheduled = false;
  private failures = 0;
  private failing = false;
  private lastLog = -Infinity;

  constructor(
    readonly store: AlarmPersistence,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
    /** in a cluster: writes only what this instance still owns (persist.ts `WriteFence`) */
    private readonly fence?: WriteFence,
  ) {}

  /**
   * Queues events and records to write together. With `report`, the promise rejects when that
   * write fails (the caller reports the action as not recorded; the unit stays queued and is
   * written, `within` included, once the database answers again); without, it never rejects.
   */
  write(events: AlarmEventRow[], rows: AlarmRow[], within?: () => unknown, report = false): Promise<void> {
    const unit: Unit = { events, rows, ...(within ? { within } : {}) };
    const done = report ? new Promise<void>((resolve, reject) => (unit.waiter = { resolve, reject })) : null;
    this.queue.push(unit);
    this.kick();
    return done ?? this.chain;
  }

  /** Replaces the checkpoint to write; it is written after every unit queued before it. */
  checkpoint(state: string, ts: number): void {
    this.checkpointDue = { state, ts };
    this.kick();
  }

  /** Starts a drain when something waits (a retry after a failure). */
  kick(): void {
    if (this.scheduled || (this.queue.length === 0 && !this.checkpointDue)) return;
    this.scheduled = true;
    this.chain = this.chain.then(() => this.drain());
  }

  /** Settles when what is queued now has been written, or its write has failed. */
  written(): Promise<void> {
    this.kick();
    return this.chain;
  }

  stats(): AlarmWriteStats {
    let backlog = 0;
    for (const u of this.queue) backlog += u.events.length;
    return { failures: this.failures, backlog, failing: this.failing };
  }

  private async drain(): Promise<void> {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length) {
      try {
        await this.store.record(
          batch.flatMap((u) => u.events),
          batch.flatMap((u) => u.rows),
          batch.some((u) => u.within) ? async () => { for (const u of batch) await u.within?.(); } : undefined,
          this.fence,
        );
      } catch (err) {
        this.queue = batch.concat(this.queue);
        this.failed(err, 'could not persist alarm events; kept to write again');
        for (const u of batch) {
          u.waiter?.reject(err);
          delete u.waiter;
        }
        // a checkpoint written now could be newer than the records still queued
        return;
      }
      for (const u of batch) u.waiter?.resolve();
    }
    const cp = this.checkpointDue;
    if (!cp) return this.recovered();
    this.checkpointDue = null;
    try {
      await this.store.checkpoint(cp.state, cp.ts);
    } catch (err) {
      this.checkpointDue ??= cp;
      this.failed(err, 'could not checkpoint alarm state; kept to write again');
      return;
    }
    this.recovered();
  }

  private failed(err: unknown, msg: string): void {
    this.failures++;
    const t = this.now();
    if (!this.failing || t - this.lastLog >= LOG_EVERY_MS) {
      this.lastLog = t;
      const s = this.stats();
      this.log.error({ err, backlog: s.backlog, failures: s.failures }, msg);
    }
    this.failing = true;
  }

  private recovered(): void {
    if (!this.failing) return;
    this.failing = false;
    this.log.info({ failures: this.failures }, 'alarm state written again after failures');
  }
}
