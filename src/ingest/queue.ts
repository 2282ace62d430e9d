import type { Sample } from '../model.ts';
import { LayoutCache, POLL_BAD, type PollColumns } from '../poll-columns.ts';
import { allocColumns, K_FALSE, K_NULL, K_TRUE, PointTable, putSample, QCODE, type SampleColumns } from './columns.ts';

const SEGMENT = 16_384;
/** a poll's tag (POLL_NUM, POLL_FALSE, POLL_TRUE, POLL_BAD) as the columns' flags */
const FLAGS_OF_TAG = Uint8Array.of(QCODE.good, K_FALSE | QCODE.good, K_TRUE | QCODE.good, K_NULL | QCODE.bad);

/** One block of rows; rows [read, write) are queued. */
interface Segment {
  cols: SampleColumns;
  /** arrival time per row, ms epoch: the queue's age is read from the oldest row */
  at: Float64Array;
  read: number;
  write: number;
}

/**
 * FIFO of accepted samples, held as columns in fixed blocks (columns.ts): a queued sample is
 * ~29 bytes of typed arrays, not an object, so a store outage that fills the queue to millions
 * of samples adds nothing for the GC to trace. The adapters' Sample objects die young, right
 * after the listeners saw them. Knows the arrival time of its oldest sample.
 *
 * @example
 * const q = new ColumnQueue();
 * q.push(batch, Date.now());           // every sample must fit the columns (the pipeline checked)
 * const next = q.take(5000);           // the 5,000 oldest, in push order
 */
export class ColumnQueue {
  /** `table`: the point ids' table (the pipeline shares one with its latest values) */
  constructor(readonly table = new PointTable()) {}

  private segs: Segment[] = [];
  /** samples queued */
  size = 0;
  /** the table's index of each point of a poll layout */
  private readonly pollIndex = new LayoutCache((ids) => Int32Array.from(ids, (id) => this.table.indexOf(id)));

  push(samples: readonly Sample[], at: number): void {
    let i = 0;
    while (i < samples.length) {
      const tail = this.tail();
      const end = Math.min(samples.length, i + SEGMENT - tail.write);
      for (; i < end; i++) {
        putSample(tail.cols, tail.write, samples[i]);
        tail.at[tail.write++] = at;
      }
    }
    this.size += samples.length;
  }

  /** {@link push} for a poll's columns (the pipeline checked them). */
  pushPoll(p: PollColumns, at: number): void {
    const index = this.pollIndex.of(p.ids);
    const n = index.length;
    let i = 0;
    while (i < n) {
      const tail = this.tail();
      const c = tail.cols;
      const end = Math.min(n, i + SEGMENT - tail.write);
      for (; i < end; i++) {
        const w = tail.write++;
        c.point[w] = index[i];
        c.ts[w] = p.ts;
        c.value[w] = p.vals[i];
        c.flags[w] = FLAGS_OF_TAG[p.tags[i]] ?? FLAGS_OF_TAG[POLL_BAD];
        tail.at[w] = at;
      }
    }
    this.size += n;
  }

  private tail(): Segment {
    let tail = this.segs[this.segs.length - 1];
    if (!tail || tail.write === SEGMENT) {
      tail = { cols: allocColumns(this.table, SEGMENT), at: new Float64Array(SEGMENT), read: 0, write: 0 };
      this.segs.push(tail);
    }
    return tail;
  }

  /** Arrival time of the oldest queued sample, ms epoch; NaN when empty. */
  get oldestAt(): number {
    const h = this.segs[0];
    return h && h.read < h.write ? h.at[h.read] : NaN;
  }

  /** Removes up to n of the oldest samples into fresh columns, in push order. */
  take(n: number): SampleColumns {
    const out = allocColumns(this.table, Math.min(n, this.size));
    let k = 0;
    while (k < out.length) {
      const h = this.segs[0];
      const m = Math.min(out.length - k, h.write - h.read);
      const c = h.cols;
      out.point.set(c.point.subarray(h.read, h.read + m), k);
      out.ts.set(c.ts.subarray(h.read, h.read + m), k);
      out.value.set(c.value.subarray(h.read, h.read + m), k);
      out.flags.set(c.flags.subarray(h.read, h.read + m), k);
      k += m;
      this.advance(m);
    }
    return out;
  }

  /** Drops up to n of the oldest samples; returns how many. */
  dropOldest(n: number): number {
    let left = Math.min(n, this.size);
    const dropped = left;
    while (left > 0) {
      const h = this.segs[0];
      const m = Math.min(left, h.write - h.read);
      this.advance(m);
      left -= m;
    }
    return dropped;
  }

  /** Empties the queue; returns how many samples it held. */
  clear(): number {
    const n = this.size;
    this.segs = [];
    this.size = 0;
    return n;
  }

  /** Moves the head on by m rows (m ≤ the head segment's queued rows). */
  private advance(m: number): void {
    const h = this.segs[0];
    h.read += m;
    this.size -= m;
    if (h.read === h.write && (h.write === SEGMENT || this.segs.length > 1)) this.segs.shift();
    else if (h.read === h.write) h.read = h.write = 0; // reuse the last block from its start
  }
}
