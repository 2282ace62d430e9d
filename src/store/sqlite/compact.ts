import { type SampleColumns, sortDedupe } from '../codec/block.ts';
import { hourOf } from './blocks.ts';
import type { Core } from './core.ts';
import type { Rollups } from './rollups.ts';
import { GROUP } from './head.ts';
import { CHUNK, HOUR, MINUTE } from './schema.ts';

export interface CompactionOptions {
  /** a minute of the head is due once the newest ts written is this far past its end */
  graceMs: number;
  /** a pass waits until this much of an hour is due (or the hour is complete) */
  windowMs: number;
  /** series per compaction step (one transaction) */
  batch: number;
}

/** What one step did. */
export interface CompactStep {
  hour: number;
  /** series ids the step looked at, and those of them with head rows */
  ids: number;
  series: number;
  samples: number;
  /** head rows deleted: a pass's merged rows, deleted once its groups are all done */
  rows: number;
}

const CHUNKS_PER_HOUR = HOUR / CHUNK;
const CHUNKS_PER_MINUTE = MINUTE / CHUNK;

/** chunks of a pass's merged rows deleted per step (a minute: ~57,000 rows at 5,000 stations) */
const CLEAR_CHUNKS = MINUTE / CHUNK;
/** the meta key of the pass under way: what a start-up must skip and go on with */
const PASS_KEY = 'compact_pass';

/**
 * A pass: head chunks [from, to) of one hour, done `batch` series ids at a time from nextId;
 * `rowid` the head's newest row when it began (-1: it hides none, {@link begin}). Once every group is merged (or a step failed),
 * `clearFrom` walks from `from` to `to` deleting the merged rows.
 */
interface Pass {
  from: number;
  to: number;
  nextId: number;
  rowid: number;
  clearFrom: number | null;
}

/**
 * Moves the head's samples into per-series-hour blocks, oldest first. A pass takes the due part
 * of the oldest hour in the head (at least a window's worth, or the rest of a complete hour) and
 * works through the series ids, `batch` per step (rounded to whole groups of 64: a head row
 * holds one group). One step is one transaction: it reads the head rows of its groups in the
 * pass's chunks, merges them into the hour's blocks (decode, merge, re-encode; on equal ts the
 * head wins) and deletes those groups' minute rows of the chunks (the blocks answer 1-minute
 * queries from now on). The head rows it merged are left in place, marked stale
 * ({@link StaleRows}: reads skip them), and deleted chunk by chunk once the pass has done every
 * group: a head page holds rows of several groups of the same seconds, and deleting each
 * step's rows rewrote most pages of the pass once per step that took a group of them (a pass
 * at 5,000 stations: 44–48 s of CPU with the deletes in the steps, 35 s with them at the end,
 * `scripts/bench-compact.ts`). The pass and its progress are in meta, written with each step,
 * so a crash at any point leaves a step wholly done or not done at all, and a start-up goes on
 * with the pass where it stopped.
 */
export class Compactor {
  private pass: Pass | null = null;
  /** newest ts written (the clock compaction follows) */
  watermark = -Infinity;
  private readonly st;

  constructor(
    private readonly core: Core,
    private readonly rollups: Rollups,
    private readonly opts: CompactionOptions,
  ) {
    const { db } = core;
    this.st = {
      maxId: db.prepare('SELECT max(id) FROM series').pluck(),
      points: db.prepare('SELECT point FROM series WHERE id >= ? AND id < ?').pluck(),
      savePass: db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)'),
      loadPass: db.prepare('SELECT value FROM meta WHERE key = ?').pluck(),
      endPass: db.prepare('DELETE FROM meta WHERE key = ?'),
    };
    const saved = this.st.loadPass.get(PASS_KEY) as string | undefined;
    if (saved !== undefined) this.resume(saved);
  }

  /** The pass a previous run left under way: its merged rows stay hidden, and it goes on. */
  private resume(saved: string): void {
    const p = JSON.parse(saved) as Partial<Pass>;
    const num = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
    if (!num(p.from) || !num(p.to) || !num(p.nextId) || !num(p.rowid) || !(p.clearFrom === null || num(p.clearFrom))) {
      throw new Error(`series store: meta ${PASS_KEY} is ${saved}, not a compaction pass`);
    }
    this.pass = p as Pass;
    this.hide(this.pass);
  }

  /** Marks what pass `p` has merged and not deleted as stale for every read of the head. */
  private hide(p: Pass | null): void {
    this.core.head.stale = p && { from: p.clearFrom ?? p.from, to: p.to, g: p.nextId / GROUP, rowid: p.rowid };
  }

  /** The next pass: the due chunks of the oldest hour in the head (any, with `all`), or null. */
  private nextPass(all: boolean): Pass | null {
    const from = this.core.head.chunkFrom(-Infinity);
    if (from === null) return null;
    const hourEnd = (hourOf(from * CHUNK) + 1) * CHUNKS_PER_HOUR;
    if (all) return this.begin(from, hourEnd);
    // whole minutes: a pass takes every head sample of the minutes it covers, so their
    // minute rows can go (the blocks answer for them)
    const to = Math.min(hourEnd, Math.floor((this.watermark - this.opts.graceMs) / MINUTE) * CHUNKS_PER_MINUTE);
    if (to <= from || (to < hourEnd && (to - from) * CHUNK < this.opts.windowMs)) return null;
    return this.begin(from, to);
  }

  /**
   * A pass over chunks [from, to). Its merged rows are hidden up to the head's newest rowid,
   * which is safe only while that row stays: SQLite gives a new row the largest rowid + 1, so
   * were it deleted, a row written later could get a rowid the pass hides. When the newest row
   * lies in the pass's own chunks (writes stopped, a late sample written last, `all`), the
   * pass would delete it, so it deletes each step's rows at once instead (rowid -1: none hidden).
   */
  private begin(from: number, to: number): Pass {
    const { head } = this.core;
    const newest = head.newestRowid();
    const c = head.chunkOfRow(newest);
    const rowid = c !== null && c >= to ? newest : -1;
    return { from, to, nextId: 0, rowid, clearFrom: null };
  }

  /** Runs one step if anything is due; null when nothing is. */
  step(all = false): CompactStep | null {
    const { db } = this.core;
    const maxId = (this.st.maxId.get() as number | null) ?? 0;
    const p = this.pass;
    // every group merged: its rows go, a minute of chunks a step (none hidden: nothing to delete)
    if (p && p.clearFrom === null && p.nextId > maxId) p.clearFrom = clearStart(p);
    if (p && p.clearFrom !== null) return this.clearStep(p, all);
    this.pass ??= this.nextPass(all);
    const pass = this.pass;
    if (!pass) return null;
    const a = pass.nextId;
    // whole groups of series: a head row holds one group's samples
    const b = a + Math.max(GROUP, Math.round(this.opts.batch / GROUP) * GROUP);
    // open buckets inside the pass (a series that stopped) go to the tables first, in their own transaction
    const points = this.st.points.all(a, b) as string[];
    try {
      db.transaction(() => {
        for (const p of points) {
          const k = this.core.slots.index.get(p);
          if (k !== undefined) this.rollups.closeOpenBefore(k, pass.to * CHUNK);
        }
        this.core.flushPending();
      })();
      const r = db.transaction(() => {
        const r = this.compactRange(pass, a, b);
        this.st.savePass.run(PASS_KEY, JSON.stringify({ ...pass, nextId: b }));
        return r;
      })();
      pass.nextId = b;
      this.hide(pass);
      return r;
    } catch (err) {
      // the groups merged so far are deleted, these and the rest stay for the next pass
      pass.clearFrom = clearStart(pass);
      this.hide(pass);
      throw err;
    }
  }

  /** Deletes a minute of chunks of the pass's merged rows; ends the pass after the last. */
  private clearStep(p: Pass, all: boolean): CompactStep | null {
    const { db, head } = this.core;
    const from = p.clearFrom as number;
    if (from < p.to) {
      const end = Math.min(p.to, from + CLEAR_CHUNKS);
      const rows = db.transaction(() => {
        const n = head.deleteChunks(from, end, p.nextId / GROUP, p.rowid);
        this.st.savePass.run(PASS_KEY, JSON.stringify({ ...p, clearFrom: end }));
        return n;
      })();
      p.clearFrom = end;
      this.hide(p);
      return { hour: hourOf(p.from * CHUNK), ids: 0, series: 0, samples: 0, rows };
    }
    // done; rows written behind it go in the next pass
    this.st.endPass.run(PASS_KEY);
    this.pass = null;
    this.hide(null);
    this.core.chunks.prune(p.from, p.to - 1, (c) => !head.has(c));
    this.core.minutes.prune(minuteOf(p.from * CHUNK), p.to * CHUNK);
    return this.step(all);
  }

  private compactRange(pass: Pass, a: number, b: number): CompactStep {
    const hour = hourOf(pass.from * CHUNK);
    const { blocks, head, minutes } = this.core;
    const chunks = this.core.chunks.between(pass.from, pass.to - 1);
    // the hour's block of each series in front of its head samples
    const { columns, rowids, samples } = head.gather(JSON.stringify(chunks), a, b, (id) => blocks.raw(hour, id));
    // re-encoding the hour each pass (not appending a segment) costs ~10 % more CPU and keeps
    // blocks ~9 % smaller: rows that grow in smaller steps split fewer pages. The points of a
    // poll share one timestamp column.
    const merged: Array<[number, SampleColumns]> = [];
    for (let i = 0; i < columns.length; i++) {
      const col = columns[i];
      if (col) merged.push([a + i, sortDedupe(col)]);
    }
    blocks.putRawShared(hour, merged);
    // these minutes' entries aggregate exactly these head samples: the blocks answer for them now.
    // A pass that begins inside a minute (its earlier chunks empty) keeps that minute's entries
    // of series without head rows here: what raw retention cut from the head, kept as 1-minute rows.
    const start = pass.from * CHUNK;
    const m0 = minuteOf(start);
    if (m0 < start) minutes.remove(m0, m0 + MINUTE, a / GROUP, b / GROUP, (id) => columns[id - a] !== undefined);
    minutes.deleteRange(m0 < start ? m0 + MINUTE : m0, pass.to * CHUNK, a, b);
    // rows the pass does not hide (written since it began, or all when it hides none) go now
    head.deleteRows(rowids.filter((r) => r > pass.rowid));
    return { hour, ids: b - a, series: merged.length, samples, rows: 0 };
  }

  /** Runs steps until nothing is due (`all`: every head row, the current hour too). */
  compactAll(all = false): { steps: number; samples: number } {
    let steps = 0;
    let samples = 0;
    for (let r = this.step(all); r; r = this.step(all)) {
      steps++;
      samples += r.samples;
    }
    if (steps > 0) this.core.readChunkBounds();
    return { steps, samples };
  }
}

/** Where deleting pass p's merged rows begins: its first chunk, or its end when it hides none. */
const clearStart = (p: Pass): number => (p.rowid < 0 ? p.to : p.from);

/** start of the minute holding ts (a pass may begin at the first non-empty chunk inside a minute) */
const minuteOf = (ts: number): number => Math.floor(ts / MINUTE) * MINUTE;
