/**
 * Feeds baseline alarms (rule type `baseline`) their figures from stored history: hourly means
 * from the series store, hours in which the station was not in service left out, learnt with
 * learn.ts and compared over the recent window. What was learnt is kept and learnt again after
 * `relearnMs`, a bounded number of alarms per run, so a city's first run does not stall the
 * store; the recent window is read on every run.
 */
import type { Logger } from 'pino';
import { queryValues, type SeriesStore } from '../../store/port.ts';
import type { BaselineParams } from '../compiled.ts';
import type { AlarmCatalog } from '../catalog.ts';
import { contextMode } from '../modes.ts';
import { compare, learnAtLoad, learnDaily, type BaselineFigures, type Learnt } from './learn.ts';

const HOUR = 3_600_000;

export interface BaselineJobOptions {
  /** the compiled alarms (engine order) and where their figures go */
  alarms: Pick<AlarmCatalog, 'length' | 'params' | 'station' | 'point'>;
  apply(updates: Array<{ index: number; figures: BaselineFigures | null }>): void;
  history: Pick<SeriesStore, 'query'>;
  /** station contexts at a past instant (modes.ts `contextCode`: mode index in the low two bits) */
  contexts(stationIds: readonly string[], at: number): Uint8Array;
  /** learn again after this long; default 6 h */
  relearnMs?: number;
  /** alarms learnt per run at most; default 500 */
  learnPerRun?: number;
  /** points per store query; default 300 */
  chunk?: number;
  /**
   * a learnt alarm's recent window is read again once its last read is this old, or when a new
   * hour is whole; default 10 min (the scheduler's runs every 15 min read every learnt alarm)
   */
  recentEveryMs?: number;
  logger?: Logger;
}

interface Target {
  index: number;
  station: string;
  p: BaselineParams;
  point: string;
}

export interface BaselineRunResult {
  alarms: number;
  /** alarms learnt in this run */
  learnt: number;
  /** alarms whose recent window this run read */
  read: number;
  /** of those, the alarms with figures */
  known: number;
  /** alarms still waiting for their first learning (another run soon) */
  pending: number;
}

export class BaselineJob {
  private readonly targets: Target[];
  private readonly learnt = new Map<number, { at: number; learnt: Learnt | null }>();
  /** per alarm index: when its recent window was last read, and the last whole hour it covered */
  private readonly compared = new Map<number, { at: number; end: number }>();

  constructor(private readonly o: BaselineJobOptions) {
    this.targets = [];
    const A = o.alarms;
    for (let index = 0; index < A.length; index++) {
      const p = A.params(index);
      if (p.type === 'baseline') this.targets.push({ index, station: A.station(index), p, point: A.point(index) });
    }
  }

  get size(): number {
    return this.targets.length;
  }

  async run(now: number): Promise<BaselineRunResult> {
    const end = Math.floor(now / HOUR) * HOUR; // whole hours only: the current one is still filling
    const relearn = this.o.relearnMs ?? 6 * HOUR;
    const due = this.targets
      .filter((t) => {
        const l = this.learnt.get(t.index);
        return !l || now - l.at >= relearn;
      })
      .sort((a, b) => (this.learnt.get(a.index)?.at ?? -1) - (this.learnt.get(b.index)?.at ?? -1))
      .slice(0, this.o.learnPerRun ?? 500);
    const learnNow = new Set(due.map((t) => t.index));
    const updates: Array<{ index: number; figures: BaselineFigures | null }> = [];
    // The runs that follow each other every few seconds while alarms wait for their first
    // learning read only what they learn: the recent window of an alarm not yet learnt gives no
    // figures, and that of an alarm compared minutes ago in the same hour gives the same ones
    // (reading every alarm's window on each of those runs made a city's catch-up cost the square
    // of its alarms).
    const recentEvery = this.o.recentEveryMs ?? 10 * 60_000;
    const read = this.targets.filter((t) => {
      if (learnNow.has(t.index)) return true;
      if (!this.learnt.has(t.index)) return false;
      const c = this.compared.get(t.index);
      return !c || c.end !== end || now - c.at >= recentEvery;
    });
    // one query window per (learn?, recent, learn length), each over many points
    const groups = new Map<string, { from: number; recentFrom: number; targets: Target[] }>();
    for (const t of read) {
      const recentFrom = end - t.p.recentMs;
      const from = learnNow.has(t.index) ? recentFrom - t.p.learnMs : recentFrom;
      const key = `${from}:${recentFrom}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { from, recentFrom, targets: [] }));
      g.targets.push(t);
    }
    let known = 0;
    for (const g of groups.values()) {
      const hours = (end - g.from) / HOUR;
      if (hours <= 0) continue;
      const chunk = this.o.chunk ?? 300;
      for (let i = 0; i < g.targets.length; ) {
        // whole alarms per chunk, each with all its points
        const part: Target[] = [];
        const pts = new Set<string>();
        for (; i < g.targets.length && (pts.size < chunk || part.length === 0); i++) {
          const t = g.targets[i];
          part.push(t);
          for (const id of pointsOf(t)) pts.add(id);
        }
        const series = await this.hourly([...pts], g.from, end, hours);
        const masks = this.inServiceMasks(part, g.from, hours, series);
        for (const t of part) {
          const f = this.figures(t, series, masks.get(t.station)!, g, hours, now, learnNow.has(t.index));
          if (f) known++;
          updates.push({ index: t.index, figures: f });
          this.compared.set(t.index, { at: now, end });
        }
      }
    }
    this.o.apply(updates);
    const pending = this.targets.filter((t) => !this.learnt.has(t.index)).length;
    return { alarms: this.targets.length, learnt: learnNow.size, read: read.length, known, pending };
  }

  private figures(
    t: Target,
    series: Map<string, Float64Array>,
    mask: Uint8Array,
    g: { from: number; recentFrom: number },
    hours: number,
    now: number,
    learn: boolean,
  ): BaselineFigures | null {
    const pick = (id: string | null) => (id ? (series.get(id) ?? new Float64Array(hours).fill(NaN)) : null);
    const main = pick(t.point)!;
    const minus = pick(t.p.minus);
    const value = new Float64Array(hours);
    for (let h = 0; h < hours; h++) value[h] = mask[h] ? main[h] - (minus ? minus[h] : 0) : NaN;
    const load = pick(t.p.load);
    const split = (g.recentFrom - g.from) / HOUR;
    if (learn) {
      const lv = value.subarray(0, split);
      const learnt = t.p.method === 'daily' ? learnDaily(lv) : learnAtLoad(lv, load!.subarray(0, split), t.p.bands);
      this.learnt.set(t.index, { at: now, learnt });
    }
    const l = this.learnt.get(t.index)?.learnt;
    if (!l) return null;
    return compare(t.p, l, value.subarray(split), load?.subarray(split));
  }

  /** Hourly means of points over [from, end): NaN where an hour has no good sample. */
  private async hourly(points: string[], from: number, end: number, hours: number): Promise<Map<string, Float64Array>> {
    const out = new Map<string, Float64Array>();
    const res = await queryValues(this.o.history, { points, from, to: end, stepMs: HOUR, agg: 'mean' });
    for (const r of res) {
      const v = new Float64Array(hours).fill(NaN);
      const off = Math.round((r.t0 - from) / HOUR);
      for (let i = Math.max(0, -off); i < r.values.length && off + i < hours; i++) v[off + i] = r.values[i];
      out.set(r.point, v);
    }
    return out;
  }

  /** Per station, 1 for each hour whose start found the station in service (asked only for hours with data). */
  private inServiceMasks(targets: readonly Target[], from: number, hours: number, series: Map<string, Float64Array>): Map<string, Uint8Array> {
    const ids = [...new Set(targets.map((t) => t.station))];
    const out = new Map(ids.map((id) => [id, new Uint8Array(hours)]));
    const any = new Uint8Array(hours);
    for (const v of series.values()) for (let h = 0; h < hours; h++) if (v[h] === v[h]) any[h] = 1;
    for (let h = 0; h < hours; h++) {
      if (!any[h]) continue;
      const codes = this.o.contexts(ids, from + h * HOUR);
      ids.forEach((id, i) => {
        out.get(id)![h] = contextMode(codes[i]) === 'in_service' ? 1 : 0;
      });
    }
    return out;
  }
}

function pointsOf(t: Target): string[] {
  return [t.point, t.p.minus, t.p.load].filter((x): x is string => x !== null);
}

/**
 * Runs the job every `everyMs` (default 15 min), and again after a few seconds while alarms
 * still wait for their first learning. A failing store is logged and tried at the next run.
 */
export function scheduleBaselines(job: BaselineJob, o: { now: () => number; everyMs?: number; logger: Logger }): () => void {
  if (job.size === 0) return () => undefined;
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  const next = (ms: number) => {
    if (stopped) return;
    timer = setTimeout(tick, ms);
    timer.unref();
  };
  const tick = () => {
    job.run(o.now()).then(
      (r) => {
        o.logger.debug(r, 'baselines');
        next(r.pending > 0 ? 5_000 : (o.everyMs ?? 15 * 60_000));
      },
      (e: unknown) => {
        o.logger.warn({ err: e instanceof Error ? e.message : String(e) }, 'baselines: history could not be read; trying again at the next run');
        next(o.everyMs ?? 15 * 60_000);
      },
    );
  };
  next(1_000);
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}
