import type { Quality, Sample } from '../model.ts';
import { POLL_FALSE, POLL_NUM, POLL_TRUE, type PollColumns } from '../poll-columns.ts';
import { PointTable } from './columns.ts';

const NONE = 0;
const NUM = 1;
const FALSE = 2;
const TRUE = 3;
const NULL = 4;
const QUALITY: Quality[] = ['good', 'uncertain', 'bad'];
const QCODE: Record<Quality, number> = { good: 0, uncertain: 1, bad: 2 };

/**
 * The newest sample of every point, kept in typed columns rather than as Sample objects.
 * A city has ~600,000 points polled every few seconds: holding each poll's Sample objects
 * until the next poll would promote them all to the old generation and make the GC sweep
 * hundreds of megabytes of garbage per round. Here samples die young; `get` builds one on demand.
 */
export class LatestValues {
  private held = 0;
  private ts = new Float64Array(1024);
  private val = new Float64Array(1024);
  private tag = new Uint8Array(1024);
  private q = new Uint8Array(1024);
  /**
   * Slots of a batch's points by its first point: an adapter pushes the same points in the same
   * order every poll, so one lookup (and a pointer compare per sample) replaces one per sample.
   */
  private readonly batchSlots = new Map<string, Int32Array>();

  /**
   * `table`: the point ids by index (the pipeline shares it with its queue: 600,000 ids are one
   * map, not two); slot i here is the table's index i.
   */
  constructor(private readonly table = new PointTable()) {}

  /** points held */
  get size(): number {
    return this.held;
  }

  /** Keeps `s` if it is at least as new as what is held for its point. */
  set(s: Sample): void {
    this.put(s, this.slotOf(s.point));
  }

  /**
   * The slots of a batch laid out like one seen before (same points, same order), else null.
   * Every point held here passed the sample rule, so a known layout also vouches for the ids.
   */
  layoutOf(batch: readonly Sample[]): Int32Array | null {
    const first = batch[0];
    if (first == null) return null;
    const slots = this.batchSlots.get(first.point);
    if (slots === undefined || slots.length !== batch.length) return null;
    const pts = this.table.ids;
    for (let k = 0; k < slots.length; k++) {
      const s = batch[k];
      if (s == null || pts[slots[k]] !== s.point) return null;
    }
    return slots;
  }

  /** {@link set} for every sample of a batch; `slots` from {@link layoutOf} when known. */
  setBatch(batch: readonly Sample[], known?: Int32Array | null): void {
    const n = batch.length;
    if (n === 0) return;
    let slots = known ?? this.layoutOf(batch);
    if (slots === null) {
      slots = new Int32Array(n);
      for (let k = 0; k < n; k++) slots[k] = this.slotOf(batch[k].point);
      // bounded: one entry per distinct first point (a device), replaced when its layout changes
      if (this.batchSlots.size < 1_000_000 || this.batchSlots.has(batch[0].point)) this.batchSlots.set(batch[0].point, slots);
    }
    for (let k = 0; k < n; k++) this.put(batch[k], slots[k]);
  }

  /** {@link setBatch} for a poll's columns; `slots` are its layout's (from {@link layoutOf} of its samples). */
  setPoll(p: PollColumns, slots: Int32Array): void {
    const { ts, vals, tags } = p;
    for (let k = 0; k < slots.length; k++) {
      const i = slots[k];
      if (this.tag[i] === NONE) this.held++;
      else if (ts < this.ts[i]) continue;
      this.ts[i] = ts;
      const t = tags[k];
      if (t === POLL_NUM) {
        this.tag[i] = NUM;
        this.val[i] = vals[k];
        this.q[i] = 0;
      } else if (t === POLL_TRUE || t === POLL_FALSE) {
        this.tag[i] = t === POLL_TRUE ? TRUE : FALSE;
        this.q[i] = 0;
      } else {
        this.tag[i] = NULL;
        this.q[i] = 2;
      }
    }
  }

  private slotOf(point: string): number {
    const i = this.table.indexOf(point);
    // the table is shared: its indexes may have grown past this one's columns. ×1.25, not ×2:
    // at 610,000 points doubling left 440,000 slots of the two Float64Arrays unused (7 MB)
    if (i >= this.ts.length) this.grow(Math.max(i + 1, Math.ceil(this.ts.length * 1.25)));
    return i;
  }

  private put(s: Sample, i: number): void {
    if (this.tag[i] === NONE) this.held++;
    else if (s.ts < this.ts[i]) return;
    this.ts[i] = s.ts;
    const v = s.value;
    if (typeof v === 'number') {
      this.tag[i] = NUM;
      this.val[i] = v;
    } else this.tag[i] = v === null ? NULL : v ? TRUE : FALSE;
    this.q[i] = QCODE[s.quality];
  }

  get(point: string): Sample | undefined {
    const i = this.table.find(point);
    if (i === undefined || i >= this.tag.length || this.tag[i] === NONE) return undefined;
    const t = this.tag[i];
    const value = t === NUM ? this.val[i] : t === NULL ? null : t === TRUE;
    return { point: this.table.ids[i], ts: this.ts[i], value, quality: QUALITY[this.q[i]] };
  }

  private grow(cap: number): void {
    const f = (a: Float64Array) => {
      const b = new Float64Array(cap);
      b.set(a);
      return b;
    };
    const u = (a: Uint8Array) => {
      const b = new Uint8Array(cap);
      b.set(a);
      return b;
    };
    this.ts = f(this.ts);
    this.val = f(this.val);
    this.tag = u(this.tag);
    this.q = u(this.q);
  }
}
