import type Database from 'better-sqlite3';
import type { Quality, Sample } from '../../model.ts';
import type { PointEncodings } from '../codec/spec.ts';
import { Blocks, hourOf, indexOfTs } from './blocks.ts';
import { HeadChunks } from './head-chunks.ts';
import { Head } from './head.ts';
import { migrateHeadChunks, migrateRawTable } from './head-migrate.ts';
import { HeadMinutes, migrateRollup1mTable } from './head-minutes.ts';
import { MultiInsert } from './multi-insert.ts';
import { MERGE_TAIL, chunkOf, prepareStatements, type Statements } from './schema.ts';
import { SeriesSlots } from './series-slots.ts';

export const QUALITY_CODE: Record<Quality, number> = { good: 0, uncertain: 1, bad: 2 };
export const QUALITY_NAME: Quality[] = ['good', 'uncertain', 'bad'];
export const KIND_NUMBER = 0;
export const KIND_BOOL = 1;

interface SeriesRow {
  id: number;
  kind: number;
  blockHi: number | null;
}

/**
 * What the parts of the SQLite store share: the open database, its statements, the per-series
 * slots, the buffered multi-row inserts, the blocks and the bounds of the head's chunks.
 */
export class Core {
  readonly st: Statements;
  readonly slots = new SeriesSlots();
  readonly head: Head;
  /** the head's 1-minute rollups */
  readonly minutes: HeadMinutes;
  readonly ins1h: MultiInsert;
  readonly blocks: Blocks;
  /** the head chunks that may hold rows (a superset of the truth, never a subset) */
  readonly chunks = new HeadChunks();

  constructor(
    readonly db: Database.Database,
    encodings: PointEncodings,
  ) {
    this.st = prepareStatements(db);
    // before the raw table's rows become head rows (of the current width)
    migrateHeadChunks(db);
    migrateRawTable(db);
    migrateRollup1mTable(db);
    this.head = new Head(db);
    this.minutes = new HeadMinutes(db);
    this.ins1h = new MultiInsert(db, 'INSERT INTO rollup_1h (series, ts, count, sum, min, max, last, last_ts) VALUES', 8, MERGE_TAIL, 64);
    this.blocks = new Blocks(db, encodings);
    this.readChunkBounds();
  }

  /** lowest / highest chunk that may hold head rows (±Infinity: none) */
  get minC(): number {
    return this.chunks.min;
  }

  get maxC(): number {
    return this.chunks.max;
  }

  /** Lists the non-empty chunks of the head, seeking from one to the next. */
  readChunkBounds(): void {
    this.chunks.reset(this.head.chunks());
  }

  /** Runs the buffered head rows, minute rows and rollup merges. */
  flushPending(): void {
    this.head.flush();
    this.minutes.flush();
    this.ins1h.flush();
  }

  clearPending(): void {
    this.head.clear();
    this.minutes.clear();
    this.ins1h.clear();
  }

  /** Gives a point its slot: its series row (created if new, as `kind`) and newest stored sample. */
  loadSeries(point: string, kind: number): number {
    const row = this.st.getSeriesFull.get(point) as SeriesRow | undefined;
    return row ? this.loadRow(point, row) : this.slots.add(point, Number(this.st.insSeries.run(point, kind).lastInsertRowid), kind);
  }

  /** The slot of a known point (null: never written). */
  slotOf(point: string): number | null {
    const k = this.slots.index.get(point);
    if (k !== undefined) return k;
    const row = this.st.getSeriesFull.get(point) as SeriesRow | undefined;
    return row ? this.loadRow(point, row) : null;
  }

  private loadRow(point: string, row: SeriesRow): number {
    const k = this.slots.add(point, row.id, row.kind);
    const head = this.newestHeadTs(row.id, row.blockHi);
    const ts = Math.max(head ?? -Infinity, row.blockHi ?? -Infinity);
    this.slots.maxTs[k] = ts;
    return k;
  }

  /**
   * The newest head row of a series at or after `floor`: seeks through the listed chunks
   * downwards (a far-future or ancient sample never makes it walk empty ones).
   */
  private newestHeadTs(id: number, floor: number | null): number | null {
    const m = this.minutes.newest(id);
    const lo = Math.max(this.minC, m === null ? -Infinity : chunkOf(m), floor === null ? -Infinity : chunkOf(floor));
    const cs = this.chunks.between(lo, this.maxC);
    for (let i = cs.length - 1; i >= 0; i--) {
      const ts = this.head.newestIn(cs[i], id);
      if (ts !== null) return ts;
    }
    return null;
  }

  /** The stored sample of slot k at ts (head first, then its block), or null. */
  sampleAt(point: string, k: number, ts: number): Sample | null {
    const S = this.slots;
    const r = this.head.find(S.id[k], ts);
    let value: number | null;
    let q: number;
    if (r) {
      q = r.q;
      value = q === 2 ? null : r.value;
    } else {
      const b = this.blocks.raw(hourOf(ts), S.id[k]);
      const i = b ? indexOfTs(b, ts) : -1;
      if (!b || i < 0) return null;
      q = b.quality[i];
      value = q === 2 ? null : b.value[i];
    }
    return { point, ts, value: value === null ? null : S.kind[k] === KIND_BOOL ? value !== 0 : value, quality: QUALITY_NAME[q] };
  }
}
