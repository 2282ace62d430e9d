// A customer's no-heat call filed at the service window and walked through the page in headless
// Chromium, each step by the role the API asks for: dispatch (operator) → start → resolve with a
// resolution code (engineer) → verify (qa) → a callback "not satisfied" reopens it → the same
// again → closing is refused until a satisfied callback → closed; and a priority change that needs its reason. One page per role
// stays open; each follows the others' changes through /ws. Screenshots go to tests/artifacts/.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactPath, launchBrowser, openPage, startStack, type Stack } from './stack.ts';

const QA = 'qa-token-0123456789abcdef';
const ENG = 'eng-token-0123456789abcdef';
const T = 20_000;

let stack: Stack;
let browser: Browser;
const pages: Record<string, Page> = {};

const openQueue = (token: string, hash?: string): Promise<Page> => openPage(browser, stack, token, hash);

const api = (path: string, init: RequestInit = {}, token = 'demo-operator') =>
  fetch(`${stack.url}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });

beforeAll(async () => {
  stack = await startStack({ stations: 2, pollMs: 1000, tokens: [{ name: 'qa-1', token: QA, role: 'qa' }, { name: 'eng-1', token: ENG, role: 'engineer' }] });
  browser = await launchBrowser();
  [pages.op, pages.eng, pages.qa] = await Promise.all(['demo-operator', ENG, QA].map((token) => openQueue(token)));
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('a ticket walked through the page', () => {
  it('a no-heat call filed at the service window: dispatch → work → resolve → verify → unhappy callback reopens → again → happy callback → close', async () => {
    // intake in the page: the clerk files the call, and reads out the reply with its deadlines
    const desk = await openQueue('demo-operator', '#/service');
    await desk.locator('.service-form select[name="category"]').selectOption('no_heat');
    await desk.locator('.service-form select[name="station"]').selectOption(stack.sim.stations[1].id);
    await desk.locator('input[name="address"]').fill('和平路8号 1单元 301');
    await desk.locator('input[name="customer"]').fill('李四');
    await desk.locator('input[name="phone"]').fill('13900000000');
    await desk.locator('textarea[name="description"]').fill('暖气不热，室温 15 度');
    await desk.locator('.service-form button[type="submit"]').click();
    await desk.locator('.service-result [data-result="ticket"]').waitFor({ timeout: T });
    expect(await desk.locator('.service-result textarea[data-lang="zh-CN"]').inputValue()).toMatch(/我们将在 2 小时内响应/);
    await desk.context().close();
    const filed = (await (await api('/api/tickets?category=no_heat&sort=newest&limit=1')).json()) as Array<{ id: number; customer: { phone: string } }>;
    expect(filed[0].customer.phone).toBe('13900000000');
    const id = String(filed[0].id);
    const detail = async () => (await (await api(`/api/tickets/${id}`)).json()) as { ticket: { status: string; resolutionCode: string | null; team: string | null } };
    const status = async () => (await detail()).ticket.status;
    const row = (page: Page) => page.locator(`tr[data-ticket="${id}"]`);
    /** Presses a status button on the ticket's row in `who`'s page, fills the dialog, and waits for the new status. */
    const move = async (who: string, to: string, fill: Record<string, string> = {}, select: Record<string, string> = {}) => {
      const page = pages[who];
      await row(page).locator(`button.btn-to-${to}`).click({ timeout: T });
      for (const [name, value] of Object.entries(select)) await page.locator(`dialog [name="${name}"]`).selectOption(value);
      for (const [name, value] of Object.entries(fill)) await page.locator(`dialog [name="${name}"]`).fill(value);
      await page.locator('dialog .btn-ok').click();
      await expect.poll(status, { timeout: T }).toBe(to);
    };
    /** Records a callback from the ticket's detail in the operator's page. */
    const callback = async (result: string, note: string) => {
      const page = pages.op;
      // opened by its address, which keeps it open across the queue's re-renders (the title toggles
      // it, and a look at the page mid-render would close it)
      await page.evaluate((tid) => {
        if (location.hash !== `#/tickets/${tid}`) location.hash = `#/tickets/${tid}`;
      }, id);
      await page.locator(`[data-ticket-detail="${id}"] button.btn-callback`).click({ timeout: T });
      await page.locator('dialog [name="channel"]').selectOption('visit');
      await page.locator('dialog [name="result"]').selectOption(result);
      await page.locator('dialog [name="note"]').fill(note);
      await page.locator('dialog .btn-ok').click();
      await page.locator('dialog').waitFor({ state: 'detached' });
    };
    const walk = async () => {
      await move('op', 'dispatched', { team: '维修二班' });
      await move('op', 'in_progress');
      await move('eng', 'resolved', { note: '更换阀门' }, { resolution: 'valve_replaced' });
      await move('qa', 'verified');
    };

    await walk();
    expect((await detail()).ticket).toMatchObject({ resolutionCode: 'valve_replaced', team: '维修二班' });
    await callback('unsatisfied', '仍然漏水');
    await expect.poll(status, { timeout: T }).toBe('reopened');
    await pages.op.locator(`[data-ticket-detail="${id}"] .callbacks li[data-satisfied="false"]`).waitFor({ timeout: T });
    await pages.op.screenshot({ path: artifactPath('ticket-reopened.png') });

    // the closing button is refused until a satisfied callback is on record
    await walk();
    await row(pages.op).locator('button.btn-to-closed').click({ timeout: T });
    await pages.op.locator('dialog .btn-ok').click();
    await pages.op.locator('.toast').first().waitFor({ timeout: T });
    expect(await status()).toBe('verified');
    await callback('satisfied', '已修好');
    await move('op', 'closed');
  });

  it('a priority change asks for its reason, and names the field when it is left out', async () => {
    const other = await api('/api/tickets', { method: 'POST', body: JSON.stringify({ source: 'manual', priority: 'P3', description: '巡检发现保温层破损' }) });
    const oid = String((await other.json()).ticket.id);
    const page = pages.op;
    await page.locator(`tr[data-ticket="${oid}"] a.ticket-title`).click({ timeout: T });
    await page.locator(`[data-ticket-detail="${oid}"] button.btn-priority`).click({ timeout: T });
    await page.locator('dialog [name="priority"]').selectOption('P2');
    await page.locator('dialog .btn-ok').click();
    await page.locator('dialog [data-field="reason"].invalid').waitFor({ timeout: T });
    await page.locator('dialog [name="reason"]').fill('冷天前要修好');
    await page.locator('dialog .btn-ok').click();
    await page.locator('dialog').waitFor({ state: 'detached' });
    await expect.poll(async () => (await (await api(`/api/tickets/${oid}`)).json()).ticket.priority, { timeout: T }).toBe('P2');
    await page.locator(`[data-ticket-detail="${oid}"] li[data-kind="priority"]`).waitFor({ timeout: T });
    await page.screenshot({ path: artifactPath('ticket-priority.png') });
  });

  it("the service window shows a caller's earlier tickets as the phone number is typed", async () => {
    const r = await api('/api/tickets', {
      method: 'POST',
      body: JSON.stringify({ category: 'no_heat', customer: { name: '王五', phone: '13700000001', address: '中山路3号 2单元' }, description: '暖气不热' }),
    });
    const id = String((await r.json()).ticket.id);
    const page = await openQueue('demo-operator', '#/service');
    await page.locator('input[name="phone"]').fill('137 0000 0001');
    await page.locator(`.caller-tickets li[data-ticket="${id}"]`).waitFor({ timeout: T });
    await page.locator('input[name="phone"]').fill('13700000002');
    await page.locator('.service-history .muted').waitFor({ timeout: T });
    await page.screenshot({ path: artifactPath('service-history.png') });
    await page.context().close();
  });
});
