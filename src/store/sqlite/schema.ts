import Database from 'better-sqlite3';

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;
/**
 * Width of a head chunk, ms. Head rows are found by (chunk, group of series): a poll round's
 * rows all land in the newest chunks, so a batch's inserts go near the right edge of the index,
 * and a read or compaction step seeks chunk by chunk through the listed ones (head-chunks.ts).
 * Ten seconds, not one: a compaction step deletes its groups' rows from every chunk of its
 * pass, and each chunk whose index page it touches is a page written to the WAL and copied
 * back at the checkpoint. With 1-second chunks a 30-minute pass at 1,000 stations wrote each
 * index page once per step (~1.5 M page writes for 25 M samples, ~40 % of compaction's CPU);
 * with 10-second chunks a step touches a tenth of the pages (docs/historian.md). The offset of
 * a sample in its chunk is a u16, so a chunk can be at most 65 s; it divides a minute.
 */
export const CHUNK = 10_000;
/** the key in `meta` recording the chunk width of the file's head rows (absent: 1,000, files before this width) */
export const CHUNK_META_KEY = 'head_chunk_ms';
/** WAL pages between automatic checkpoints (SQLite's default: 1,000) */
export const WAL_CHECKPOINT_PAGES = 10_000;

/** chunk of a ts (floor division, also for negative ts) */
export function chunkOf(ts: number): number {
  return Math.floor(ts / CHUNK);
}

/** Opens the database file, sets pragmas, creates (or migrates) the tables. */
export function openDatabase(path: string): Database.Database {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  // checkpoint every 10,000 WAL pages (~40 MB), not 1,000: a page the writes and compaction
  // dirty again and again (the head's newest pages, the index pages a pass deletes from, the
  // free list) is copied into the file once per checkpoint, so fewer checkpoints copy fewer
  // pages. Compacting a 35-minute head of 1,000 stations took 13.4–14.6 s of CPU with 1,000,
  // 10.2–11.8 s with 10,000 (4,000: 10.9–11.0; 20,000: no better). The WAL file keeps its
  // largest size (~40 MB) between checkpoints; a crash replays at most that.
  db.pragma(`wal_autocheckpoint = ${WAL_CHECKPOINT_PAGES}`);
  db.exec(`
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS series (id INTEGER PRIMARY KEY, point TEXT NOT NULL UNIQUE, kind INTEGER NOT NULL DEFAULT 0);
    CREATE TABLE IF NOT EXISTS rollup_1h (series INTEGER NOT NULL, ts INTEGER NOT NULL, count INTEGER NOT NULL, sum REAL NOT NULL,
      min REAL NOT NULL, max REAL NOT NULL, last REAL NOT NULL, last_ts INTEGER NOT NULL, PRIMARY KEY (series, ts)) WITHOUT ROWID;
    -- compressed blocks (docs/historian.md): k = hour × 2^32 + series, so one hour of every series is one key range
    CREATE TABLE IF NOT EXISTS block (k INTEGER PRIMARY KEY, data BLOB NOT NULL);
    CREATE TABLE IF NOT EXISTS block_1m (k INTEGER PRIMARY KEY, data BLOB NOT NULL);
    -- timestamp columns shared by the blocks of one poll's points, k = hour × 2^32 + first series; never rewritten
    CREATE TABLE IF NOT EXISTS block_ts (k INTEGER PRIMARY KEY, data BLOB NOT NULL);
  `);
  const seriesCols = db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all('series') as string[];
  // newest ts held in blocks: with the head's newest row, where a series' newest sample is
  if (!seriesCols.includes('block_hi')) db.exec('ALTER TABLE series ADD COLUMN block_hi INTEGER');
  // the head (head.ts): rowid order is write order; the (c, g) index finds a chunk's rows of a group
  db.exec(`CREATE TABLE IF NOT EXISTS head (c INTEGER NOT NULL, g INTEGER NOT NULL, m INTEGER NOT NULL, data BLOB NOT NULL);
    CREATE INDEX IF NOT EXISTS head_cg ON head (c, g);`);
  // the head's 1-minute rollups (head-minutes.ts), packed per (minute, group) as the head is
  db.exec(`CREATE TABLE IF NOT EXISTS head_1m (m INTEGER NOT NULL, g INTEGER NOT NULL, n INTEGER NOT NULL, data BLOB NOT NULL);
    CREATE INDEX IF NOT EXISTS head_1m_mg ON head_1m (m, g);`);
  return db;
}

export type Stmt = Database.Statement;

export interface Statements {
  insSeries: Stmt;
  getSeries: Stmt;
  updKind: Stmt;
  merge1h: Stmt;
  del1h: Stmt;
  q1h: Stmt;
  getSeriesFull: Stmt;
}

/** `ON CONFLICT` clause merging a partial bucket into a stored rollup row */
export const MERGE_TAIL = `ON CONFLICT (series, ts) DO UPDATE SET count = count + excluded.count, sum = sum + excluded.sum,
  min = min(min, excluded.min), max = max(max, excluded.max),
  last = CASE WHEN excluded.last_ts >= last_ts THEN excluded.last ELSE last END,
  last_ts = max(last_ts, excluded.last_ts)`;

export function prepareStatements(db: Database.Database): Statements {
  const merge = (t: string) =>
    db.prepare(`INSERT INTO ${t} (series, ts, count, sum, min, max, last, last_ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ${MERGE_TAIL}`);
  return {
    insSeries: db.prepare('INSERT INTO series (point, kind) VALUES (?, ?)'),
    getSeries: db.prepare('SELECT id, kind FROM series WHERE point = ?'),
    updKind: db.prepare('UPDATE series SET kind = ? WHERE id = ?'),
    merge1h: merge('rollup_1h'),
    del1h: db.prepare('DELETE FROM rollup_1h WHERE series = ? AND ts >= ? AND ts < ?'),
    q1h: db.prepare('SELECT ts, count, sum, min, max, last, last_ts FROM rollup_1h WHERE series = ? AND ts >= ? AND ts < ?').raw(),
    getSeriesFull: db.prepare('SELECT id, kind, block_hi AS blockHi FROM series WHERE point = ?'),
  };
}
