import { compileAlarmRules } from '../alarms/config.ts';
import { startupTokenProblems, unsetTokenEnvs } from '../api/tokens.ts';
import { ConfigError, loadConfig } from '../config/load.ts';

/**
 * `heatwatch check-config`: one line per problem on stderr and exit 2, or a summary and exit 0.
 * It refuses what `run` refuses (demo tokens too); a token variable not set in this shell is only
 * noted, since the file may be checked where the service's environment is not.
 */
export function runCheckConfig(file: string): number {
  try {
    const cfg = loadConfig(file);
    const refused = startupTokenProblems(cfg.tokens, { envRequired: false });
    if (refused.length) throw new ConfigError(file, refused);
    const devices = cfg.stations.reduce((n, s) => n + s.devices.length, 0);
    const points = cfg.stations.reduce((n, s) => n + s.devices.reduce((m, d) => m + d.points.length, 0), 0);
    const notes = unsetTokenEnvs(cfg.tokens).map((t) => `  note: ${t.key}: ${t.env} is not set here; run and serve need it\n`);
    // what the service's start-up warning points to: configured rules that apply nowhere or not everywhere
    for (const w of compileAlarmRules(cfg).warnings) notes.push(`  note: ${w.path}: ${w.message}\n`);
    process.stdout.write(`${file}: ok — ${cfg.stations.length} stations, ${devices} devices, ${points} points\n${notes.join('')}`);
    return 0;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    return 2;
  }
}
