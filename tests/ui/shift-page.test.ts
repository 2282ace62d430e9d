// The shift handover (交接班) in a real headless Chromium against an in-process simulator and
// service whose clock the test moves: an operator writes a handover note in the page during
// one shift (a bad station is refused under its field first); a P1 ticket misses its
// respond-by in that shift; the clock moves into the next shift, where the next dispatcher's
// header counts the unread note, and the shift view shows it with the summary (open tickets
// by priority, the breached ticket, the station in maintenance linking to its detail); the
// handed-over note can only be corrected, and the correction lands in the new shift.
// Screenshot: tests/artifacts/shift-page.png.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveShifts } from '../../src/shifts/config.ts';
import { waitFor } from '../helpers/wait.ts';
import { artifactPath, launchBrowser, openPage, shotOnFail, startStack, type Stack } from './stack.ts';

const T = 30_000;
const MIN = 60_000;
const NIGHT_TOKEN = 'night-desk-0123456789abcdef';

/** the service's clock: the real one plus what the test moves it by */
const clock = { offset: 0, now: () => Date.now() + clock.offset };
let stack: Stack;
let browser: Browser;
const pages: Page[] = [];

/** HH:MM in Asia/Shanghai (the simulator config's site zone) `minutes` from now, on the minute. */
function localHourMinute(minutes: number): string {
  const f = new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Shanghai', hourCycle: 'h23', hour: '2-digit', minute: '2-digit' });
  return f.format(new Date(Date.now() + minutes * MIN));
}

async function rest<R = any>(path: string, token = 'demo-read', init: { method?: string; body?: unknown } = {}): Promise<R> {
  const r = await fetch(`${stack.url}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${token}`, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  if (!r.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${r.status} ${await r.text()}`);
  return (await r.json()) as R;
}

async function open(token: string, hash: string): Promise<{ page: Page; errors: string[] }> {
  const page = await openPage(browser, stack, token, hash);
  pages.push(page);
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  return { page, errors };
}


beforeAll(async () => {
  // a shift that began an hour ago and ends in 9–10 minutes, then the next one (sorted into the day);
  // the clock then moves minutes, not hours, so the stations' own alarms keep still
  const first = localHourMinute(-60);
  const second = localHourMinute(10);
  stack = await startStack({
    stations: 4,
    pollMs: 1000,
    tokens: [{ name: 'night-desk', token: NIGHT_TOKEN, role: 'operator' }],
    configure: (cfg) => {
      const problems: Array<{ path: string; message: string }> = [];
      cfg.shifts = resolveShifts({ starts: [first, second].sort() }, problems);
      if (problems.length) throw new Error(JSON.stringify(problems));
    },
    now: clock.now,
  });
  browser = await launchBrowser();
  await waitFor(async () => (await rest<Array<{ comm: string }>>('/api/stations')).every((s) => s.comm === 'online'), T, 'every station online');
}, 90_000);

afterAll(async () => {
  for (const p of pages) await p.context().close().catch(() => undefined);
  await browser?.close();
  await stack?.stop();
});

describe('shift handover page', () => {
  it('a note written in one shift greets the next shift with the summary', async () => {
    // the day's events: a station into maintenance, a P1 leak ticket
    await rest('/api/stations/hs-002/mode', 'demo-operator', { method: 'PUT', body: { mode: 'maintenance', comment: '更换循环泵机封' } });
    const leak = await rest('/api/tickets', 'demo-operator', { method: 'POST', body: { source: 'manual', priority: 'P1', title: '二次网漏水', description: '楼道内二次网漏水', station: 'hs-001' } });
    const leakId: number = (leak.ticket ?? leak).id;
    const first = await rest('/api/shifts/current');

    const { page, errors } = await open('demo-operator', '#/shift');
    await shotOnFail(page, 'shift-page-write', async () => {
      await page.locator('#view-shift .shift-off tr[data-station="hs-002"]').waitFor({ timeout: T });
      const form = page.locator('form.shift-form');
      // the server's 400 names the field; the page shows it under that field and keeps what was typed
      await form.locator('textarea[name="text"]').fill('1号站二次网漏水，抢修队已出发，预计一小时内到站；2号站检修中，完工后恢复运行');
      await form.locator('input[name="station"]').fill('hs-999');
      await form.locator('button[type="submit"]').click();
      await expect.poll(() => form.locator('[data-field="station"] .field-error').textContent(), { timeout: T }).toContain('hs-999');
      await form.locator('input[name="station"]').fill('hs-001');
      await form.locator('input[name="ticket"]').fill(String(leakId));
      await form.locator('button[type="submit"]').click();
      await page.locator('.shift-cur-notes li.shift-note').first().waitFor({ timeout: T });
    });
    const written = (await rest('/api/shifts/current')).notes;
    expect(written).toHaveLength(1);
    expect(written[0]).toMatchObject({ author: 'demo-operator', station: 'hs-001', ticket: leakId, shiftStart: first.shift.start });
    const noteId: number = written[0].id;
    expect(await page.locator(`.shift-cur-notes li[data-note="${noteId}"] .shift-note-text`).textContent()).toContain('抢修队已出发');
    expect(errors).toEqual([]);

    // just past its respond-by (5 min), still in this shift: the P1 missed a deadline
    const respondBy: number = (leak.ticket ?? leak).respondBy;
    clock.offset = respondBy + 20_000 - Date.now();
    expect(clock.now()).toBeLessThan(first.shift.end);
    await stack.svc.tickets.tick();
    // then the next shift begins
    clock.offset = first.shift.end + 30_000 - Date.now();
    const next = await rest('/api/shifts/current');
    expect(next.previous.start).toBe(first.shift.start);

    const night = await open(NIGHT_TOKEN, '#/grid');
    await shotOnFail(night.page, 'shift-page-badge', async () => {
      // the header counts the handed-over note this browser has not shown yet
      await expect.poll(() => night.page.locator('#shift-badge').textContent(), { timeout: T }).toBe('1');
      await night.page.locator('nav a[href="#/shift"]').click();
      await night.page.locator(`#view-shift .shift-prev-notes li[data-note="${noteId}"]`).waitFor({ timeout: T });
      await expect.poll(() => night.page.locator('#shift-badge').isHidden(), { timeout: T }).toBe(true);
    });
    const view = night.page.locator('#view-shift');
    expect(await view.locator(`.shift-prev-notes li[data-note="${noteId}"] .shift-note-text`).textContent()).toContain('2号站检修中');
    expect(await view.locator('.shift-cur-notes li.shift-note').count()).toBe(0);
    // the summary: the open P1, its missed respond-by in the last shift, the station in maintenance
    expect(await view.locator('.shift-tickets .shift-count.prio-1 b').textContent()).toBe('1');
    expect(await view.locator(`.shift-breached tr[data-ticket="${leakId}"] .shift-deadline`).allTextContents()).toEqual(['响应超时']);
    const off = view.locator('.shift-off tr[data-station="hs-002"]');
    expect(await off.textContent()).toContain('更换循环泵机封');
    expect(await off.locator('a').getAttribute('href')).toBe('#/station/hs-002');
    // a handed-over note cannot be edited by anyone: it is corrected
    const handed = view.locator(`.shift-prev-notes li[data-note="${noteId}"]`);
    expect(await handed.locator('.btn-edit-note').count()).toBe(0);
    await handed.locator('.btn-correct-note').click();
    const form = view.locator('form.shift-form');
    expect(await form.locator('input[name="corrects"]').inputValue()).toBe(String(noteId));
    await form.locator('textarea[name="text"]').fill('更正：抢修队改为明早8点到站，夜间已关阀止漏');
    await form.locator('button[type="submit"]').click();
    await view.locator('.shift-cur-notes li.shift-correction').waitFor({ timeout: T });
    expect(await view.locator('.shift-cur-notes li.shift-correction .shift-tag').first().textContent()).toBe(`更正 #${noteId}`);
    expect(await view.locator('h2').first().textContent()).toBe('交接班');
    // the whole view in one picture, from its top
    await night.page.setViewportSize({ width: 1600, height: 1400 });
    await view.evaluate((el) => el.scrollTo(0, 0));
    await night.page.screenshot({ path: artifactPath('shift-page.png'), fullPage: true });
    expect(night.errors).toEqual([]);
  }, 120_000);
});
