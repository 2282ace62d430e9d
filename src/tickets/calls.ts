/**
 * Service-window calls linked to a known outage instead of opening a ticket (outage.ts): who
 * called, about what, and which planned stop or ticket their call joined. The caller's lookup
 * shows them beside past tickets; the outage's crew sees who to call back when heat is restored.
 */
import type Database from 'better-sqlite3';
import type { Outage } from './outage.ts';
import type { Customer, CustomerCategory } from './types.ts';

export interface LinkedCall {
  id: number;
  ts: number;
  actor: string;
  category: CustomerCategory;
  customer: Customer;
  description: string;
  station: string;
  outage: Outage;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS tk_calls (
  id INTEGER PRIMARY KEY AUTOINCREMENT, ts INTEGER NOT NULL, actor TEXT NOT NULL,
  phone TEXT NOT NULL, account TEXT, address TEXT NOT NULL, station TEXT NOT NULL,
  outage_kind TEXT NOT NULL, outage_id TEXT NOT NULL, data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tk_calls_phone ON tk_calls(phone, id);
CREATE INDEX IF NOT EXISTS tk_calls_account ON tk_calls(account, id);
CREATE INDEX IF NOT EXISTS tk_calls_address ON tk_calls(address, id);
CREATE INDEX IF NOT EXISTS tk_calls_outage ON tk_calls(outage_kind, outage_id, id);
`;

/** The phone as stored and searched: without spaces and dashes (the queue's phone filter does the same). */
export const phoneKey = (phone: string) => phone.replace(/[\s-]/g, '');
const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

export class CallStore {
  constructor(private readonly db: Database.Database) {
    db.exec(SCHEMA);
  }

  add(c: Omit<LinkedCall, 'id'>): LinkedCall {
    const r = this.db
      .prepare('INSERT INTO tk_calls (ts, actor, phone, account, address, station, outage_kind, outage_id, data) VALUES (?,?,?,?,?,?,?,?,?)')
      .run(c.ts, c.actor, phoneKey(c.customer.phone), c.customer.account ?? null, c.customer.address, c.station, c.outage.kind, String(c.outage.id), JSON.stringify(c));
    return { ...c, id: Number(r.lastInsertRowid) };
  }

  /** A caller's linked calls, newest first: by phone, account or address prefix (any that is given). */
  forCustomer(q: { phone?: string; account?: string; address?: string }, limit = 50): LinkedCall[] {
    const clauses: string[] = [];
    const args: unknown[] = [];
    if (q.phone) (clauses.push('phone = ?'), args.push(phoneKey(q.phone)));
    if (q.account) (clauses.push('account = ?'), args.push(q.account));
    if (q.address) (clauses.push("address LIKE ? ESCAPE '\\'"), args.push(`${escapeLike(q.address.trim())}%`));
    if (!clauses.length) return [];
    return this.read(`WHERE ${clauses.join(' OR ')}`, args, limit);
  }

  /** The calls linked to one planned stop or ticket, oldest first (the call-back list). */
  forOutage(kind: Outage['kind'], id: string | number, limit = 1000): LinkedCall[] {
    return this.read('WHERE outage_kind = ? AND outage_id = ?', [kind, String(id)], limit, 'ASC');
  }

  private read(where: string, args: unknown[], limit: number, dir: 'ASC' | 'DESC' = 'DESC'): LinkedCall[] {
    const rows = this.db.prepare(`SELECT id, data FROM tk_calls ${where} ORDER BY id ${dir} LIMIT ?`).all(...args, limit) as Array<{ id: number; data: string }>;
    return rows.map((r) => ({ ...(JSON.parse(r.data) as Omit<LinkedCall, 'id'>), id: r.id }));
  }
}
