/**
 * The report and the ticket export as tables with headers in the asked language (pure): one
 * model that the CSV and XLSX writers (files.ts) both render, so the two files always agree.
 * Time cells are ms epoch in a `datetime` column; the writers show them in the site's time zone.
 *
 * @example
 *   const doc = serviceReportTables(report, 'zh-CN');
 *   doc.tables[2].columns.map((c) => c.header); // ['优先级', '按时响应', '超时响应', '按时响应率(%)', …]
 */
import type { BreachKind, Ticket } from '../tickets/types.ts';
import type { Cell } from './csv.ts';
import { label, type ReportLang } from './labels.ts';
import { localDateTime } from './period.ts';
import type { ServiceReport } from './service-report.ts';

export interface Column {
  header: string;
  /** in characters, for the spreadsheet */
  width: number;
  kind?: 'text' | 'number' | 'percent' | 'datetime';
}

export interface Table {
  /** the sheet's name; the CSV's section heading */
  name: string;
  columns: Column[];
  rows: Cell[][];
}

export interface TableDoc {
  /** the title row: what, which period, which time zone */
  title: string;
  timeZone: string;
  tables: Table[];
}

const col = (header: string, width: number, kind: Column['kind'] = 'text'): Column => ({ header, width, kind });

const W = {
  'zh-CN': {
    report: '服务报表', day: '日报', month: '月报', tz: '时区',
    summary: '概况', created: '新建工单', onTime: '按时率', callbacks: '回访', repeats: '返修', breaches: '超时',
    metric: '指标', value: '数值', dimension: '维度', item: '项目', count: '数量',
    source: '来源', category: '类别', faultClass: '故障类型', priority: '优先级', total: '合计',
    respondOk: '按时响应', respondLate: '超时响应', respondPct: '按时响应率(%)', resolveOk: '按时处理', resolveLate: '超时处理', resolvePct: '按时处理率(%)',
    createdTotal: '新建工单', breachTotal: '超时合计', repeatTotal: '返修',
    resolvedCustomer: '已处理客户工单', withCallback: '已回访工单', callbackRate: '回访率(%)', made: '回访次数', reached: '已接通', unreached: '未接通',
    satisfied: '满意', dissatisfied: '不满意', satisfaction: '满意率(%)',
    ticket: '工单', previous: '前次工单', kind: '类型', at: '时间', hoursAfter: '距前次处理完成(小时)', station: '站点', address: '地址',
    reopened: '重开', same_equipment: '同站同设备新工单', same_address: '同地址新工单',
    team: '班组',
    export: '工单导出', id: '编号', status: '状态', title: '标题', area: '片区', assignee: '负责人', customer: '客户', phone: '电话',
    createdAt: '创建时间', respondBy: '响应期限', respondedAt: '响应时间', resolveBy: '处理期限', resolvedAt: '处理完成', closedAt: '关闭时间', breachesCol: '超时', repeat: '返修',
  },
  en: {
    report: 'Service report', day: 'day', month: 'month', tz: 'time zone',
    summary: 'Summary', created: 'Created', onTime: 'On time', callbacks: 'Callbacks', repeats: 'Repeat repairs', breaches: 'Breaches',
    metric: 'Metric', value: 'Value', dimension: 'Dimension', item: 'Item', count: 'Count',
    source: 'Source', category: 'Category', faultClass: 'Fault class', priority: 'Priority', total: 'Total',
    respondOk: 'Responded on time', respondLate: 'Responded late', respondPct: 'On-time response (%)', resolveOk: 'Resolved on time', resolveLate: 'Resolved late', resolvePct: 'On-time resolution (%)',
    createdTotal: 'Tickets created', breachTotal: 'Breaches', repeatTotal: 'Repeat repairs',
    resolvedCustomer: 'Customer tickets resolved', withCallback: 'With a callback', callbackRate: 'Callback rate (%)', made: 'Callbacks made', reached: 'Reached', unreached: 'Not reached',
    satisfied: 'Satisfied', dissatisfied: 'Not satisfied', satisfaction: 'Satisfaction (%)',
    ticket: 'Ticket', previous: 'Previous ticket', kind: 'Kind', at: 'Time', hoursAfter: 'Hours after previous resolution', station: 'Station', address: 'Address',
    reopened: 'reopened', same_equipment: 'new ticket, same equipment', same_address: 'new ticket, same address',
    team: 'Team',
    export: 'Ticket export', id: 'ID', status: 'Status', title: 'Title', area: 'Area', assignee: 'Assignee', customer: 'Customer', phone: 'Phone',
    createdAt: 'Created', respondBy: 'Respond by', respondedAt: 'Responded', resolveBy: 'Resolve by', resolvedAt: 'Resolved', closedAt: 'Closed', breachesCol: 'Breaches', repeat: 'Repeat',
  },
} as const;

export function serviceReportTables(r: ServiceReport, lang: ReportLang): TableDoc {
  const w = W[lang];
  const n = label(lang);
  const p = r.period;
  const range = `${localDateTime(p.from, p.timeZone)} – ${localDateTime(p.to, p.timeZone)}`;
  const title = `${w.report} · ${p.kind === 'day' ? w.day : w.month} ${p.date} (${range}) · ${w.tz} ${p.timeZone}`;
  const c = r.created;
  const cb = r.callbacks;
  const onTimeRow = (first: string, x: ServiceReport['onTime']['respond'], y: ServiceReport['onTime']['resolve']): Cell[] => [first, x.onTime, x.late, x.percent, y.onTime, y.late, y.percent];
  return {
    title,
    timeZone: p.timeZone,
    tables: [
      {
        name: w.summary,
        columns: [col(w.metric, 28), col(w.value, 14, 'number')],
        rows: [
          [w.createdTotal, c.total],
          [w.respondPct, r.onTime.respond.percent],
          [w.resolvePct, r.onTime.resolve.percent],
          [w.callbackRate, cb.callbackRate],
          [w.satisfaction, cb.satisfaction],
          [w.repeatTotal, r.repeats.total],
          [w.breachTotal, r.breaches.total.total],
        ],
      },
      {
        name: w.created,
        columns: [col(w.dimension, 14), col(w.item, 22), col(w.count, 10, 'number')],
        rows: [
          ...Object.entries(c.bySource).map(([k, v]) => [w.source, n.source(k as Ticket['source']), v]),
          ...Object.entries(c.byCategory).map(([k, v]) => [w.category, n.category(k as NonNullable<Ticket['category']>), v]),
          ...c.byFaultClass.map((f) => [w.faultClass, n.faultClass(f.faultClass), f.count]),
          ...Object.entries(c.byPriority).map(([k, v]) => [w.priority, k, v]),
          [w.total, '', c.total],
        ],
      },
      {
        name: w.onTime,
        columns: [col(w.priority, 10), col(w.respondOk, 14, 'number'), col(w.respondLate, 14, 'number'), col(w.respondPct, 18, 'percent'), col(w.resolveOk, 14, 'number'), col(w.resolveLate, 14, 'number'), col(w.resolvePct, 18, 'percent')],
        rows: [...r.onTime.byPriority.map((x) => onTimeRow(x.priority, x.respond, x.resolve)), onTimeRow(w.total, r.onTime.respond, r.onTime.resolve)],
      },
      {
        name: w.callbacks,
        columns: [col(w.metric, 24), col(w.value, 14, 'number')],
        rows: [
          [w.resolvedCustomer, cb.resolved],
          [w.withCallback, cb.withCallback],
          [w.callbackRate, cb.callbackRate],
          [w.made, cb.made],
          [w.reached, cb.reached],
          [w.unreached, cb.unreached],
          [w.satisfied, cb.satisfied],
          [w.dissatisfied, cb.dissatisfied],
          [w.satisfaction, cb.satisfaction],
        ],
      },
      {
        name: w.repeats,
        columns: [col(w.ticket, 10, 'number'), col(w.previous, 10, 'number'), col(w.kind, 22), col(w.at, 18, 'datetime'), col(w.hoursAfter, 22, 'number'), col(w.station, 12), col(w.address, 30)],
        rows: r.repeats.items.map((x) => [
          x.ticketId,
          x.previousId,
          w[x.kind],
          x.at,
          x.previousResolvedAt === null ? null : Math.round((x.at - x.previousResolvedAt) / 360_000) / 10,
          x.station,
          x.address,
        ]),
      },
      {
        name: w.breaches,
        columns: [col(w.team, 20), col(n.breach('respond'), 12, 'number'), col(n.breach('on_site'), 12, 'number'), col(n.breach('resolve'), 12, 'number'), col(w.total, 10, 'number')],
        rows: [...r.breaches.byTeam.map((x) => [x.label, x.respond, x.on_site, x.resolve, x.total]), [w.total, r.breaches.total.respond, r.breaches.total.on_site, r.breaches.total.resolve, r.breaches.total.total]],
      },
    ],
  };
}

/** The columns of the ticket export, and its title. */
export function ticketExportColumns(lang: ReportLang): { name: string; columns: Column[] } {
  const w = W[lang];
  return {
    name: w.export,
    columns: [
      col(w.id, 8, 'number'), col(w.priority, 8), col(w.status, 10), col(w.source, 10), col(w.category, 12), col(w.faultClass, 14), col(w.title, 36),
      col(w.station, 10), col(w.area, 10), col(w.team, 12), col(w.assignee, 12), col(w.customer, 10), col(w.phone, 14), col(w.address, 30),
      col(w.createdAt, 17, 'datetime'), col(w.respondBy, 17, 'datetime'), col(w.respondedAt, 17, 'datetime'), col(w.resolveBy, 17, 'datetime'),
      col(w.resolvedAt, 17, 'datetime'), col(w.closedAt, 17, 'datetime'), col(w.breachesCol, 20), col(w.repeat, 6),
    ],
  };
}

/** One ticket as a row of the export, in {@link ticketExportColumns}' order. */
export function ticketExportRow(t: Ticket, lang: ReportLang): Cell[] {
  const n = label(lang);
  const breaches = (Object.keys(t.breaches ?? {}) as BreachKind[]).map(n.breach).join(lang === 'en' ? '; ' : '、');
  return [
    t.id, t.priority, n.status(t.status), n.source(t.source), t.category ? n.category(t.category) : null,
    t.kind === 'incident' ? n.faultClass('incident') : t.faultClass ? n.faultClass(t.faultClass) : null, t.title, t.station, t.area, t.team, t.assignee,
    t.customer?.name ?? null, t.customer?.phone ?? null, t.customer?.address ?? null,
    t.createdAt, t.respondBy, t.respondedAt, t.resolveBy, t.resolvedAt, t.closedAt, breaches || null, n.yes(t.repeat),
  ];
}
