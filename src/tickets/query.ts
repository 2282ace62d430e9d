/**
 * The ticket queue as SQL: filters, three orders and a keyset cursor, built as text and arguments
 * for the store to run. Pure, so every filter and the paging are unit-tested without a database.
 *
 * Paging is by keyset, not offset: a page starts after the sort key of the last row the client
 * saw, so a ticket closed or filed while a dispatcher pages through does not shift the rest (an
 * offset would skip or repeat a row). Every order ends with the id, so the key is unique.
 *
 * @example
 * const q = ticketQuery({ statuses: ['open'], sort: 'deadline', limit: 100 });
 * await db.all(`SELECT data, ${q.keys} FROM tk_tickets ${q.where} ORDER BY ${q.order} LIMIT ?`, [...q.args, q.limit + 1]);
 */
import type { CustomerCategory, Ticket, TicketPriority, TicketStatus } from './types.ts';
import { TICKET_STATUSES } from './types.ts';
import type { SqlParam } from '../state/db.ts';

export type TicketSort = 'priority' | 'deadline' | 'newest';

export interface TicketQuery {
  /** default: every status but closed (the working queue) */
  statuses?: readonly TicketStatus[];
  priorities?: readonly TicketPriority[];
  station?: string;
  area?: string;
  category?: CustomerCategory;
  team?: string;
  assignee?: string;
  /** resolved with this code (the case library: `statuses` verified and closed, `resolution`, `text`) */
  resolution?: string;
  /** true: escalated (a deadline breached) only; false: not escalated only */
  escalated?: boolean;
  /** the customer's phone, exactly (spaces and dashes ignored) */
  phone?: string;
  /** the customer's address starting with this (a building finds its flats) */
  address?: string;
  /** the customer's account number (户号), exactly */
  account?: string;
  /** words found in the title, description, customer name, phone, address or account, the resolution note, or the ticket number */
  text?: string;
  /** `priority` (default): escalated first, then P1..P4, oldest first; `deadline`: the next deadline due first; `newest`: newest first */
  sort?: TicketSort;
  limit?: number;
  /** from a previous page's `next` */
  cursor?: string;
}

export const DEFAULT_LIMIT = 500;
export const OPEN_STATUSES: readonly TicketStatus[] = TICKET_STATUSES.filter((s) => s !== 'closed');

/** Far beyond any deadline: tickets with none left (resolved, verified) sort after all others. */
export const NO_DEADLINE = 8_640_000_000_000_000;

/** The phone as stored and searched: without spaces and dashes. */
export const phoneKey = (phone: string) => phone.replace(/[\s-]/g, '');

/**
 * The deadline a ticket is working towards: respond-by until someone responds, then on-site-by
 * where the SLA sets one, then resolve-by until resolved; none after that. Stored as the
 * `due_at` column (schema.ts) that the deadline order reads.
 */
export function nextDeadline(t: Pick<Ticket, 'respondBy' | 'respondedAt' | 'onSiteBy' | 'onSiteAt' | 'resolveBy' | 'resolvedAt'>): { kind: 'respond' | 'on_site' | 'resolve'; at: number } | null {
  if (t.respondedAt === null) return { kind: 'respond', at: t.respondBy };
  if (t.onSiteBy !== null && t.onSiteAt === null) return { kind: 'on_site', at: t.onSiteBy };
  if (t.resolvedAt === null) return { kind: 'resolve', at: t.resolveBy };
  return null;
}

/** Each order as ascending keys (a descending one negated), ending with the unique id; with each key's type, for checking a cursor. */
const ORDERS: Record<TicketSort, Array<[string, 'number' | 'string']>> = {
  priority: [['-escalation', 'number'], ['priority', 'string'], ['created_at', 'number'], ['id', 'number']],
  deadline: [['due_at', 'number'], ['priority', 'string'], ['id', 'number']],
  newest: [['-created_at', 'number'], ['-id', 'number']],
};

export class TicketQueryError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export interface BuiltQuery {
  /** `WHERE …` or '' */
  where: string;
  args: SqlParam[];
  /** the sort key columns to select beside the row (`k0, k1, …`), for the next cursor */
  keys: string;
  keyCount: number;
  order: string;
  limit: number;
  sort: TicketSort;
}

/** `%`, `_` and `\` taken literally in a LIKE pattern */
const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);
const likeOf = (s: string) => `%${escapeLike(s)}%`;

/** The filters as SQL, without the status filter when `withStatus` is false (counts per status). */
export function ticketFilters(q: TicketQuery, withStatus = true): { clauses: string[]; args: SqlParam[] } {
  const clauses: string[] = [];
  const args: SqlParam[] = [];
  const statuses = q.statuses ?? OPEN_STATUSES;
  if (withStatus && statuses.length < TICKET_STATUSES.length) {
    clauses.push(`status IN (${statuses.map(() => '?').join(',')})`);
    args.push(...statuses);
  }
  if (q.priorities?.length) {
    clauses.push(`priority IN (${q.priorities.map(() => '?').join(',')})`);
    args.push(...q.priorities);
  }
  if (q.station) {
    // an incident names its stations in tk_ticket_stations
    clauses.push('(station = ? OR id IN (SELECT ticket_id FROM tk_ticket_stations WHERE station = ?))');
    args.push(q.station, q.station);
  }
  if (q.area) (clauses.push('area = ?'), args.push(q.area));
  if (q.category) (clauses.push('category = ?'), args.push(q.category));
  if (q.team) (clauses.push('team = ?'), args.push(q.team));
  if (q.assignee) (clauses.push('assignee = ?'), args.push(q.assignee));
  if (q.resolution) (clauses.push('resolution_code = ?'), args.push(q.resolution));
  if (q.phone) (clauses.push('phone_key = ?'), args.push(phoneKey(q.phone)));
  if (q.account) (clauses.push('account = ?'), args.push(q.account));
  // lower-cased on both sides in TypeScript: the same on SQLite and PostgreSQL (whose LIKE heeds case)
  if (q.address) (clauses.push("address_key LIKE ? ESCAPE '\\'"), args.push(`${escapeLike(q.address.trim().toLowerCase())}%`));
  if (q.escalated !== undefined) clauses.push(q.escalated ? 'escalation > 0' : 'escalation = 0');
  for (const word of (q.text ?? '').trim().split(/\s+/).filter(Boolean)) {
    clauses.push("(search LIKE ? ESCAPE '\\' OR CAST(id AS TEXT) = ?)");
    args.push(likeOf(word.toLowerCase()), word.replace(/^#/, ''));
  }
  return { clauses, args };
}

export const encodeCursor = (sort: TicketSort, key: unknown[]): string => Buffer.from(JSON.stringify({ s: sort, k: key })).toString('base64url');

function decodeCursor(cursor: string, sort: TicketSort): Array<string | number> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new TicketQueryError('cursor', 'not a cursor this server gave out');
  }
  const c = (parsed ?? {}) as { s?: unknown; k?: unknown };
  if (typeof c.s === 'string' && c.s !== sort && Object.hasOwn(ORDERS, c.s)) throw new TicketQueryError('cursor', `the cursor is for sort=${c.s}, not sort=${sort}`);
  // each key of its column's type: PostgreSQL refuses a text compared with a number
  const valid = c.s === sort && Array.isArray(c.k) && c.k.length === ORDERS[sort].length && c.k.every((v, i) => typeof v === ORDERS[sort][i][1] && (typeof v !== 'number' || Number.isSafeInteger(v)));
  if (!valid) throw new TicketQueryError('cursor', 'not a cursor this server gave out');
  return c.k as Array<string | number>;
}

export function ticketQuery(q: TicketQuery): BuiltQuery {
  const sort = q.sort ?? 'priority';
  const cols = ORDERS[sort].map(([c]) => c);
  const { clauses, args } = ticketFilters(q);
  if (q.cursor !== undefined) {
    // row values: (k0, k1, …) > (v0, v1, …) is "after the last row seen" in this order
    clauses.push(`(${cols.join(', ')}) > (${cols.map(() => '?').join(', ')})`);
    args.push(...decodeCursor(q.cursor, sort));
  }
  return {
    where: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '',
    args,
    keys: cols.map((c, i) => `${c} AS k${i}`).join(', '),
    keyCount: cols.length,
    order: cols.join(', '),
    limit: q.limit ?? DEFAULT_LIMIT,
    sort,
  };
}
