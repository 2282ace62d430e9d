// The analytics reports' builders on fixture rows: the daily station report (every configured
// station a line, totals of the rounded lines, alarms and tickets beside the daily figures), the
// monthly network report (the ranking kept in order, season totals weighted by area and weather,
// changes against last season), their tables, and both read back from CSV and XLSX.
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { stationDailyReport, type DailyFigures } from '../../src/reports/analytics-daily.ts';
import { changePct, networkMonthlyReport, significant, type RankingFigures, type RankingLine } from '../../src/reports/analytics-monthly.ts';
import { seasonToDate } from '../../src/reports/analytics-season.ts';
import { kJ, networkMonthlyTables, outlierText, stationDailyTables } from '../../src/reports/analytics-tables.ts';
import { tablesCsv, tablesXlsx } from '../../src/reports/files.ts';
import { parsePeriod } from '../../src/reports/period.ts';
import { csvSections, readCsv } from './csv-read.ts';

const TZ = 'Asia/Shanghai';
const NOW = Date.UTC(2027, 0, 5, 4);
const STATIONS = [
  { id: 'hs-001', name: '南岗1号站', area: 'north' },
  { id: 'hs-002', name: '南岗2号站', area: 'north' },
  { id: 'hs-003', name: '学府3号站' },
];

const row = (station: string, over: Partial<DailyFigures> = {}): DailyFigures => ({
  station, day: '2026-12-01', heatGJ: 40, makeupM3: 0.5, meanSupplyC: 55, meanReturnC: 40, meanOutdoorC: -10, coverage: 1, ...over,
});

describe('the daily station report', () => {
  const period = parsePeriod({ period: 'day', date: '2026-12-01' }, TZ, NOW);
  const report = stationDailyReport({
    period,
    now: NOW,
    stations: STATIONS,
    rows: [
      row('hs-001', { heatGJ: 41.23456, makeupM3: 0.41249, meanSupplyC: 55.04, meanReturnC: 40.06, meanOutdoorC: -10.04, coverage: 0.9876 }),
      row('hs-002', { heatGJ: 30.0004, meanOutdoorC: -11 }),
      row('hs-001', { day: '2026-12-02', heatGJ: 999 }),
    ],
    alarmsRaised: new Map([['hs-001', 3], ['hs-003', 1], ['hs-999', 7]]),
    ticketsOpened: new Map([['hs-002', 2]]),
  });

  it('gives every configured station a line, rounded, with its alarms and tickets; a station without a row has empty figures', () => {
    expect(report.period).toEqual({ kind: 'day', date: '2026-12-01', from: Date.UTC(2026, 10, 30, 16), to: Date.UTC(2026, 11, 1, 16), timeZone: TZ, generatedAt: NOW });
    expect(report.stations.map((s) => s.station)).toEqual(['hs-001', 'hs-002', 'hs-003']);
    expect(report.stations[0]).toEqual({
      station: 'hs-001', name: '南岗1号站', area: 'north', heatGJ: 41.235, makeupM3: 0.412, meanSupplyC: 55, meanReturnC: 40.1, meanOutdoorC: -10, alarmsRaised: 3, ticketsOpened: 0, coveragePct: 98.8,
    });
    expect(report.stations[2]).toMatchObject({ station: 'hs-003', area: null, heatGJ: null, makeupM3: null, meanOutdoorC: null, alarmsRaised: 1, ticketsOpened: 0, coveragePct: null });
  });

  it('totals the lines as shown: heat and water summed, outdoor averaged over the stations that have it; unknown stations are not counted', () => {
    expect(report.totals).toEqual({ reporting: 2, stations: 3, heatGJ: 71.235, makeupM3: 0.912, meanOutdoorC: -10.5, alarmsRaised: 4, ticketsOpened: 2 });
  });

  it('refuses a month: the daily report is of one day', () => {
    expect(() => stationDailyReport({ period: parsePeriod({ date: '2026-12' }, TZ, NOW), now: NOW, stations: [], rows: [], alarmsRaised: new Map(), ticketsOpened: new Map() })).toThrow(/a day/);
  });

  it('its CSV and XLSX carry the same lines and the total row, headers in the asked language', async () => {
    const doc = stationDailyTables(report, 'zh-CN');
    expect(doc.title).toBe('站点运行日报 · 2026-12-01 (2026-12-01 00:00 – 2026-12-02 00:00) · 时区 Asia/Shanghai');
    const csv = csvSections(readCsv(tablesCsv(doc).slice(1)));
    const sheet = csv.get('站点日报')!;
    expect(sheet.header.slice(0, 5)).toEqual(['站点', '名称', '片区', '供热量(GJ)', '补水量(m³)']);
    expect(sheet.rows[0]).toEqual(['hs-001', '南岗1号站', 'north', '41.235', '0.412', '55', '40.1', '-10', '3', '0', '98.8']);
    expect(sheet.rows.at(-1)).toEqual(['合计', '', '', '71.235', '0.912', '', '', '-10.5', '4', '2', '']);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await tablesXlsx(doc)) as unknown as ArrayBuffer);
    const ws = wb.getWorksheet('站点日报')!;
    expect(ws.getRow(3).values).toEqual([undefined, 'hs-001', '南岗1号站', 'north', 41.235, 0.412, 55, 40.1, -10, 3, 0, 98.8]);
    expect((ws.getRow(6).values as unknown[]).slice(1, 5)).toEqual(['合计', undefined, undefined, 71.235]);
    expect(stationDailyTables(report, 'en').tables[0].columns[3].header).toBe('Heat (GJ)');
  });
});

const line = (station: string, over: Partial<RankingLine> = {}): RankingLine => ({
  station, name: station.toUpperCase(), area: 'north', heatedAreaM2: 10_000, heatGJ: 100, hdd: 500, intensity: 100 / (10_000 * 500), priReturnC: 45,
  flowPerM2: 1.2, makeupM3: 3, makeupPct: 0.5, curveDeviationMin: 30, outliers: {}, ...over,
});
const ranking = (stations: RankingLine[]): RankingFigures => ({ median: { intensity: 0.00002, priReturnC: 45.04, flowPerM2: 1.2345, makeupPct: 0.5 }, stations });

describe('the monthly network report', () => {
  const period = parsePeriod({ date: '2026-12' }, TZ, NOW);
  const window = seasonToDate('2026-12-31', { start: 1020, end: 410 });
  const report = networkMonthlyReport({
    period,
    now: NOW,
    days: { from: '2026-12-01', to: '2026-12-31' },
    ranking: ranking([
      line('hs-002', { intensity: 0.0000312345, heatGJ: 156.1729, outliers: { intensity: 'high', makeupPct: 'high' } }),
      line('hs-001', { intensity: 0.00002 }),
    ]),
    season: {
      window,
      // this season: hs-001 10,000 m² at 1,000 HDD with 200 GJ; hs-002 20,000 m² at 800 HDD with 500 GJ
      current: ranking([line('hs-001', { heatGJ: 200, hdd: 1000, intensity: 0.00002, makeupM3: 10 }), line('hs-002', { heatedAreaM2: 20_000, heatGJ: 500, hdd: 800, intensity: 500 / (20_000 * 800), makeupM3: 30 })]),
      // last season, same days: colder and thirstier; hs-003 reported then, not now
      previous: ranking([
        line('hs-001', { heatGJ: 250, hdd: 1100, intensity: 250 / (10_000 * 1100), makeupM3: 8 }),
        line('hs-002', { heatedAreaM2: 20_000, heatGJ: 0, hdd: 900, intensity: 0, makeupM3: 0 }),
        line('hs-003', { heatGJ: 50, hdd: null, intensity: null, makeupM3: 2 }),
      ]),
    },
  });

  it('keeps the ranking order, numbers it and rounds each figure to its digits', () => {
    expect(report.period).toMatchObject({ kind: 'month', month: '2026-12', days: { from: '2026-12-01', to: '2026-12-31' } });
    expect(report.ranking.stations.map((s) => [s.rank, s.station])).toEqual([[1, 'hs-002'], [2, 'hs-001']]);
    expect(report.ranking.stations[0]).toMatchObject({ heatGJ: 156.173, intensity: 0.00003123, outliers: { intensity: 'high', makeupPct: 'high' } });
    expect(report.ranking.median).toEqual({ intensity: 0.00002, priReturnC: 45, flowPerM2: 1.235, makeupPct: 0.5 });
  });

  it('totals the season by area and weather, and compares it with last season over the same days of season', () => {
    const s = report.season;
    expect(s.current).toEqual({ from: '2026-10-20', to: '2026-12-31', days: 73, heatGJ: 700, makeupM3: 40, hdd: 866.7 /* (10,000 × 1,000 + 20,000 × 800) / 30,000 */, intensity: significant(700 / (10_000 * 1000 + 20_000 * 800), 4) });
    // hs-003 without degree-days counts in the heat, not in the intensity
    expect(s.previous).toMatchObject({ from: '2025-10-20', to: '2025-12-31', days: 73, heatGJ: 300, makeupM3: 10, intensity: significant(250 / (10_000 * 1100 + 20_000 * 900), 4) });
    expect(s.change).toEqual({ heatGJ: changePct(700, 300), intensity: changePct(s.current.intensity, s.previous.intensity), makeupM3: 300 });
    expect(s.stations.map((x) => x.station)).toEqual(['hs-001', 'hs-002', 'hs-003']);
    expect(s.stations[0].change).toEqual({ heatGJ: -20, intensity: changePct(0.00002, significant(250 / 11_000_000, 4)), makeupM3: 25 });
    // nothing last season: no change to give, not +∞ %
    expect(s.stations[1].change).toEqual({ heatGJ: null, intensity: null, makeupM3: null });
    expect(s.stations[2].current).toEqual({ heatGJ: null, intensity: null, makeupM3: null });
  });

  it('its tables: the ranking with the median row and outliers in words, the season side by side', async () => {
    expect(outlierText({ intensity: 'high', makeupPct: 'low' }, 'zh-CN')).toBe('单耗偏高、补水率偏低');
    expect(outlierText({ flowPerM2: 'high' }, 'en')).toBe('flow per m² high');
    expect(outlierText({}, 'en')).toBeNull();
    const doc = networkMonthlyTables(report, 'zh-CN');
    expect(doc.tables.map((t) => t.name)).toEqual(['管网排名', '本季对比', '本季分站']);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await tablesXlsx(doc)) as unknown as ArrayBuffer);
    const rank = wb.getWorksheet('管网排名')!;
    expect(String(rank.getCell('A1').value)).toContain('管网月报 · 2026-12');
    // intensities in the file in kJ/(m²·HDD)
    expect(kJ(0.00003123)).toBe(31.23);
    expect((rank.getRow(3).values as unknown[]).slice(1)).toEqual([1, 'hs-002', 'HS-002', 'north', 10_000, 156.173, 500, 31.23, 45, 1.2, 3, 0.5, 30, '单耗偏高、补水率偏高']);
    expect((rank.getRow(2).values as unknown[])[8]).toBe('单耗 kJ/(m²·度日)');
    expect((rank.getRow(5).values as unknown[])[1]).toBe('管网中位数');
    const season = wb.getWorksheet('本季对比')!;
    expect((season.getRow(3).values as unknown[]).slice(1)).toEqual(['起止', '2026-10-20 至 2026-12-31', '2025-10-20 至 2025-12-31']);
    expect((season.getRow(5).values as unknown[]).slice(1)).toEqual(['供热量(GJ)', 700, 300, changePct(700, 300)]);
    const csv = csvSections(readCsv(tablesCsv(doc).slice(1)));
    expect(csv.get('本季分站')!.rows[0]).toEqual(['hs-001', 'HS-001', 'north', '200', '250', '-20', '20', String(kJ(significant(250 / 11_000_000, 4))), String(changePct(0.00002, significant(250 / 11_000_000, 4))), '10', '8', '25']);
  });
});

describe('season to date', () => {
  it('starts at the configured season start and ends on the day, or the season end when past it', () => {
    expect(seasonToDate('2026-12-31', { start: 1020, end: 410 })).toEqual({ start: '2026-10-20', to: '2026-12-31', days: 73, last: { start: '2025-10-20', to: '2025-12-31' } });
    expect(seasonToDate('2027-02-28', { start: 1020, end: 410 })).toMatchObject({ start: '2026-10-20', days: 132, last: { start: '2025-10-20', to: '2026-02-28' } });
    // a leap day this season: last season's same day of season is 1 March
    expect(seasonToDate('2028-02-29', { start: 1020, end: 410 }).last).toEqual({ start: '2026-10-20', to: '2027-03-01' });
    // between seasons: the one that ended, whole
    expect(seasonToDate('2027-06-30', { start: 1020, end: 410 })).toMatchObject({ start: '2026-10-20', to: '2027-04-10', days: 173 });
    // without a season: the heating year from 1 July
    expect(seasonToDate('2026-12-31', null)).toMatchObject({ start: '2026-07-01', days: 184, last: { start: '2025-07-01', to: '2025-12-31' } });
  });
});
