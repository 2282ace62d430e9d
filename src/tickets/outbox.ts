/**
 * Signed webhooks through a durable outbox. An event is written to
 * `tk_outbox` (one row per receiver) in the same transaction as the ticket
 * change, so an event exists iff its change does. Each receiver's rows are
 * delivered strictly in id order, one at a time, even with several instances
 * sending from one database (a claim on the receiver's first row, outbox-rows.ts):
 * at-least-once, in order, retrying failures with exponential backoff; after a
 * restart the senders resume from the first undelivered row. An event still failing after
 * `retry.maxAttempts` attempts or `retry.maxAgeMs` is dead-lettered (dead-letter.ts)
 * so the receiver's later events go out; an admin can re-send it (outbox-rows.ts).
 * Redirects are never followed: the signed body goes to the configured URL only.
 *
 * Receivers dedupe by the event id (`X-Heatwatch-Event-Id`, also sent as
 * `Idempotency-Key` and as `id` in the body): a crash between the POST and
 * marking the row delivered re-sends the same id.
 *
 * Signature: `X-Heatwatch-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>`.
 *
 * A receiver is a delivery strategy ({@link OutboxReceiver}): the signed webhook POST here, or
 * another kind written by the module that owns it (notification channels: src/notify/deliver.ts).
 * Every receiver gets the same queue, order, backoff and dead-lettering.
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import type { StateDb } from '../state/db.ts';
import type { WebhookTarget } from './config.ts';
import { afterFailure, redactUrl, type FailureVerdict } from './dead-letter.ts';
import {
  claimOutboxRow,
  insertOutboxRows,
  markOutboxDelivered,
  markOutboxFailed,
  migrateOutbox,
  outboxCounts,
  outboxHead,
  releaseOutboxRow,
  type OutboxHead,
  type OutboxRowSpec,
} from './outbox-rows.ts';
import type { TicketEvent, TicketStatus } from './types.ts';
import { backoffDelay } from '../backoff.ts';

export type { OutboxRowSpec } from './outbox-rows.ts';

export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** For receivers (and tests): constant-time check of a signature header. */
export function verifySignature(secret: string, body: string, header: string | undefined): boolean {
  if (!header) return false;
  const want = Buffer.from(signBody(secret, body));
  const got = Buffer.from(header);
  return want.length === got.length && timingSafeEqual(want, got);
}

/** Backoff before attempt `attempts + 1`: base·2^(attempts−1), capped, with up to 25 % jitter below. */
export function backoffMs(attempts: number, retry: { baseMs: number; maxMs: number }, rand = Math.random): number {
  return backoffDelay(attempts - 1, { baseMs: retry.baseMs, maxMs: retry.maxMs, jitter: 0.25, random: rand });
}

/**
 * 2xx delivered; 408, 425, 429 and 5xx retry; other 4xx are permanent (dead-lettered).
 * A redirect is not followed (that would send the signed body to another host): a moved
 * receiver (301, 308) is permanent, other 3xx fail the attempt and are retried.
 */
export function classifyStatus(status: number): 'delivered' | 'retry' | 'permanent' {
  if (status >= 200 && status < 300) return 'delivered';
  if (status === 408 || status === 425 || status === 429 || status >= 500) return 'retry';
  if (status >= 300 && status < 400) return status === 301 || status === 308 ? 'permanent' : 'retry';
  return 'permanent';
}

/** One attempt's outcome: `error` says what failed (a redacted URL, never a credential). */
export interface AttemptResult {
  kind: 'delivered' | 'retry' | 'permanent';
  error: string;
}

/** What a sender hands its receiver for one attempt. */
export interface OutboxDelivery {
  eventId: string;
  type: string;
  body: string;
  /** 1-based, within the row's current delivery round */
  attempt: number;
  /** aborted at the receiver's timeout and when the dispatcher stops */
  signal: AbortSignal;
}

/** A receiver of outbox rows: its name is the rows' `receiver`; `deliver` makes one attempt. */
export interface OutboxReceiver {
  readonly name: string;
  /** for logs: webhook, wecom, dingtalk, email */
  readonly kind: string;
  readonly timeoutMs: number;
  /** its own backoff and dead-letter caps, else the dispatcher's */
  readonly retry?: DispatcherOptions['retry'];
  deliver(d: OutboxDelivery): Promise<AttemptResult>;
}

/** A ticket change as its hook sees it: the event, and the status move and detail it recorded. */
export interface TicketChange {
  event: TicketEvent;
  from: TicketStatus | null;
  to: TicketStatus | null;
  detail: Record<string, unknown> | null;
}

/** Called inside a change's transaction: the rows it returns are written in that transaction. */
export type TicketChangeHook = (change: TicketChange) => OutboxRowSpec[];

export interface OutboxStats {
  pending: number;
  dead: number;
  delivered: number;
}

/**
 * Writes a change's rows. Its calls join the caller's transaction (the state port's scope): the
 * rows exist iff the change does.
 */
export class Outbox {
  constructor(
    readonly db: StateDb,
    private readonly targets: readonly WebhookTarget[],
  ) {}

  /** Creates or upgrades `tk_outbox`; awaited before the first change. */
  init(): Promise<void> {
    return migrateOutbox(this.db);
  }

  /** The event's row for each webhook that takes its type; call inside the transaction that makes the change. */
  enqueue(e: TicketEvent, now: number): Promise<number> {
    const body = JSON.stringify({ id: e.id, type: e.type, ts: e.ts, change: e.change, ticket: e.ticket });
    const rows = this.targets.filter((t) => t.events.includes(e.type)).map((t) => ({ receiver: t.name, eventId: e.id, type: e.type, body }));
    return insertOutboxRows(this.db, rows, now);
  }

  /** Rows of other receivers (a {@link TicketChangeHook}'s); call inside the change's transaction. */
  async enqueueRows(rows: readonly OutboxRowSpec[], now: number): Promise<void> {
    await insertOutboxRows(this.db, rows, now);
  }

  /** From trigger-kept counters: a scrape of `/metrics` never scans the table. */
  stats(): Promise<OutboxStats> {
    return outboxCounts(this.db);
  }
}

export interface DispatcherOptions {
  /** the outbox's database, migrated ({@link Outbox.init}) */
  db: StateDb;
  targets: readonly WebhookTarget[];
  /** receivers beside the webhooks, each delivering its rows its own way */
  receivers?: readonly OutboxReceiver[];
  /** backoff, and the dead-letter caps (default 20 attempts, 48 h) */
  retry: { baseMs: number; maxMs: number; maxAttempts?: number; maxAgeMs?: number };
  logger?: Logger;
  now?: () => number;
  /** while idle, look for rows another process wrote this often */
  idlePollMs?: number;
  /**
   * a claim outlives an attempt's timeout by this much (default 5 s): the time to record the
   * outcome. A sender that died mid-attempt holds its receiver's queue until its claim ends.
   */
  claimMarginMs?: number;
}

/** The webhook strategy: a signed POST to the configured URL, redirects not followed. */
export function webhookReceiver(t: WebhookTarget): OutboxReceiver {
  return {
    name: t.name,
    kind: 'webhook',
    timeoutMs: t.timeoutMs,
    async deliver(d) {
      const where = `${t.name}: POST ${redactUrl(t.url)}`;
      try {
        const res = await fetch(t.url, {
          method: 'POST',
          signal: d.signal,
          redirect: 'manual',
          headers: {
            'content-type': 'application/json',
            'x-heatwatch-event': d.type,
            'x-heatwatch-event-id': d.eventId,
            'idempotency-key': d.eventId,
            'x-heatwatch-attempt': String(d.attempt),
            'x-heatwatch-signature': signBody(t.secret, d.body),
          },
          body: d.body,
        });
        await res.arrayBuffer().catch(() => undefined);
        const location = res.status >= 300 && res.status < 400 ? res.headers.get('location') : null;
        const moved = location === null ? '' : ` redirect to ${redactUrl(new URL(location, t.url).href)} not followed; configure the final URL`;
        return { kind: classifyStatus(res.status), error: `${where}: HTTP ${res.status}${moved}` };
      } catch (err) {
        return { kind: 'retry', error: `${where}: ${(err as Error).message}` };
      }
    },
  };
}

/**
 * One sender per receiver (webhooks and the given receivers); `start()` / `stop()`, the
 * constructor does nothing. Several instances may run one on the same database: a sender sends
 * only a row it claimed (outbox-rows.ts), so each row goes out from one instance at a time and
 * each receiver's rows in order.
 */
export class WebhookDispatcher {
  private running = false;
  private readonly receivers: readonly OutboxReceiver[];
  private readonly wakers = new Map<string, () => void>();
  private readonly loops: Array<Promise<void>> = [];
  private readonly inflight = new Set<AbortController>();
  private readonly deadListeners = new Set<(receiver: string, reason: FailureVerdict['reason']) => void>();
  /** this sender's name on its claims */
  private readonly id = randomUUID();

  constructor(private readonly o: DispatcherOptions) {
    this.receivers = [...o.targets.map(webhookReceiver), ...(o.receivers ?? [])];
  }

  /** Every receiver with a sender here: an admin's re-send is possible only to one of them. */
  receiverNames(): string[] {
    return this.receivers.map((r) => r.name);
  }

  /** Called for each event this process dead-letters (metrics). */
  onDeadLetter(listener: (receiver: string, reason: FailureVerdict['reason']) => void): () => void {
    this.deadListeners.add(listener);
    return () => this.deadListeners.delete(listener);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    for (const r of this.receivers) this.loops.push(this.loop(r));
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const c of this.inflight) c.abort();
    for (const w of this.wakers.values()) w();
    await Promise.all(this.loops.splice(0));
  }

  /** New rows were enqueued: wake idle senders. */
  kick(): void {
    for (const w of this.wakers.values()) w();
  }

  private now(): number {
    return (this.o.now ?? Date.now)();
  }

  private sleep(name: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wakers.set(name, done);
    });
  }

  private async loop(t: OutboxReceiver): Promise<void> {
    const log = this.o.logger?.child({ receiver: t.name });
    const idle = this.o.idlePollMs ?? 2000;
    while (this.running) {
      let pause: number;
      try {
        pause = await this.step(t, log);
      } catch (err) {
        // the database is away (or refused): try again later, the rows wait
        log?.error({ err }, `${t.kind} outbox: reading or updating the queue failed; retrying`);
        pause = idle;
      }
      if (pause > 0 && this.running) await this.sleep(t.name, Math.min(pause, idle));
    }
  }

  /** Sends the receiver's next row if it is due and free; returns how long to wait before looking again. */
  private async step(t: OutboxReceiver, log: Logger | undefined): Promise<number> {
    const idle = this.o.idlePollMs ?? 2000;
    const head = await outboxHead(this.o.db, t.name);
    if (!head) return idle;
    const now = this.now();
    // a kick does not cut a backoff short: re-check and sleep the rest
    if (head.next_at > now) return head.next_at - now;
    // another sender holds the receiver's first row: its later rows wait, in order
    if (head.claimed_by !== null && head.claimed_by !== this.id && head.claim_until !== null && head.claim_until > now) return head.claim_until - now;
    const row = await claimOutboxRow(this.o.db, head.id, this.id, now, now + t.timeoutMs + (this.o.claimMarginMs ?? 5000));
    // taken (or sent) by another sender meanwhile: look again
    if (!row) return 0;
    const attempt = row.attempts + 1;
    const result = await this.attempt(t, row, attempt);
    if (!this.running && result.kind !== 'delivered') {
      await releaseOutboxRow(this.o.db, row.id, this.id);
      return 0;
    }
    const lost = () => log?.warn({ event: row.event_id, attempt, outcome: result.kind }, `${t.kind} attempt outlasted its claim; the sender that took the row over sends it again`);
    if (result.kind === 'delivered') {
      if (await markOutboxDelivered(this.o.db, row.id, this.id, this.now())) log?.debug({ event: row.event_id, attempt }, `${t.kind} delivered`);
      else lost();
      return 0;
    }
    const retry = t.retry ?? this.o.retry;
    const verdict = afterFailure({ kind: result.kind, attempt, ageMs: this.now() - (row.since ?? row.created_at) }, retry);
    if (!(await markOutboxFailed(this.o.db, row.id, this.id, { nextAt: this.now() + backoffMs(attempt, retry), error: result.error, dead: verdict.dead }))) lost();
    else if (verdict.dead) {
      for (const l of this.deadListeners) l(t.name, verdict.reason);
      log?.error({ event: row.event_id, attempt, reason: verdict.reason, error: result.error }, `${t.kind} dead-lettered (${verdict.reason}); continuing with the next event`);
    } else if (attempt === 1 || attempt % 10 === 0) log?.warn({ event: row.event_id, attempt, error: result.error }, `${t.kind} delivery failed; retrying with backoff`);
    return 0;
  }

  /** One attempt, bounded by the receiver's timeout and cut short by stop(); a throw is a retry. */
  private async attempt(t: OutboxReceiver, row: OutboxHead, attempt: number): Promise<AttemptResult> {
    const ctl = new AbortController();
    this.inflight.add(ctl);
    const timer = setTimeout(() => ctl.abort(), t.timeoutMs);
    try {
      return await t.deliver({ eventId: row.event_id, type: row.type, body: row.body, attempt, signal: ctl.signal });
    } catch (err) {
      return { kind: 'retry', error: `${t.name}: ${(err as Error).message}` };
    } finally {
      clearTimeout(timer);
      this.inflight.delete(ctl);
    }
  }
}
