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
import { isStateUnavailable } from '../state/errors.ts';
import type { AlarmJournal } from './journal.ts';
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
  /** events of the backlog kept on disk (journal.ts) */
  journaled: number;
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
    /** where writes go while the database cannot be reached (journal.ts); without, they wait in memory */
    private readonly journal?: AlarmJournal,
  ) {}

  /** Writes what an earlier run journaled, oldest first (before the alarm state is restored). */
  async replayJournal(): Promise<AlarmEventRow[]> {
    const written: AlarmEventRow[] = [];
    while (this.journal && this.journal.size().units > 0) written.push(...(await this.drainJournal()));
    return written;
  }

  /** One batch of the journal into the database; throws if the database refuses. */
  private async drainJournal(): Promise<AlarmEventRow[]> {
    const units = this.journal!.oldest(200);
    if (!units.length) return [];
    const events = units.flatMap((u) => u.events);
    await this.store.record(events, units.flatMap((u) => u.rows), undefined, this.fence);
    this.journal!.remove(units);
    return events;
  }

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
    if (this.scheduled || (this.queue.length === 0 && !this.checkpointDue && !(this.journal && this.journal.size().units > 0))) return;
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
    const journaled = this.journal?.size().events ?? 0;
    return { failures: this.failures, backlog: backlog + journaled, failing: this.failing, journaled };
  }

  private async drain(): Promise<void> {
    this.scheduled = false;
    // what waits on disk is older than anything in memory: it goes first
    if (this.journal && this.journal.size().units > 0) {
      try {
        while (this.journal.size().units > 0) await this.drainJournal();
      } catch (err) {
        this.keepOnDisk(err);
        this.failed(err, 'could not persist journaled alarm events; kept on disk to write again');
        return;
      }
    }
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
        this.keepOnDisk(err);
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

  /**
   * The database cannot be reached: the queued units (but an operator action's, which waits in
   * memory with its audit row for the caller's answer) go to the journal, in order.
   */
  private keepOnDisk(err: unknown): void {
    if (!this.journal || !isStateUnavailable(err)) return;
    const firstAction = this.queue.findIndex((u) => u.within || u.waiter);
    const upTo = firstAction < 0 ? this.queue.length : firstAction;
    if (upTo === 0) return;
    try {
      this.journal.append(this.queue.slice(0, upTo));
      this.queue = this.queue.slice(upTo);
    } catch (e) {
      this.log.error({ err: e, journal: this.journal.path }, 'could not journal alarm events; they wait in memory');
    }
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
