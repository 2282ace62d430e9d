/**
 * Service reports and the ticket list export (read role). The report of a day or a month in the
 * site's time zone as JSON, CSV or XLSX (src/reports); the export of every ticket matching the
 * queue's filters, read page by page and streamed, refused when more match than
 * `reports.exportMaxRows`. `/api/tickets/export` is a static path: fastify matches it before
 * the parametric `/api/tickets/:id`, whatever the registration order.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import Type from 'typebox';
import { pickLang } from '../../alarms/messages.ts';
import { resolveReportSettings } from '../../reports/config.ts';
import { CSV_TYPE, streamCsv, streamXlsx, tablesCsv, tablesXlsx, XLSX_TYPE } from '../../reports/files.ts';
import type { ReportLang } from '../../reports/labels.ts';
import { localDate, parsePeriod, PeriodError, type Period } from '../../reports/period.ts';
import { readReportInput } from '../../reports/reader.ts';
import { serviceReport } from '../../reports/service-report.ts';
import { serviceReportTables, ticketExportColumns, ticketExportRow } from '../../reports/tables.ts';
import { contentDisposition } from '../../tickets/attachments.ts';
import type { TicketQuery } from '../../tickets/query.ts';
import type { TicketService } from '../../tickets/service.ts';
import { stateDbOf, type AppDeps } from '../deps.ts';
import { ApiError, badRequest } from '../errors.ts';
import { listQuery, ListQuery, query, type ListQueryT } from './tickets.ts';

const Lang = Type.Optional(Type.Union([Type.Literal('zh-CN'), Type.Literal('en')], { description: 'headers and words of the file (default: Accept-Language, else zh-CN)' }));

const ReportQuery = Type.Object(
  {
    period: Type.Optional(Type.Union([Type.Literal('day'), Type.Literal('month')], { description: 'default: from the shape of date' })),
    date: Type.String({ maxLength: 10, description: 'YYYY-MM-DD (a day) or YYYY-MM (a month), in the site time zone' }),
    format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv'), Type.Literal('xlsx')], { description: 'default json' })),
    lang: Lang,
  },
  { additionalProperties: false },
);

const ExportQuery = Type.Object(
  {
    // the queue's filters and sort; the export does the paging itself
    ...Type.Omit(ListQuery, ['limit', 'cursor']).properties,
    format: Type.Union([Type.Literal('csv'), Type.Literal('xlsx')]),
    lang: Lang,
  },
  { additionalProperties: false },
);
type ExportQueryT = Omit<ListQueryT, 'limit' | 'cursor'> & { format: 'csv' | 'xlsx'; lang?: ReportLang };

/** tickets read per page while an export walks the queue */
const EXPORT_PAGE = 1000;

const REPORT_NAME: Record<ReportLang, string> = { 'zh-CN': '服务报表', en: 'service-report' };
const EXPORT_NAME: Record<ReportLang, string> = { 'zh-CN': '工单导出', en: 'tickets' };

function download(reply: FastifyReply, type: string, filename: string): FastifyReply {
  return reply.header('content-type', type).header('content-disposition', contentDisposition(filename)).header('x-content-type-options', 'nosniff');
}

export const reportRoutes: FastifyPluginAsyncTypebox<{ deps: AppDeps & { tickets: TicketService } }> = async (app, { deps }) => {
  const svc = deps.tickets;
  const timeZone = deps.config.site.timezone;
  const settings = deps.config.reports ?? resolveReportSettings(undefined);
  const now = () => deps.now?.() ?? Date.now();
  app.addHook('onRequest', async (req) => void deps.auth.require(req, 'viewer'));

  const periodOf = (q: { period?: Period['kind']; date: string }): Period => {
    try {
      return parsePeriod(q, timeZone, now());
    } catch (err) {
      if (err instanceof PeriodError) throw badRequest(err.field, err.message);
      throw err;
    }
  };

  app.get(
    '/api/reports/service',
    {
      schema: {
        summary: 'Service report of a day or a month in the site time zone: tickets created, on-time response and resolution, callbacks and satisfaction, repeat repairs, breaches by team',
        description:
          'A deadline counts in the period its outcome was decided: met when the work was done at or before it, missed when it passed undone. `format=csv` (UTF-8 with BOM) or `xlsx` (one sheet per section) download the same figures. docs/service-reports.md defines every figure.',
        querystring: ReportQuery,
      },
    },
    async (req, reply) => {
      const q = req.query;
      const lang = pickLang(q.lang, req.headers['accept-language']);
      const period = periodOf(q);
      const input = await readReportInput(stateDbOf(deps), period, settings.repeatWindowMs);
      const report = serviceReport({ ...input, period, now: now(), repeatWindowMs: settings.repeatWindowMs, lang });
      const format = q.format ?? 'json';
      if (format === 'json') return report;
      const doc = serviceReportTables(report, lang);
      const name = `${REPORT_NAME[lang]}-${period.label}.${format}`;
      if (format === 'csv') return download(reply, CSV_TYPE, name).send(tablesCsv(doc));
      return download(reply, XLSX_TYPE, name).send(await tablesXlsx(doc));
    },
  );

  app.get(
    '/api/tickets/export',
    {
      schema: {
        summary: 'Every ticket matching the queue filters (GET /api/tickets) as CSV or XLSX, in the queue order',
        description: `Takes the queue's filters and sort; paging is done here. More than reports.exportMaxRows matching tickets (default 100,000) is refused with 400: narrow the filters. Times are in the site time zone.`,
        querystring: ExportQuery,
      },
    },
    async (req, reply) => {
      const q = req.query as ExportQueryT;
      const lang = pickLang(q.lang, req.headers['accept-language']);
      const filters: TicketQuery = await query(() => listQuery(q));
      const total = (await query(() => svc.counts(filters))).total;
      if (total > settings.exportMaxRows) {
        throw new ApiError(400, 'too_large', `querystring: ${total} tickets match, more than reports.exportMaxRows (${settings.exportMaxRows}) allows in one export; narrow the filters`, 'querystring');
      }
      const max = settings.exportMaxRows;
      async function* pages() {
        let cursor: string | undefined;
        for (let sent = 0; sent < max; ) {
          const page = await svc.page({ ...filters, limit: Math.min(EXPORT_PAGE, max - sent), ...(cursor ? { cursor } : {}) });
          sent += page.tickets.length;
          yield page.tickets.map((t) => ticketExportRow(t, lang));
          if (!page.next) return;
          cursor = page.next;
        }
      }
      const { name, columns } = ticketExportColumns(lang);
      const src = { name, columns, timeZone, pages: pages() };
      const file = `${EXPORT_NAME[lang]}-${localDate(now(), timeZone)}.${q.format}`;
      if (q.format === 'csv') return download(reply, CSV_TYPE, file).send(streamCsv(src));
      return download(reply, XLSX_TYPE, file).send(streamXlsx(src));
    },
  );
};
