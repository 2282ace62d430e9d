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
}

const CHUNKS_PER_HOUR = HOUR / CHUNK;
const CHUNKS_PER_MINUTE = MINUTE / CHUNK;

/** A pass: head chunks [from, to) of one hour, done `batch` series ids at a time from nextId. */
interface Pass {
  from: number;
  to: number;
  nextId: number;
}

/**
 * Moves the head's samples into per-series-hour blocks, oldest first. A pass takes the due part
 * of the oldest hour in the head (at least a window's worth, or the rest of a complete hour) and
 * works through the series ids, `batch` per step (rounded to whole groups of 64: a head row
 * holds one group). One step is one transaction: it reads the head rows of its groups in the
 * pass's chunks, merges them into the hour's blocks (decode, merge, re-encode; on equal ts the
 * head wins), deletes those groups' minute rows of the chunks (the blocks answer 1-minute
 * queries from now on) and the head rows. A crash at any point leaves a step wholly done or
 * not done at all.
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
    };
  }

  /** The next pass: the due chunks of the oldest hour in the head (any, with `all`), or null. */
  private nextPass(all: boolean): Pass | null {
    const from = this.core.head.chunkFrom(-Infinity);
    if (from === null) return null;
    const hourEnd = (hourOf(from * CHUNK) + 1) * CHUNKS_PER_HOUR;
    if (all) return { from, to: hourEnd, nextId: 0 };
    // whole minutes: a pass takes every head sample of the minutes it covers, so their
    // minute rows can go (the blocks answer for them)
    const to = Math.min(hourEnd, Math.floor((this.watermark - this.opts.graceMs) / MINUTE) * CHUNKS_PER_MINUTE);
    if (to <= from || (to < hourEnd && (to - from) * CHUNK < this.opts.windowMs)) return null;
    return { from, to, nextId: 0 };
  }

  /** Runs one step if anything is due; null when nothing is. */
  step(all = false): CompactStep | null {
    const { db } = this.core;
    const maxId = (this.st.maxId.get() as number | null) ?? 0;
    if (this.pass && this.pass.nextId > maxId) {
      // done; rows written behind it go in the next pass
      const { from, to } = this.pass;
      this.core.chunks.prune(from, to - 1, (c) => !this.core.head.has(c));
      this.core.minutes.prune(minuteOf(from * CHUNK), to * CHUNK);
      this.pass = null;
    }
    this.pass ??= this.nextPass(all);
    const pass = this.pass;
    if (!pass) return null;
    const a = pass.nextId;
    // whole groups of series: a head row holds one group's samples
    const b = a + Math.max(GROUP, Math.round(this.opts.batch / GROUP) * GROUP);
    pass.nextId = b;
    // open buckets inside the pass (a series that stopped) go to the tables first, in their own transaction
    const points = this.st.points.all(a, b) as string[];
    db.transaction(() => {
      for (const p of points) {
        const k = this.core.slots.index.get(p);
        if (k !== undefined) this.rollups.closeOpenBefore(k, pass.to * CHUNK);
      }
      this.core.flushPending();
    })();
    return db.transaction(() => this.compactRange(pass, a, b))();
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
    head.deleteRows(rowids);
    return { hour, ids: b - a, series: merged.length, samples };
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

/** start of the minute holding ts (a pass may begin at the first non-empty chunk inside a minute) */
const minuteOf = (ts: number): number => Math.floor(ts / MINUTE) * MINUTE;
