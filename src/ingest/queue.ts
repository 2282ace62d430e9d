import type { Sample } from '../model.ts';
import { allocColumns, PointTable, putSample, type SampleColumns } from './columns.ts';

const SEGMENT = 16_384;

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
  readonly table = new PointTable();
  private segs: Segment[] = [];
  /** samples queued */
  size = 0;

  push(samples: readonly Sample[], at: number): void {
    let i = 0;
    while (i < samples.length) {
      let tail = this.segs[this.segs.length - 1];
      if (!tail || tail.write === SEGMENT) {
        tail = { cols: allocColumns(this.table, SEGMENT), at: new Float64Array(SEGMENT), read: 0, write: 0 };
        this.segs.push(tail);
      }
      const end = Math.min(samples.length, i + SEGMENT - tail.write);
      for (; i < end; i++) {
        putSample(tail.cols, tail.write, samples[i]);
        tail.at[tail.write++] = at;
      }
    }
    this.size += samples.length;
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
