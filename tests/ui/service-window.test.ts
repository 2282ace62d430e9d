// The service window and a ticket's links, in headless Chromium against a running service:
// a no-heat call under a planned stop joins the stop instead of opening a ticket, and the reply
// read to the caller names the restoration time; a photo uploaded in a ticket's detail is
// previewed; a new need becomes a ticket linked to the first; the case library finds a fix by
// its resolution code and words. Screenshots go to tests/artifacts/.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactPath, launchBrowser, openPage, startStack, type Stack } from './stack.ts';

const T = 20_000;
let stack: Stack;
let browser: Browser;

const api = (path: string, init: RequestInit & { type?: string } = {}, token = 'demo-operator') =>
  fetch(`${stack.url}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': init.type ?? 'application/json' } });
const ticketCount = async () => Number((await (await api('/api/tickets/counts?status=all')).json()).total);

beforeAll(async () => {
  stack = await startStack({ stations: 2, pollMs: 1000, tokens: [{ name: 'eng-1', token: 'eng-token-0123456789abcdef', role: 'engineer' }] });
  browser = await launchBrowser();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('the service window and a ticket whole, in the page', () => {
  it('a no-heat call under a planned stop joins it: no ticket, and the reply names when heat returns', async () => {
    const station = stack.sim.stations[0].id;
    expect((await api('/api/tickets/addresses/import', { method: 'POST', type: 'text/csv', body: `address,station\n光明路1号,${station}\n` })).status).toBe(200);
    const to = Date.now() + 5 * 3_600_000;
    const stop = await api('/api/planned-stops', { method: 'POST', body: JSON.stringify({ stations: [station], from: Date.now() - 60_000, to, reason: '一次网阀门更换' }) });
    expect(stop.status).toBe(201);
    const before = await ticketCount();

    const page = await openPage(browser, stack, 'demo-operator', '#/service');
    await page.locator('.service-form select[name="category"]').selectOption('no_heat');
    await page.locator('input[name="address"]').fill('光明路1号 3单元 502');
    await page.locator('input[name="customer"]').fill('赵六');
    await page.locator('input[name="phone"]').fill('13600000006');
    await page.locator('input[name="account"]').fill('HRB-5566');
    // the clerk sees the stop before filing, and may still say the call is unrelated
    await page.locator('.service-history .notice.outage').waitFor({ timeout: T });
    expect(await page.locator('.open-anyway').isVisible()).toBe(true);
    await page.locator('.service-form button[type="submit"]').click();
    const result = page.locator('.service-result [data-result="linked"]');
    await result.waitFor({ timeout: T });
    const reply = await page.locator('.service-result textarea[data-lang="zh-CN"]').inputValue();
    expect(reply).toContain('一次网阀门更换');
    expect(reply).toMatch(/预计 \S+( \S+)? 前恢复供热/);
    await page.screenshot({ path: artifactPath('service-linked-to-stop.png') });
    expect(await ticketCount()).toBe(before);
    // the call is on the caller's record: found again by the account number
    const look = await (await api('/api/customers/lookup?account=HRB-5566')).json();
    expect(look.calls).toHaveLength(1);
    expect(look.calls[0]).toMatchObject({ station, outage: { kind: 'planned_stop', restoreBy: to } });
    await page.context().close();
  });

  it('a photo uploaded in the detail is previewed; a new need becomes a linked ticket', async () => {
    const created = await api('/api/tickets', { method: 'POST', body: JSON.stringify({ category: 'repair', customer: { name: '钱七', phone: '13500000007', address: '和平路9号' }, description: '暖气片阀门滴水' }) });
    const id = String((await created.json()).ticket.id);
    const page = await openPage(browser, stack, 'demo-operator', `#/tickets/${id}`);
    const detail = page.locator(`[data-ticket-detail="${id}"]`);
    await detail.waitFor({ timeout: T });
    const photo = await page.screenshot(); // a real PNG
    await detail.locator('input.attachment-upload').setInputFiles({ name: '现场.png', mimeType: 'image/png', buffer: photo });
    const preview = page.locator(`[data-ticket-detail="${id}"] img.attachment-preview`);
    await preview.waitFor({ timeout: T });
    await expect.poll(() => preview.evaluate((img: HTMLImageElement) => img.naturalWidth), { timeout: T }).toBeGreaterThan(0);

    await page.locator(`[data-ticket-detail="${id}"] button.btn-new-related`).click();
    await page.locator('dialog [name="category"]').selectOption('complaint');
    await page.locator('dialog [name="description"]').fill('回访时提出：楼道暖气不热');
    await page.locator('dialog .btn-ok').click();
    await page.locator('dialog').waitFor({ state: 'detached' });
    const related = page.locator(`[data-ticket-detail="${id}"] a.related-ticket`);
    await related.waitFor({ timeout: T });
    const other = await related.getAttribute('data-related');
    const linked = (await (await api(`/api/tickets/${other}`)).json()).ticket;
    expect(linked).toMatchObject({ category: 'complaint', related: [Number(id)], customer: { phone: '13500000007' } });
    await page.screenshot({ path: artifactPath('ticket-attachment-related.png') });
    await page.context().close();
  });

  it('the case library finds a fix by its resolution code and words', async () => {
    const created = await api('/api/tickets', { method: 'POST', body: JSON.stringify({ category: 'repair', customer: { name: '孙八', phone: '13400000008', address: '学府路3号' }, description: '地暖分水器漏水' }) });
    const id = (await created.json()).ticket.id as number;
    const move = async (to: string, extra: object = {}, token = 'demo-operator') =>
      expect((await api(`/api/tickets/${id}/transition`, { method: 'POST', body: JSON.stringify({ to, ...extra }) }, token)).status).toBe(200);
    await move('dispatched', { team: '维修一班' });
    await move('in_progress');
    await move('resolved', { resolution: 'leak_repaired', note: '更换分水器密封圈，打压试验合格' }, 'eng-token-0123456789abcdef');

    const page = await openPage(browser, stack, 'demo-operator', '#/cases');
    await page.locator('.case-search select[name="resolution"]').selectOption('leak_repaired');
    await page.locator('.case-search input[name="q"]').fill('密封圈');
    await page.locator('.case-search button[type="submit"]').click();
    const row = page.locator(`tr[data-case="${id}"]`);
    await row.waitFor({ timeout: T });
    expect(await row.locator('.case-note').textContent()).toBe('更换分水器密封圈，打压试验合格');
    await page.locator('.case-search input[name="q"]').fill('没有这个词');
    await page.locator('.case-search button[type="submit"]').click();
    await page.locator('.case-results .muted').waitFor({ timeout: T });
    await page.locator('.case-search input[name="q"]').fill('密封圈');
    await page.locator('.case-search button[type="submit"]').click();
    await row.waitFor({ timeout: T });
    await page.screenshot({ path: artifactPath('case-library.png') });
    await page.context().close();
  });
});
