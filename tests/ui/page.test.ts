// The control-room page in a real headless Chromium against an in-process simulator and service:
// grid with changing values, alarm banner after an injected fault, ack from the page, ticket
// queue countdown, trend chart and CSV, station mimic, language switch, connection lost.
// The stack and the browser are shared; each test gets a fresh browser context (own storage,
// own page) and opens the page itself, so any one of them runs alone or in any order.
// Screenshots go to tests/artifacts/ (gitignored).
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { waitFor } from '../helpers/wait.ts';
import { artifactPath, launchBrowser, startStack, type Stack } from './stack.ts';

const STATIONS = 6;
const T = 60_000;

let stack: Stack;
let browser: Browser;
let context: BrowserContext;
let page: Page;
/** uncaught exceptions in the page during the current test */
let pageErrors: string[];

async function rest(path: string, token = 'demo-read', init: RequestInit = {}) {
  return fetch(`${stack.url}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(init.headers ?? {}) } });
}

/** Opens the page with a token already stored (the prompt is skipped). */
async function open(token: string, hash = '#/grid') {
  await page.goto(`${stack.url}/`);
  await page.evaluate(([tk, lang]) => {
    localStorage.setItem('heatwatch.token', tk);
    localStorage.setItem('heatwatch.lang', lang);
  }, [token, 'zh-CN']);
  await page.goto('about:blank');
  await page.goto(`${stack.url}/${hash}`);
  await page.locator('body[data-ready="1"]').waitFor({ timeout: 30_000 });
}

const tileTexts = () => page.$$eval('.tile .tile-vals', (els) => els.map((e) => e.textContent ?? ''));

/** Sets or clears a simulator fault through its control API, as an operator's test rig would. */
async function fault(station: string, name: string, active: boolean) {
  const r = await fetch(`${stack.sim.controlUrl}/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ station, fault: name, active }) });
  expect(r.status).toBeLessThan(300);
}

beforeAll(async () => {
  stack = await startStack({ stations: STATIONS, pollMs: 500 });
  browser = await launchBrowser();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

beforeEach(async () => {
  context = await browser.newContext({ viewport: { width: 1600, height: 900 } });
  page = await context.newPage();
  pageErrors = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
});

afterEach(async () => {
  await context?.close();
  // a script error is a bug even when what the test looked at still rendered
  expect(pageErrors, 'uncaught errors in the page').toEqual([]);
});

describe('control-room page', () => {
  it('is served at / and asks for a token, prefilled with the demo read token', async () => {
    await page.goto(`${stack.url}/`);
    const input = page.locator('dialog input[name="token"]');
    await expect.poll(() => input.inputValue(), { timeout: T }).toBe('demo-read');
    await page.locator('dialog .btn-ok').click();
    await page.locator('body[data-ready="1"]').waitFor({ timeout: 30_000 });
    expect(await page.locator('#who').textContent()).toContain('viewer');
  }, T);

  it('grid shows every station with live values that change', async () => {
    await open('demo-read');
    await expect.poll(() => page.locator('.tile').count(), { timeout: T }).toBe(STATIONS);
    const ids = await page.$$eval('.tile', (els) => els.map((e) => e.getAttribute('data-station')));
    expect(ids.sort()).toEqual(stack.sim.stations.map((s) => s.id).sort());
    // every tile has numbers for all four key values
    await expect.poll(async () => (await tileTexts()).every((t) => (t.match(/-?\d+\.\d+/g) ?? []).length === 4), { timeout: T }).toBe(true);
    const first = await tileTexts();
    await expect.poll(async () => (await tileTexts()).some((t, i) => t !== first[i]), { timeout: T, interval: 500 }).toBe(true);
    expect(await page.locator('#conn').getAttribute('data-state')).toBe('live');
    // each value ends inside its tile's padding, in both languages (English labels are longer)
    const clipped = () =>
      page.$$eval('.tile', (tiles) =>
        tiles.flatMap((tile) => {
          const edge = tile.getBoundingClientRect().right - parseFloat(getComputedStyle(tile).paddingRight);
          return [...tile.querySelectorAll('.kv b')].filter((b) => b.getBoundingClientRect().right > edge + 0.5).map((b) => `${tile.getAttribute('data-station')}: ${b.textContent}`);
        }),
      );
    expect(await clipped()).toEqual([]);
    await page.screenshot({ path: artifactPath('grid.png') });
    await page.locator('#lang').click();
    await expect.poll(() => page.locator('nav a[href="#/grid"]').textContent(), { timeout: T }).toBe('Stations');
    expect(await clipped()).toEqual([]);
    await page.screenshot({ path: artifactPath('grid-values-en.png') });
  }, T);

  it('language switch changes the labels (zh-CN default, English)', async () => {
    await open('demo-read');
    // the labels checked below: a tile's value names and the live feed's state
    await expect.poll(() => page.locator('.tile i[data-k="t_sec_supply"]').count(), { timeout: T }).toBeGreaterThan(0);
    await expect.poll(() => page.locator('#conn').getAttribute('data-state'), { timeout: T }).toBe('live');
    const nav = page.locator('nav a[href="#/grid"]');
    expect(await nav.textContent()).toBe('站点总览');
    await page.locator('#lang').click();
    await expect.poll(() => nav.textContent(), { timeout: T }).toBe('Stations');
    expect(await page.locator('.tile i[data-k="t_sec_supply"]').first().textContent()).toBe('Sec. supply');
    expect(await page.locator('#conn').textContent()).toBe('Live');
    await page.screenshot({ path: artifactPath('grid-en.png') });
    await page.locator('#lang').click();
    await expect.poll(() => nav.textContent(), { timeout: T }).toBe('站点总览');
  }, T);

  it('shows "connection lost" when the live feed drops, then reconnects', async () => {
    await open('demo-read');
    await expect.poll(() => page.locator('#conn').getAttribute('data-state'), { timeout: T }).toBe('live');
    const before = await page.evaluate(() => (window as any).heatwatch.statusLog.length as number);
    await page.evaluate(() => (window as any).heatwatch.feed.ws.close());
    await expect.poll(() => page.evaluate((n) => (window as any).heatwatch.statusLog.slice(n) as string[], before), { timeout: T }).toContain('lost');
    await expect.poll(() => page.locator('#conn').getAttribute('data-state'), { timeout: T }).toBe('live');
  }, T);

  it('station detail draws the substation mimic with live values', async () => {
    const st = stack.sim.stations[1].id;
    await open('demo-read', `#/station/${st}`);
    const value = page.locator('svg.mimic text[data-p="t_sec_supply"]');
    await expect.poll(async () => /\d+\.\d/.test((await value.textContent()) ?? ''), { timeout: T }).toBe(true);
    expect(await page.locator('svg.mimic .pump').count()).toBe(3);
    await expect.poll(() => page.locator('.mini-chart canvas').count(), { timeout: T }).toBeGreaterThan(0);
    await page.screenshot({ path: artifactPath('station.png'), fullPage: true });
  }, T);

  it('trend explorer draws a non-empty chart and links the CSV export', async () => {
    await open('demo-read', '#/trend');
    const st = stack.sim.stations[0].id;
    await page.locator('.trend-station').selectOption(st);
    await expect.poll(() => page.locator('.trend-point option').count(), { timeout: T }).toBeGreaterThan(10);
    await page.locator('.trend-point').selectOption(`${st}.plc.t_sec_supply`);
    await page.locator('.trend-add').click();
    await page.locator('.trend-range').selectOption('1h');
    await page.locator('.trend-draw').click();
    await expect.poll(async () => Number(await page.locator('.trend-chart').getAttribute('data-points')), { timeout: T }).toBeGreaterThan(0);
    expect(await page.locator('.trend-chart canvas').count()).toBe(1);
    const href = await page.locator('.trend-csv').getAttribute('href');
    expect(href).toContain('format=csv');
    const csv = await page.evaluate(async (u) => (await fetch(u!)).text(), href);
    expect(csv.split('\n')[0]).toBe(`time,${st}.plc.t_sec_supply`);
    expect(csv.trim().split('\n').length).toBeGreaterThan(1);
    await page.screenshot({ path: artifactPath('trend.png') });
  }, T);
});

describe('alarms in the page', () => {
  it('an injected fault appears in the banner, and acknowledging it in the page changes GET /api/alarms', async () => {
    expect((await rest('/api/alarms?state=active')).status).toBe(200); // a lost route fails here, plainly
    const st = stack.sim.stations[2].id;
    await fault(st, 'burst', true);
    // cleared however the test ends, so no other test sees this station in alarm
    onTestFinished(() => fault(st, 'burst', false));
    await open('demo-operator');
    // the flood rule has no on-delay: the banner shows it within a few polls and refreshes
    const item = page.locator(`#banner .banner-item[href="#/station/${st}"]`).first();
    await item.waitFor({ timeout: T });
    expect(await item.getAttribute('class')).toContain('prio-1');
    await page.screenshot({ path: artifactPath('alarm-banner.png') });

    const alarms = (await (await rest(`/api/alarms?state=active&station=${st}`)).json()) as Array<{ id: string; state: string; priority: number }>;
    const target = alarms.find((a) => a.state === 'unacked' && a.priority === 1)!;
    expect(target).toBeTruthy();
    await page.goto(`${stack.url}/#/alarms`);
    const row = page.locator(`tr[data-alarm="${target.id}"]`).first();
    await row.waitFor({ timeout: T }).catch(async (err) => {
      await page.screenshot({ path: artifactPath('alarms-failed.png'), fullPage: true });
      throw err;
    });
    await row.locator('.btn-ack').click();
    await page.locator('dialog textarea[name="comment"]').fill('crew called');
    await page.locator('dialog .btn-ok').click();
    const acked = await waitFor(async () => {
      const list = (await (await rest(`/api/alarms?state=all&station=${st}`)).json()) as Array<{ id: string; state: string; ackedBy: string | null; comment: string | null }>;
      const a = list.find((x) => x.id === target.id);
      return a && a.state !== 'unacked' && a.ackedBy ? a : null;
    }, T, 'the alarm acknowledged through the page');
    expect(acked.ackedBy).toBe('demo-operator');
    expect(acked.comment).toBe('crew called');
    await expect.poll(() => row.locator('.alarm-acked').textContent(), { timeout: T }).toContain('demo-operator');
    await page.screenshot({ path: artifactPath('alarms.png'), fullPage: true });
  }, 90_000);
});

describe('tickets in the page', () => {
  it('a ticket filed at the service window shows in the queue with a running countdown', async () => {
    expect((await rest('/api/tickets')).status).toBe(200); // a lost route fails here, plainly
    await open('demo-operator', '#/service');
    const st = stack.sim.stations[3];
    await page.locator('.service-form select[name="category"]').selectOption('no_heat');
    await page.locator('.service-form input[name="address"]').fill(`${st.name} 3单元 502`);
    await expect.poll(() => page.locator('.service-live').getAttribute('data-station'), { timeout: T }).toBe(st.id);
    await page.locator('.service-form input[name="customer"]').fill('王先生');
    await page.locator('.service-form input[name="phone"]').fill('13800000000');
    await page.locator('.service-form textarea[name="description"]').fill('暖气不热，室温16度');
    await page.screenshot({ path: artifactPath('service-window.png') });
    await page.locator('.service-form button[type="submit"]').click();
    const ticket = await waitFor(async () => {
      const list = (await (await rest('/api/tickets')).json()) as Array<{ id: number; station: string | null; category: string | null }>;
      return list.find((x) => x.category === 'no_heat' && x.station === st.id) ?? null;
    }, T, 'the customer ticket');
    await page.goto(`${stack.url}/#/tickets`);
    const cell = page.locator(`tr[data-ticket="${ticket.id}"] td.countdown`).first();
    await expect.poll(() => cell.textContent(), { timeout: T }).toMatch(/\d/);
    const before = await cell.textContent();
    await expect.poll(() => cell.textContent(), { timeout: T, interval: 500 }).not.toBe(before);
    expect(await cell.getAttribute('class')).toMatch(/running|soon/);
    await page.screenshot({ path: artifactPath('tickets.png'), fullPage: true });
  }, 90_000);
});
