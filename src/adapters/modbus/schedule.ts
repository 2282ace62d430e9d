/**
 * One timer for many periodic jobs: a binary min-heap on `nextAt`, armed with a single
 * `setTimeout` for the earliest job. Cheaper than one `setInterval` per device at thousands of
 * devices, and each job keeps its own phase: next = previous scheduled slot + period, skipping
 * slots that are already in the past (counted in `missed`), never bursting to catch up.
 *
 * @example
 * const s = new PollScheduler(Date.now, (job, slot) => poll(job, slot));
 * s.add(job, Date.now()); // job: { nextAt, periodMs, heapIndex, missed }
 */
export interface ScheduledJob {
  /** the next slot, ms epoch */
  nextAt: number;
  periodMs: number;
  /** position in the heap, -1 when not scheduled (managed by the scheduler) */
  heapIndex: number;
  /** slots skipped because the scheduler fell more than a period behind */
  missed: number;
}

/**
 * A poll dispatched more than this after its slot is counted late: a quarter of the period,
 * at least 50 ms (timer granularity and a busy loop's normal jitter) and at most 1 s.
 */
export function lateAfterMs(periodMs: number): number {
  return Math.max(50, Math.min(1000, Math.round(periodMs / 4)));
}

export class PollScheduler<J extends ScheduledJob> {
  private heap: J[] = [];
  private timer: NodeJS.Timeout | null = null;
  private armedFor = Infinity;
  private running = true;
  private readonly fire = (): void => this.runDue();

  constructor(
    private readonly now: () => number,
    /** `now` is when the scheduler ran: now − slot is how late the loop let the poll start */
    private readonly onDue: (job: J, slot: number, now: number) => void,
  ) {}

  get size(): number {
    return this.heap.length;
  }

  add(job: J, firstAt: number): void {
    job.nextAt = firstAt;
    job.heapIndex = this.heap.length;
    this.heap.push(job);
    this.up(job.heapIndex);
    this.arm();
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.heap = [];
  }

  private runDue(): void {
    this.timer = null;
    this.armedFor = Infinity;
    const now = this.now();
    const h = this.heap;
    while (this.running && h.length > 0 && h[0].nextAt <= now) {
      const job = h[0];
      const slot = job.nextAt;
      let next = slot + job.periodMs;
      if (next <= now) {
        const k = Math.floor((now - next) / job.periodMs) + 1;
        next += k * job.periodMs;
        job.missed += k;
      }
      job.nextAt = next;
      this.down(0);
      this.onDue(job, slot, now);
    }
    this.arm();
  }

  private arm(): void {
    if (!this.running || this.heap.length === 0) return;
    const at = this.heap[0].nextAt;
    if (this.timer && at >= this.armedFor) return;
    if (this.timer) clearTimeout(this.timer);
    this.armedFor = at;
    this.timer = setTimeout(this.fire, Math.max(0, at - this.now()));
  }

  private up(i: number): void {
    const h = this.heap;
    const job = h[i];
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p].nextAt <= job.nextAt) break;
      h[i] = h[p];
      h[i].heapIndex = i;
      i = p;
    }
    h[i] = job;
    job.heapIndex = i;
  }

  private down(i: number): void {
    const h = this.heap;
    const n = h.length;
    const job = h[i];
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && h[r].nextAt < h[l].nextAt ? r : l;
      if (h[c].nextAt >= job.nextAt) break;
      h[i] = h[c];
      h[i].heapIndex = i;
      i = c;
    }
    h[i] = job;
    job.heapIndex = i;
  }
}
