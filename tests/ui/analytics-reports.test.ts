// The analytics reports in the page, in headless Chromium, on the simulator's stations (their
// heated areas and volumes from its generated config) with the daily table seeded for two
// seasons (one station over-supplied): an engineer opens the monthly network report, picks a
// month, sees the ranking with the over-supplied station first and marked, downloads the Excel
// file, and the workbook read back with exceljs holds the JSON route's figures; the daily station
// report of a day shows each station's day; the files the schedule wrote at start-up are listed
// and download. Screenshots go to tests/artifacts/ (gitignored).
import type ExcelJS from 'exceljs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StationDailyReport } from '../../src/reports/analytics-daily.ts';
import type { NetworkMonthlyReport } from '../../src/reports/analytics-monthly.ts';
import { addDays, seasonToDate, type SeasonDays } from '../../src/reports/analytics-season.ts';
import { seedRows } from '../reports/analytics-seed.ts';
import { readWorkbook } from '../reports/xlsx-read.ts';
import { waitFor } from '../helpers/wait.ts';
import { artifactPath, launchBrowser, openPage, shotOnFail, startStack, type Stack } from './stack.ts';

const TZ = 'Asia/Shanghai';
const OVER = 'hs-004';

let stack: Stack;
let browser: Browser;
/** two months before the current local month: days the daily-table job does not touch */
let month: string;
let day: string;

const localToday = () => new Intl.DateTimeFormat('en-CA', { timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit' }).format(Date.now());

beforeAll(async () => {
  let season: SeasonDays | null = null;
  stack = await startStack({ stations: 6, pollMs: 1000, configure: (cfg) => void (season = cfg.operations.season) });
  const [y, m] = localToday().split('-').map(Number);
  const back = new Date(Date.UTC(y, m - 3, 1));
  month = back.toISOString().slice(0, 7);
  day = `${month}-15`;
  const last = addDays(new Date(Date.UTC(y, m - 2, 1)).toISOString().slice(0, 10), -1);
  // the month, this season to its end and last season's same days, by the configured season
  const stations = stack.svc.analytics.stations;
  expect(stations.every((s) => (s.heatedAreaM2 ?? 0) > 0)).toBe(true);
  const w = seasonToDate(last, season);
  await stack.svc.analytics.daily.upsert(
    [...seedRows(stations, w.last.start, w.last.to, { over: OVER, lastSeason: true }), ...seedRows(stations, w.start < `${month}-01` ? w.start : `${month}-01`, last, { over: OVER })],
    Date.now(),
  );
  browser = await launchBrowser();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

const api = async <T>(path: string): Promise<T> => {
  const r = await fetch(`${stack.url}${path}`, { headers: { authorization: 'Bearer demo-read' } });
  expect(r.status, path).toBe(200);
  return (await r.json()) as T;
};

async function download(page: Page, click: () => Promise<void>): Promise<{ name: string; path: string }> {
  const [d] = await Promise.all([page.waitForEvent('download', { timeout: 30_000 }), click()]);
  return { name: d.suggestedFilename(), path: await d.path() };
}

/** GJ/(m²·HDD) → the files' kJ/(m²·HDD), two decimals */
const kJ = (gj: number | null) => (gj === null ? undefined : Math.round(gj * 1e8) / 100);

const cells = (ws: ExcelJS.Worksheet, from: number, n: number) => ws.getSheetValues().slice(from, from + n).map((row) => (row as unknown[]).slice(1));

describe('the analytics reports page', () => {
  it('the monthly network report: the ranking on the page, and the Excel download holding the figures of the JSON route', async () => {
    const page = await openPage(browser, stack, 'demo-read', '#/reports/network-monthly');
    await shotOnFail(page, 'analytics-reports-monthly', async () => {
      const input = page.locator('#view-reports .areport-month');
      await input.waitFor();
      expect(await page.locator('#view-reports .report-tab.active').textContent()).toBe('管网月报');
      await input.fill(month);
      await page.locator(`#view-reports[data-loaded="network-monthly/${month}"]`).waitFor({ timeout: 30_000 });

      const json = await api<NetworkMonthlyReport>(`/api/reports/network-monthly?month=${month}`);
      const rows = page.locator('#view-reports .areport-ranking tbody tr[data-station]');
      expect(await rows.count()).toBe(6);
      expect(await rows.first().getAttribute('data-station')).toBe(OVER);
      expect(json.ranking.stations[0]).toMatchObject({ station: OVER, outliers: { intensity: 'high' } });
      // the over-supplied station's intensity cell is marked high
      expect(await rows.first().locator('td.outlier-high').count()).toBeGreaterThan(0);
      expect(await page.locator('#view-reports .areport-season tbody tr').nth(2).locator('td').nth(1).textContent()).toBe(String(json.season.current.heatGJ));
      await page.screenshot({ path: artifactPath('analytics-reports-monthly.png') });
      await page.locator('#view-reports').evaluate((el) => el.scrollTo(0, el.scrollHeight));
      await page.screenshot({ path: artifactPath('analytics-reports-monthly-end.png') });

      const file = await download(page, () => page.locator('#view-reports .btn-download-xlsx').click());
      expect(file.name).toBe(`管网月报-${month}.xlsx`);
      const wb = await readWorkbook(file.path);
      expect(wb.worksheets.map((w) => w.name)).toEqual(['管网排名', '本季对比', '本季分站']);
      const rank = wb.getWorksheet('管网排名')!;
      expect(String(rank.getCell('A1').value)).toContain(`管网月报 · ${month}`);
      expect(cells(rank, 3, 6).map((r) => r.slice(0, 13))).toEqual(
        json.ranking.stations.map((s) => [s.rank, s.station, s.name, s.area, s.heatedAreaM2, s.heatGJ, s.hdd, kJ(s.intensity), s.priReturnC, s.flowPerM2, s.makeupM3, s.makeupPct, s.curveDeviationMin].map((v) => (v === null ? undefined : v))),
      );
      // the outliers in words, in the last column
      expect(cells(rank, 3, 1)[0][13]).toMatch(/^单耗偏高/);
      expect(cells(rank, 9, 1)[0].slice(7, 12)).toEqual([kJ(json.ranking.median.intensity), json.ranking.median.priReturnC, json.ranking.median.flowPerM2, undefined, json.ranking.median.makeupPct]);
      const season = wb.getWorksheet('本季对比')!;
      const se = json.season;
      expect(cells(season, 3, 6)).toEqual([
        ['起止', `${se.current.from} 至 ${se.current.to}`, `${se.previous.from} 至 ${se.previous.to}`],
        ['天数', se.current.days, se.previous.days],
        ['供热量(GJ)', se.current.heatGJ, se.previous.heatGJ, se.change.heatGJ],
        ['度日数', se.current.hdd, se.previous.hdd],
        ['单耗 kJ/(m²·度日)', kJ(se.current.intensity), kJ(se.previous.intensity), se.change.intensity],
        ['补水量(m³)', se.current.makeupM3, se.previous.makeupM3, se.change.makeupM3],
      ]);
      // last season was seeded 5 % hungrier per degree-day
      expect(se.change.intensity).toBeLessThan(0);
      const byStation = cells(wb.getWorksheet('本季分站')!, 3, 6);
      expect(byStation.map((r) => [r[0], r[3], r[4]])).toEqual(se.stations.map((s) => [s.station, s.current.heatGJ, s.previous.heatGJ]));
    });
    await page.context().close();
  });

  it('the daily station report: each station of the day with its alarms and tickets, CSV download named for the day', async () => {
    const page = await openPage(browser, stack, 'demo-read', '#/reports/station-daily');
    await shotOnFail(page, 'analytics-reports-daily', async () => {
      await page.locator('#view-reports .areport-date').fill(day);
      await page.locator(`#view-reports[data-loaded="station-daily/${day}"]`).waitFor({ timeout: 30_000 });
      const json = await api<StationDailyReport>(`/api/reports/station-daily?date=${day}`);
      const rows = page.locator('#view-reports .areport-daily tbody tr[data-station]');
      expect(await rows.count()).toBe(6);
      expect(await rows.nth(3).locator('td').nth(3).textContent()).toBe(String(json.stations[3].heatGJ));
      expect(await page.locator('[data-kpi="heatGJ"] b').textContent()).toBe(String(json.totals.heatGJ));
      expect(await page.locator('[data-kpi="reporting"] b').textContent()).toBe('6 / 6');
      await page.screenshot({ path: artifactPath('analytics-reports-daily.png') });
      const file = await download(page, () => page.locator('#view-reports .btn-download-csv').click());
      expect(file.name).toBe(`站点运行日报-${day}.csv`);
    });
    await page.context().close();
  });

  it('the files the schedule wrote at start-up are listed and download; the tabs lead back to the service report', async () => {
    // a new folder: the newest daily report due and last month's network report
    const listed = await waitFor(
      async () => {
        const r = await api<{ files: Array<{ name: string }> }>('/api/reports/files');
        return r.files.length === 4 ? r.files : null;
      },
      60_000,
      'the reports written at start-up',
      500,
    );
    const page = await openPage(browser, stack, 'demo-read', '#/reports/files');
    await shotOnFail(page, 'analytics-reports-files', async () => {
      await page.locator('#view-reports[data-loaded="files"]').waitFor({ timeout: 30_000 });
      const buttons = page.locator('#view-reports .areport-files button.areport-file');
      expect(await buttons.allTextContents()).toEqual(listed.map((f) => f.name));
      expect(listed.map((f) => f.name).filter((n) => n.startsWith('monthly-'))).toHaveLength(2);
      await page.screenshot({ path: artifactPath('analytics-reports-files.png') });
      const xlsx = listed.find((f) => f.name.startsWith('monthly-') && f.name.endsWith('.xlsx'))!.name;
      const file = await download(page, () => page.locator(`#view-reports button[data-name="${xlsx}"]`).click());
      expect(file.name).toBe(xlsx);
      expect((await readWorkbook(file.path)).worksheets[0].name).toBe('管网排名');

      await page.locator('#view-reports .report-tab[data-tab="service"]').click();
      await page.locator('#view-reports .report-date').waitFor();
      expect(await page.locator('#view-reports h2').textContent()).toBe('服务报表');
    });
    await page.context().close();
  });
});
