/**
 * Notification tables in the state database: the roster (`nt_roster`, replaced per team or
 * whole), and the reading of notification rows from the ticket outbox (`tk_outbox`, type
 * `notify`), where they are written with the ticket change that caused them.
 */
import type { StateDb } from '../state/db.ts';
import { migrate, type Migration } from '../state/migrate.ts';
import { migrateOutbox } from '../tickets/outbox-rows.ts';
import { NOTIFY_ROW_TYPE, type NotificationBody } from './deliver.ts';
import type { RosterEntry, RosterLevel } from './roster.ts';

export const NOTIFY_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'nt_roster, and an index of the notification rows of tk_outbox',
    up: `CREATE TABLE IF NOT EXISTS nt_roster (
      id INTEGER PRIMARY KEY AUTOINCREMENT, team TEXT NOT NULL, area TEXT NOT NULL, level TEXT NOT NULL, name TEXT NOT NULL,
      mobile TEXT, email TEXT, valid_from INTEGER, valid_to INTEGER
    );
    CREATE INDEX IF NOT EXISTS nt_roster_team ON nt_roster(team, level);
    CREATE INDEX IF NOT EXISTS tk_outbox_notify ON tk_outbox(id) WHERE type = '${NOTIFY_ROW_TYPE}';`,
  },
];

interface RosterRow {
  id: number;
  team: string;
  area: string;
  level: string;
  name: string;
  mobile: string | null;
  email: string | null;
  valid_from: number | null;
  valid_to: number | null;
}

const INSERT_BATCH = 200;

/** Text in code-unit order: the engines collate text differently, the page must not change with them. */
const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

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
  constructor(readonly db: StateDb) {}

  /** Creates or upgrades the tables: the outbox's first (the page lists its notification rows). */
  async init(): Promise<void> {
    await migrateOutbox(this.db);
    await migrate(this.db, 'notify', NOTIFY_MIGRATIONS);
  }

  /** By team, level, area, then as entered. */
  async entries(): Promise<RosterEntry[]> {
    const rows = await this.db.all<RosterRow>('SELECT id, team, area, level, name, mobile, email, valid_from, valid_to FROM nt_roster ORDER BY id');
    rows.sort((a, b) => byText(a.team, b.team) || byText(a.level, b.level) || byText(a.area, b.area) || a.id - b.id);
    return rows.map((r) => ({
      team: r.team,
      area: r.area,
      level: (r.level === 'qa' ? 'qa' : Number(r.level)) as RosterLevel,
      name: r.name,
      mobile: r.mobile ?? null,
      email: r.email ?? null,
      from: r.valid_from ?? null,
      to: r.valid_to ?? null,
    }));
  }

  /** Replaces one team's entries, or (team null) the whole roster; returns how many were removed. Call inside the audit's transaction. */
  async replace(team: string | null, entries: readonly RosterEntry[]): Promise<number> {
    const removed = team === null ? await this.db.run('DELETE FROM nt_roster') : await this.db.run('DELETE FROM nt_roster WHERE team = ?', [team]);
    // a few statements for a whole roster (thousands of entries): one round trip each on PostgreSQL
    for (let i = 0; i < entries.length; i += INSERT_BATCH) {
      const batch = entries.slice(i, i + INSERT_BATCH);
      await this.db.run(
        `INSERT INTO nt_roster (team, area, level, name, mobile, email, valid_from, valid_to) VALUES ${batch.map(() => '(?,?,?,?,?,?,?,?)').join(', ')}`,
        batch.flatMap((e) => [e.team, e.area, String(e.level), e.name, e.mobile, e.email, e.from, e.to]),
      );
    }
    return removed;
  }

  /** The newest notification rows (optionally of one ticket), with their delivery state. */
  async notifications(q: { limit: number; ticket?: number }): Promise<NotificationRow[]> {
    const where = [`type = '${NOTIFY_ROW_TYPE}'`];
    const args: Array<string | number> = [];
    // a notification's event id begins with its ticket's event id, `<ticket>:<timeline entry>` (service.ts rowsFor)
    if (q.ticket !== undefined) (where.push('event_id LIKE ?'), args.push(`${q.ticket}:%`));
    const rows = await this.db.all<{ id: number; body: string; created_at: number; attempts: number; next_at: number; delivered_at: number | null; dead: number; last_error: string | null }>(
      `SELECT id, body, created_at, attempts, next_at, delivered_at, dead, last_error FROM tk_outbox WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ?`,
      [...args, q.limit],
    );
    return rows.map((r) => {
      const b = JSON.parse(r.body) as NotificationBody;
      const state: DeliveryState = Number(r.dead) === 1 ? 'dead' : r.delivered_at !== null ? 'delivered' : r.attempts > 0 ? 'retrying' : 'queued';
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
