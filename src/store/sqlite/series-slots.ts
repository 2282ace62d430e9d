import { IdIndex } from '../../id-index.ts';
import type { Acc } from './acc.ts';
import { FIGURES, F_COUNT, F_LAST, F_LAST_TS, F_MAX, F_MIN, F_SUM } from '../figures.ts';

/**
 * Fields of one open-bucket accumulator in a {@link SeriesSlots.m1} / `h1` row (stride
 * {@link ACC}): the bucket's figures in the layout of src/store/figures.ts. The bucket's start
 * is not kept: it is the start of the bucket its last ts falls in ({@link openStart}); a NaN
 * last ts means no open bucket. (A start field was 11 MB at 610,000 series.)
 */
export const A_COUNT = F_COUNT;
export const A_SUM = F_SUM;
export const A_MIN = F_MIN;
export const A_MAX = F_MAX;
export const A_LAST = F_LAST;
export const A_LAST_TS = F_LAST_TS;
export const ACC = FIGURES;

/** Start of slot i's open bucket of `width` ms in `rows` (`m1` or `h1`); NaN: none open. */
export function openStart(rows: Float64Array, i: number, width: number): number {
  return Math.floor(rows[i * ACC + A_LAST_TS] / width) * width;
}

/** Doubles saved per slot by {@link SeriesSlots.save}: kind, maxTs, the m1 row, the h1 row. */
const SAVED = 2 + 2 * ACC;

/**
 * The in-memory state of every series the store has seen, as columns indexed by a small
 * integer slot given once per point: the series id, kind, newest stored raw ts, the open
 * 1-minute and 1-hour accumulators (one Float64Array row of {@link ACC} doubles each;
 * `A_LAST_TS` NaN: no open bucket) and the newest sample: 113 bytes a series in a few flat
 * arrays (plus its index entry and a pointer to the sample) instead of three JS objects
 * and their boxed doubles. Columns grow by a quarter.
 *
 * Undo: {@link begin} starts a batch; {@link save} records a slot's state once per batch
 * before it is changed; {@link rollback} restores them and forgets the slots added since.
 *
 * @example
 * const slots = new SeriesSlots();
 * const i = slots.add('hs-001.plc.t', 17, 0);
 * slots.maxTs[i] = Date.now();
 */
export class SeriesSlots {
  /** slot → point */
  readonly points: string[] = [];
  /** point → slot (ids kept once, in `points`) */
  readonly index = new IdIndex((i) => this.points[i]);
  /** slots in use: 0 … size-1 */
  size = 0;
  /** series row id (SQLite assigns them 1, 2, 3 …; checked to fit) */
  id = new Uint32Array(0);
  kind = new Uint8Array(0);
  /** newest raw ts stored (-Infinity: none); a sample newer than this cannot be a replay */
  maxTs = new Float64Array(0);
  /** bumped by {@link rollback}: slot numbers cached elsewhere (write.ts `TableSlots`) are stale */
  generation = 0;
  /** write epoch that last saved this slot into the undo log */
  mark = new Uint32Array(0);
  m1 = new Float64Array(0);
  h1 = new Float64Array(0);

  private epoch = 0;
  private sizeAtBegin = 0;
  private readonly added: string[] = [];
  private undoSlot: number[] = [];
  private undoNum = new Float64Array(0);

  /** Gives `point` the next slot (no open buckets, nothing stored yet). */
  add(point: string, id: number, kind: number): number {
    const i = this.size;
    if (!(id >= 0 && id <= 0xffff_ffff)) throw new RangeError(`series ${point}: id ${id} does not fit 32 bits`);
    // ×1.25, not ×2: at 600,000 series doubling leaves up to 1 MB … 70 MB of columns unused
    if (i === this.id.length) this.grow(Math.max(1024, Math.ceil(i * 1.25)));
    this.size = i + 1;
    this.id[i] = id;
    this.kind[i] = kind;
    this.maxTs[i] = -Infinity;
    this.mark[i] = this.epoch;
    this.m1[i * ACC + A_LAST_TS] = Number.NaN;
    this.h1[i * ACC + A_LAST_TS] = Number.NaN;
    this.points[i] = point;
    this.index.set(point, i);
    this.added.push(point);
    return i;
  }

  /** Starts a batch: later {@link save}s and {@link add}s are undone by {@link rollback}. */
  begin(): void {
    if (++this.epoch === 0x1_0000_0000) {
      this.epoch = 1;
      this.mark.fill(0);
    }
    this.sizeAtBegin = this.size;
    this.added.length = 0;
    this.undoSlot.length = 0;
  }

  /** Records slot i's state as it was before this batch (once per batch; slots added in it need none). */
  save(i: number): void {
    if (this.mark[i] === this.epoch) return;
    this.mark[i] = this.epoch;
    const k = this.undoSlot.length;
    if ((k + 1) * SAVED > this.undoNum.length) {
      const next = new Float64Array(Math.max(SAVED * 256, this.undoNum.length * 2));
      next.set(this.undoNum);
      this.undoNum = next;
    }
    const u = this.undoNum;
    const o = k * SAVED;
    u[o] = this.kind[i];
    u[o + 1] = this.maxTs[i];
    const m1 = this.m1;
    const h1 = this.h1;
    for (let f = 0, a = i * ACC; f < ACC; f++) {
      u[o + 2 + f] = m1[a + f];
      u[o + 2 + ACC + f] = h1[a + f];
    }
    this.undoSlot.push(i);
  }

  /** Puts every slot saved since {@link begin} back and drops the slots added since. */
  rollback(): void {
    const u = this.undoNum;
    for (let k = 0; k < this.undoSlot.length; k++) {
      const i = this.undoSlot[k];
      const o = k * SAVED;
      this.kind[i] = u[o];
      this.maxTs[i] = u[o + 1];
      this.m1.set(u.subarray(o + 2, o + 2 + ACC), i * ACC);
      this.h1.set(u.subarray(o + 2 + ACC, o + SAVED), i * ACC);
    }
    for (const point of this.added) this.index.delete(point);
    this.points.length = this.sizeAtBegin;
    this.size = this.sizeAtBegin;
    this.generation++;
    this.begin();
  }

  /** The open accumulator of a row (`m1` or `h1`, buckets `width` ms) as an object, or null (for queries and merges). */
  static acc(rows: Float64Array, i: number, width: number): Acc | null {
    const o = i * ACC;
    const ts = openStart(rows, i, width);
    if (Number.isNaN(ts)) return null;
    return { ts, count: rows[o + A_COUNT], sum: rows[o + A_SUM], min: rows[o + A_MIN], max: rows[o + A_MAX], last: rows[o + A_LAST], lastTs: rows[o + A_LAST_TS] };
  }

  /** Forgets every slot. */
  clear(): void {
    this.index.clear();
    this.points.length = 0;
    this.size = 0;
    this.grow(0);
    this.begin();
  }

  private grow(cap: number): void {
    const n = Math.min(this.size, cap);
    const copy = <T extends Float64Array | Uint32Array | Uint8Array>(a: T, b: T, per: number): T => {
      b.set(a.subarray(0, n * per));
      return b;
    };
    this.id = copy(this.id, new Uint32Array(cap), 1);
    this.mark = copy(this.mark, new Uint32Array(cap), 1);
    this.kind = copy(this.kind, new Uint8Array(cap), 1);
    this.maxTs = copy(this.maxTs, new Float64Array(cap), 1);
    this.m1 = copy(this.m1, new Float64Array(cap * ACC), ACC);
    this.h1 = copy(this.h1, new Float64Array(cap * ACC), ACC);
  }
}
