import type Database from 'better-sqlite3';
import { Head, type HeadVisit, visitRow } from './head.ts';
import { CHUNK, CHUNK_META_KEY } from './schema.ts';

/**
 * Repacks head rows written with another chunk width (meta `head_chunk_ms`, absent: 1,000 ms,
 * the width before it became {@link CHUNK}) into rows of the current width, in one
 * transaction, a slice of rowids at a time so memory stays small. A file with an empty head
 * just records the width.
 */
export function migrateHeadChunks(db: Database.Database): void {
  const recorded = db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(CHUNK_META_KEY) as string | undefined;
  const width = recorded === undefined ? 1000 : Number(recorded);
  if (width === CHUNK) return;
  if (!Number.isInteger(width) || width <= 0 || width > 65_536) throw new Error(`series store: meta ${CHUNK_META_KEY} is ${recorded}, not a chunk width in ms`);
  const record = db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)');
  const top = db.prepare('SELECT max(rowid) FROM head').pluck().get() as number | null;
  db.transaction(() => {
    if (top !== null) {
      const head = new Head(db);
      const add: HeadVisit = (id, ts, v, q) => head.add(id, ts, v, q);
      // new rows get rowids above `top`: only the old ones are read, 10,000 at a time from the
      // lowest (a long-lived head's rowids start far above 1)
      const slice = db.prepare('SELECT rowid, c, g, data FROM head WHERE rowid > ? AND rowid <= ? ORDER BY rowid LIMIT 10000').raw();
      const drop = db.prepare('DELETE FROM head WHERE rowid > ? AND rowid <= ?');
      for (let lo = -1; ; ) {
        const rows = slice.all(lo, top) as Array<[number, number, number, Uint8Array]>;
        if (rows.length === 0) break;
        for (const [, c, g, data] of rows) visitRow(c, g, data, add, width);
        head.flush();
        const last = rows[rows.length - 1][0];
        drop.run(lo, last);
        lo = last;
      }
    }
    record.run(CHUNK_META_KEY, String(CHUNK));
  })();
}

/**
 * Moves the rows of a `raw` table (the earlier head: one row per sample, any of its layouts)
 * into head rows, then drops it.
 */
export function migrateRawTable(db: Database.Database): void {
  if (!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'raw'").get()) return;
  const head = new Head(db);
  db.transaction(() => {
    // series order within each second: a row per (chunk, group), as the write path makes them
    const rows = db.prepare('SELECT series, ts, value, quality FROM raw ORDER BY ts / 1000, series').raw();
    let n = 0;
    for (const [id, ts, value, q] of rows.iterate() as Iterable<[number, number, number | null, number]>) {
      head.add(id, ts, value ?? Number.NaN, value === null ? 2 : q);
      if (++n % 100_000 === 0) head.flush();
    }
    head.flush();
    db.exec("DROP TABLE raw; DELETE FROM meta WHERE key = 'raw_chunk_ms'");
  })();
}
