import type { ResolvedConfig } from '../config/resolve.ts';
import { compileRules, pointsOfStations } from './compile.ts';
import type { CompiledRules } from './compiled.ts';
import { DEFAULT_RULES } from './default-rules.ts';

/** The config's alarm rules over the shipped defaults, bound to the configured points. */
export function compileAlarmRules(cfg: Pick<ResolvedConfig, 'stations' | 'alarms'>): CompiledRules {
  return compileRules(cfg.alarms ?? [], pointsOfStations(cfg.stations), { defaults: DEFAULT_RULES });
}
