// The service report page in headless Chromium, on a seeded state database (5,000 old tickets and
// yesterday's 600): a supervisor opens #/reports, picks the day, sees its figures, downloads the
// Excel file, and the file read back with exceljs gives the API's figures; a dispatcher downloads
// the ticket queue as Excel from the queue page. Screenshots go to tests/artifacts/ (gitignored).
import type ExcelJS from 'exceljs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localMidnight } from '../../src/reports/period.ts';
import type { ServiceReport } from '../../src/reports/service-report.ts';
import { seedServiceDay, type SeedExpect } from '../reports/seed.ts';
import { expectedOnTimeTotal, expectedSummary, readWorkbook, summaryFigures } from '../reports/xlsx-read.ts';
import { artifactPath, launchBrowser, openPage, startStack, type Stack } from './stack.ts';

const SUPERVISOR = 'lead-token-0123456789abcdef';
const TZ = 'Asia/Shanghai';

let stack: Stack;
let browser: Browser;
let ex: SeedExpect;
/** yesterday in the site's time zone */
let day: string;

beforeAll(async () => {
  stack = await startStack({ stations: 2, pollMs: 1000, tokens: [{ name: 'lead-1', token: SUPERVISOR, role: 'supervisor' }] });
  day = new Intl.DateTimeFormat('en-CA', { timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit' }).format(Date.now() - 86_400_000);
  const [y, m, d] = day.split('-').map(Number);
  ex = await seedServiceDay(stack.svc.tickets.store, localMidnight(y, m, d, TZ));
  browser = await launchBrowser();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

const api = async <T>(path: string): Promise<T> => (await (await fetch(`${stack.url}${path}`, { headers: { authorization: 'Bearer demo-read' } })).json()) as T;

async function downloadWorkbook(page: Page, button: string): Promise<{ name: string; wb: ExcelJS.Workbook }> {
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 30_000 }), page.locator(button).click()]);
  return { name: download.suggestedFilename(), wb: await readWorkbook(await download.path()) };
}

describe('the service report page', () => {
  it('a supervisor picks the day, sees its figures and downloads the Excel report the API stands behind', async () => {
    const page = await openPage(browser, stack, SUPERVISOR, '#/reports');
    await page.locator('#view-reports .report-date').waitFor();
    expect(await page.locator('nav a[href="#/reports"]').textContent()).toBe('服务报表');
    await page.locator('#view-reports .report-period').selectOption('day');
    await page.locator('#view-reports .report-date').fill(day);
    await page.locator(`#view-reports[data-loaded="day/${day}"]`).waitFor({ timeout: 30_000 });

    const json = await api<ServiceReport>(`/api/reports/service?period=day&date=${day}`);
    // the seed's own count of what it made, and the page showing the API's figures
    expect(json.created.total).toBe(ex.created.total);
    expect(json.onTime.respond).toMatchObject(ex.respond);
    expect(json.repeats.total).toBe(ex.repeats.total);
    expect(await page.locator('[data-kpi="created"] b').textContent()).toBe(String(json.created.total));
    expect(await page.locator('[data-kpi="respond"] b').textContent()).toBe(`${json.onTime.respond.percent!.toFixed(1)} %`);
    expect(await page.locator('.report-breaches tbody tr').count()).toBe(json.breaches.byTeam.length + 1);
    expect(await page.locator('.report-breaches').textContent()).toContain('未分派');

    const { name, wb } = await downloadWorkbook(page, '#view-reports .btn-download-xlsx');
    expect(name).toBe(`服务报表-${day}.xlsx`);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['概况', '新建工单', '按时率', '回访', '返修', '超时']);
    const summary = wb.getWorksheet('概况')!;
    expect(String(summary.getCell('A1').value)).toContain(`日报 ${day}`);
    expect(String(summary.getCell('A1').value)).toContain(`时区 ${TZ}`);
    expect(summaryFigures(wb)).toEqual(expectedSummary(json));
    const total = wb.getWorksheet('按时率')!.getRow(7).values as unknown[];
    expect(total.slice(1)).toEqual(expectedOnTimeTotal(json));
    const callbacks = wb.getWorksheet('回访')!.getSheetValues().slice(3).map((r) => (r as unknown[])[2]);
    expect(callbacks).toEqual([json.callbacks.resolved, json.callbacks.withCallback, json.callbacks.callbackRate, json.callbacks.made, json.callbacks.reached, json.callbacks.unreached, json.callbacks.satisfied, json.callbacks.dissatisfied, json.callbacks.satisfaction]);
    const teams = wb.getWorksheet('超时')!.getSheetValues().slice(3, -1).map((r) => (r as unknown[]).slice(1));
    expect(teams).toEqual(json.breaches.byTeam.map((b) => [b.label, b.respond, b.on_site, b.resolve, b.total]));

    await page.screenshot({ path: artifactPath('reports-day.png') });
    await page.locator('#view-reports').evaluate((el) => el.scrollTo(0, el.scrollHeight));
    await page.screenshot({ path: artifactPath('reports-day-end.png') });
    await page.context().close();
  });

  it('a dispatcher downloads the ticket queue as Excel: every ticket of the queue, in its order', async () => {
    const page = await openPage(browser, stack, 'demo-operator', '#/tickets');
    const rows = page.locator('#view-tickets tr[data-ticket]');
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBeGreaterThan(500);
    const { name, wb } = await downloadWorkbook(page, '#view-tickets .btn-download-xlsx');
    expect(name).toMatch(/^工单导出-\d{4}-\d{2}-\d{2}\.xlsx$/);
    const ws = wb.worksheets[0];
    expect((ws.getRow(1).values as unknown[]).slice(1, 4)).toEqual(['编号', '优先级', '状态']);
    const ids = ws.getSheetValues().slice(2).map((r) => String((r as unknown[])[1]));
    const queue: string[] = [];
    for (let cursor = ''; ; ) {
      const r = await fetch(`${stack.url}/api/tickets?sort=deadline&limit=500${cursor ? `&cursor=${cursor}` : ''}`, { headers: { authorization: 'Bearer demo-read' } });
      queue.push(...((await r.json()) as Array<{ id: number }>).map((t) => String(t.id)));
      cursor = r.headers.get('x-next-cursor') ?? '';
      if (!cursor) break;
    }
    expect(ids).toEqual(queue);
    await page.screenshot({ path: artifactPath('reports-queue-export.png') });
    await page.context().close();
  });
});
