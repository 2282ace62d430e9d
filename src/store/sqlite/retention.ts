import { KEY_SPAN, hourOf } from './blocks.ts';
import type { Core } from './core.ts';
import { CHUNK, DAY, HOUR, chunkOf } from './schema.ts';

/**
 * Deletes raw samples older than `retentionDays`, 1-minute rollups older than 10× and hourly
 * rollups older than 100× that. The head is cut at the exact ms; a block goes when its whole
 * hour is older than the cutoff (the hour holding the cutoff is kept until it is), leaving its
 * 1-minute rows in block_1m. Head rows go
 * chunk range by chunk range and blocks by key range (left edges of their tables: no scan);
 * the head's minute rows by minute range; hourly rows series by series along the primary key,
 * 500 series per transaction.
 * @returns samples and rollup rows removed from all tables
 */
export function applyRetention(core: Core, retentionDays: number, now: number): number {
  const { db } = core;
  const keep = retentionDays * DAY;
  const rawCut = now - keep;
  const cutC = chunkOf(rawCut);
  const count = db.prepare('SELECT coalesce(sum(m), 0) FROM head WHERE c < ?').pluck();
  const delChunks = db.prepare('DELETE FROM head WHERE c < ?');
  let removed = 0;
  for (;;) {
    const lo = core.head.chunkFrom(-Infinity);
    if (lo === null || lo >= cutC) break;
    const below = Math.min(lo + HOUR / CHUNK, cutC);
    removed += db.transaction(() => {
      const n = count.get(below) as number;
      delChunks.run(below);
      return n;
    })();
  }
  removed += db.transaction(() => core.head.cutChunk(cutC, rawCut))();
  core.readChunkBounds();
  const dropBlocks = (table: 'block' | 'block_1m', count: string, cutoff: number) => {
    // whole hours before the cutoff's hour: keys below hour × 2^32
    const below = hourOf(cutoff) * KEY_SPAN;
    return db.transaction(() => {
      const n = (db.prepare(`SELECT coalesce(sum(${count}), 0) FROM ${table} WHERE k < ?`).pluck().get(below) as number) ?? 0;
      db.prepare(`DELETE FROM ${table} WHERE k < ?`).run(below);
      return n;
    })();
  };
  removed += expireRawBlocks(core, rawCut);
  removed += dropBlocks('block_1m', 'block_1m_n(k, data)', now - 10 * keep);
  // the head's minute rows outlive the raw samples they aggregate as 1-minute rows do
  removed += db.transaction(() => core.minutes.expire(now - 10 * keep))();
  const ids = db.prepare('SELECT id FROM series ORDER BY id').pluck().all() as number[];
  const del = db.prepare('DELETE FROM rollup_1h WHERE series = ? AND ts < ?');
  const chunk = db.transaction((part: number[]) => {
    for (const id of part) removed += del.run(id, now - 100 * keep).changes;
  });
  for (let i = 0; i < ids.length; i += 500) chunk(ids.slice(i, i + 500));
  return removed;
}

/**
 * Deletes the raw blocks of hours before the raw cutoff, 1,000 per transaction; their 1-minute
 * rows stay in block_1m (written with each block) until their own cutoff.
 * @returns samples removed
 */
function expireRawBlocks(core: Core, rawCut: number): number {
  const { db, blocks } = core;
  const below = hourOf(rawCut) * KEY_SPAN;
  const page = db.prepare('SELECT k, data FROM block WHERE k < ? ORDER BY k LIMIT 1000').raw();
  const del = db.prepare('DELETE FROM block WHERE k = ?');
  let removed = 0;
  for (;;) {
    const rows = page.all(below) as Array<[number, Uint8Array]>;
    if (rows.length === 0) {
      // the shared timestamp columns of those hours: no block refers to them any more
      db.prepare('DELETE FROM block_ts WHERE k < ?').run(below);
      blocks.forgetTimes();
      return removed;
    }
    db.transaction(() => {
      for (const [k, data] of rows) {
        removed += blocks.decode(Math.floor(k / KEY_SPAN), data).n;
        del.run(k);
      }
    })();
  }
}
