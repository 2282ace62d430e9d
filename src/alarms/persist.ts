import { migrate, type Migration } from '../state/migrate.ts';
import type { SqlParam, StateDb } from '../state/db.ts';
import type { ExternalAlarm } from './external.ts';
import type { AlarmEvent, AlarmRecord, StoredState } from './types.ts';

/** What the runner keeps about an alarm beyond the engine record, for the alarm list. */
export interface AlarmMeta {
  raisedAt: number | null;
  lastChange: number;
  ackedBy: string | null;
  ackedAt: number | null;
  comment: string | null;
  value: number | boolean | null;
  /** recent activation times, for chattering (≥ 3 in 60 s) */
  raises: number[];
}

export interface RestoredAlarms {
  checkpoint: StoredState | null;
  records: Map<string, AlarmRecord>;
  meta: Map<string, AlarmMeta>;
  externals: ExternalAlarm[];
  maxEventId: number;
}

/**
 * An alarm record as written: serialised when it was queued, since the runner keeps changing
 * its records (externals and meta in place) while the write waits its turn.
 */
export interface AlarmRow {
  id: string;
  kind: 'rule' | 'external';
  record: string;
  meta: string;
  /** its station (not a column: for the cluster's write fence) */
  station?: string;
}

/**
 * In a cluster: of these stations, those this instance may still write, checked (and held) in
 * the write's transaction (src/cluster/leases.ts `ownedStations`).
 */
export type WriteFence = (stations: string[]) => Promise<Set<string>>;

/** An event as written (the whole event as JSON, and the columns its queries filter on). */
export interface AlarmEventRow {
  id: number;
  ts: number;
  alarmId: string;
  station: string;
  type: string;
  priority: number;
  event: string;
}

export const eventRow = (e: AlarmEvent): AlarmEventRow => ({ id: e.id, ts: e.ts, alarmId: e.alarmId, station: e.station, type: e.type, priority: e.priority, event: JSON.stringify(e) });

export const ALARM_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'alarm events, current records and the checkpoint',
    up: `
      CREATE TABLE IF NOT EXISTS alarm_events (
        id INTEGER PRIMARY KEY,
        ts INTEGER NOT NULL,
        alarm_id TEXT NOT NULL,
        station TEXT NOT NULL,
        type TEXT NOT NULL,
        priority INTEGER NOT NULL,
        event TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS alarm_events_ts ON alarm_events(ts);
      CREATE INDEX IF NOT EXISTS alarm_events_station_ts ON alarm_events(station, ts);
      CREATE TABLE IF NOT EXISTS alarm_current (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        record TEXT NOT NULL,
        meta TEXT NOT NULL
      );
      CREATE TABLE IF NOT EXISTS alarm_checkpoint (
        k INTEGER PRIMARY KEY CHECK (k = 1),
        ts INTEGER NOT NULL,
        state TEXT NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: 'blocks of event ids, one per serve instance start',
    up: 'CREATE TABLE IF NOT EXISTS alarm_event_blocks (id INTEGER PRIMARY KEY AUTOINCREMENT, instance TEXT NOT NULL, taken_at INTEGER NOT NULL)',
  },
];

/**
 * Rows per multi-row statement: a full chunk, then powers of two for the rest, so a storm's
 * thousand events take a handful of round trips (PostgreSQL) and few distinct statement texts.
 */
const CHUNKS = [128, 64, 32, 16, 8, 4, 2, 1];

async function insertRows<T>(db: StateDb, rows: readonly T[], head: string, cols: number, tail: string, params: (r: T) => SqlParam[]): Promise<void> {
  let i = 0;
  for (const size of CHUNKS) {
    while (rows.length - i >= size) {
      const values = Array.from({ length: size }, () => `(${Array.from({ length: cols }, () => '?').join(', ')})`).join(', ');
      await db.run(`${head} VALUES ${values} ${tail}`, rows.slice(i, i + size).flatMap(params));
      i += size;
    }
  }
}

/**
 * Alarm persistence in the state database. Events are appended and the records of the alarms
 * they touched are upserted in the same transaction, so a crash never loses an acknowledged or
 * raised state; the alarm records not at rest are checkpointed periodically on top.
 */
export class AlarmPersistence {
  private constructor(readonly db: StateDb) {}

  static async open(db: StateDb): Promise<AlarmPersistence> {
    await migrate(db, 'alarms', ALARM_MIGRATIONS);
    return new AlarmPersistence(db);
  }

  /**
   * Appends events and upserts records, atomically; `within` writes more in the same
   * transaction (an operator action's audit row). A record given twice keeps its last form.
   */
  async record(events: readonly AlarmEventRow[], touched: readonly AlarmRow[], within?: () => unknown, fence?: WriteFence): Promise<void> {
    const last = new Map<string, AlarmRow>();
    for (const t of touched) last.set(t.id, t);
    const db = this.db;
    await db.tx(async () => {
      if (fence) {
        // a station this instance lost while its writes waited is the new owner's: leave it be
        const mine = await fence([...new Set([...events.map((e) => e.station), ...[...last.values()].map((r) => r.station ?? '')])].filter(Boolean));
        events = events.filter((e) => mine.has(e.station));
        for (const [id, r] of last) if (!r.station || !mine.has(r.station)) last.delete(id);
      }
      // an event already stored (same id) is the same event written again after a failed commit
      await insertRows(db, events, 'INSERT INTO alarm_events (id, ts, alarm_id, station, type, priority, event)', 7, 'ON CONFLICT (id) DO NOTHING', (e) => [e.id, e.ts, e.alarmId, e.station, e.type, e.priority, e.event]);
      await insertRows(db, [...last.values()], 'INSERT INTO alarm_current (id, kind, record, meta)', 4, 'ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, record = excluded.record, meta = excluded.meta', (t) => [t.id, t.kind, t.record, t.meta]);
      await within?.();
    });
  }

  async checkpoint(state: string, now: number): Promise<void> {
    await this.db.run('INSERT INTO alarm_checkpoint (k, ts, state) VALUES (1, ?, ?) ON CONFLICT (k) DO UPDATE SET ts = excluded.ts, state = excluded.state', [now, state]);
  }

  async restore(): Promise<RestoredAlarms> {
    const cp = await this.db.get<{ state: string }>('SELECT state FROM alarm_checkpoint WHERE k = 1');
    const rows = await this.db.all<{ id: string; kind: string; record: string; meta: string }>('SELECT id, kind, record, meta FROM alarm_current ORDER BY id');
    const records = new Map<string, AlarmRecord>();
    const meta = new Map<string, AlarmMeta>();
    const externals: ExternalAlarm[] = [];
    for (const r of rows) {
      meta.set(r.id, JSON.parse(r.meta));
      if (r.kind === 'external') externals.push(JSON.parse(r.record));
      else records.set(r.id, JSON.parse(r.record));
    }
    const max = await this.db.get<{ m: number | null }>('SELECT MAX(id) AS m FROM alarm_events');
    return { checkpoint: cp ? (JSON.parse(cp.state) as StoredState) : null, records, meta, externals, maxEventId: Number(max?.m ?? 0) };
  }

  /**
   * A new block of event ids for an instance of a cluster (src/alarms/runner-cluster.ts): its
   * number, counted by the database, so no two starts of any instances get the same one.
   */
  async eventBlock(instance: string, now: number): Promise<number> {
    return this.db.insert('INSERT INTO alarm_event_blocks (instance, taken_at) VALUES (?, ?)', [instance, now]);
  }

  /** The stored records of these rule alarms, and the external alarms of these stations. */
  async rowsOf(ruleIds: readonly string[], stations: readonly string[]): Promise<AlarmRow[]> {
    const out: AlarmRow[] = [];
    for (let i = 0; i < ruleIds.length; i += 500) {
      const ids = ruleIds.slice(i, i + 500);
      out.push(...(await this.db.all<AlarmRow>(`SELECT id, kind, record, meta FROM alarm_current WHERE kind = 'rule' AND id IN (${ids.map(() => '?').join(', ')})`, ids)));
    }
    const want = new Set(stations);
    for (const row of await this.db.all<AlarmRow>("SELECT id, kind, record, meta FROM alarm_current WHERE kind = 'external' ORDER BY id")) {
      if (want.has((JSON.parse(row.record) as ExternalAlarm).station)) out.push(row);
    }
    return out;
  }

  /** Events newest first. */
  async history(opts: { from: number; to: number; station?: string; alarmId?: string; limit: number }): Promise<AlarmEvent[]> {
    const where = ['ts >= ?', 'ts < ?'];
    const args: SqlParam[] = [opts.from, opts.to];
    if (opts.station) {
      where.push('station = ?');
      args.push(opts.station);
    }
    if (opts.alarmId) {
      where.push('alarm_id = ?');
      args.push(opts.alarmId);
    }
    args.push(opts.limit);
    const rows = await this.db.all<{ event: string }>(`SELECT event FROM alarm_events WHERE ${where.join(' AND ')} ORDER BY ts DESC, id DESC LIMIT ?`, args);
    return rows.map((r) => JSON.parse(r.event));
  }

  /** Every event in a window, oldest first (KPIs). */
  async events(from: number, to: number): Promise<AlarmEvent[]> {
    const rows = await this.db.all<{ event: string }>('SELECT event FROM alarm_events WHERE ts >= ? AND ts < ? ORDER BY ts, id', [from, to]);
    return rows.map((r) => JSON.parse(r.event));
  }

  /** Events in a window, counted on the time index up to `cap` (so a huge window costs no more than `cap`). */
  async countUpTo(from: number, to: number, cap: number): Promise<number> {
    const r = await this.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM (SELECT 1 FROM alarm_events WHERE ts >= ? AND ts < ? LIMIT ?) AS w', [from, to, cap]);
    return Number(r?.n ?? 0);
  }
}
