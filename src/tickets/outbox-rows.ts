/**
 * Outbox rows beyond sending (outbox.ts sends): the counters `/metrics` reads, the listing of
 * dead, pending or delivered rows for admins, and an admin's re-send of a dead letter.
 *
 * A row is `pending` (not delivered, not dead), `delivered`, or `dead`. `since` is when the
 * current delivery round began (null: at `created_at`); a re-send starts a new round, so the
 * attempt and age caps (dead-letter.ts) apply afresh.
 */
import type Database from 'better-sqlite3';
import { ensureGroupCounts, readGroupCounts } from '../state/counts.ts';

export type OutboxStatus = 'pending' | 'dead' | 'delivered';

export interface OutboxEntry {
  id: number;
  receiver: string;
  eventId: string;
  type: string;
  ticket: number | null;
  change: string | null;
  createdAt: number;
  attempts: number;
  nextAt: number;
  deliveredAt: number | null;
  status: OutboxStatus;
  lastError: string | null;
}

const COUNTS = 'tk_outbox_counts';
const stateOf = (p: 'NEW.' | 'OLD.' | '') => `CASE WHEN ${p}dead = 1 THEN 'dead' WHEN ${p}delivered_at IS NULL THEN 'pending' ELSE 'delivered' END`;

/** Adds what the dead-letter handling needs to `tk_outbox` (created by outbox.ts): idempotent. */
export function ensureOutboxRows(db: Database.Database): void {
  const cols = db.prepare('PRAGMA table_info(tk_outbox)').all() as Array<{ name: string }>;
  if (!cols.some((c) => c.name === 'since')) db.exec('ALTER TABLE tk_outbox ADD COLUMN since INTEGER');
  db.exec(`
    CREATE INDEX IF NOT EXISTS tk_outbox_dead ON tk_outbox(id) WHERE dead = 1;
    CREATE INDEX IF NOT EXISTS tk_outbox_delivered ON tk_outbox(delivered_at) WHERE delivered_at IS NOT NULL;
  `);
  ensureGroupCounts(db, { name: COUNTS, table: 'tk_outbox', columns: ['dead', 'delivered_at'], key: stateOf });
}

/** Rows by status, from the trigger-kept counters (no table scan). */
export function outboxCounts(db: Database.Database): Record<OutboxStatus, number> {
  const c = readGroupCounts(db, COUNTS);
  return { pending: c.pending ?? 0, dead: c.dead ?? 0, delivered: c.delivered ?? 0 };
}

/** Newest first; `beforeId` pages on. The body (customer data) is left out: the ticket id names it. */
export function listOutbox(db: Database.Database, f: { status: OutboxStatus; receiver?: string; limit: number; beforeId?: number }): OutboxEntry[] {
  const where = [f.status === 'dead' ? 'dead = 1' : f.status === 'pending' ? 'dead = 0 AND delivered_at IS NULL' : 'dead = 0 AND delivered_at IS NOT NULL'];
  const args: unknown[] = [];
  if (f.receiver !== undefined) (where.push('receiver = ?'), args.push(f.receiver));
  if (f.beforeId !== undefined) (where.push('id < ?'), args.push(f.beforeId));
  const rows = db
    .prepare(
      `SELECT id, receiver, event_id, type, json_extract(body, '$.ticket.id') AS ticket, json_extract(body, '$.change') AS change,
              created_at, attempts, next_at, delivered_at, last_error FROM tk_outbox WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ?`,
    )
    .all(...args, f.limit) as Array<Record<string, unknown>>;
  return rows.map((r) => ({
    id: r.id as number,
    receiver: r.receiver as string,
    eventId: r.event_id as string,
    type: r.type as string,
    ticket: (r.ticket as number | null) ?? null,
    change: (r.change as string | null) ?? null,
    createdAt: r.created_at as number,
    attempts: r.attempts as number,
    nextAt: r.next_at as number,
    deliveredAt: (r.delivered_at as number | null) ?? null,
    status: f.status,
    lastError: (r.last_error as string | null) ?? null,
  }));
}

export type RetryOutcome =
  | { ok: true; entry: { id: number; receiver: string; eventId: string } }
  | { ok: false; reason: 'not_found' | 'not_dead' | 'unknown_receiver'; receiver?: string };

/**
 * Puts a dead letter back in its receiver's queue as a new delivery round (attempts from 0).
 * It is the oldest pending row of that receiver, so it goes out next. `receivers` are the
 * configured ones (a row of a receiver since removed has no sender). Call inside the
 * transaction that writes the audit row.
 */
export function retryDeadLetter(db: Database.Database, id: number, now: number, receivers: ReadonlySet<string>): RetryOutcome {
  const row = db.prepare('SELECT id, receiver, event_id, dead FROM tk_outbox WHERE id = ?').get(id) as { id: number; receiver: string; event_id: string; dead: number } | undefined;
  if (!row) return { ok: false, reason: 'not_found' };
  if (row.dead !== 1) return { ok: false, reason: 'not_dead' };
  if (!receivers.has(row.receiver)) return { ok: false, reason: 'unknown_receiver', receiver: row.receiver };
  db.prepare('UPDATE tk_outbox SET dead = 0, attempts = 0, next_at = ?, since = ? WHERE id = ?').run(now, now, id);
  return { ok: true, entry: { id: row.id, receiver: row.receiver, eventId: row.event_id } };
}
