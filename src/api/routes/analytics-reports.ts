/**
 * The engineers' analytics reports (read role): the daily station report of a day and the
 * monthly network report of a month in the site's time zone, as JSON, CSV or XLSX, built on
 * demand (src/reports/analytics-reports.ts); and the files the schedule wrote into the reports
 * folder, listed and downloaded by name. A name that is not a report file's is a 400 naming
 * `params.name`, so no path reaches outside the folder.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import Type from 'typebox';
import { pickLang } from '../../alarms/messages.ts';
import { ReportFolder, reportFolderPath } from '../../reports/analytics-folder.ts';
import { AnalyticsReports, type AnalyticsReport, type AnalyticsSource } from '../../reports/analytics-reports.ts';
import { parseFileName } from '../../reports/analytics-schedule.ts';
import { CSV_TYPE, tablesCsv, tablesXlsx, XLSX_TYPE } from '../../reports/files.ts';
import type { ReportLang } from '../../reports/labels.ts';
import { PeriodError, type Period, type PeriodKind } from '../../reports/period.ts';
import { contentDisposition } from '../../tickets/attachments.ts';
import type { SqliteStateDb } from '../../state/sqlite-db.ts';
import type { AppDeps } from '../deps.ts';
import { badRequest, notFound } from '../errors.ts';

const Format = Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv'), Type.Literal('xlsx')], { description: 'default json' }));
const Lang = Type.Optional(Type.Union([Type.Literal('zh-CN'), Type.Literal('en')], { description: 'headers and words of the file (default: Accept-Language, else zh-CN)' }));

const DailyQuery = Type.Object(
  { date: Type.String({ maxLength: 10, description: 'YYYY-MM-DD in the site time zone; today covers the day so far' }), format: Format, lang: Lang },
  { additionalProperties: false },
);
const MonthlyQuery = Type.Object(
  { month: Type.String({ maxLength: 7, description: 'YYYY-MM in the site time zone; the current month covers its days so far' }), format: Format, lang: Lang },
  { additionalProperties: false },
);
const FileParams = Type.Object({ name: Type.String({ maxLength: 200, description: 'daily-YYYY-MM-DD.xlsx|csv or monthly-YYYY-MM.xlsx|csv' }) });

const FILE_TITLE: Record<ReportLang, { day: string; month: string }> = {
  'zh-CN': { day: '站点运行日报', month: '管网月报' },
  en: { day: 'station-daily', month: 'network-monthly' },
};

function download(reply: FastifyReply, type: string, filename: string): FastifyReply {
  return reply.header('content-type', type).header('content-disposition', contentDisposition(filename)).header('x-content-type-options', 'nosniff');
}

export const analyticsReportRoutes: FastifyPluginAsyncTypebox<{ deps: AppDeps & { analytics: AnalyticsSource } }> = async (app, { deps }) => {
  const cfg = deps.config;
  const now = () => deps.now?.() ?? Date.now();
  const reports = new AnalyticsReports({
    analytics: deps.analytics,
    // the reports still speak better-sqlite3: the state port's own connection (SQLite only)
    db: (deps.state.db as SqliteStateDb).raw,
    stations: cfg.stations,
    timeZone: cfg.site.timezone,
    season: cfg.operations.season,
    now,
  });
  const folder = new ReportFolder(reportFolderPath(cfg.analytics?.reports.dir, cfg.storage.state.path));
  app.addHook('onRequest', async (req) => void deps.auth.require(req, 'viewer'));

  const periodOf = (kind: PeriodKind, label: string, field: string): Period => {
    try {
      return reports.period(kind, label);
    } catch (err) {
      if (err instanceof PeriodError) throw badRequest(field, err.message);
      throw err;
    }
  };

  const answer = async (reply: FastifyReply, report: AnalyticsReport, q: { format?: 'json' | 'csv' | 'xlsx'; lang?: ReportLang }, acceptLanguage: string | undefined) => {
    const format = q.format ?? 'json';
    if (format === 'json') return report;
    const lang = pickLang(q.lang, acceptLanguage);
    const doc = reports.tables(report, lang);
    const p = report.period;
    const name = `${FILE_TITLE[lang][p.kind]}-${p.kind === 'day' ? p.date : p.month}.${format}`;
    if (format === 'csv') return download(reply, CSV_TYPE, name).send(tablesCsv(doc));
    return download(reply, XLSX_TYPE, name).send(await tablesXlsx(doc));
  };

  app.get(
    '/api/reports/station-daily',
    {
      schema: {
        summary: 'Daily station report: per station heat (GJ), make-up (m³), mean secondary supply and return, mean outdoor temperature, alarms raised and tickets opened that day',
        description: 'The figures come from the analytics daily table; alarms from the alarm events, tickets from the ticket table, counted in the local day. `format=csv` (UTF-8 with BOM) or `xlsx` download the same figures. A date in the future or malformed is a 400 naming `querystring.date`.',
        querystring: DailyQuery,
      },
    },
    async (req, reply) => {
      const period = periodOf('day', req.query.date, 'querystring.date');
      return answer(reply, await reports.stationDaily(period), req.query, req.headers['accept-language']);
    },
  );

  app.get(
    '/api/reports/network-monthly',
    {
      schema: {
        summary: "Monthly network report: the month's station ranking (GJ/(m²·HDD), primary return, flow per m², make-up, outliers against the network median) and the season to date against last season to the same day of season",
        description: 'A month still running covers its days so far. The season starts on `operations.season.start` (without it, on 1 July). A month in the future or malformed is a 400 naming `querystring.month`.',
        querystring: MonthlyQuery,
      },
    },
    async (req, reply) => {
      const period = periodOf('month', req.query.month, 'querystring.month');
      return answer(reply, await reports.networkMonthly(period), req.query, req.headers['accept-language']);
    },
  );

  app.get(
    '/api/reports/files',
    { schema: { summary: 'The report files the schedule wrote (analytics.reports.dailyAt) into the reports folder, newest period first' } },
    async () => ({ dir: folder.dir, files: await folder.list() }),
  );

  app.get(
    '/api/reports/files/:name',
    { schema: { summary: 'One scheduled report file by its name', params: FileParams } },
    async (req, reply) => {
      const { name } = req.params;
      const path = folder.pathOf(name);
      if (!path) throw badRequest('params.name', `'${name}' is not a report file name (daily-YYYY-MM-DD.xlsx|csv or monthly-YYYY-MM.xlsx|csv)`);
      const st = await stat(path).catch(() => null);
      if (!st?.isFile()) throw notFound(`report file '${name}'`);
      return download(reply, parseFileName(name)!.format === 'csv' ? CSV_TYPE : XLSX_TYPE, name).header('content-length', st.size).send(createReadStream(path));
    },
  );
};
