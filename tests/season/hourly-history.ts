import type { SeriesQuery, SeriesResult, SeriesStore } from '../../src/store/port.ts';

const HOUR = 3_600_000;

/**
 * Hourly means of a few points over a season check, answering the baseline job's one kind of
 * query as the stores' hourly rollup does: a week of 500 stations' polls through a real store
 * would be most of the check's time, and what the stores keep is tested with the stores.
 */
export class HourlyMeans implements Pick<SeriesStore, 'query'> {
  private readonly slot = new Map<string, number>();
  private readonly sum: Float64Array;
  private readonly n: Uint32Array;

  constructor(
    points: readonly string[],
    private readonly startMs: number,
    private readonly hours: number,
  ) {
    points.forEach((p, i) => this.slot.set(p, i));
    this.sum = new Float64Array(points.length * hours);
    this.n = new Uint32Array(points.length * hours);
  }

  add(point: string, ts: number, value: number | boolean | null): void {
    const i = this.slot.get(point);
    const h = Math.floor((ts - this.startMs) / HOUR);
    if (i === undefined || h < 0 || h >= this.hours || typeof value !== 'number' || !Number.isFinite(value)) return;
    this.sum[i * this.hours + h] += value;
    this.n[i * this.hours + h]++;
  }

  async query(q: SeriesQuery): Promise<SeriesResult[]> {
    if (q.stepMs !== HOUR || q.agg !== 'mean') throw new Error('HourlyMeans answers hourly means only');
    return q.points.map((point) => {
      const i = this.slot.get(point);
      const out: Array<[number, number | null]> = [];
      for (let t = Math.floor(q.from / HOUR) * HOUR; t < q.to; t += HOUR) {
        const h = (t - this.startMs) / HOUR;
        const k = i === undefined || h < 0 || h >= this.hours ? -1 : i * this.hours + h;
        out.push([t, k >= 0 && this.n[k] > 0 ? this.sum[k] / this.n[k] : null]);
      }
      return { point, points: out, source: 'rollup_1h' as const };
    });
  }
}
