/**
 * The `tk_outbox` table on the state database port: its migrations, the writing of rows, the
 * claim a sender takes on its receiver's next row, the counters `/metrics` reads, the listing of
 * dead, pending or delivered rows for admins, and an admin's re-send of a dead letter. Sending
 * itself is outbox.ts.
 *
 * A row is `pending` (not delivered, not dead), `delivered`, or `dead`. `since` is when the
 * current delivery round began (null: at `created_at`); a re-send starts a new round, so the
 * attempt and age caps (dead-letter.ts) apply afresh.
 *
 * A claim (`claimed_by`, `claim_until`) is a lease on a receiver's first pending row: while it
 * holds, no other sender (another `serve` instance on the same database) sends that row or any
 * later row of the receiver, so each receiver still gets its events one at a time, in order. A
 * sender that dies mid-attempt leaves a lease that runs out; another sender then re-sends the
 * row (same event id: receivers dedupe).
 */
import type { StateDb } from '../state/db.ts';
import { groupCountsStep, readGroupCountsOf, type GroupCountSpec } from '../state/counts.ts';
import { ddlFor } from '../state/db.ts';
import { migrate, type Migration } from '../state/migrate.ts';

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

/** A row to write: its receiver, the event id receivers dedupe by, its type and body. */
export interface OutboxRowSpec {
  receiver: string;
  eventId: string;
  type: string;
  body: string;
}

/** A receiver's first pending row, as its sender sees it. */
export interface OutboxHead {
  id: number;
  receiver: string;
  event_id: string;
  type: string;
  body: string;
  attempts: number;
  next_at: number;
  created_at: number;
  since: number | null;
  claimed_by: string | null;
  claim_until: number | null;
}

const COUNTS = 'tk_outbox_counts';
/** Rows by status, kept by triggers. */
export const OUTBOX_COUNTS: GroupCountSpec = {
  name: COUNTS,
  table: 'tk_outbox',
  columns: ['dead', 'delivered_at'],
  key: (p) => `CASE WHEN ${p}dead = 1 THEN 'dead' WHEN ${p}delivered_at IS NULL THEN 'pending' ELSE 'delivered' END`,
};

async function addColumn(db: StateDb, column: string, type: string): Promise<void> {
  if (!(await db.columns('tk_outbox')).includes(column)) await db.exec(ddlFor(db.dialect, `ALTER TABLE tk_outbox ADD COLUMN ${column} ${type}`));
}

/** Files of older releases have the table with or without `since` and the counts: each step looks first. */
export const OUTBOX_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'tk_outbox',
    up: `CREATE TABLE IF NOT EXISTS tk_outbox (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      receiver TEXT NOT NULL, event_id TEXT NOT NULL, type TEXT NOT NULL, body TEXT NOT NULL,
      created_at INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL,
      delivered_at INTEGER, dead INTEGER NOT NULL DEFAULT 0, last_error TEXT
    );
    CREATE INDEX IF NOT EXISTS tk_outbox_pending ON tk_outbox(receiver, delivered_at, dead, id);`,
  },
  {
    version: 2,
    name: 'dead letters: delivery rounds and indexes',
    up: async (db) => {
      await addColumn(db, 'since', 'INTEGER');
      await db.exec(`CREATE INDEX IF NOT EXISTS tk_outbox_dead ON tk_outbox(id) WHERE dead = 1;
        CREATE INDEX IF NOT EXISTS tk_outbox_delivered ON tk_outbox(delivered_at) WHERE delivered_at IS NOT NULL;`);
    },
  },
  groupCountsStep(3, OUTBOX_COUNTS),
  {
    version: 4,
    name: 'claims: one sender per receiver across instances',
    up: async (db) => {
      await addColumn(db, 'claimed_by', 'TEXT');
      await addColumn(db, 'claim_until', 'INTEGER');
    },
  },
];

/** Creates or upgrades the table; every user of the outbox awaits it before its first call. */
export async function migrateOutbox(db: StateDb): Promise<void> {
  await migrate(db, 'outbox', OUTBOX_MIGRATIONS);
}

/**
 * Writes the rows in one statement, so that a caller inside a transaction makes one call (and,
 * on SQLite, the row is written before the call first yields).
 */
export function insertOutboxRows(db: StateDb, rows: readonly OutboxRowSpec[], now: number): Promise<number> {
  if (!rows.length) return Promise.resolve(0);
  const values = rows.map(() => '(?,?,?,?,?,?)').join(', ');
  return db.run(
    `INSERT INTO tk_outbox (receiver, event_id, type, body, created_at, next_at) VALUES ${values}`,
    rows.flatMap((r) => [r.receiver, r.eventId, r.type, r.body, now, now]),
  );
}

const HEAD_COLUMNS = 'id, receiver, event_id, type, body, attempts, next_at, created_at, since, claimed_by, claim_until';

/** The receiver's first pending row (claimed or not), or none. */
export function outboxHead(db: StateDb, receiver: string): Promise<OutboxHead | undefined> {
  return db.get<OutboxHead>(`SELECT ${HEAD_COLUMNS} FROM tk_outbox WHERE receiver = ? AND delivered_at IS NULL AND dead = 0 ORDER BY id LIMIT 1`, [receiver]);
}

/**
 * Claims row `id` for `by` until `until` if it is still pending, due, and not claimed by another
 * sender whose lease holds. One statement: of two senders racing, one changes the row; on
 * PostgreSQL the other waits for its row lock, re-reads the row and finds it claimed.
 */
export async function claimOutboxRow(db: StateDb, id: number, by: string, now: number, until: number): Promise<OutboxHead | undefined> {
  const rows = await db.all<OutboxHead>(
    `UPDATE tk_outbox SET claimed_by = ?, claim_until = ?
      WHERE id = ? AND delivered_at IS NULL AND dead = 0 AND next_at <= ? AND (claim_until IS NULL OR claim_until <= ? OR claimed_by = ?)
      RETURNING ${HEAD_COLUMNS}`,
    [by, until, id, now, now, by],
  );
  return rows[0];
}

/** The attempt delivered; false: the claim had passed to another sender (which sends it again). */
export async function markOutboxDelivered(db: StateDb, id: number, by: string, now: number): Promise<boolean> {
  const n = await db.run('UPDATE tk_outbox SET delivered_at = ?, attempts = attempts + 1, last_error = NULL, claimed_by = NULL, claim_until = NULL WHERE id = ? AND claimed_by = ?', [now, id, by]);
  return n === 1;
}

/** The attempt failed: the next one at `nextAt`, or the row dead; false as for {@link markOutboxDelivered}. */
export async function markOutboxFailed(db: StateDb, id: number, by: string, f: { nextAt: number; error: string; dead: boolean }): Promise<boolean> {
  const n = await db.run('UPDATE tk_outbox SET attempts = attempts + 1, next_at = ?, last_error = ?, dead = ?, claimed_by = NULL, claim_until = NULL WHERE id = ? AND claimed_by = ?', [
    f.nextAt,
    f.error,
    f.dead ? 1 : 0,
    id,
    by,
  ]);
  return n === 1;
}

/** Gives a claim back unused (the sender stops), so another sender need not wait for the lease. */
export async function releaseOutboxRow(db: StateDb, id: number, by: string): Promise<void> {
  await db.run('UPDATE tk_outbox SET claimed_by = NULL, claim_until = NULL WHERE id = ? AND claimed_by = ?', [id, by]);
}

/** Rows by status, from the trigger-kept counters (no table scan). */
export async function outboxCounts(db: StateDb): Promise<Record<OutboxStatus, number>> {
  const c = await readGroupCountsOf(db, COUNTS);
  return { pending: c.pending ?? 0, dead: c.dead ?? 0, delivered: c.delivered ?? 0 };
}

/** The ticket and change a row's body names (webhook and notification bodies both carry them). */
function aboutOf(body: string): { ticket: number | null; change: string | null } {
  try {
    const b = JSON.parse(body) as { ticket?: { id?: unknown }; change?: unknown };
    return { ticket: typeof b.ticket?.id === 'number' ? b.ticket.id : null, change: typeof b.change === 'string' ? b.change : null };
  } catch {
    return { ticket: null, change: null };
  }
}

/** Newest first; `beforeId` pages on. The body (customer data) is left out: the ticket id names it. */
export async function listOutbox(db: StateDb, f: { status: OutboxStatus; receiver?: string; limit: number; beforeId?: number }): Promise<OutboxEntry[]> {
  const where = [f.status === 'dead' ? 'dead = 1' : f.status === 'pending' ? 'dead = 0 AND delivered_at IS NULL' : 'dead = 0 AND delivered_at IS NOT NULL'];
  const args: Array<string | number> = [];
  if (f.receiver !== undefined) (where.push('receiver = ?'), args.push(f.receiver));
  if (f.beforeId !== undefined) (where.push('id < ?'), args.push(f.beforeId));
  const rows = await db.all<{ id: number; receiver: string; event_id: string; type: string; body: string; created_at: number; attempts: number; next_at: number; delivered_at: number | null; last_error: string | null }>(
    `SELECT id, receiver, event_id, type, body, created_at, attempts, next_at, delivered_at, last_error FROM tk_outbox WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ?`,
    [...args, f.limit],
  );
  return rows.map((r) => ({
    id: r.id,
    receiver: r.receiver,
    eventId: r.event_id,
    type: r.type,
    ...aboutOf(r.body),
    createdAt: r.created_at,
    attempts: r.attempts,
    nextAt: r.next_at,
    deliveredAt: r.delivered_at ?? null,
    status: f.status,
    lastError: r.last_error ?? null,
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
export async function retryDeadLetter(db: StateDb, id: number, now: number, receivers: ReadonlySet<string>): Promise<RetryOutcome> {
  const row = await db.get<{ id: number; receiver: string; event_id: string; dead: number }>('SELECT id, receiver, event_id, dead FROM tk_outbox WHERE id = ?', [id]);
  if (!row) return { ok: false, reason: 'not_found' };
  if (Number(row.dead) !== 1) return { ok: false, reason: 'not_dead' };
  if (!receivers.has(row.receiver)) return { ok: false, reason: 'unknown_receiver', receiver: row.receiver };
  // only if still dead: an admin's double click, or two instances, re-send it once
  const n = await db.run('UPDATE tk_outbox SET dead = 0, attempts = 0, next_at = ?, since = ?, claimed_by = NULL, claim_until = NULL WHERE id = ? AND dead = 1', [now, now, id]);
  if (n !== 1) return { ok: false, reason: 'not_dead' };
  return { ok: true, entry: { id: row.id, receiver: row.receiver, eventId: row.event_id } };
}
