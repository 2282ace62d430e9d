/**
 * Writes the scheduled analytics reports: every tick (a minute) it asks the schedule what is due
 * (analytics-schedule.ts, from the clock and the folder's file names), builds each due report
 * and writes its missing files (XLSX, CSV) atomically. A report that fails is logged and left
 * due, so the next tick tries it again; one tick runs at a time.
 *
 * @example
 *   const job = new AnalyticsReportJob({ reports, folder, schedule: { timeZone, dailyAtMin: 390 }, now, logger });
 *   job.start();                // ticks every minute until stop()
 *   await job.run();            // one pass: { written: ['daily-2026-12-01.xlsx', …], failed: [] }
 */
import type { Logger } from 'pino';
import { tablesCsv, tablesXlsx } from './files.ts';
import { AnalyticsReports, type AnalyticsReportsOptions } from './analytics-reports.ts';
import { ReportFolder } from './analytics-folder.ts';
import { dueReports, parseDailyAt, parseFileName, type DueReport, type ScheduleSettings } from './analytics-schedule.ts';
import type { ReportLang } from './labels.ts';

export interface AnalyticsReportJobOptions {
  reports: AnalyticsReports;
  folder: ReportFolder;
  schedule: ScheduleSettings;
  now: () => number;
  logger: Logger;
  /** the files' language (default zh-CN) */
  lang?: ReportLang;
  /** default one minute */
  everyMs?: number;
  /**
   * Brings a day's rows of the daily table up to date before its report is written: after a
   * restart the table may still hold the figures of a day computed before it ended.
   */
  refreshDay?: (day: string) => Promise<unknown>;
}

export interface RunResult {
  written: string[];
  /** labels of the reports that failed, with why */
  failed: Array<{ kind: DueReport['kind']; label: string; error: string }>;
}

export class AnalyticsReportJob {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<RunResult> | null = null;

  constructor(private readonly o: AnalyticsReportJobOptions) {}

  /** One pass over what is due now; concurrent calls share the pass under way. */
  run(): Promise<RunResult> {
    this.running ??= this.pass().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async pass(): Promise<RunResult> {
    const result: RunResult = { written: [], failed: [] };
    const due = dueReports(this.o.now(), this.o.schedule, await this.o.folder.names());
    for (const d of due) {
      try {
        result.written.push(...(await this.write(d)));
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        result.failed.push({ kind: d.kind, label: d.label, error });
        this.o.logger.error({ err, report: d.kind, period: d.label }, `analytics report ${d.kind} ${d.label} could not be written; trying again at the next tick`);
      }
    }
    if (result.written.length) this.o.logger.info({ files: result.written, dir: this.o.folder.dir }, 'analytics reports written');
    return result;
  }

  private async write(d: DueReport): Promise<string[]> {
    const r = this.o.reports;
    const period = r.period(d.kind === 'daily' ? 'day' : 'month', d.label);
    if (d.kind === 'daily') await this.o.refreshDay?.(d.label);
    const report = d.kind === 'daily' ? await r.stationDaily(period) : await r.networkMonthly(period);
    const doc = r.tables(report, this.o.lang ?? 'zh-CN');
    for (const name of d.files) {
      const format = parseFileName(name)!.format;
      await this.o.folder.write(name, format === 'csv' ? tablesCsv(doc) : await tablesXlsx(doc));
    }
    return d.files;
  }

  start(): void {
    if (this.timer) return;
    const tick = () => {
      // failures are logged per report in the pass; anything else (the folder unreadable) here
      this.run().catch((err: unknown) => this.o.logger.error({ err }, 'analytics reports: the pass failed; trying again at the next tick'));
    };
    this.timer = setInterval(tick, this.o.everyMs ?? 60_000);
    this.timer.unref();
    tick();
  }

  /** Stops ticking and waits for a pass under way. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }
}

/** The schedule as the service runs it: `analytics.reports.dailyAt` in the site's zone, files in zh-CN into `dir`. */
export function analyticsReportJob(o: AnalyticsReportsOptions & Pick<AnalyticsReportJobOptions, 'refreshDay'> & { dailyAt: string; dir: string; logger: Logger }): AnalyticsReportJob {
  return new AnalyticsReportJob({
    reports: new AnalyticsReports(o),
    folder: new ReportFolder(o.dir),
    schedule: { timeZone: o.timeZone, dailyAtMin: parseDailyAt(o.dailyAt) },
    now: o.now,
    logger: o.logger,
    ...(o.refreshDay ? { refreshDay: o.refreshDay } : {}),
  });
}
