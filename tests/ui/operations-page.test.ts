// The operator's side of station modes and first-out grouping in a real headless Chromium
// against an in-process simulator and service: a planned stop entered in the page, one pump
// trip shown as one alarm with its children and one ticket, bulk acknowledge, a maintenance
// badge on the tile, the flood view and the English switch. Each test takes its own station
// and its own browser context, and waits on conditions. Screenshots go to tests/artifacts/.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait.ts';
import { artifactPath, launchBrowser, shotOnFail, startStack, type Stack } from './stack.ts';

const T = 60_000;
const TEST_MS = 150_000;
const CHINESE = /[\u4e00-\u9fff]/;

interface Alarm {
  id: string;
  ruleId: string | null;
  station: string;
  class: string | null;
  priority: number;
  state: string;
  /** the condition holds now */
  active: boolean;
  message: string;
  messages: { 'zh-CN': string; en: string };
  parent: string | null;
  suppressedBy: string[] | null;
  ackedBy: string | null;
  comment: string | null;
}

let stack: Stack;
let browser: Browser;
const contexts: BrowserContext[] = [];

async function rest<T = unknown>(path: string, token = 'demo-read', init: RequestInit = {}): Promise<T> {
  const r = await fetch(`${stack.url}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(init.headers ?? {}) } });
  if (!r.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${r.status} ${await r.text()}`);
  return (r.status === 204 ? null : await r.json()) as T;
}
const alarmsOf = (station: string, state = 'active') => rest<Alarm[]>(`/api/alarms?state=${state}&station=${station}`);

/** A fresh browser context (own storage) with the page open at `hash`; page errors fail the test. */
async function open(token: string, hash: string, lang: 'zh-CN' | 'en' = 'zh-CN'): Promise<{ page: Page; errors: string[] }> {
  // a control-room browser: Chinese locale (date inputs follow it) in the site's time zone
  const ctx = await browser.newContext({ viewport: { width: 1600, height: 900 }, locale: lang, timezoneId: 'Asia/Shanghai' });
  contexts.push(ctx);
  await ctx.addInitScript(([tk, lg]) => {
    localStorage.setItem('heatwatch.token', tk);
    localStorage.setItem('heatwatch.lang', lg);
  }, [token, lang]);
  const page = await ctx.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto(`${stack.url}/${hash}`);
  await page.locator('body[data-ready="1"]').waitFor({ timeout: 30_000 });
  return { page, errors };
}


beforeAll(async () => {
  stack = await startStack({ stations: 8, pollMs: 500 });
  browser = await launchBrowser();
  await waitFor(async () => (await rest<Array<{ comm: string }>>('/api/stations')).every((s) => s.comm === 'online'), T, 'every station online');
}, 90_000);

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await stack?.stop();
});

describe('operations in the page', () => {
  it('a planned stop entered in the page suppresses the station’s process alarms; flooding still raises into the banner', async () => {
    const st = stack.sim.stations[1];
    const { page, errors } = await open('demo-operator', '#/stops');
    const form = page.locator('form.stops-form');
    // the server's 400 sits next to the field it names
    await form.locator('input[name="stations"]').fill(`${st.id}, hs-999`);
    await form.locator('input[name="reason"]').fill('换热器检修');
    await form.locator('button[type="submit"]').click();
    await expect.poll(() => form.locator('[data-field="stations"] .field-error').textContent(), { timeout: T }).toContain("unknown station 'hs-999'");
    expect((await rest<Array<{ stations: string[] | null }>>('/api/planned-stops')).filter((s) => s.stations?.includes(st.id))).toEqual([]);
    await page.screenshot({ path: artifactPath('planned-stop-form.png') });
    await form.locator('input[name="stations"]').fill(st.name); // a name works as well as an id
    expect(await form.locator('[data-field="stations"] .field-error').textContent()).toBe('');
    await form.locator('button[type="submit"]').click();
    const stop = await waitFor(async () => (await rest<Array<{ id: string; stations: string[] }>>('/api/planned-stops')).find((s) => s.stations?.includes(st.id)), T, 'the planned stop');
    expect(await page.locator(`tr[data-stop="${stop.id}"] td.stop-scope`).textContent()).toBe(st.name);
    expect(await rest(`/api/stations/${st.id}/mode`)).toMatchObject({ mode: 'stopped', source: 'planned_stop' });
    await expect.poll(() => page.locator(`.modes-table tr[data-station="${st.id}"] .mode-badge`).textContent(), { timeout: T }).toBe('停运');
    await page.screenshot({ path: artifactPath('planned-stops.png') });

    try {
      stack.sim.setFault(st.id, 'power_loss', true);
      const power = await waitFor(async () => (await alarmsOf(st.id, 'suppressed')).find((a) => a.class === 'power_loss' && a.active && a.suppressedBy?.includes('mode')), T, 'power loss suppressed by the stop');
      await page.goto(`${stack.url}/#/alarms/suppressed`);
      const row = page.locator(`tr[data-alarm="${power.id}"]`);
      await shotOnFail(page, 'suppressed-view', () => row.waitFor({ timeout: T }));
      expect(await row.locator('.alarm-why').textContent()).toContain('停运');
      expect(await row.locator('.alarm-msg').textContent()).toBe(power.messages['zh-CN']);
      expect(Number(await page.locator('.alarm-tab[data-tab="suppressed"] .tab-count').textContent())).toBeGreaterThan(0);
      await page.screenshot({ path: artifactPath('suppressed-view.png'), fullPage: true });
      // while the condition holds, nothing of it is annunciated: not over the API, not in the page
      const quiet = (a: { class: string | null }) => a.class === 'power_loss' || a.class === 'pump_trip';
      expect((await alarmsOf(st.id)).filter(quiet)).toEqual([]);
      const inPage = await page.evaluate((id) => (window as any).heatwatch.state.alarms.filter((a: { station: string }) => a.station === id), st.id);
      expect(inPage.filter(quiet)).toEqual([]);

      stack.sim.setFault(st.id, 'burst', true);
      const item = page.locator(`#banner .banner-item[href="#/station/${st.id}"]`).first();
      await shotOnFail(page, 'stop-banner', () => item.waitFor({ timeout: T }));
      expect(await item.getAttribute('class')).toContain('prio-1');
      expect(await item.textContent()).toContain('水浸');
    } finally {
      stack.sim.setFault(st.id, 'power_loss', false);
      stack.sim.setFault(st.id, 'burst', false);
    }
    // the stop is cancelled from the page once the power is back (a stopped station's rules
    // stay suppressed, holding or not)
    await waitFor(async () => (await alarmsOf(st.id, 'suppressed')).every((a) => a.class !== 'power_loss' || !a.active), T, 'power restored');
    await page.goto(`${stack.url}/#/stops`);
    await page.locator(`tr[data-stop="${stop.id}"] .btn-cancel-stop`).click();
    await page.locator('dialog .btn-ok').click();
    await waitFor(async () => (await rest<Array<{ id: string }>>('/api/planned-stops')).every((s) => s.id !== stop.id), T, 'the stop cancelled');
    await expect.poll(() => page.locator(`tr[data-stop="${stop.id}"]`).count(), { timeout: T }).toBe(0);
    expect(errors).toEqual([]);
  }, TEST_MS);

  it('a pump trip shows one annunciated alarm, in Chinese, with its children nested under it, and one ticket', async () => {
    const st = stack.sim.stations[2];
    const { page, errors } = await open('demo-operator', '#/alarms');
    stack.sim.setFault(st.id, 'pump_trip', true);
    try {
      // whichever alarm is the first-out (no_pump P1, or pumpN_trip P2 when a standby pump
      // starts), the list shows it alone with what follows from it indented under it
      const shown = await shotOnFail(page, 'pump-trip', () =>
        waitFor(
          () =>
            page.evaluate((id) => {
              const rows = [...document.querySelectorAll('.alarm-active tbody tr')].filter((r) => r.querySelector(`a[href="#/station/${id}"]`));
              const top = rows.filter((r) => !r.classList.contains('alarm-child'));
              const kids = rows.filter((r) => r.classList.contains('alarm-child'));
              if (top.length !== 1 || kids.length === 0) return null;
              // children follow their parent directly
              if (rows[0] !== top[0]) return null;
              return {
                id: top[0].getAttribute('data-alarm')!,
                text: top[0].querySelector('.alarm-msg')!.firstChild!.textContent!,
                children: kids.map((k) => ({ id: k.getAttribute('data-alarm')!, parent: k.getAttribute('data-parent')!, text: k.querySelector('.alarm-msg')!.textContent! })),
              };
            }, st.id),
          T,
          'one alarm with its children in the active list',
        ),
      );
      const annunciated = await alarmsOf(st.id);
      expect(annunciated.map((a) => a.id)).toEqual([shown.id]);
      const first = annunciated[0];
      expect(first.class).toBe('pump_trip');
      expect(shown.text).toBe(first.messages['zh-CN']);
      expect(shown.text).toMatch(CHINESE);
      // every child the page nests is a suppressed alarm of this station whose parent chain leads to it
      const suppressed = new Map((await alarmsOf(st.id, 'suppressed')).map((a) => [a.id, a]));
      for (const c of shown.children) {
        expect(suppressed.get(c.id)?.parent).toBe(c.parent);
        expect(c.text).toContain(suppressed.get(c.id)!.messages['zh-CN']);
      }
      await page.screenshot({ path: artifactPath('active-nested.png'), fullPage: true });
      // children never reach the banner
      const bannerIds = await page.$$eval('#banner .banner-item', (els) => els.map((e) => e.getAttribute('data-alarm')));
      expect(bannerIds.filter((id) => shown.children.some((c) => c.id === id))).toEqual([]);

      await page.goto(`${stack.url}/#/tickets`);
      const rows = page.locator(`tr[data-ticket]:has(a[href="#/station/${st.id}"])`);
      await shotOnFail(page, 'pump-ticket', () => expect.poll(() => rows.count(), { timeout: T }).toBe(1));
      const tickets = await rest<Array<{ id: number; alarmIds: string[] }>>(`/api/tickets?station=${st.id}`);
      expect(tickets).toHaveLength(1);
      expect(tickets[0].alarmIds).toContain(first.id);
      const title = await rows.first().locator('.ticket-title').textContent();
      expect(title).toContain(`${st.name}: ${first.messages['zh-CN']}`);
      expect(await page.locator(`tr[data-ticket]:has(a[href="#/station/${st.id}"])`).count()).toBe(1);
    } finally {
      stack.sim.setFault(st.id, 'pump_trip', false);
    }
    expect(errors).toEqual([]);
  }, TEST_MS);

  it('bulk acknowledge by the station and cause filter acknowledges the matching alarms with one comment', async () => {
    const st = stack.sim.stations[3];
    stack.sim.setFault(st.id, 'burst', true);
    try {
      // flood is the one alarm of its class (a burst also raises leak alarms, later): what
      // matches the filter is known before the click
      const flood = await waitFor(async () => (await alarmsOf(st.id)).find((a) => a.class === 'flood' && a.state === 'unacked'), T, 'the flood alarm');
      const viewer = await open('demo-read', '#/alarms');
      await viewer.page.locator('.alarm-active').waitFor({ timeout: T });
      expect(await viewer.page.locator('.btn-bulk-ack').count()).toBe(0);

      const { page, errors } = await open('demo-operator', '#/alarms');
      const station = page.locator('select.alarm-filter-station');
      await expect.poll(() => station.locator(`option[value="${st.id}"]`).count(), { timeout: T }).toBe(1);
      await station.selectOption(st.id);
      await page.locator('select.alarm-filter-class').selectOption('flood');
      await page.locator('.btn-bulk-ack').click();
      const dlg = page.locator('dialog');
      expect(await dlg.locator('input[name="station"]').inputValue()).toBe(st.name);
      expect(await dlg.locator('input[name="class"]').inputValue()).toBe('水浸');
      await dlg.locator('textarea[name="comment"]').fill('已通知抢修班');
      await dlg.locator('.btn-ok').click();
      await shotOnFail(page, 'bulk-ack', () => expect.poll(() => page.locator('.bulk-result').textContent(), { timeout: T }).toBe('已确认 1 条报警'));
      const ours = (await alarmsOf(st.id, 'all')).filter((a) => a.comment === '已通知抢修班');
      expect(ours.map((a) => [a.id, a.ackedBy])).toEqual([[flood.id, 'demo-operator']]);
      await expect.poll(() => page.locator(`.alarm-active tr[data-alarm="${flood.id}"] .alarm-state`).textContent(), { timeout: T }).toBe('已确认');

      // nothing left to acknowledge: the server's 400 is shown in the dialog, next to the station
      await page.locator('.btn-bulk-ack').click();
      await dlg.locator('textarea[name="comment"]').fill('再次确认');
      await dlg.locator('.btn-ok').click();
      await expect.poll(() => dlg.locator('[data-field="station"] .field-error').textContent(), { timeout: T }).toBe('station: matches no unacknowledged alarm');
      await dlg.locator('.btn-cancel').click();
      expect(errors).toEqual([]);
      expect(viewer.errors).toEqual([]);
    } finally {
      stack.sim.setFault(st.id, 'burst', false);
    }
  }, TEST_MS);

  it('maintenance set in the station detail shows the badge on the station’s tile', async () => {
    const st = stack.sim.stations[4];
    const viewer = await open('demo-read', `#/station/${st.id}`);
    await viewer.page.locator('.mode-panel').waitFor({ timeout: T });
    expect(await viewer.page.locator('.btn-set-mode').count()).toBe(0);

    const { page, errors } = await open('demo-operator', `#/station/${st.id}`);
    await page.locator('.btn-set-mode').click();
    const form = page.locator('form.mode-form');
    await form.locator('select[name="mode"]').selectOption('maintenance');
    await form.locator('input[name="comment"]').fill('班组到站检修换热器');
    const local = (ms: number) => page.evaluate((t) => new Date(t - new Date(t).getTimezoneOffset() * 60_000).toISOString().slice(0, 16), ms);
    await form.locator('input[name="until"]').fill(await local(Date.now() - 3_600_000));
    await form.locator('button[type="submit"]').click();
    await expect.poll(() => form.locator('[data-field="until"] .field-error').textContent(), { timeout: T }).toMatch(/^until: (is in the past|must be after from)$/);
    await page.screenshot({ path: artifactPath('station-mode-form.png') });
    await form.locator('input[name="until"]').fill(await local(Date.now() + 2 * 3_600_000));
    await form.locator('button[type="submit"]').click();
    await expect.poll(() => page.locator('.detail-mode .mode-badge').getAttribute('data-mode'), { timeout: T }).toBe('maintenance');
    expect(await rest(`/api/stations/${st.id}/mode`)).toMatchObject({ mode: 'maintenance', source: 'operator', operator: { comment: '班组到站检修换热器' } });

    await page.goto(`${stack.url}/#/grid`);
    const badge = page.locator(`.tile[data-station="${st.id}"] .tile-mode`);
    await shotOnFail(page, 'tile-mode', () => expect.poll(() => badge.textContent(), { timeout: T }).toBe('检修'));
    expect(await badge.isVisible()).toBe(true);
    expect(await page.locator(`.tile[data-station="${stack.sim.stations[5].id}"] .tile-mode`).isVisible()).toBe(false);
    await page.screenshot({ path: artifactPath('grid-modes.png') });
    // a change made elsewhere (here over the API) reaches the tile with the periodic reload
    await rest(`/api/stations/${st.id}/mode`, 'demo-operator', { method: 'PUT', body: JSON.stringify({ mode: 'in_service', comment: '检修完成' }) });
    await expect.poll(() => badge.isVisible(), { timeout: T }).toBe(false);
    expect(errors).toEqual([]);
    expect(viewer.errors).toEqual([]);
  }, TEST_MS);

  it('the flood view groups the raises of the last minutes by area and cause', async () => {
    const st = stack.sim.stations[5];
    stack.sim.setFault(st.id, 'burst', true);
    try {
      await waitFor(async () => (await alarmsOf(st.id)).some((a) => a.class === 'flood'), T, 'the flood alarm');
      const { page, errors } = await open('demo-read', '#/alarms/flood');
      const area = stack.sim.stations[5].area;
      const row = page.locator(`.flood-table tr[data-class="flood"][data-area="${area}"]`);
      await shotOnFail(page, 'flood-view', () => row.waitFor({ timeout: T }));
      expect(await row.locator('td').nth(1).textContent()).toBe('水浸');
      expect(await row.locator('.flood-stations').textContent()).toContain(st.name);
      expect(Number(await page.locator('.flood-summary').getAttribute('data-raises'))).toBeGreaterThan(0);
      await page.screenshot({ path: artifactPath('flood-view.png') });
      expect(errors).toEqual([]);
    } finally {
      stack.sim.setFault(st.id, 'burst', false);
    }
  }, TEST_MS);

  it('in English, alarm texts, ticket titles and the new labels follow the page language', async () => {
    const st = stack.sim.stations[6];
    const { page, errors } = await open('demo-operator', '#/alarms', 'en');
    // every label has both languages (a string, so the test's own transform leaves import() alone)
    const diff = await page.evaluate(`(async () => {
      const { MESSAGES } = await import('/js/i18n.js');
      const zh = Object.keys(MESSAGES['zh-CN']);
      const en = Object.keys(MESSAGES.en);
      return [zh.filter((k) => !en.includes(k)), en.filter((k) => !zh.includes(k))];
    })()`);
    expect(diff).toEqual([[], []]);
    expect(await page.locator('.alarm-tab[data-tab="suppressed"]').textContent()).toMatch(/^Suppressed/);
    stack.sim.setFault(st.id, 'pump_trip', true);
    try {
      const first = await waitFor(async () => (await alarmsOf(st.id)).find((a) => a.class === 'pump_trip'), T, 'the pump alarm');
      const row = page.locator(`.alarm-active tr[data-alarm="${first.id}"] .alarm-msg`);
      await expect.poll(() => row.textContent(), { timeout: T }).toContain(first.messages.en);
      expect(first.messages.en).not.toMatch(CHINESE);
      await page.goto(`${stack.url}/#/tickets`);
      const title = page.locator(`tr[data-ticket]:has(a[href="#/station/${st.id}"]) .ticket-title`).first();
      await expect.poll(() => title.textContent(), { timeout: T }).toContain(`${st.name}: ${first.messages.en}`);
    } finally {
      stack.sim.setFault(st.id, 'pump_trip', false);
    }
    expect(errors).toEqual([]);
  }, TEST_MS);
});
