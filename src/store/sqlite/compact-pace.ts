/**
 * How much compaction follows the writes: each sample written earns `ratio` samples of
 * compaction, and a step spends what it moved (plus one per series id it looked at, so steps
 * over empty ids are not free). Steps run while there is credit, so compaction keeps
 * `ratio` × the write rate however large a step is against a write batch: a pass at 5,000
 * stations (30 minutes of 610,000 series) does not make every 5,000-sample batch pay for a
 * 180,000-sample step, and the intake never falls behind the polls. Credit is not saved up
 * while nothing is due, so the start of a pass is paced like the rest of it.
 */
/**
 * Samples' worth of compaction a deleted head row costs: deleting a pass's merged rows at
 * 5,000 stations took ~2 s for ~1.7 M rows (~1.2 µs a row), moving a sample ~0.3 µs.
 */
const ROW_COST = 4;

export class CompactionPace {
  private credit = 0;

  constructor(readonly ratio: number) {
    if (!(ratio > 0) || !Number.isFinite(ratio)) throw new RangeError(`compaction ratio must be a number > 0, got ${ratio}`);
  }

  /** `n` samples were written. */
  wrote(n: number): void {
    this.credit += this.ratio * n;
  }

  /** Whether the next step may run now. */
  get due(): boolean {
    return this.credit > 0;
  }

  /** A step moved `samples` samples of `series` series ids and deleted `rows` head rows. */
  spent(samples: number, series: number, rows = 0): void {
    this.credit -= samples + series + ROW_COST * rows;
  }

  /** Nothing is due: what was earned meanwhile is dropped, a debt is kept. */
  idle(): void {
    this.credit = Math.min(this.credit, 0);
  }
}
