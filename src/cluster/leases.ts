/**
 * Leases in the state database: which `serve` instance evaluates which station, and which one
 * runs each cluster-wide job (SLA clocks, escalation, outbox delivery). Every `renewMs` an
 * instance writes its heartbeat, reads the members and the lease rows, and applies
 * {@link planLeases}: extend what it keeps, let go what another live member wins, claim what is
 * free, expired, or held by a member whose heartbeat stopped (a crash, kill -9, a cut cable, or
 * a row edited by hand naming a dead instance).
 *
 * Exactly one holder: a claim is one conditional upsert that succeeds only while the row is
 * free, expired or held by a dead member, so of two claimants one wins. Times are the
 * database's clock, so instances with skewed clocks agree.
 *
 * An instance that cannot reach the database keeps what it holds: with the database away (an
 * outage for everyone) nobody can claim, and polling, alarms and the live feed go on while its
 * writes wait. What makes that safe when only this instance is cut off (another claims its
 * stations meanwhile) is the database itself: every write of a station's alarm state or
 * tickets checks, in its transaction, that the lease row still names this instance
 * ({@link ownedStations}), so a write from an instance that lost the station is dropped, not
 * laid over the new owner's; at the next successful round the instance learns the loss.
 *
 * @example
 * const leases = new Leases({ db, instance: 'serve-a', names: () => ['station:hs-001', 'job:sla'], onChange: (c) => ... });
 * await leases.start(); leases.holds('station:hs-001'); await leases.stop();
 */
import type { Logger } from 'pino';
import type { StateDb } from '../state/db.ts';
import { migrate, type Migration } from '../state/migrate.ts';
import { planLeases, type LeaseRow } from './plan.ts';

export const CLUSTER_MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'cluster members and leases',
    up: `
      CREATE TABLE IF NOT EXISTS cluster_members (
        instance TEXT PRIMARY KEY, started_at INTEGER NOT NULL, heartbeat_at INTEGER NOT NULL, url TEXT, held INTEGER NOT NULL DEFAULT 0
      );
      CREATE TABLE IF NOT EXISTS cluster_leases (
        name TEXT PRIMARY KEY, owner TEXT, expires_at INTEGER NOT NULL, epoch INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX IF NOT EXISTS cluster_leases_owner ON cluster_leases(owner);`,
  },
];

export interface LeaseChange {
  gained: string[];
  lost: string[];
}

export interface ClusterMember {
  instance: string;
  startedAt: number;
  heartbeatAt: number;
  url: string | null;
  /** leases it held at its last heartbeat */
  held: number;
  live: boolean;
}

export interface LeasesOptions {
  db: StateDb;
  /** this instance's id, unique in the cluster */
  instance: string;
  /** the names that need a holder (read every round: the config may change) */
  names: () => readonly string[];
  /** how long a lease and a heartbeat last (default 20 s): a dead instance's names move within ttl + renew */
  ttlMs?: number;
  /** how often to renew (default 5 s) */
  renewMs?: number;
  /** where this instance's API is, for /api/health */
  url?: string;
  /** called with what this instance gained and lost, lost first, before a release is written */
  onChange?: (c: LeaseChange) => void;
  logger?: Logger;
}

/**
 * Of `stations`, those whose lease names `instance` now, locked (FOR SHARE) until the calling
 * transaction ends, so no claim can move one of them before its writes commit. Call inside the
 * transaction that writes them.
 */
export async function ownedStations(db: StateDb, instance: string, stations: readonly string[]): Promise<Set<string>> {
  const out = new Set<string>();
  for (let i = 0; i < stations.length; i += 500) {
    const part = stations.slice(i, i + 500);
    const rows = await db.all<{ name: string }>(
      `SELECT name FROM cluster_leases WHERE owner = ? AND name IN (${part.map(() => '?').join(', ')})${db.dialect === 'postgresql' ? ' FOR SHARE' : ''}`,
      [instance, ...part.map((s) => `station:${s}`)],
    );
    for (const r of rows) out.add(r.name.slice('station:'.length));
  }
  return out;
}

/** The database's clock in ms (PostgreSQL's, so that instances agree; SQLite is one process). */
async function dbNow(db: StateDb): Promise<number> {
  if (db.dialect === 'sqlite') return Date.now();
  const r = await db.get<{ now: number }>('SELECT (EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::bigint AS now');
  return Number(r?.now);
}

export class Leases {
  private readonly o: Required<Pick<LeasesOptions, 'ttlMs' | 'renewMs'>> & LeasesOptions;
  private held = new Set<string>();
  private startedAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private members: ClusterMember[] = [];
  private lastError: string | null = null;
  private stopped = false;

  constructor(o: LeasesOptions) {
    this.o = { ttlMs: 20_000, renewMs: 5_000, ...o };
    // two renewals may fail in a row before a live instance's leases look expired
    if (this.o.renewMs * 3 > this.o.ttlMs) throw new Error(`cluster leases: renew every ${this.o.renewMs} ms is too slow for a ${this.o.ttlMs} ms lease`);
  }

  async init(): Promise<void> {
    await migrate(this.o.db, 'cluster', CLUSTER_MIGRATIONS);
  }

  /** Migrate, run the first round, then renew every `renewMs`. */
  async start(): Promise<void> {
    await this.init();
    this.stopped = false;
    this.startedAt = await dbNow(this.o.db);
    await this.round();
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.round().finally(() => {
        this.running = null;
        this.schedule();
      });
    }, this.o.renewMs);
    this.timer.unref?.();
  }

  /** Does this instance hold `name` now (false once renewing has failed for too long)? */
  holds(name: string): boolean {
    return this.held.has(name);
  }

  /** The names this instance holds now. */
  heldNames(): string[] {
    return [...this.held].sort();
  }

  status(): { instance: string; held: string[]; members: ClusterMember[]; error: string | null } {
    return { instance: this.o.instance, held: this.heldNames(), members: this.members, error: this.lastError };
  }

  /** One renew/claim/release round. Errors are logged and kept for /api/health, never thrown. */
  async round(): Promise<void> {
    const db = this.o.db;
    const me = this.o.instance;
    try {
      const now = await dbNow(db);
      const ttl = this.o.ttlMs;
      await db.run(
        'INSERT INTO cluster_members (instance, started_at, heartbeat_at, url, held) VALUES (?, ?, ?, ?, ?) ON CONFLICT (instance) DO UPDATE SET heartbeat_at = excluded.heartbeat_at, url = excluded.url, held = excluded.held',
        [me, this.startedAt || now, now, this.o.url ?? null, this.held.size],
      );
      const memberRows = await db.all<{ instance: string; started_at: number; heartbeat_at: number; url: string | null; held: number }>(
        'SELECT instance, started_at, heartbeat_at, url, held FROM cluster_members WHERE heartbeat_at > ? ORDER BY instance',
        [now - 3_600_000],
      );
      this.members = memberRows.map((m) => ({ instance: m.instance, startedAt: m.started_at, heartbeatAt: m.heartbeat_at, url: m.url, held: m.held, live: m.heartbeat_at > now - ttl }));
      const live = this.members.filter((m) => m.live).map((m) => m.instance);
      const rows = await db.all<{ name: string; owner: string | null; expires_at: number }>('SELECT name, owner, expires_at FROM cluster_leases');
      const leases = new Map<string, LeaseRow>(rows.map((r) => [r.name, { owner: r.owner, expiresAt: r.expires_at }]));
      const plan = planLeases({ me, names: this.o.names(), live, leases, now });

      // stop evaluating what is let go before anyone else can claim it
      const lost = plan.release.filter((n) => this.held.has(n));
      for (const n of lost) this.held.delete(n);
      if (lost.length) this.o.onChange?.({ gained: [], lost });

      const claimed: string[] = [];
      await db.tx(async () => {
        for (const name of plan.release) await db.run('UPDATE cluster_leases SET owner = NULL, expires_at = 0 WHERE name = ? AND owner = ?', [name, me]);
        // what is left of ours is what the plan keeps: one statement extends it all
        if (plan.keep.length) await db.run('UPDATE cluster_leases SET expires_at = ? WHERE owner = ? AND expires_at > ?', [now + ttl, me, now]);
        for (const name of plan.claim) {
          const won = await db.all(
            `INSERT INTO cluster_leases (name, owner, expires_at, epoch) VALUES (?, ?, ?, 1)
             ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at, epoch = cluster_leases.epoch + 1
             WHERE cluster_leases.owner IS NULL OR cluster_leases.expires_at <= ?
                OR cluster_leases.owner NOT IN (SELECT instance FROM cluster_members WHERE heartbeat_at > ?)
             RETURNING name`,
            [name, me, now + ttl, now, now - ttl],
          );
          if (won.length) claimed.push(name);
        }
      });
      // what we hold now, as the database says (a keep whose row was taken from us is lost)
      const mine = new Set((await db.all<{ name: string }>('SELECT name FROM cluster_leases WHERE owner = ? AND expires_at > ?', [me, now])).map((r) => r.name));
      const gained = [...mine].filter((n) => !this.held.has(n));
      const dropped = [...this.held].filter((n) => !mine.has(n));
      this.held = mine;
      this.lastError = null;
      if (gained.length || dropped.length) {
        this.o.logger?.info({ gained: gained.length, lost: dropped.length, held: mine.size, live: live.length, claimed: claimed.length }, 'leases changed');
        this.o.onChange?.({ gained, lost: dropped });
      }
    } catch (err) {
      this.lastError = (err as Error).message;
      // keep what is held: see the header (writes are fenced by the database)
      this.o.logger?.warn({ err }, 'lease round failed');
    }
  }

  /** Stop renewing. `release` (a clean stop) lets others take over at once instead of after the lease time. */
  async stop(release = true): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
    if (!release) return;
    const lost = [...this.held];
    this.held = new Set();
    if (lost.length) this.o.onChange?.({ gained: [], lost });
    try {
      await this.o.db.run('UPDATE cluster_leases SET owner = NULL, expires_at = 0 WHERE owner = ?', [this.o.instance]);
      await this.o.db.run('DELETE FROM cluster_members WHERE instance = ?', [this.o.instance]);
    } catch (err) {
      this.o.logger?.warn({ err }, 'could not release leases on stop; they expire by themselves');
    }
  }
}
