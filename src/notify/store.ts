/**
 * Notification tables in the state database: the roster (`nt_roster`, replaced per team or
 * whole), and the reading of notification rows from the ticket outbox (`tk_outbox`, type
 * `notify`), where they are written with the ticket change that caused them.
 */
import type Database from 'better-sqlite3';
import { Outbox } from '../tickets/outbox.ts';
import { NOTIFY_ROW_TYPE, type NotificationBody } from './deliver.ts';
import type { RosterEntry, RosterLevel } from './roster.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS nt_roster (
  id INTEGER PRIMARY KEY AUTOINCREMENT, team TEXT NOT NULL, area TEXT NOT NULL, level TEXT NOT NULL, name TEXT NOT NULL,
  mobile TEXT, email TEXT, valid_from INTEGER, valid_to INTEGER
);
CREATE INDEX IF NOT EXISTS nt_roster_team ON nt_roster(team, level);
`;

/** What the page shows of a delivery: retrying is pending after a failed attempt. */
export type DeliveryState = 'queued' | 'retrying' | 'delivered' | 'dead';

export interface NotificationRow {
  id: number;
  ticket: number;
  priority: string;
  title: string;
  rule: NotificationBody['notify']['rule'];
  level: RosterLevel;
  asked: RosterLevel;
  reason: NotificationBody['notify']['reason'];
  team: string | null;
  channel: string;
  kind: NotificationBody['notify']['kind'];
  recipients: string[];
  to: string | null;
  text: string;
  createdAt: number;
  deliveredAt: number | null;
  attempts: number;
  nextAt: number;
  state: DeliveryState;
  lastError: string | null;
}

export class RosterStore {
  constructor(readonly db: Database.Database) {
    db.exec(SCHEMA);
    // the outbox's own schema (this may run before the ticket service creates it), then an
    // index of only the notification rows: the page lists them newest first
    new Outbox(db, []);
    db.exec(`CREATE INDEX IF NOT EXISTS tk_outbox_notify ON tk_outbox(id) WHERE type = '${NOTIFY_ROW_TYPE}'`);
  }

  entries(): RosterEntry[] {
    const rows = this.db.prepare('SELECT team, area, level, name, mobile, email, valid_from, valid_to FROM nt_roster ORDER BY team, level, area, id').all() as Array<Record<string, unknown>>;
    return rows.map((r) => ({
      team: r.team as string,
      area: r.area as string,
      level: (r.level === 'qa' ? 'qa' : Number(r.level)) as RosterLevel,
      name: r.name as string,
      mobile: (r.mobile as string | null) ?? null,
      email: (r.email as string | null) ?? null,
      from: (r.valid_from as number | null) ?? null,
      to: (r.valid_to as number | null) ?? null,
    }));
  }

  /** Replaces one team's entries, or (team null) the whole roster; returns how many were removed. Call inside the audit's transaction. */
  replace(team: string | null, entries: readonly RosterEntry[]): number {
    const removed = team === null ? this.db.prepare('DELETE FROM nt_roster').run().changes : this.db.prepare('DELETE FROM nt_roster WHERE team = ?').run(team).changes;
    const st = this.db.prepare('INSERT INTO nt_roster (team, area, level, name, mobile, email, valid_from, valid_to) VALUES (?,?,?,?,?,?,?,?)');
    for (const e of entries) st.run(e.team, e.area, String(e.level), e.name, e.mobile, e.email, e.from, e.to);
    return removed;
  }

  /** The newest notification rows (optionally of one ticket), with their delivery state. */
  notifications(q: { limit: number; ticket?: number }): NotificationRow[] {
    const where = [`type = '${NOTIFY_ROW_TYPE}'`];
    const args: unknown[] = [];
    if (q.ticket !== undefined) (where.push("json_extract(body, '$.ticket.id') = ?"), args.push(q.ticket));
    const rows = this.db
      .prepare(`SELECT id, body, created_at, attempts, next_at, delivered_at, dead, last_error FROM tk_outbox WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ?`)
      .all(...args, q.limit) as Array<{ id: number; body: string; created_at: number; attempts: number; next_at: number; delivered_at: number | null; dead: number; last_error: string | null }>;
    return rows.map((r) => {
      const b = JSON.parse(r.body) as NotificationBody;
      const state: DeliveryState = r.dead === 1 ? 'dead' : r.delivered_at !== null ? 'delivered' : r.attempts > 0 ? 'retrying' : 'queued';
      return {
        id: r.id,
        ticket: b.ticket.id,
        priority: b.ticket.priority,
        title: b.ticket.title,
        rule: b.notify.rule,
        level: b.notify.level,
        asked: b.notify.asked,
        reason: b.notify.reason,
        team: b.notify.team,
        channel: b.notify.channel,
        kind: b.notify.kind,
        recipients: b.notify.recipients.map((p) => p.name),
        to: b.notify.to,
        text: b.notify.text,
        createdAt: r.created_at,
        deliveredAt: r.delivered_at,
        attempts: r.attempts,
        nextAt: r.next_at,
        state,
        lastError: r.last_error,
      };
    });
  }
}
