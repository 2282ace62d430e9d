/**
 * The engineers' analytics as the API and the reports use them (`AppDeps.analytics`): the daily
 * table's rows with the figures that follow from each station's facts, the network ranking of a
 * period, and the job that keeps the table up to date.
 *
 * @example
 * ```ts
 * const analytics = await AnalyticsService.open({ db: stateDb, stations: cfg.stations, settings: cfg.analytics, timeZone, season, series, now, logger });
 * analytics.start();
 * await analytics.dailyRows('2026-12-01', '2026-12-07', 'hs-001'); // [{ station, day, heatGJ, intensity, … }]
 * (await analytics.ranking('2026-12-01', '2026-12-31')).stations[0]; // the station using most heat per m² and degree-day
 * await analytics.stop();
 * ```
 */
import type { Logger } from 'pino';
import type { Sample } from '../model.ts';
import type { SeriesStore } from '../store/port.ts';
import type { SeasonDays } from '../reports/analytics-season.ts';
import type { StateDb } from '../state/db.ts';
import type { AnalyticsSettings } from './config.ts';
import { dayRange, type RangeQuery } from './days.ts';
import type { StationFacts } from './facts.ts';
import { AnalyticsJob, scheduleAnalytics, type AnalyticsJobOptions } from './job.ts';
import { dailyView, rankStations, type DailyView, type RankMetric, type Ranking, type RankStation } from './ranking.ts';
import { DailyStore } from './store.ts';

export interface AnalyticsServiceOptions {
  /** the state database (the daily table) */
  db: StateDb;
  stations: ReadonlyArray<RankStation & AnalyticsJobOptions['stations'][number]>;
  settings: AnalyticsSettings;
  timeZone: string;
  /** `operations.season` (null: the heating year from 1 July) */
  season: SeasonDays | null;
  series: Pick<SeriesStore, 'query'>;
  now: () => number;
  /** station context codes at a past instant (src/modes/history.ts pastContexts) */
  contexts?: AnalyticsJobOptions['contexts'];
  logger: Pick<Logger, 'info' | 'warn' | 'debug'>;
}

export class AnalyticsService {
  readonly job: AnalyticsJob;
  private readonly facts: Map<string, StationFacts>;
  private stopJob: (() => Promise<void>) | null = null;
  /** recent rankings by period, sort and the daily table's version of those days */
  private readonly rankings = new Map<string, Ranking>();

  /** The service, its daily table made or brought up to date first. */
  static async open(o: AnalyticsServiceOptions): Promise<AnalyticsService> {
    return new AnalyticsService(o, await DailyStore.open(o.db));
  }

  private constructor(
    private readonly o: AnalyticsServiceOptions,
    readonly daily: DailyStore,
  ) {
    this.facts = new Map(o.stations.map((s) => [s.id, s]));
    this.job = new AnalyticsJob({
      stations: o.stations,
      settings: o.settings,
      timeZone: o.timeZone,
      series: o.series,
      daily: this.daily,
      ...(o.contexts ? { contexts: o.contexts } : {}),
      logger: o.logger,
    });
  }

  get stations(): readonly RankStation[] {
    return this.o.stations;
  }

  /** The days a request asks for, checked (throws DayError naming the field). */
  range(q: RangeQuery): { from: string; to: string } {
    return dayRange(q, this.o.timeZone, this.o.now(), this.o.season);
  }

  /** Rows of days `from`..`to` (`YYYY-MM-DD`, both included), of one station or all, by day then station. */
  async dailyRows(from: string, to: string, station?: string): Promise<DailyView[]> {
    return (await this.daily.rows(from, to, station)).map((r) => dailyView(r, this.facts.get(r.station)));
  }

  /** The network ranking of days `from`..`to`, sorted by `sort` (default intensity) descending. */
  async ranking(from: string, to: string, opts: { sort?: RankMetric } = {}): Promise<Ranking> {
    // the same period asked again before the job wrote any of its days: the same answer
    const key = `${from} ${to} ${opts.sort ?? ''} ${this.daily.version(from, to)}`;
    const hit = this.rankings.get(key);
    if (hit) return hit;
    const r = rankStations(this.o.stations, await this.daily.totals(from, to), { from, to, outlierFactor: this.o.settings.outlierFactor, ...(opts.sort ? { sort: opts.sort } : {}) });
    if (this.rankings.size >= 16) this.rankings.delete(this.rankings.keys().next().value!);
    this.rankings.set(key, r);
    return r;
  }

  /** Ingest's samples: late ones mark their day for the next run. */
  noteSamples(batch: readonly Sample[]): void {
    this.job.noteSamples(batch);
  }

  notePoll(station: string, ts: number): void {
    this.job.notePoll(station, ts);
  }

  /** Runs the job on its schedule (`analytics.everyMin`). */
  start(): void {
    if (this.stopJob) return;
    this.stopJob = scheduleAnalytics(this.job, { now: this.o.now, everyMs: this.o.settings.everyMs, logger: this.o.logger });
  }

  async stop(): Promise<void> {
    await this.stopJob?.();
    this.stopJob = null;
  }
}
