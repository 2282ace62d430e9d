/**
 * `heatwatch serve`: the service without device polling — telemetry, device status and
 * collector presence come from MQTT (published by `heatwatch collect --shard K/N`), and feed
 * the same pipeline, stores, alarms and API as `heatwatch run`.
 */
import { parseArgs } from 'node:util';
import { configPath } from '../config/load.ts';
import { createLogger } from '../log.ts';
import { startService } from '../service.ts';
import { loadForStart, untilSignal } from './run.ts';

export async function runServe(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { config: { type: 'string' }, 'log-level': { type: 'string' } } });
  const log = createLogger(values['log-level'] ?? 'info');
  const cfg = loadForStart(configPath(values.config));
  if (!cfg.mqtt) {
    process.stderr.write('heatwatch serve: the config needs an mqtt section (serve subscribes to the collectors)\n');
    return 2;
  }
  const svc = await startService(cfg, { logger: log, mode: 'serve' });
  await untilSignal(() => svc.stop(), log);
  return 0;
}
