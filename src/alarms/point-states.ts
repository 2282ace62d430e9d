/**
 * The engine's latest reading of every point it reads, as typed columns: at city scale that is
 * hundreds of thousands of points, and an object per point (with its timestamps boxed as heap
 * numbers, renewed on every poll) made most of the objects the garbage collector walked.
 * JSON holds it as `PointRecord`s (`toJSON`), and `PointStates.of` takes either back.
 */
import type { Quality, SampleValue } from '../model.ts';
import { columnsFrom } from './aligned.ts';
import type { PointRecord } from './types.ts';

const QUALITY: readonly (Quality | null)[] = [null, 'good', 'uncertain', 'bad'];
const QUALITY_CODE: Readonly<Record<Quality, number>> = { good: 1, uncertain: 2, bad: 3 };

export class PointStates {
  /** numeric view of the last good value (bool → 1/0); meaningful only when `ok` */
  readonly v: Float64Array;
  /** 1 when the last sample was good and finite */
  readonly ok: Uint8Array;
  /** 1 when the last good value was a boolean */
  readonly bool: Uint8Array;
  /** the last sample's quality: 0 none yet, else the index in QUALITY */
  readonly q: Uint8Array;
  /** engine time of the last sample of any quality, -1 if none */
  readonly ts: Float64Array;
  /** engine time of the last good sample, -1 if none */
  readonly good: Float64Array;
  /** engine time the good value last changed, -1 if none */
  readonly changed: Float64Array;

  constructor(readonly ids: readonly string[]) {
    const n = ids.length;
    this.v = new Float64Array(n);
    this.ok = new Uint8Array(n);
    this.bool = new Uint8Array(n);
    this.q = new Uint8Array(n);
    this.ts = new Float64Array(n).fill(-1);
    this.good = new Float64Array(n).fill(-1);
    this.changed = new Float64Array(n).fill(-1);
  }

  get length(): number {
    return this.ids.length;
  }

  /** The last value as received: null when the last sample was not good and finite. */
  val(i: number): SampleValue {
    if (this.ok[i] === 0) return null;
    return this.bool[i] === 1 ? this.v[i] === 1 : this.v[i];
  }

  quality(i: number): Quality | null {
    return QUALITY[this.q[i]];
  }

  setQuality(i: number, q: Quality): void {
    this.q[i] = QUALITY_CODE[q];
  }

  record(i: number): PointRecord {
    return { id: this.ids[i], val: this.val(i), v: this.v[i], ok: this.ok[i] === 1, quality: this.quality(i), ts: this.ts[i], good: this.good[i], changed: this.changed[i] };
  }

  /** Copies a record's reading into point `i` (the record's id is not checked). */
  put(i: number, r: PointRecord): void {
    this.v[i] = r.v;
    this.ok[i] = r.ok ? 1 : 0;
    this.bool[i] = typeof r.val === 'boolean' ? 1 : 0;
    this.q[i] = r.quality === null ? 0 : QUALITY_CODE[r.quality];
    this.ts[i] = r.ts;
    this.good[i] = r.good;
    this.changed[i] = r.changed;
  }

  toJSON(): PointRecord[] {
    return this.ids.map((_, i) => this.record(i));
  }

  /** The columns for `ids` from what a state holds (aligned.ts): new points with nothing read yet. */
  static of(ids: readonly string[], held: PointStates | readonly PointRecord[] | undefined): PointStates {
    return columnsFrom(ids, held, PointStates);
  }
}
