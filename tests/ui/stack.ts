// In-process simulator + heatwatch service on ephemeral ports, and a headless Debian Chromium,
// for the page's browser tests and the page bench.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { parse, stringify } from 'yaml';
import { chromium, type Browser, type Page } from 'playwright-core';
import { parseConfigText } from '../../src/config/load.ts';
import type { ResolvedConfig } from '../../src/config/resolve.ts';
import { startService, type Service } from '../../src/service.ts';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../simulators/index.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
export const ARTIFACTS = join(import.meta.dirname, '..', 'artifacts');

export interface Stack {
  sim: Simulator;
  svc: Service;
  url: string;
  stop(): Promise<void>;
}

export async function startStack(opts: {
  stations: number;
  pollMs: number;
  seed?: number;
  layout?: SimulatorOptions['layout'];
  /** tokens beside the demo's two (a qa or engineer user) */
  tokens?: Array<{ name: string; token: string; role: string }>;
  /** edits the parsed config before the service starts (e.g. the shift starts) */
  configure?: (cfg: ResolvedConfig) => void;
  /** the service's clock (default the real one) */
  now?: () => number;
}): Promise<Stack> {
  const dir = mkdtempSync(join(tmpdir(), 'heatwatch-ui-'));
  const sim = await startSimulator({ stations: opts.stations, seed: opts.seed ?? 7, modbusPort: 0, controlPort: 0, ...(opts.layout ? { layout: opts.layout } : {}) });
  try {
    const doc = parse(sim.configYaml({ pollMs: opts.pollMs }));
    doc.auth.tokens.push(...(opts.tokens ?? []));
    const cfg = parseConfigText(stringify(doc), 'ui test');
    cfg.api.port = 0;
    cfg.storage.series = { kind: 'sqlite', path: join(dir, 'series.db') };
    cfg.storage.state = { kind: 'sqlite', path: join(dir, 'state.db') };
    cfg.ingest.maxDelayMs = 100;
    opts.configure?.(cfg);
    const svc = await startService(cfg, { logger: pino({ level: 'silent' }), listen: true, ...(opts.now ? { now: opts.now } : {}) });
    return {
      sim,
      svc,
      url: svc.url,
      async stop() {
        await svc.stop();
        await sim.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** Launches Debian's Chromium; fails with the install command when it is missing. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found; install it with: sudo apt-get install -y --no-install-recommends chromium`);
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/** Runs `check` with a screenshot of the page when it fails, so a failure can be looked at. */
export async function shotOnFail<R>(page: Page, name: string, check: () => Promise<R>): Promise<R> {
  try {
    return await check();
  } catch (err) {
    await page.screenshot({ path: artifactPath(`${name}-failed.png`), fullPage: true }).catch(() => undefined);
    throw err;
  }
}

export function artifactPath(name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  return join(ARTIFACTS, name);
}

/**
 * A new browser context on the page at `hash`, as `token`, in Chinese, ready: the token is stored
 * first, then a new document is loaded (a hash change alone would not restart the page).
 */
export async function openPage(browser: Browser, stack: Stack, token: string, hash = '#/tickets'): Promise<Page> {
  const page = await (await browser.newContext({ viewport: { width: 1600, height: 900 } })).newPage();
  await page.goto(`${stack.url}/`);
  await page.evaluate((tk) => {
    localStorage.setItem('heatwatch.token', tk);
    localStorage.setItem('heatwatch.lang', 'zh-CN');
  }, token);
  await page.goto('about:blank');
  await page.goto(`${stack.url}/${hash}`);
  await page.locator('body[data-ready="1"]').waitFor({ timeout: 30_000 });
  return page;
}
