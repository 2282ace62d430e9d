// Page case of `npm run bench`: the control-room grid in headless Chromium with N simulated
// stations (default 2,000) polled every --period-ms. Reports main-thread time per second of
// live updates (CDP Performance.getMetrics TaskDuration / ScriptDuration deltas; target < 200 ms/s)
// and the bytes transferred on first load. Standalone: node --import tsx scripts/bench-page.ts --stations 2000
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { launchBrowser, startStack } from '../tests/ui/stack.ts';

export interface PageBenchResult {
  stations: number;
  periodMs: number;
  measuredS: number;
  taskMsPerS: number;
  scriptMsPerS: number;
  samplesPerS: number;
  firstLoadKB: number;
  firstLoadRequests: number;
  stationsJsonKB: number;
  tilesInDom: number;
}

async function metric(cdp: { send: (m: 'Performance.getMetrics') => Promise<{ metrics: Array<{ name: string; value: number }> }> }) {
  const { metrics } = await cdp.send('Performance.getMetrics');
  const get = (n: string) => metrics.find((m) => m.name === n)?.value ?? 0;
  return { task: get('TaskDuration'), script: get('ScriptDuration'), ts: get('Timestamp') };
}

export async function runPageBench(opts: { stations: number; periodMs: number; seconds: number }): Promise<PageBenchResult> {
  const stack = await startStack({ stations: opts.stations, pollMs: opts.periodMs, seed: 1 });
  const browser = await launchBrowser();
  try {
    const context = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
    await context.addInitScript(() => localStorage.setItem('heatwatch.token', 'demo-read'));
    const page = await context.newPage();
    await page.goto(`${stack.url}/`, { waitUntil: 'load' });
    await page.locator('body[data-ready="1"]').waitFor({ timeout: 120_000 });
    const load = await page.evaluate(() => {
      const entries = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')] as PerformanceResourceTiming[];
      const stationsJson = entries.find((e) => e.name.includes('/api/stations'));
      return { bytes: entries.reduce((n, e) => n + (e.transferSize || e.encodedBodySize || 0), 0), requests: entries.length, stationsJson: stationsJson ? stationsJson.transferSize || stationsJson.encodedBodySize : 0 };
    });
    // wait for a full poll round to reach the page before measuring
    await page.waitForFunction(() => (window as any).heatwatch.samples > 0, undefined, { timeout: 120_000 });
    await page.waitForTimeout(opts.periodMs);
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    const s0 = await page.evaluate(() => (window as any).heatwatch.samples as number);
    const m0 = await metric(cdp);
    await page.waitForTimeout(opts.seconds * 1000);
    const m1 = await metric(cdp);
    const s1 = await page.evaluate(() => (window as any).heatwatch.samples as number);
    const dt = m1.ts - m0.ts;
    return {
      stations: opts.stations,
      periodMs: opts.periodMs,
      measuredS: Math.round(dt),
      taskMsPerS: ((m1.task - m0.task) / dt) * 1000,
      scriptMsPerS: ((m1.script - m0.script) / dt) * 1000,
      samplesPerS: (s1 - s0) / dt,
      firstLoadKB: load.bytes / 1024,
      firstLoadRequests: load.requests,
      stationsJsonKB: load.stationsJson / 1024,
      tilesInDom: await page.locator('.tile').count(),
    };
  } finally {
    await browser.close();
    await stack.stop();
  }
}

export function formatPageBench(r: PageBenchResult): string {
  const f = (n: number, d = 1) => n.toFixed(d);
  return [
    `page: ${r.stations} stations, period ${r.periodMs} ms, measured ${r.measuredS} s`,
    `  main thread ${f(r.taskMsPerS)} ms/s (script ${f(r.scriptMsPerS)} ms/s; target < 200 ms/s) for ${f(r.samplesPerS, 0)} key-value samples/s; ${r.tilesInDom} tiles in the DOM`,
    `  first load ${f(r.firstLoadKB)} KB in ${r.firstLoadRequests} requests (of which /api/stations ${f(r.stationsJsonKB)} KB)`,
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { stations: { type: 'string', default: '2000' }, 'period-ms': { type: 'string', default: '10000' }, seconds: { type: 'string', default: '30' } } });
  const r = await runPageBench({ stations: Number(values.stations), periodMs: Number(values['period-ms']), seconds: Number(values.seconds) });
  console.log(formatPageBench(r));
  process.exit(0);
}
