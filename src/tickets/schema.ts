/**
 * The ticket tables and their migrations (module `tickets` in `schema_migrations`). A ticket row
 * keeps the whole ticket as JSON in `data` plus the columns the queue filters and sorts on, all
 * computed in TypeScript ({@link ticketColumns}) so that the SQL reads plain columns on SQLite
 * and PostgreSQL alike; incidents' stations are rows of `tk_ticket_stations`.
 */
import { groupCountsStep } from '../state/counts.ts';
import type { StateDb } from '../state/db.ts';
import type { Migration } from '../state/migrate.ts';
import { nextDeadline, NO_DEADLINE, phoneKey } from './query.ts';
import type { Ticket } from './types.ts';

/** The tables as releases before the state port made them (version 1 must open those files as they are). */
const TABLES = `
CREATE TABLE IF NOT EXISTS tk_tickets (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  key TEXT, kind TEXT NOT NULL, source TEXT NOT NULL, status TEXT NOT NULL, priority TEXT NOT NULL,
  station TEXT, area TEXT, escalation INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL, closed_at INTEGER, data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tk_tickets_key ON tk_tickets(key, status);
CREATE INDEX IF NOT EXISTS tk_tickets_station ON tk_tickets(station, status);
CREATE INDEX IF NOT EXISTS tk_tickets_status ON tk_tickets(status, priority);
CREATE TABLE IF NOT EXISTS tk_timeline (
  id INTEGER PRIMARY KEY AUTOINCREMENT, ticket_id INTEGER NOT NULL, ts INTEGER NOT NULL,
  actor TEXT NOT NULL, role TEXT NOT NULL, kind TEXT NOT NULL, from_status TEXT, to_status TEXT, note TEXT, detail TEXT
);
CREATE INDEX IF NOT EXISTS tk_timeline_ticket ON tk_timeline(ticket_id, id);
CREATE TABLE IF NOT EXISTS tk_pending (alarm_id TEXT PRIMARY KEY, due_at INTEGER NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tk_raises (id INTEGER PRIMARY KEY AUTOINCREMENT, alarm_id TEXT NOT NULL, area TEXT NOT NULL, station TEXT NOT NULL, ts INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS tk_raises_area ON tk_raises(area, ts);
CREATE INDEX IF NOT EXISTS tk_raises_alarm ON tk_raises(alarm_id, ts);
CREATE TABLE IF NOT EXISTS tk_callbacks (
  id INTEGER PRIMARY KEY AUTOINCREMENT, ticket_id INTEGER NOT NULL, ts INTEGER NOT NULL, actor TEXT NOT NULL,
  reached INTEGER NOT NULL, satisfied INTEGER, note TEXT
);
CREATE TABLE IF NOT EXISTS tk_attachments (
  id INTEGER PRIMARY KEY AUTOINCREMENT, ticket_id INTEGER NOT NULL, ts INTEGER NOT NULL, actor TEXT NOT NULL,
  filename TEXT NOT NULL, mime TEXT NOT NULL, size INTEGER NOT NULL, path TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tk_attachments_ticket ON tk_attachments(ticket_id);
CREATE TABLE IF NOT EXISTS tk_addresses (address TEXT PRIMARY KEY, station TEXT NOT NULL);
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

/** The queue's columns beside `data`, in {@link QUERY_COLUMNS} order. */
export function ticketColumns(t: Ticket): Array<string | number | null> {
  const c = t.customer;
  // one lower-cased text per field, one field a line: a word never matches across two fields
  const search = [t.title, t.description, c?.name, c?.phone, c?.address, c?.account, t.resolutionNote]
    .filter((f): f is string => typeof f === 'string' && f !== '')
    .join('\n')
    .toLowerCase();
  return [
    t.category,
    t.team,
    t.assignee,
    t.resolutionCode ?? null,
    c ? phoneKey(c.phone) : null,
    c?.account ?? null,
    c ? c.address.toLowerCase() : null,
    nextDeadline(t)?.at ?? NO_DEADLINE,
    search,
  ];
}

export const QUERY_COLUMNS = ['category', 'team', 'assignee', 'resolution_code', 'phone_key', 'account', 'address_key', 'due_at', 'search'] as const;
const COLUMN_TYPES: Record<(typeof QUERY_COLUMNS)[number], string> = {
  category: 'TEXT',
  team: 'TEXT',
  assignee: 'TEXT',
  resolution_code: 'TEXT',
  phone_key: 'TEXT',
  account: 'TEXT',
  address_key: 'TEXT',
  due_at: 'INTEGER',
  search: 'TEXT',
};

/** Incidents grow their station list; a station once named stays (none is ever removed). */
export async function saveIncidentStations(db: StateDb, t: Pick<Ticket, 'id' | 'kind' | 'stations'>): Promise<void> {
  if (t.kind !== 'incident') return;
  for (const s of t.stations) await db.run('INSERT INTO tk_ticket_stations (ticket_id, station) VALUES (?, ?) ON CONFLICT (ticket_id, station) DO NOTHING', [t.id, s]);
}

/** Columns the queue reads, filled in from `data` for the tickets already there. */
async function queryColumns(db: StateDb): Promise<void> {
  const have = new Set(await db.columns('tk_tickets'));
  for (const col of QUERY_COLUMNS) if (!have.has(col)) await db.exec(`ALTER TABLE tk_tickets ADD COLUMN ${col} ${db.dialect === 'postgresql' && COLUMN_TYPES[col] === 'INTEGER' ? 'BIGINT' : COLUMN_TYPES[col]}`);
  await db.exec(`CREATE TABLE IF NOT EXISTS tk_ticket_stations (ticket_id ${db.dialect === 'postgresql' ? 'BIGINT' : 'INTEGER'} NOT NULL, station TEXT NOT NULL, PRIMARY KEY (ticket_id, station));
    CREATE INDEX IF NOT EXISTS tk_ticket_stations_station ON tk_ticket_stations(station, ticket_id);
    CREATE INDEX IF NOT EXISTS tk_tickets_due ON tk_tickets(due_at, priority, id);`);
  const rows = await db.all<{ id: number; data: string }>('SELECT id, data FROM tk_tickets ORDER BY id');
  const set = QUERY_COLUMNS.map((c) => `${c} = ?`).join(', ');
  for (const r of rows) {
    const t = JSON.parse(r.data) as Ticket;
    await db.run(`UPDATE tk_tickets SET ${set} WHERE id = ?`, [...ticketColumns(t), r.id]);
    await saveIncidentStations(db, t);
  }
}

export const ticketMigrations: readonly Migration[] = [
  { version: 1, name: 'ticket tables', up: TABLES },
  {
    version: 2,
    name: 'tk_callbacks.channel',
    up: async (db) => {
      // callbacks recorded before the channel was kept were by phone
      if (!(await db.columns('tk_callbacks')).includes('channel')) await db.exec("ALTER TABLE tk_callbacks ADD COLUMN channel TEXT NOT NULL DEFAULT 'phone'");
    },
  },
  // open tickets by priority for /metrics, kept by triggers instead of a GROUP BY over every ticket ever filed
  groupCountsStep(3, { name: 'tk_open_counts', table: 'tk_tickets', columns: ['status', 'priority'], key: (p) => `CASE WHEN ${p}status = 'closed' THEN NULL ELSE ${p}priority END` }),
  { version: 4, name: 'tk_tickets query columns, incident stations', up: queryColumns },
];
