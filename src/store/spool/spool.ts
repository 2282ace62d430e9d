/**
 * A durable FIFO of sample chunks in one SQLite file (better-sqlite3, WAL, synchronous FULL),
 * bounded by bytes and by age. Past a bound the oldest chunks are dropped and counted (the
 * count survives restarts, in the `meta` table). Format: table `chunk(id autoincrement, at
 * ms-epoch spooled, n samples, bytes, data)` where `data` is JSON `[[point, ts, value, q], …]`
 * with q 0 good / 1 uncertain / 2 bad.
 *
 * @example
 * const spool = new Spool({ path: 'data/spool.db', maxBytes: 512 * 2 ** 20, maxAgeMs: 7 * 86_400_000 });
 * spool.append(samples); const c = spool.peek(); ...; spool.remove(c.id);
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Quality, Sample } from '../../model.ts';

export interface SpoolOptions {
  path: string;
  maxBytes: number;
  maxAgeMs: number;
  now?: () => number;
}

export interface SpoolStats {
  chunks: number;
  samples: number;
  bytes: number;
  /** when the oldest chunk was spooled (0 = empty) */
  oldestAt: number;
  /** samples dropped because the spool was over a bound, ever */
  dropped: number;
}

const Q: Quality[] = ['good', 'uncertain', 'bad'];
const QC: Record<Quality, number> = { good: 0, uncertain: 1, bad: 2 };

export class Spool {
  private readonly db: Database.Database;
  private readonly maxBytes: number;
  private readonly maxAgeMs: number;
  private readonly now: () => number;
  private totals = { chunks: 0, samples: 0, bytes: 0, dropped: 0 };
  private readonly st: {
    insert: Database.Statement;
    oldest: Database.Statement;
    del: Database.Statement;
    setDropped: Database.Statement;
  };

  constructor(opts: SpoolOptions) {
    if (!(opts.maxBytes > 0 && opts.maxAgeMs > 0)) throw new RangeError(`spool: maxBytes ${opts.maxBytes} and maxAgeMs ${opts.maxAgeMs} must be > 0`);
    this.maxBytes = opts.maxBytes;
    this.maxAgeMs = opts.maxAgeMs;
    this.now = opts.now ?? Date.now;
    if (opts.path !== ':memory:') mkdirSync(dirname(opts.path), { recursive: true });
    this.db = new Database(opts.path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS chunk (id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, n INTEGER NOT NULL, bytes INTEGER NOT NULL, data TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL);
    `);
    this.st = {
      insert: this.db.prepare('INSERT INTO chunk (at, n, bytes, data) VALUES (?, ?, ?, ?)'),
      oldest: this.db.prepare('SELECT id, at, n, bytes, data FROM chunk ORDER BY id LIMIT 1'),
      del: this.db.prepare('DELETE FROM chunk WHERE id = ?'),
      setDropped: this.db.prepare("INSERT INTO meta (k, v) VALUES ('dropped', ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v"),
    };
    const t = this.db.prepare('SELECT count(*) AS c, coalesce(sum(n), 0) AS n, coalesce(sum(bytes), 0) AS b FROM chunk').get() as {
      c: number;
      n: number;
      b: number;
    };
    const d = this.db.prepare("SELECT v FROM meta WHERE k = 'dropped'").get() as { v: number } | undefined;
    this.totals = { chunks: t.c, samples: t.n, bytes: t.b, dropped: d?.v ?? 0 };
  }

  /** Appends one chunk (durable when this returns); then enforces the bounds. Returns samples dropped. */
  append(samples: Sample[]): number {
    if (samples.length === 0) return 0;
    const data = JSON.stringify(samples.map((s) => [s.point, s.ts, s.value, QC[s.quality]]));
    const bytes = Buffer.byteLength(data);
    this.st.insert.run(this.now(), samples.length, bytes, data);
    this.totals.chunks++;
    this.totals.samples += samples.length;
    this.totals.bytes += bytes;
    return this.enforce();
  }

  /** The oldest chunk, or null when empty. */
  peek(): { id: number; at: number; samples: Sample[] } | null {
    const r = this.st.oldest.get() as { id: number; at: number; data: string } | undefined;
    if (!r) return null;
    const rows = JSON.parse(r.data) as Array<[string, number, Sample['value'], number]>;
    return { id: r.id, at: r.at, samples: rows.map(([point, ts, value, q]) => ({ point, ts, value, quality: Q[q] ?? 'bad' })) };
  }

  remove(id: number): void {
    const r = this.db.prepare('SELECT n, bytes FROM chunk WHERE id = ?').get(id) as { n: number; bytes: number } | undefined;
    if (!r) return;
    this.st.del.run(id);
    this.totals.chunks--;
    this.totals.samples -= r.n;
    this.totals.bytes -= r.bytes;
  }

  /** Drops the oldest chunks while over maxBytes or older than maxAgeMs; returns samples dropped now. */
  enforce(): number {
    let dropped = 0;
    const limitAt = this.now() - this.maxAgeMs;
    for (;;) {
      const r = this.db.prepare('SELECT id, at, n, bytes FROM chunk ORDER BY id LIMIT 1').get() as
        | { id: number; at: number; n: number; bytes: number }
        | undefined;
      if (!r) break;
      // the newest chunk is kept even when alone over the byte bound, so a write is never lost outright
      if (!(this.totals.bytes > this.maxBytes && this.totals.chunks > 1) && !(r.at < limitAt)) break;
      this.st.del.run(r.id);
      this.totals.chunks--;
      this.totals.samples -= r.n;
      this.totals.bytes -= r.bytes;
      dropped += r.n;
    }
    if (dropped > 0) {
      this.totals.dropped += dropped;
      this.st.setDropped.run(this.totals.dropped);
    }
    return dropped;
  }

  stats(): SpoolStats {
    const oldest = this.totals.chunks > 0 ? (this.db.prepare('SELECT min(at) AS a FROM chunk').get() as { a: number }).a : 0;
    return { ...this.totals, oldestAt: oldest };
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
