// The engineers' analytics page (分析) in a real headless Chromium against an in-process simulator
// and service: the network ranking over a daily table holding four weeks of known days (one
// station over-supplied, one with a low primary return, one losing water) shows the server's rows
// in the server's order with the outliers marked, for each sort and period, and a row opens the
// station; the network map places a marker per station with its state now (an alarm, a comm
// loss, maintenance, a stop, all well) inside the district outlines, and a marker opens the
// station; a station's scatter draws its stored hours and its weather curve, with the season
// overlay below; the station detail's trends carry its alarm raise and ticket events as markers.
// Screenshots: tests/artifacts/analytics-{ranking,map,scatter,detail-markers}.png.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dayBounds } from '../../src/analytics/days.ts';
import type { DailyRow } from '../../src/analytics/ranking.ts';
import type { Sample } from '../../src/model.ts';
import { addDays } from '../../src/reports/analytics-season.ts';
import { localDate } from '../../src/reports/period.ts';
import { waitFor } from '../helpers/wait.ts';
import { artifactPath, launchBrowser, openPage, shotOnFail, startStack, type Stack } from './stack.ts';

const T = 30_000;
const TZ = 'Asia/Shanghai';
/** Harbin, where the simulated network's curves come from */
const LAT = 45.75;
const LON = 126.63;
const OVER = 2;
const LOW_RETURN = 4;
const LEAKY = 5;

let stack: Stack;
let browser: Browser;
let ids: string[];
const pages: Page[] = [];

async function rest<R = any>(path: string, token = 'demo-read', init: { method?: string; body?: unknown } = {}): Promise<R> {
  const r = await fetch(`${stack.url}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${token}`, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  if (!r.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${r.status} ${await r.text()}`);
  return (await r.json()) as R;
}

async function open(hash: string): Promise<{ page: Page; errors: string[] }> {
  const page = await openPage(browser, stack, 'demo-read', hash);
  pages.push(page);
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  return { page, errors };
}

/** Four weeks of days before yesterday (the table's job keeps today and yesterday): known figures per station. */
function seedDays(): DailyRow[] {
  const today = localDate(Date.now(), TZ);
  const rows: DailyRow[] = [];
  for (let back = 2; back < 30; back++) {
    const day = addDays(today, -back);
    stack.svc.analytics.stations.forEach((s, i) => {
      const area = s.heatedAreaM2!;
      const hdd = 20;
      // the network uses about 80 kJ per m² and degree-day, each station a little differently; one far more
      const intensity = 8e-5 * (i === OVER ? 1.6 : 1 + 0.01 * i);
      rows.push({
        station: s.id,
        day,
        heatGJ: intensity * area * hdd,
        makeupM3: i === LEAKY ? 6 : 0.4 + 0.02 * i,
        hdd,
        meanOutdoorC: -2,
        meanSupplyC: 55 + i,
        meanReturnC: 42,
        meanPriReturnC: i === LOW_RETURN ? 36 : 45 + 0.2 * i,
        meanFlowSec: (area / 1000) * (i === OVER ? 1.4 : 1 + 0.01 * i),
        curveDeviationMin: i === OVER ? 900 : 10 * i,
        samplesOk: 1,
      });
    });
  }
  // last season a year before, colder: the season overlay's second line
  const lastSeason = rows.map((r) => ({ ...r, day: addDays(r.day, -365), heatGJ: r.heatGJ! * 1.15, hdd: 23 }));
  return [...rows, ...lastSeason];
}

beforeAll(async () => {
  stack = await startStack({
    stations: 6,
    pollMs: 1000,
    configure: (cfg) => {
      cfg.stations.forEach((s, i) => {
        s.heatedAreaM2 = 60_000 + 10_000 * i;
        s.systemVolumeM3 = 120;
        // a ring of stations some 5 km across
        s.location = { lat: LAT + 0.02 * Math.sin(i), lon: LON + 0.03 * Math.cos(i) };
      });
      const box = (lat: number, lon: number): Array<[number, number]> => [[lon - 0.012, lat - 0.01], [lon + 0.012, lat - 0.01], [lon + 0.012, lat + 0.01], [lon - 0.012, lat + 0.01]];
      cfg.analytics.districts = [0, 3].map((i) => ({ area: cfg.stations[i].area!, outline: box(LAT + 0.02 * Math.sin(i), LON + 0.03 * Math.cos(i)) }));
    },
  });
  ids = stack.sim.stations.map((s) => s.id);
  await stack.svc.analytics.daily.upsert(seedDays(), Date.now());
  browser = await launchBrowser();
}, 90_000);

afterAll(async () => {
  for (const p of pages) await p.context().close().catch(() => undefined);
  await browser?.close();
  await stack?.stop();
});

describe('the analytics page', () => {
  it('the ranking shows the server’s rows in its order with outliers marked; sort and period follow; a row opens the station', async () => {
    const { page, errors } = await open('#/analytics');
    await shotOnFail(page, 'analytics-ranking', async () => {
      expect(await page.locator('header nav a[href="#/analytics"]').textContent()).toBe('分析');
      await page.locator('#view-analytics .arank[data-loaded="30d/intensity"]').waitFor({ timeout: T });
      const rows = page.locator('#view-analytics tr.arank-row');
      const ranking = await rest('/api/analytics/ranking');
      expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-station')))).toEqual(ranking.stations.map((s: any) => s.station));
      // the over-supplied station uses the most heat per m² and degree-day, and stands out
      expect(ranking.stations[0].station).toBe(ids[OVER]);
      const top = page.locator(`tr.arank-row[data-station="${ids[OVER]}"]`);
      expect(await top.locator('td[data-col="intensity"]').getAttribute('data-outlier')).toBe('high');
      expect(await top.locator('td[data-col="intensity"]').textContent()).toBe(`${(ranking.stations[0].intensity * 1e6).toFixed(1)} ▲`);
      expect(await page.locator(`tr.arank-row[data-station="${ids[LOW_RETURN]}"] td[data-col="priReturnC"]`).getAttribute('data-outlier')).toBe('low');
      expect(await page.locator(`tr.arank-row[data-station="${ids[LEAKY]}"] td[data-col="makeupPct"]`).getAttribute('data-outlier')).toBe('high');
      // outliers only where the server says so
      const marked = await page.locator('#view-analytics td.outlier').count();
      const flagged = ranking.stations.reduce((n: number, s: any) => n + Object.keys(s.outliers).length, 0);
      expect(marked).toBe(flagged);
      expect(await page.locator('tr.arank-median').textContent()).toContain('管网中位数');
      await page.screenshot({ path: artifactPath('analytics-ranking.png') });

      await page.locator('#view-analytics .arank-sort').selectOption('makeupPct');
      await page.locator('#view-analytics .arank[data-loaded="30d/makeupPct"]').waitFor({ timeout: T });
      const byMakeup = await rest('/api/analytics/ranking?sort=makeupPct');
      expect(await page.locator('#view-analytics tr.arank-row').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-station')))).toEqual(byMakeup.stations.map((s: any) => s.station));
      expect(byMakeup.stations[0].station).toBe(ids[LEAKY]);

      await page.locator('#view-analytics .arank-period').selectOption('season');
      await page.locator('#view-analytics .arank[data-loaded="season/makeupPct"]').waitFor({ timeout: T });
      const season = await rest('/api/analytics/ranking?period=season&sort=makeupPct');
      expect(await page.locator('#view-analytics .arank-msg').textContent()).toContain(season.from);
      expect(await page.locator('#view-analytics tr.arank-row').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-station')))).toEqual(season.stations.map((s: any) => s.station));

      await page.locator(`tr.arank-row[data-station="${ids[LOW_RETURN]}"] td[data-col="hdd"]`).click();
      await page.waitForFunction((id) => location.hash === `#/station/${id}`, ids[LOW_RETURN]);
      await page.locator('#view-station .detail-head h2').waitFor({ timeout: T });
    });
    expect(errors).toEqual([]);
  }, 120_000);

  it('the map: a marker per station coloured by its state now, inside the district outlines; a marker opens the station', async () => {
    await waitFor(async () => (await rest('/api/stations')).every((s: any) => s.comm === 'online'), T, 'all stations online');
    stack.svc.alarms.raiseExternal({ key: 'page_test', station: ids[0], class: 'no_heat', priority: 2, message: '用户反映不热', active: true });
    stack.sim.setFault(ids[1], 'comm_loss', true);
    await rest(`/api/stations/${ids[3]}/mode`, 'demo-operator', { method: 'PUT', body: { mode: 'maintenance', comment: '更换除污器滤网' } });
    await rest(`/api/stations/${ids[4]}/mode`, 'demo-operator', { method: 'PUT', body: { mode: 'stopped', comment: '二次网改造停热' } });
    try {
      const want: Record<string, string> = { [ids[0]]: 'alarm', [ids[1]]: 'comm_loss', [ids[2]]: 'ok', [ids[3]]: 'maintenance', [ids[4]]: 'stopped', [ids[5]]: 'ok' };
      const map = await waitFor(async () => {
        const body = await rest('/api/analytics/map');
        return body.stations.every((s: any) => s.state === want[s.station]) ? body : null;
      }, T, 'the service to know every state');
      const { page, errors } = await open('#/analytics/map');
      await shotOnFail(page, 'analytics-map', async () => {
        const markers = page.locator('#view-analytics svg.network-map g.map-station');
        await expect.poll(() => markers.count(), { timeout: T }).toBe(ids.length);
        const shown = await markers.evaluateAll((gs) => gs.map((g) => [g.getAttribute('data-station'), g.getAttribute('class')]));
        expect(Object.fromEntries(shown)).toEqual(Object.fromEntries(map.stations.map((s: any) => [s.station, `map-station state-${s.state}`])));
        expect(await page.locator('#view-analytics polygon.map-district').count()).toBe(2);
        expect(await page.locator('#view-analytics .map-legend-item[data-state="comm_loss"]').textContent()).toBe('通讯中断 1');
        // the markers lie where the locations put them: west-east and south-north kept
        const centre = async (id: string) => page.locator(`g.map-station[data-station="${id}"] circle`).evaluate((c) => [Number(c.getAttribute('cx')), Number(c.getAttribute('cy'))]);
        const [a, b] = [await centre(ids[0]), await centre(ids[3])];
        // station 0 is east (cos 0 = 1) of station 3 (cos 3 < 0); station 0 south (sin 0) of station 1 (sin 1 > 0)
        expect(a[0]).toBeGreaterThan(b[0]);
        expect(a[1]).toBeGreaterThan((await centre(ids[1]))[1]);
        await page.screenshot({ path: artifactPath('analytics-map.png') });
        // in English the same map, its legend in English
        await page.locator('#lang').click();
        await expect.poll(() => page.locator('#view-analytics .map-legend-item[data-state="comm_loss"]').textContent(), { timeout: T }).toBe('Comm loss 1');
        expect(await markers.count()).toBe(ids.length);
        expect(await page.locator('#view-analytics .analytics-tabs a[data-tab="map"]').textContent()).toBe('Network map');
        await page.locator(`g.map-station[data-station="${ids[3]}"] circle`).click();
        await page.waitForFunction((id) => location.hash === `#/station/${id}`, ids[3]);
      });
      expect(errors).toEqual([]);
    } finally {
      stack.sim.setFault(ids[1], 'comm_loss', false);
    }
  }, 120_000);

  it("a station's scatter draws its hours and its curve; the season overlay comes with it", async () => {
    // a past day of hourly means on a known line, beside the live hours of today
    const day = localDate(Date.now() - 2 * 86_400_000, TZ);
    const { from } = dayBounds(day, TZ);
    const samples: Sample[] = [];
    for (let h = 0; h < 24; h++) {
      samples.push({ point: `${ids[OVER]}.plc.t_outdoor`, ts: from + h * 3_600_000 + 600_000, value: -22 + h, quality: 'good' });
      samples.push({ point: `${ids[OVER]}.plc.t_sec_supply`, ts: from + h * 3_600_000 + 600_000, value: 78 - 1.2 * h, quality: 'good' });
    }
    await stack.svc.series.write(samples);
    const { page, errors } = await open(`#/analytics/scatter/${ids[OVER]}`);
    await shotOnFail(page, 'analytics-scatter', async () => {
      const plot = page.locator('#view-analytics .ascatter-plot');
      await plot.locator('circle.scatter-point').first().waitFor({ timeout: T });
      // the page shows what the API answers for the same station and days (polled: a new hour may close meanwhile)
      await expect
        .poll(async () => {
          const api = await rest(`/api/analytics/scatter?station=${ids[OVER]}`);
          return (await plot.locator('circle.scatter-point').count()) === api.pairs.length && api.pairs.length >= 24;
        }, { timeout: T })
        .toBe(true);
      const api = await rest(`/api/analytics/scatter?station=${ids[OVER]}`);
      expect(api.curve.length).toBeGreaterThanOrEqual(2);
      // the curve: its points plus a flat end each side; the ±3 K band around it
      const curve = await plot.locator('polyline.scatter-curve').getAttribute('points');
      expect(curve!.trim().split(/\s+/)).toHaveLength(api.curve.length + 2);
      expect(await plot.locator('polyline.scatter-band').count()).toBe(2);
      expect(await page.locator('#view-analytics .ascatter-msg').textContent()).toContain('气候补偿曲线');
      // the season overlay below, on the API's day-of-season axis
      const season = await rest(`/api/analytics/season?station=${ids[OVER]}`);
      await expect.poll(() => page.locator('#view-analytics .aseason-chart').getAttribute('data-days'), { timeout: T }).toBe(String(season.days.length));
      expect(await page.locator('#view-analytics .aseason-chart canvas').count()).toBeGreaterThan(0);
      await page.screenshot({ path: artifactPath('analytics-scatter.png') });
      await page.locator('#view-analytics .aseason-chart').screenshot({ path: artifactPath('analytics-season.png') });
    });
    expect(errors).toEqual([]);
  }, 120_000);

  it("the station detail's trends carry its alarm raise and its ticket's events as markers", async () => {
    // the hour before on the station's temperatures, so the markers stand beside drawn values
    const hour: Sample[] = [];
    // every 10 s, the chart's step for an hour, so the values draw as lines, not lone points
    for (let k = 350; k >= 12; k--) {
      const ts = Date.now() - k * 10_000;
      for (const [p, v] of [['t_pri_supply', 95], ['t_pri_return', 48], ['t_sec_supply', 60], ['t_sec_return', 44]] as const) {
        hour.push({ point: `${ids[0]}.plc.${p}`, ts, value: v + 3 * Math.sin(k / 50), quality: 'good' });
      }
    }
    await stack.svc.series.write(hour);
    const ticket = await rest('/api/tickets', 'demo-operator', { method: 'POST', body: { source: 'manual', priority: 'P2', title: '巡检：板换温差偏大', description: '请检查板换', station: ids[0] } });
    const id = ticket.ticket?.id ?? ticket.id;
    await rest(`/api/tickets/${id}/transition`, 'demo-operator', { method: 'POST', body: { to: 'dispatched', assignee: '维修一班' } });
    const markers = await waitFor(async () => {
      const body = await rest(`/api/analytics/markers?station=${ids[0]}&from=now-1h`);
      return body.markers.some((m: any) => m.kind === 'alarm') && body.markers.filter((m: any) => m.kind === 'ticket').length >= 2 ? body.markers : null;
    }, T, 'the markers of station 0');
    const { page, errors } = await open(`#/station/${ids[0]}`);
    await shotOnFail(page, 'analytics-detail-markers', async () => {
      const chart = page.locator('#view-station .mini-chart[data-chart="temps"]');
      await chart.locator('.chart-marker').first().waitFor({ timeout: T });
      expect(await chart.locator('.chart-marker.marker-alarm').count()).toBe(markers.filter((m: any) => m.kind === 'alarm').length);
      expect(await chart.locator('.chart-marker.marker-ticket').count()).toBe(markers.filter((m: any) => m.kind === 'ticket').length);
      expect(await chart.locator('.chart-marker.marker-alarm').first().getAttribute('title')).toContain('报警 用户反映不热');
      expect(await chart.locator('.chart-marker.marker-ticket').last().getAttribute('title')).toContain(`#${id} 已派单: 巡检：板换温差偏大`);
      // the station's own link to its scatter
      await page.locator('#view-station a.detail-analytics').click();
      await page.locator(`#view-analytics .ascatter-plot[data-station="${ids[0]}"]`).waitFor({ timeout: T });
      await page.goto(`${stack.url}/#/station/${ids[0]}`);
      await chart.locator('.chart-marker').first().waitFor({ timeout: T });
      await page.locator('#view-station .mini-charts').screenshot({ path: artifactPath('analytics-detail-markers.png') });
    });
    expect(errors).toEqual([]);
  }, 120_000);
});
