/**
 * Signed webhooks through a durable outbox. An event is written to
 * `tk_outbox` (one row per receiver) in the same transaction as the ticket
 * change, so an event exists iff its change does. Each receiver has one
 * sender that delivers its rows strictly in id order: at-least-once, in
 * order, retrying failures with exponential backoff; after a restart the
 * sender resumes from the first undelivered row. An event still failing after
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
import { createHmac, timingSafeEqual } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import type { WebhookTarget } from './config.ts';
import { afterFailure, redactUrl, type FailureVerdict } from './dead-letter.ts';
import { ensureOutboxRows, outboxCounts } from './outbox-rows.ts';
import type { TicketEvent, TicketStatus } from './types.ts';
import { backoffDelay } from '../backoff.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS tk_outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  receiver TEXT NOT NULL, event_id TEXT NOT NULL, type TEXT NOT NULL, body TEXT NOT NULL,
  created_at INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL,
  delivered_at INTEGER, dead INTEGER NOT NULL DEFAULT 0, last_error TEXT
);
CREATE INDEX IF NOT EXISTS tk_outbox_pending ON tk_outbox(receiver, delivered_at, dead, id);
`;

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

/** A row another module writes beside a ticket change's webhook rows (see {@link TicketChangeHook}). */
export interface OutboxRowSpec {
  receiver: string;
  eventId: string;
  type: string;
  body: string;
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

interface OutboxRow {
  id: number;
  receiver: string;
  event_id: string;
  type: string;
  body: string;
  attempts: number;
  next_at: number;
  created_at: number;
  since: number | null;
}

export interface OutboxStats {
  pending: number;
  dead: number;
  delivered: number;
}

export class Outbox {
  constructor(
    readonly db: Database.Database,
    private readonly targets: readonly WebhookTarget[],
  ) {
    db.exec(SCHEMA);
    ensureOutboxRows(db);
  }

  /** Call inside the transaction that makes the change. */
  enqueue(e: TicketEvent, now: number): number {
    const body = JSON.stringify({ id: e.id, type: e.type, ts: e.ts, change: e.change, ticket: e.ticket });
    const st = this.db.prepare('INSERT INTO tk_outbox (receiver, event_id, type, body, created_at, next_at) VALUES (?,?,?,?,?,?)');
    let n = 0;
    for (const t of this.targets) {
      if (!t.events.includes(e.type)) continue;
      st.run(t.name, e.id, e.type, body, now, now);
      n++;
    }
    return n;
  }

  /** Rows of other receivers (a {@link TicketChangeHook}'s); call inside the change's transaction. */
  enqueueRows(rows: readonly OutboxRowSpec[], now: number): void {
    const st = this.db.prepare('INSERT INTO tk_outbox (receiver, event_id, type, body, created_at, next_at) VALUES (?,?,?,?,?,?)');
    for (const r of rows) st.run(r.receiver, r.eventId, r.type, r.body, now, now);
  }

  /** From trigger-kept counters: a scrape of `/metrics` never scans the table. */
  stats(): OutboxStats {
    return outboxCounts(this.db);
  }
}

export interface DispatcherOptions {
  db: Database.Database;
  targets: readonly WebhookTarget[];
  /** receivers beside the webhooks, each delivering its rows its own way */
  receivers?: readonly OutboxReceiver[];
  /** backoff, and the dead-letter caps (default 20 attempts, 48 h) */
  retry: { baseMs: number; maxMs: number; maxAttempts?: number; maxAgeMs?: number };
  logger?: Logger;
  now?: () => number;
  /** while idle, look for rows another process wrote this often */
  idlePollMs?: number;
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

/** One sender per receiver (webhooks and the given receivers); `start()` / `stop()`, the constructor does nothing. */
export class WebhookDispatcher {
  private running = false;
  private readonly receivers: readonly OutboxReceiver[];
  private readonly wakers = new Map<string, () => void>();
  private readonly loops: Array<Promise<void>> = [];
  private readonly inflight = new Set<AbortController>();
  private readonly deadListeners = new Set<(receiver: string, reason: FailureVerdict['reason']) => void>();

  constructor(private readonly o: DispatcherOptions) {
    o.db.exec(SCHEMA);
    ensureOutboxRows(o.db);
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
    const next = this.o.db.prepare('SELECT id, receiver, event_id, type, body, attempts, next_at, created_at, since FROM tk_outbox WHERE receiver = ? AND delivered_at IS NULL AND dead = 0 ORDER BY id LIMIT 1');
    const ok = this.o.db.prepare('UPDATE tk_outbox SET delivered_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?');
    const fail = this.o.db.prepare('UPDATE tk_outbox SET attempts = attempts + 1, next_at = ?, last_error = ?, dead = ? WHERE id = ?');
    const log = this.o.logger?.child({ receiver: t.name });
    const retry = t.retry ?? this.o.retry;
    while (this.running) {
      const row = next.get(t.name) as OutboxRow | undefined;
      if (!row) {
        await this.sleep(t.name, this.o.idlePollMs ?? 2000);
        continue;
      }
      const wait = row.next_at - this.now();
      if (wait > 0) {
        // a kick does not cut a backoff short: re-check and sleep the rest
        await this.sleep(t.name, Math.min(wait, this.o.idlePollMs ?? 2000));
        continue;
      }
      const attempt = row.attempts + 1;
      const result = await this.attempt(t, row, attempt);
      if (!this.running && result.kind !== 'delivered') return;
      if (result.kind === 'delivered') {
        ok.run(this.now(), row.id);
        log?.debug({ event: row.event_id, attempt }, `${t.kind} delivered`);
      } else {
        const verdict = afterFailure({ kind: result.kind, attempt, ageMs: this.now() - (row.since ?? row.created_at) }, retry);
        const dead = verdict.dead ? 1 : 0;
        fail.run(this.now() + backoffMs(attempt, retry), result.error, dead, row.id);
        if (verdict.dead) {
          for (const l of this.deadListeners) l(t.name, verdict.reason);
          log?.error({ event: row.event_id, attempt, reason: verdict.reason, error: result.error }, `${t.kind} dead-lettered (${verdict.reason}); continuing with the next event`);
        } else if (attempt === 1 || attempt % 10 === 0) log?.warn({ event: row.event_id, attempt, error: result.error }, `${t.kind} delivery failed; retrying with backoff`);
      }
    }
  }

  /** One attempt, bounded by the receiver's timeout and cut short by stop(); a throw is a retry. */
  private async attempt(t: OutboxReceiver, row: OutboxRow, attempt: number): Promise<AttemptResult> {
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
