/**
 * The head's chunks that may hold rows, sorted (a superset of the truth, never a subset): reads
 * and start-up seek chunk by chunk through this list, never over a span of empty chunks. With
 * one-second chunks a head of 25 minutes is ~1,500 entries; a late sample from years ago adds
 * one entry, not a walk over every second in between.
 *
 * @example
 * const chunks = new HeadChunks();
 * chunks.note(chunkOf(ts));                    // on every head write
 * for (const c of chunks.between(c0, c1)) …   // a series' head rows, chunk by chunk
 */
export class HeadChunks {
  private list: number[] = [];

  get size(): number {
    return this.list.length;
  }

  /** the lowest listed chunk (Infinity: none) */
  get min(): number {
    return this.list.length ? this.list[0] : Infinity;
  }

  /** the highest listed chunk (-Infinity: none) */
  get max(): number {
    return this.list.length ? this.list[this.list.length - 1] : -Infinity;
  }

  /** Lists chunk c (a write put a row in it). The newest chunk, the common case, costs one compare. */
  note(c: number): void {
    const xs = this.list;
    const n = xs.length;
    if (n === 0 || c > xs[n - 1]) {
      xs.push(c);
      return;
    }
    if (c === xs[n - 1]) return;
    const i = this.lowerBound(c);
    if (xs[i] !== c) xs.splice(i, 0, c);
  }

  /** The listed chunks in [c0, c1], ascending. */
  between(c0: number, c1: number): number[] {
    const i = this.lowerBound(c0);
    let j = i;
    while (j < this.list.length && this.list[j] <= c1) j++;
    return this.list.slice(i, j);
  }

  /** Replaces the list (start-up, after retention). */
  reset(chunks: Iterable<number>): void {
    this.list = [...new Set(chunks)].sort((a, b) => a - b);
  }

  /** Drops the chunks in [c0, c1] that `isEmpty` says hold no row any more (after compaction). */
  prune(c0: number, c1: number, isEmpty: (c: number) => boolean): void {
    const i = this.lowerBound(c0);
    let j = i;
    while (j < this.list.length && this.list[j] <= c1) j++;
    const keep = this.list.slice(i, j).filter((c) => !isEmpty(c));
    // only the range is looked at: a backfill of a month lists ~260,000 chunks, pruned pass by pass
    this.list.splice(i, j - i);
    for (let k = 0; k < keep.length; k++) this.list.splice(i + k, 0, keep[k]);
  }

  /** index of the first entry ≥ c */
  private lowerBound(c: number): number {
    let lo = 0;
    let hi = this.list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.list[mid] < c) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
