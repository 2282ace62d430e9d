import { ConfigError, loadConfig } from '../config/load.ts';
import { startupTokenProblems } from '../api/tokens.ts';
import type { ResolvedConfig } from '../config/resolve.ts';
import type { Logger } from '../log.ts';
import { startService, type Service } from '../service.ts';

/** Resolves when SIGINT/SIGTERM arrives, after `stop` finished. */
export function untilSignal(stop: () => Promise<void>, log: Logger): Promise<void> {
  return new Promise((resolve) => {
    const onSignal = (sig: string) => {
      log.info({ signal: sig }, 'stopping');
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      stop().then(resolve, (err) => {
        log.error({ err }, 'error while stopping');
        resolve();
      });
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

export async function runResolved(cfg: ResolvedConfig, log: Logger, onStarted?: (svc: Service) => void): Promise<number> {
  const svc = await startService(cfg, { logger: log });
  onStarted?.(svc);
  await untilSignal(() => svc.stop(), log);
  return 0;
}

/**
 * The config for `run` and `serve`: loadConfig, then what only a real start refuses — the demo's
 * published tokens and token variables that are not set (`heatwatch demo` builds its own config).
 */
export function loadForStart(file: string): ResolvedConfig {
  const cfg = loadConfig(file);
  const problems = startupTokenProblems(cfg.tokens);
  if (problems.length) throw new ConfigError(file, problems);
  return cfg;
}

/** `heatwatch run`: a bad config throws ConfigError before anything starts (exit 2). */
export async function runService(file: string, log: Logger): Promise<number> {
  const cfg = loadForStart(file);
  log.info({ config: file, stations: cfg.stations.length }, 'config loaded');
  return runResolved(cfg, log);
}
