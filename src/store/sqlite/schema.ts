import Database from 'better-sqlite3';

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;
/**
 * Width of a raw chunk, ms. Raw rows are clustered by (chunk, series, ts), and a chunk is one
 * second: a poll round's rows all land in the newest chunks, at the right edge of the B-tree,
 * so a batch fills pages in order. With minute chunks a series had up to 60 rows in the open
 * chunk at 1 s polling, each batch's rows went into the middle of that minute's range and a
 * commit rewrote half-full pages all over it (3.6 µs of CPU per sample at 100,000 series
 * polled every second, against 0.8 µs with one-second chunks; with (series, ts) the write rate
 * fell from ~180 k to ~35 k rows/s as each series' range grew). A per-series read seeks once
 * per listed chunk (head-chunks.ts). The width is kept in `meta.raw_chunk_ms`; a file written
 * with another width is re-keyed when opened.
 */
export const CHUNK = 1000;

/** chunk of a ts (floor division, also for negative ts) */
export function chunkOf(ts: number): number {
  return Math.floor(ts / CHUNK);
}

/** the same as {@link chunkOf}, in SQL, for an integer expression `x` */
const sqlChunk = (x: string) => `(CASE WHEN ${x} >= 0 THEN ${x} / ${CHUNK} ELSE (${x} - ${CHUNK - 1}) / ${CHUNK} END)`;

/** `k(c)`: the chunks from the 1st to the 2nd bound parameter, for a join that seeks raw chunk by chunk */
const CHUNKS = 'WITH RECURSIVE k(c) AS (SELECT ? UNION ALL SELECT c + 1 FROM k WHERE c < ?)';
/** the same bound parameters over the non-empty chunks listed in temp.hc (crash recovery over any span) */
const LISTED = 'WITH k(c) AS (SELECT c FROM temp.hc WHERE c BETWEEN ? AND ?)';

/** Opens the database file, sets pragmas, creates (or migrates) the tables. */
export function openDatabase(path: string): Database.Database {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(`
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS series (id INTEGER PRIMARY KEY, point TEXT NOT NULL UNIQUE, kind INTEGER NOT NULL DEFAULT 0);
    CREATE TABLE IF NOT EXISTS rollup_1m (series INTEGER NOT NULL, ts INTEGER NOT NULL, count INTEGER NOT NULL, sum REAL NOT NULL,
      min REAL NOT NULL, max REAL NOT NULL, last REAL NOT NULL, last_ts INTEGER NOT NULL, PRIMARY KEY (series, ts)) WITHOUT ROWID;
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
  const rawDdl = `CREATE TABLE raw (c INTEGER NOT NULL, series INTEGER NOT NULL, ts INTEGER NOT NULL, value REAL,
    quality INTEGER NOT NULL, PRIMARY KEY (c, series, ts)) WITHOUT ROWID`;
  const cols = (db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all('raw') as string[]) ?? [];
  if (cols.length === 0) db.exec(rawDdl);
  const width = db.prepare("SELECT value FROM meta WHERE key = 'raw_chunk_ms'").pluck();
  if (cols.length > 0 && (!cols.includes('c') || width.get() !== String(CHUNK))) {
    // an earlier layout: raw(series, ts), or chunks of another width — re-key the rows
    db.transaction(() => {
      db.exec(`ALTER TABLE raw RENAME TO raw_old; ${rawDdl};
        INSERT INTO raw (c, series, ts, value, quality) SELECT ${sqlChunk('ts')}, series, ts, value, quality FROM raw_old;
        DROP TABLE raw_old;`);
    })();
  }
  db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('raw_chunk_ms', ?)").run(String(CHUNK));
  return db;
}

export type Stmt = Database.Statement;

export interface Statements {
  getRaw: Stmt;
  updRaw: Stmt;
  insRawOne: Stmt;
  insSeries: Stmt;
  getSeries: Stmt;
  updKind: Stmt;
  merge1m: Stmt;
  merge1h: Stmt;
  del1m: Stmt;
  del1h: Stmt;
  /** (chunkFrom, chunkTo, series, tsFrom, tsTo) */
  rebuild1m: Stmt;
  rebuild1h: Stmt;
  /** rebuild1m / rebuild1h over the chunks in temp.hc */
  recover1m: Stmt;
  recover1h: Stmt;
  /** newest raw row of a series in one chunk: (c, series) → [ts, value, quality] */
  lastRawIn: Stmt;
  /** (JSON array of chunks, series, tsFrom, tsTo) → [ts, value] usable rows */
  qRaw: Stmt;
  q1m: Stmt;
  q1h: Stmt;
  newest1m: Stmt;
  /** the nearest non-empty chunk from a chunk: a seek, never a walk over empty chunks */
  chunkFrom: Stmt;
  delRaw: Stmt;
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
  // Recompute buckets of one series from raw, for ts in [from, to). `last` is the value at max(ts).
  db.exec('CREATE TEMP TABLE IF NOT EXISTS hc (c INTEGER PRIMARY KEY)');
  const rebuild = (t: string, width: number, chunks = CHUNKS) =>
    db.prepare(`${chunks} INSERT OR REPLACE INTO ${t} (series, ts, count, sum, min, max, last, last_ts)
      SELECT series, b, n, s, mn, mx,
        (SELECT value FROM raw r2 WHERE r2.c = ${sqlChunk('g.lt')} AND r2.series = g.series AND r2.ts = g.lt), lt
      FROM (SELECT r.series AS series, (r.ts / ${width}) * ${width} AS b, count(*) AS n, sum(r.value) AS s, min(r.value) AS mn,
                   max(r.value) AS mx, max(r.ts) AS lt
            FROM k CROSS JOIN raw r WHERE r.c = k.c AND r.series = ? AND r.ts >= ? AND r.ts < ? AND r.quality < 2 AND r.value IS NOT NULL
            GROUP BY b) AS g`);
  return {
    getRaw: db.prepare('SELECT value, quality FROM raw WHERE c = ? AND series = ? AND ts = ?').raw(),
    updRaw: db.prepare('UPDATE raw SET value = ?, quality = ? WHERE c = ? AND series = ? AND ts = ?'),
    insRawOne: db.prepare('INSERT OR IGNORE INTO raw (c, series, ts, value, quality) VALUES (?, ?, ?, ?, ?)'),
    insSeries: db.prepare('INSERT INTO series (point, kind) VALUES (?, ?)'),
    getSeries: db.prepare('SELECT id, kind FROM series WHERE point = ?'),
    updKind: db.prepare('UPDATE series SET kind = ? WHERE id = ?'),
    merge1m: merge('rollup_1m'),
    merge1h: merge('rollup_1h'),
    del1m: db.prepare('DELETE FROM rollup_1m WHERE series = ? AND ts >= ? AND ts < ?'),
    del1h: db.prepare('DELETE FROM rollup_1h WHERE series = ? AND ts >= ? AND ts < ?'),
    rebuild1m: rebuild('rollup_1m', MINUTE),
    rebuild1h: rebuild('rollup_1h', HOUR),
    recover1m: rebuild('rollup_1m', MINUTE, LISTED),
    recover1h: rebuild('rollup_1h', HOUR, LISTED),
    lastRawIn: db.prepare('SELECT ts, value, quality FROM raw WHERE c = ? AND series = ? ORDER BY ts DESC LIMIT 1').raw(),
    // the chunks come as a JSON array (the listed ones in range): one statement per series, its seeks done inside SQLite
    qRaw: db
      .prepare(
        `WITH k(c) AS (SELECT value FROM json_each(?)) SELECT r.ts, r.value FROM k CROSS JOIN raw r
         WHERE r.c = k.c AND r.series = ? AND r.ts >= ? AND r.ts < ? AND r.quality < 2 AND r.value IS NOT NULL`,
      )
      .raw(),
    q1m: db.prepare('SELECT ts, count, sum, min, max, last, last_ts FROM rollup_1m WHERE series = ? AND ts >= ? AND ts < ?').raw(),
    q1h: db.prepare('SELECT ts, count, sum, min, max, last, last_ts FROM rollup_1h WHERE series = ? AND ts >= ? AND ts < ?').raw(),
    newest1m: db.prepare('SELECT max(ts) FROM rollup_1m WHERE series = ?').pluck(),
    chunkFrom: db.prepare('SELECT min(c) FROM raw WHERE c >= ?').pluck(),
    delRaw: db.prepare('DELETE FROM raw WHERE c = ? AND series = ? AND ts = ?'),
    getSeriesFull: db.prepare('SELECT id, kind, block_hi AS blockHi FROM series WHERE point = ?'),
  };
}
