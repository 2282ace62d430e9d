import { ConfigError, loadConfig } from '../config/load.ts';

/** `heatwatch check-config`: one line per problem on stderr and exit 2, or a summary and exit 0. */
export function runCheckConfig(file: string): number {
  try {
    const cfg = loadConfig(file);
    const devices = cfg.stations.reduce((n, s) => n + s.devices.length, 0);
    const points = cfg.stations.reduce((n, s) => n + s.devices.reduce((m, d) => m + d.points.length, 0), 0);
    process.stdout.write(`${file}: ok — ${cfg.stations.length} stations, ${devices} devices, ${points} points\n`);
    return 0;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    return 2;
  }
}
