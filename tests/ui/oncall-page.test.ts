// The on-call page in headless Chromium, driven by a shift lead (supervisor): the roster is set
// in the page (a bad email first: the server's 400 shows under that cell), then a burst injected
// through the simulator's control API opens a P1 alarm ticket that notifies the on-call at once
// and, its 15 s response deadline missed, the shift lead — through a local WeCom-format robot and
// a local SMTP server — and the page lists the notifications delivered. Screenshots go to
// tests/artifacts/.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveNotify } from '../../src/notify/config.ts';
import { waitFor } from '../helpers/wait.ts';
import { MailSink, Robot } from '../notify/receivers.ts';
import { artifactPath, launchBrowser, openPage, startStack, type Stack } from './stack.ts';

const LEAD = 'lead-token-0123456789abcdef';
const T = 30_000;
const ROBOT = '/cgi-bin/webhook/send';

let stack: Stack;
let browser: Browser;
let wecom: Robot;
let smtp: MailSink;

beforeAll(async () => {
  [wecom, smtp] = await Promise.all([new Robot('wecom').start(), new MailSink().start()]);
  stack = await startStack({
    stations: 2,
    pollMs: 1000,
    tokens: [{ name: 'lead-1', token: LEAD, role: 'supervisor' }],
    configure: (cfg) => {
      // a P1 must be answered within 15 s here, and the clock looks every half second
      cfg.tickets.sla.P1 = { respondMin: 0.25, onSiteMin: null, resolveMin: 600 };
      cfg.tickets.tickMs = 500;
      const problems: Array<{ path: string; message: string }> = [];
      cfg.notify = resolveNotify(
        {
          teams: [{ id: 'south', name: '南岗维修班', areas: ['南岗区'] }],
          channels: [{ name: 'ops-wecom', kind: 'wecom', url: wecom.url(ROBOT, '?key=ui-test') }, { name: 'mail', kind: 'email' }],
          smtp: { host: '127.0.0.1', port: smtp.port, starttls: 'off', from: '供热监控 <noc@heat.example>' },
          retry: { baseMs: 200, maxMs: 2000 },
        },
        { areas: new Set(cfg.stations.flatMap((s) => (s.area ? [s.area] : []))), webhooks: new Set() },
        problems,
        {},
      );
      if (problems.length) throw new Error(JSON.stringify(problems));
    },
  });
  browser = await launchBrowser();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await Promise.all([wecom?.stop(), smtp?.stop()]);
});

const api = async (path: string) => (await fetch(`${stack.url}${path}`, { headers: { authorization: `Bearer ${LEAD}` } })).json();

describe('the on-call page', () => {
  it('a shift lead sets the roster; an alarm ticket missing its response deadline pages the on-call and the lead by WeCom and email', async () => {
    const station = stack.sim.stations.find((s) => s.id === 'hs-001')!;
    expect(station.area).toBe('南岗区');
    const page: Page = await openPage(browser, stack, LEAD, '#/oncall');
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    const team = page.locator('section[data-team="south"]');
    const form = team.locator('form.oncall-form');
    await form.waitFor({ timeout: T });
    await expect.poll(() => team.locator('.oncall-board tr[data-area="南岗区"] td[data-level="1"]').textContent(), { timeout: T }).toBe('无人值班');

    // two rows: the on-call and the shift lead, the first with a bad email
    await form.locator('.btn-add-entry').click();
    await form.locator('.btn-add-entry').click();
    const row = (i: number) => form.locator('tr.oncall-entry').nth(i);
    await row(0).locator('[name="level"]').selectOption('1');
    await row(0).locator('[name="area"]').selectOption('南岗区');
    await row(0).locator('[name="name"]').fill('张三');
    await row(0).locator('[name="mobile"]').fill('13800138000');
    await row(0).locator('[name="email"]').fill('zhang@heat');
    await row(1).locator('[name="level"]').selectOption('2');
    await row(1).locator('[name="name"]').fill('李四');
    await row(1).locator('[name="mobile"]').fill('13900139000');
    await row(1).locator('[name="email"]').fill('li@heat.example');
    await form.locator('.btn-save-roster').click();
    const emailError = form.locator('td[data-field="entries.0.email"] .field-error');
    await expect.poll(() => emailError.textContent(), { timeout: T }).toBe("body.entries.0.email: 'zhang@heat' is not an email address");
    expect(await form.locator('td[data-field="entries.0.email"]').getAttribute('class')).toContain('invalid');
    await page.screenshot({ path: artifactPath('oncall-roster-error.png') });
    expect((await api('/api/oncall')).roster).toEqual([]);

    await row(0).locator('[name="email"]').fill('zhang@heat.example');
    await form.locator('.btn-save-roster').click();
    await expect.poll(async () => (await api('/api/oncall')).roster.map((e: { name: string; level: number }) => `${e.level}:${e.name}`), { timeout: T }).toEqual(['1:张三', '2:李四']);
    await expect.poll(() => team.locator('.oncall-board tr[data-area="南岗区"] td[data-level="1"] b').textContent(), { timeout: T }).toBe('张三');
    await expect.poll(() => team.locator('.oncall-board tr[data-area="南岗区"] td[data-level="2"] b').textContent(), { timeout: T }).toBe('李四');
    // a read-only token sees the roster, without the form
    const viewer = await openPage(browser, stack, 'demo-read', '#/oncall');
    await viewer.locator('section[data-team="south"] .oncall-roster-table').waitFor({ timeout: T });
    expect(await viewer.locator('section[data-team="south"] .oncall-roster-table').textContent()).toContain('张三');
    expect(await viewer.locator('form.oncall-form').count()).toBe(0);
    await viewer.context().close();

    // a burst at 南岗1号站 through the simulator's control API: flooding, a P1 alarm ticket
    const injected = await fetch(`${stack.sim.controlUrl}/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ station: 'hs-001', fault: 'burst', active: true }) });
    expect(injected.ok).toBe(true);
    try {
      const onCall = await waitFor(() => wecom.accepted(ROBOT).find((m) => m.content.includes('【P1 紧急】新工单')), 60_000, 'the on-call paged');
      const id = Number(/#(\d+)/.exec(onCall.content)![1]);
      const ticket = (await api(`/api/tickets/${id}`)).ticket;
      expect(ticket).toMatchObject({ source: 'alarm', priority: 'P1', station: 'hs-001' });
      expect(onCall.mentioned).toEqual(['13800138000']);
      expect(onCall.content).toContain('站点：南岗1号站（南岗区）');
      await waitFor(() => smtp.to('zhang@heat.example').find((m) => m.subject.includes(`#${id}`)), T, 'the on-call email');

      // nobody answers for 15 s: the response deadline passes and the shift lead is paged
      const lead = await waitFor(() => wecom.accepted(ROBOT).find((m) => m.content.includes(`工单 #${id} 超过响应期限`)), 60_000, 'the shift lead paged');
      expect(lead.mentioned).toEqual(['13900139000']);
      expect(lead.content).toContain('二级（值班长） 李四');
      const mail = await waitFor(() => smtp.to('li@heat.example').find((m) => m.subject.includes(`#${id} 超过响应期限`)), T, 'the shift lead email');
      expect(mail.text).toMatch(/已超过响应期限：\d\d:\d\d/);

      // the page lists both notifications of both channels, delivered
      const delivered = (rule: string, channel: string) => page.locator(`tr[data-ticket="${id}"][data-rule="${rule}"][data-channel="${channel}"] [data-state="delivered"]`);
      for (const rule of ['p1_open', 'breach_respond']) for (const channel of ['ops-wecom', 'mail']) await delivered(rule, channel).first().waitFor({ timeout: T });
      expect(await page.locator(`tr[data-ticket="${id}"][data-rule="breach_respond"][data-channel="mail"]`).first().textContent()).toContain('李四');
      await page.screenshot({ path: artifactPath('oncall-notified.png'), fullPage: true });
      expect(errors).toEqual([]);
    } finally {
      stack.sim.setFault('hs-001', 'burst', false);
    }
  }, 180_000);
});
