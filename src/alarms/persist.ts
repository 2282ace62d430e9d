import type Database from 'better-sqlite3';
import type { ExternalAlarm } from './external.ts';
import type { AlarmEvent, AlarmRecord, EngineState } from './types.ts';

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
  checkpoint: EngineState | null;
  records: Map<string, AlarmRecord>;
  meta: Map<string, AlarmMeta>;
  externals: ExternalAlarm[];
  maxEventId: number;
}

/**
 * Alarm persistence in the state database. Events are appended and the
 * records of the alarms they touched are upserted in the same transaction, so
 * a crash never loses an acknowledged or raised state; the whole engine state
 * (point values, timers) is checkpointed periodically on top.
 */
export class AlarmPersistence {
  private readonly insEvent: Database.Statement;
  private readonly upCurrent: Database.Statement;
  private readonly upCheckpoint: Database.Statement;

  constructor(private readonly db: Database.Database) {
    db.exec(`
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
        kind TEXT NOT NULL,      -- rule | external
        record TEXT NOT NULL,
        meta TEXT NOT NULL
      );
      CREATE TABLE IF NOT EXISTS alarm_checkpoint (
        k INTEGER PRIMARY KEY CHECK (k = 1),
        ts INTEGER NOT NULL,
        state TEXT NOT NULL
      );
    `);
    this.insEvent = db.prepare('INSERT OR IGNORE INTO alarm_events (id, ts, alarm_id, station, type, priority, event) VALUES (?, ?, ?, ?, ?, ?, ?)');
    this.upCurrent = db.prepare('INSERT INTO alarm_current (id, kind, record, meta) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET kind = excluded.kind, record = excluded.record, meta = excluded.meta');
    this.upCheckpoint = db.prepare('INSERT INTO alarm_checkpoint (k, ts, state) VALUES (1, ?, ?) ON CONFLICT(k) DO UPDATE SET ts = excluded.ts, state = excluded.state');
  }

  /**
   * Appends events and the current records of the alarms they touched, atomically; `within`
   * writes more in the same transaction (an operator action's audit row).
   */
  record(events: readonly AlarmEvent[], touched: Array<{ id: string; kind: 'rule' | 'external'; record: AlarmRecord | ExternalAlarm; meta: AlarmMeta }>, within?: () => void): void {
    this.db.transaction(() => {
      for (const e of events) this.insEvent.run(e.id, e.ts, e.alarmId, e.station, e.type, e.priority, JSON.stringify(e));
      for (const t of touched) this.upCurrent.run(t.id, t.kind, JSON.stringify(t.record), JSON.stringify(t.meta));
      within?.();
    })();
  }

  checkpoint(state: EngineState, now: number): void {
    this.upCheckpoint.run(now, JSON.stringify(state));
  }

  restore(): RestoredAlarms {
    const cp = this.db.prepare('SELECT state FROM alarm_checkpoint WHERE k = 1').get() as { state: string } | undefined;
    const rows = this.db.prepare('SELECT id, kind, record, meta FROM alarm_current').all() as Array<{ id: string; kind: string; record: string; meta: string }>;
    const records = new Map<string, AlarmRecord>();
    const meta = new Map<string, AlarmMeta>();
    const externals: ExternalAlarm[] = [];
    for (const r of rows) {
      meta.set(r.id, JSON.parse(r.meta));
      if (r.kind === 'external') externals.push(JSON.parse(r.record));
      else records.set(r.id, JSON.parse(r.record));
    }
    const max = this.db.prepare('SELECT MAX(id) AS m FROM alarm_events').get() as { m: number | null };
    return { checkpoint: cp ? (JSON.parse(cp.state) as EngineState) : null, records, meta, externals, maxEventId: max.m ?? 0 };
  }

  history(opts: { from: number; to: number; station?: string; alarmId?: string; limit: number }): AlarmEvent[] {
    const where = ['ts >= ?', 'ts < ?'];
    const args: unknown[] = [opts.from, opts.to];
    if (opts.station) {
      where.push('station = ?');
      args.push(opts.station);
    }
    if (opts.alarmId) {
      where.push('alarm_id = ?');
      args.push(opts.alarmId);
    }
    args.push(opts.limit);
    const rows = this.db.prepare(`SELECT event FROM alarm_events WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ?`).all(...args) as Array<{ event: string }>;
    return rows.map((r) => JSON.parse(r.event));
  }

  /** Every event in a window, oldest first (KPIs). */
  events(from: number, to: number): AlarmEvent[] {
    const rows = this.db.prepare('SELECT event FROM alarm_events WHERE ts >= ? AND ts < ? ORDER BY id').all(from, to) as Array<{ event: string }>;
    return rows.map((r) => JSON.parse(r.event));
  }

  /** Events in a window, counted on the time index up to `cap` (so a huge window costs no more than `cap`). */
  countUpTo(from: number, to: number, cap: number): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM (SELECT 1 FROM alarm_events WHERE ts >= ? AND ts < ? LIMIT ?)').get(from, to, cap) as { n: number }).n;
  }
}
