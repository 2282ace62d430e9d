/**
 * The analytics reports of a period, read and built: the daily station report from the
 * analytics daily table and the state database's alarm events and tickets, the monthly network
 * report from the analytics rankings of the month and of the season to date against last season.
 * Routes and the schedule both come here, so an on-demand file and a scheduled one are the same.
 *
 * @example
 *   const reports = new AnalyticsReports({ analytics, db: stateDb, stations, timeZone, season, now });
 *   const daily = await reports.stationDaily(reports.period('day', '2026-12-01'));
 *   const xlsx = await tablesXlsx(reports.tables(daily, 'zh-CN'));
 */
import { stationDailyReport, type DailyFigures, type ReportStation, type StationDailyReport } from './analytics-daily.ts';
import { networkMonthlyReport, type NetworkMonthlyReport, type RankingFigures } from './analytics-monthly.ts';
import { alarmRaisesByStation, ticketsOpenedByStation } from './analytics-reader.ts';
import { addDays, seasonToDate, type SeasonDays } from './analytics-season.ts';
import { networkMonthlyTables, stationDailyTables } from './analytics-tables.ts';
import type { ReportLang } from './labels.ts';
import type { StateDb } from '../state/db.ts';
import { localDate, parsePeriod, type Period, type PeriodKind } from './period.ts';
import type { TableDoc } from './tables.ts';

/** What the reports read of the analytics service (src/analytics): the daily table and rankings over local days [from, to]. */
export interface AnalyticsSource {
  dailyRows(from: string, to: string, station?: string): Promise<readonly DailyFigures[]> | readonly DailyFigures[];
  ranking(from: string, to: string): Promise<RankingFigures> | RankingFigures;
}

export interface AnalyticsReportsOptions {
  analytics: AnalyticsSource;
  /** the state database: alarm events and tickets */
  db: StateDb;
  stations: readonly ReportStation[];
  timeZone: string;
  /** `operations.season`; null: the heating year from 1 July */
  season: SeasonDays | null;
  now: () => number;
}

export type AnalyticsReport = StationDailyReport | NetworkMonthlyReport;

export class AnalyticsReports {
  constructor(private readonly o: AnalyticsReportsOptions) {}

  get timeZone(): string {
    return this.o.timeZone;
  }

  /** The period of `label` in the site's zone; throws PeriodError when malformed or in the future. */
  period(kind: PeriodKind, label: string): Period {
    return parsePeriod({ period: kind, date: label }, this.o.timeZone, this.o.now());
  }

  async stationDaily(period: Period): Promise<StationDailyReport> {
    const [rows, alarmsRaised, ticketsOpened] = await Promise.all([
      this.o.analytics.dailyRows(period.label, period.label),
      alarmRaisesByStation(this.o.db, period),
      ticketsOpenedByStation(this.o.db, period),
    ]);
    return stationDailyReport({ period, now: this.o.now(), stations: this.o.stations, rows, alarmsRaised, ticketsOpened });
  }

  /** The month's report; a month still running covers its days up to today. */
  async networkMonthly(period: Period): Promise<NetworkMonthlyReport> {
    const first = `${period.label}-01`;
    const last = addDays(localDate(period.to, this.o.timeZone), -1);
    const today = localDate(this.o.now(), this.o.timeZone);
    const days = { from: first, to: last < today ? last : today };
    const window = seasonToDate(days.to, this.o.season);
    const [ranking, current, previous] = await Promise.all([
      this.o.analytics.ranking(days.from, days.to),
      this.o.analytics.ranking(window.start, window.to),
      this.o.analytics.ranking(window.last.start, window.last.to),
    ]);
    return networkMonthlyReport({ period, now: this.o.now(), days, ranking, season: { window, current, previous } });
  }

  /** The report as tables with headers in `lang`, for the CSV and XLSX writers (files.ts). */
  tables(report: AnalyticsReport, lang: ReportLang): TableDoc {
    return report.period.kind === 'day' ? stationDailyTables(report as StationDailyReport, lang) : networkMonthlyTables(report as NetworkMonthlyReport, lang);
  }
}
