/**
 * Service-window calls linked to a known outage instead of opening a ticket (outage.ts): who
 * called, about what, and which planned stop or ticket their call joined. The caller's lookup
 * shows them beside past tickets; the outage's crew sees who to call back when heat is restored.
 */
import type { SqlParam, StateDb } from '../state/db.ts';
import type { Outage } from './outage.ts';
import { phoneKey } from './query.ts';
import type { Customer, CustomerCategory } from './types.ts';

export { phoneKey };

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

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** Its table, `tk_calls`, is created by the ticket migrations (schema.ts). */
export class CallStore {
  constructor(private readonly db: StateDb) {}

  async add(c: Omit<LinkedCall, 'id'>): Promise<LinkedCall> {
    const id = await this.db.insert('INSERT INTO tk_calls (ts, actor, phone, account, address, station, outage_kind, outage_id, data) VALUES (?,?,?,?,?,?,?,?,?)', [
      c.ts,
      c.actor,
      phoneKey(c.customer.phone),
      c.customer.account ?? null,
      c.customer.address,
      c.station,
      c.outage.kind,
      String(c.outage.id),
      JSON.stringify(c),
    ]);
    return { ...c, id };
  }

  /** A caller's linked calls, newest first: by phone, account or address prefix (any that is given). */
  async forCustomer(q: { phone?: string; account?: string; address?: string }, limit = 50): Promise<LinkedCall[]> {
    const clauses: string[] = [];
    const args: SqlParam[] = [];
    if (q.phone) (clauses.push('phone = ?'), args.push(phoneKey(q.phone)));
    if (q.account) (clauses.push('account = ?'), args.push(q.account));
    // case-insensitive as SQLite's LIKE was; PostgreSQL's heeds case
    if (q.address) (clauses.push("LOWER(address) LIKE LOWER(?) ESCAPE '\\'"), args.push(`${escapeLike(q.address.trim())}%`));
    if (!clauses.length) return [];
    return this.read(`WHERE ${clauses.join(' OR ')}`, args, limit);
  }

  /** The calls linked to one planned stop or ticket, oldest first (the call-back list). */
  async forOutage(kind: Outage['kind'], id: string | number, limit = 1000): Promise<LinkedCall[]> {
    return this.read('WHERE outage_kind = ? AND outage_id = ?', [kind, String(id)], limit, 'ASC');
  }

  private async read(where: string, args: SqlParam[], limit: number, dir: 'ASC' | 'DESC' = 'DESC'): Promise<LinkedCall[]> {
    const rows = await this.db.all<{ id: number; data: string }>(`SELECT id, data FROM tk_calls ${where} ORDER BY id ${dir} LIMIT ?`, [...args, limit]);
    return rows.map((r) => ({ ...(JSON.parse(r.data) as Omit<LinkedCall, 'id'>), id: r.id }));
  }
}
