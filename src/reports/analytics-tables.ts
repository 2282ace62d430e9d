/**
 * The daily station report and the monthly network report as tables with headers in the asked
 * language (pure): the model the service reports' CSV and XLSX writers (files.ts) render, so a
 * file always carries the figures of the JSON report.
 *
 * @example
 *   const doc = stationDailyTables(report, 'zh-CN');
 *   doc.tables[0].columns.map((c) => c.header); // ['站点', '名称', '片区', '供热量(GJ)', …]
 */
import type { Cell } from './csv.ts';
import { round, type StationDailyReport, type StationDayLine } from './analytics-daily.ts';
import { RANKING_METRICS, type NetworkMonthlyReport, type RankedStation, type RankingMetric, type SeasonFigures } from './analytics-monthly.ts';
import type { ReportLang } from './labels.ts';
import { localDateTime } from './period.ts';
import type { Column, TableDoc } from './tables.ts';

const col = (header: string, width: number, kind: Column['kind'] = 'text'): Column => ({ header, width, kind });

const W = {
  'zh-CN': {
    daily: '站点运行日报', monthly: '管网月报', tz: '时区',
    dailySheet: '站点日报', rankingSheet: '管网排名', seasonSheet: '本季对比', seasonStationsSheet: '本季分站',
    station: '站点', name: '名称', area: '片区', heat: '供热量(GJ)', makeup: '补水量(m³)', supply: '二次供水均温(°C)', return: '二次回水均温(°C)',
    outdoor: '室外均温(°C)', alarms: '告警次数', tickets: '新建工单', coverage: '数据完整率(%)', total: '合计', median: '管网中位数',
    rank: '排名', heatedArea: '供热面积(m²)', hdd: '度日数', intensity: '单耗 kJ/(m²·度日)', priReturn: '一次回水均温(°C)', flowPerM2: '单位面积流量(m³/h·千m²)',
    makeupPct: '补水率(%)', curveDev: '偏离曲线(分钟)', outliers: '异常',
    metric: '指标', thisSeason: '本季至今', lastSeason: '上季同期', changePct: '变化(%)', span: '起止', days: '天数',
    heatThis: '本季供热量(GJ)', heatLast: '上季供热量(GJ)', intensityThis: '本季单耗 kJ/(m²·度日)', intensityLast: '上季单耗 kJ/(m²·度日)', makeupThis: '本季补水量(m³)', makeupLast: '上季补水量(m³)',
    high: '偏高', low: '偏低', sep: '、', to: '至',
    m: { intensity: '单耗', priReturnC: '一次回水温度', flowPerM2: '单位面积流量', makeupPct: '补水率' },
  },
  en: {
    daily: 'Daily station report', monthly: 'Monthly network report', tz: 'time zone',
    dailySheet: 'Stations', rankingSheet: 'Ranking', seasonSheet: 'Season to date', seasonStationsSheet: 'Season by station',
    station: 'Station', name: 'Name', area: 'Area', heat: 'Heat (GJ)', makeup: 'Make-up (m³)', supply: 'Mean supply (°C)', return: 'Mean return (°C)',
    outdoor: 'Mean outdoor (°C)', alarms: 'Alarms raised', tickets: 'Tickets opened', coverage: 'Data coverage (%)', total: 'Total', median: 'Network median',
    rank: 'Rank', heatedArea: 'Heated area (m²)', hdd: 'Degree-days', intensity: 'kJ/(m²·HDD)', priReturn: 'Mean primary return (°C)', flowPerM2: 'Flow per 1000 m² (m³/h)',
    makeupPct: 'Make-up (% of volume)', curveDev: 'Off curve (min)', outliers: 'Outliers',
    metric: 'Metric', thisSeason: 'This season to date', lastSeason: 'Last season, same days', changePct: 'Change (%)', span: 'Days covered', days: 'Days',
    heatThis: 'Heat this season (GJ)', heatLast: 'Heat last season (GJ)', intensityThis: 'kJ/(m²·HDD) this season', intensityLast: 'kJ/(m²·HDD) last season', makeupThis: 'Make-up this season (m³)', makeupLast: 'Make-up last season (m³)',
    high: 'high', low: 'low', sep: '; ', to: 'to',
    m: { intensity: 'intensity', priReturnC: 'primary return', flowPerM2: 'flow per m²', makeupPct: 'make-up' },
  },
} as const;

export type AnalyticsWords = (typeof W)[ReportLang];

function title(kind: 'daily' | 'monthly', label: string, p: { from: number; to: number; timeZone: string }, lang: ReportLang): string {
  const w = W[lang];
  const range = `${localDateTime(p.from, p.timeZone)} – ${localDateTime(p.to, p.timeZone)}`;
  return `${w[kind]} · ${label} (${range}) · ${w.tz} ${p.timeZone}`;
}

/** The ranking's outlier marks as words: `单耗偏高、补水率偏高`. */
export function outlierText(outliers: Partial<Record<RankingMetric, 'high' | 'low'>>, lang: ReportLang): string | null {
  const w = W[lang];
  const parts = RANKING_METRICS.filter((m) => outliers[m]).map((m) => (lang === 'en' ? `${w.m[m]} ${w[outliers[m]!]}` : `${w.m[m]}${w[outliers[m]!]}`));
  return parts.length ? parts.join(w.sep) : null;
}

const dayRow = (s: StationDayLine): Cell[] => [s.station, s.name, s.area, s.heatGJ, s.makeupM3, s.meanSupplyC, s.meanReturnC, s.meanOutdoorC, s.alarmsRaised, s.ticketsOpened, s.coveragePct];

export function stationDailyTables(r: StationDailyReport, lang: ReportLang): TableDoc {
  const w = W[lang];
  const t = r.totals;
  return {
    title: title('daily', r.period.date, r.period, lang),
    timeZone: r.period.timeZone,
    tables: [
      {
        name: w.dailySheet,
        columns: [
          col(w.station, 10), col(w.name, 16), col(w.area, 10), col(w.heat, 12, 'number'), col(w.makeup, 12, 'number'), col(w.supply, 16, 'number'),
          col(w.return, 16, 'number'), col(w.outdoor, 14, 'number'), col(w.alarms, 10, 'number'), col(w.tickets, 10, 'number'), col(w.coverage, 14, 'percent'),
        ],
        rows: [...r.stations.map(dayRow), [w.total, null, null, t.heatGJ, t.makeupM3, null, null, t.meanOutdoorC, t.alarmsRaised, t.ticketsOpened, null]],
      },
    ],
  };
}

/**
 * Intensities in the files are kJ/(m²·HDD) (the report's JSON and the API keep GJ): 31.23 reads
 * better on paper than 0.00003123.
 */
export const kJ = (gj: number | null): number | null => (gj === null ? null : round(gj * 1e6, 2));

const rankRow = (s: RankedStation, lang: ReportLang): Cell[] => [
  s.rank, s.station, s.name, s.area, s.heatedAreaM2, s.heatGJ, s.hdd, kJ(s.intensity), s.priReturnC, s.flowPerM2, s.makeupM3, s.makeupPct, s.curveDeviationMin, outlierText(s.outliers, lang),
];

const triple = (cur: SeasonFigures, prev: SeasonFigures, chg: SeasonFigures, k: keyof SeasonFigures): Cell[] =>
  k === 'intensity' ? [kJ(cur[k]), kJ(prev[k]), chg[k]] : [cur[k], prev[k], chg[k]];

export function networkMonthlyTables(r: NetworkMonthlyReport, lang: ReportLang): TableDoc {
  const w = W[lang];
  const s = r.season;
  const med = r.ranking.median;
  return {
    title: title('monthly', r.period.month, r.period, lang),
    timeZone: r.period.timeZone,
    tables: [
      {
        name: w.rankingSheet,
        columns: [
          col(w.rank, 6, 'number'), col(w.station, 10), col(w.name, 16), col(w.area, 10), col(w.heatedArea, 12, 'number'), col(w.heat, 12, 'number'), col(w.hdd, 10, 'number'),
          col(w.intensity, 16, 'number'), col(w.priReturn, 16, 'number'), col(w.flowPerM2, 18, 'number'), col(w.makeup, 12, 'number'), col(w.makeupPct, 12, 'number'),
          col(w.curveDev, 12, 'number'), col(w.outliers, 28),
        ],
        rows: [...r.ranking.stations.map((x) => rankRow(x, lang)), [w.median, null, null, null, null, null, null, kJ(med.intensity), med.priReturnC, med.flowPerM2, null, med.makeupPct, null, null]],
      },
      {
        name: w.seasonSheet,
        columns: [col(w.metric, 22), col(w.thisSeason, 24, 'number'), col(w.lastSeason, 24, 'number'), col(w.changePct, 12, 'percent')],
        rows: [
          [w.span, `${s.current.from} ${w.to} ${s.current.to}`, `${s.previous.from} ${w.to} ${s.previous.to}`, null],
          [w.days, s.current.days, s.previous.days, null],
          [w.heat, ...triple(s.current, s.previous, s.change, 'heatGJ')],
          [w.hdd, s.current.hdd, s.previous.hdd, null],
          [w.intensity, ...triple(s.current, s.previous, s.change, 'intensity')],
          [w.makeup, ...triple(s.current, s.previous, s.change, 'makeupM3')],
        ],
      },
      {
        name: w.seasonStationsSheet,
        columns: [
          col(w.station, 10), col(w.name, 16), col(w.area, 10),
          col(w.heatThis, 14, 'number'), col(w.heatLast, 14, 'number'), col(w.changePct, 10, 'percent'),
          col(w.intensityThis, 16, 'number'), col(w.intensityLast, 16, 'number'), col(w.changePct, 10, 'percent'),
          col(w.makeupThis, 14, 'number'), col(w.makeupLast, 14, 'number'), col(w.changePct, 10, 'percent'),
        ],
        rows: s.stations.map((x) => [
          x.station, x.name, x.area,
          ...triple(x.current, x.previous, x.change, 'heatGJ'),
          ...triple(x.current, x.previous, x.change, 'intensity'),
          ...triple(x.current, x.previous, x.change, 'makeupM3'),
        ]),
      },
    ],
  };
}
