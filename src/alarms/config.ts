import type { ResolvedConfig } from '../config/resolve.ts';
import { compileRules, pointsOfStations } from './compile.ts';
import type { CompiledRules, PointInfo } from './compiled.ts';
import { DEFAULT_RULES } from './default-rules.ts';
import type { AlarmRuleConfig } from './rule-schema.ts';

/**
 * Keeps only the points some alarm reads (plus one per device, so every device has a record
 * for its comm-loss timing). A city has hundreds of thousands of points and most of them feed
 * trends only; the engine's per-point records for those would be memory and GC work for nothing.
 * Samples of the other points are skipped by the engine's lookup.
 */
export function pointsAlarmsRead(compiled: CompiledRules): PointInfo[] {
  const used = new Set<string>();
  for (const a of compiled.alarms) {
    for (const id of a.inputs) used.add(id);
    for (const id of Object.values(a.suppressedBy?.refs ?? {})) used.add(id);
    if (a.params.type === 'frozen' && a.params.while) for (const id of Object.values(a.params.while.refs)) used.add(id);
    if (a.params.type === 'expression') for (const id of Object.values(a.params.expr.refs)) used.add(id);
  }
  const seenDevice = new Set<string>();
  return compiled.points.filter((p) => {
    const device = `${p.station}.${p.device}`;
    const first = !seenDevice.has(device);
    seenDevice.add(device);
    return first || used.has(`${device}.${p.point}`);
  });
}

type RulesInput = Pick<ResolvedConfig, 'stations' | 'alarms'>;

/**
 * Per-station overrides of the default rules from station facts, placed after the defaults and
 * before the configured rules (so a configured override still wins). Floor heating runs at
 * ΔT 2–4 K and at most 60 °C (DOMAIN §1), where the radiator limits would alarm all winter.
 */
export function factRules(stations: RulesInput['stations']): AlarmRuleConfig[] {
  const floor = stations.filter((s) => s.heatingType === 'floor').map((s) => s.id);
  if (floor.length === 0) return [];
  return [
    {
      id: 'sec_dt',
      stations: floor,
      expr: 'plc.t_sec_supply - plc.t_sec_return < 1.5 || plc.t_sec_supply - plc.t_sec_return > 12',
    },
    { id: 't_sec_hh', stations: floor, limit: 60 },
  ];
}

/** Rules compiled by validateConfig (src/config/load.ts), with the inputs they came from. */
export interface PrecompiledRules {
  compiled: CompiledRules;
  stations: RulesInput['stations'];
  alarms: RulesInput['alarms'];
  periods: string;
}

// poll periods feed comm-loss timing, so rules compiled for other periods are stale
const periodsOf = (cfg: RulesInput) => cfg.stations.map((s) => s.devices.map((d) => d.pollMs).join(',')).join(';');

function compileFresh(cfg: RulesInput): CompiledRules {
  const all = compileRules(cfg.alarms ?? [], pointsOfStations(cfg.stations), { defaults: [...DEFAULT_RULES, ...factRules(cfg.stations)] });
  return { ...all, points: pointsAlarmsRead(all) };
}

/**
 * Compiles the config's rules and keeps them on it as `alarmRules`: loading compiles them to
 * report rule errors and the service needs the same result right after; at city scale compiling
 * twice doubles start-up time and peak memory. Not enumerable, so a copy of the config
 * (`{ ...cfg, alarms }`) does not carry rules compiled for another input, and dumps skip them.
 */
export function precompileAlarmRules(cfg: ResolvedConfig): CompiledRules {
  const compiled = compileFresh(cfg);
  const pre: PrecompiledRules = { compiled, stations: cfg.stations, alarms: cfg.alarms, periods: periodsOf(cfg) };
  Object.defineProperty(cfg, 'alarmRules', { value: pre, enumerable: false, configurable: true, writable: true });
  return compiled;
}

/**
 * The config's alarm rules over the shipped defaults, bound to the configured points: the ones
 * compiled at load when the config still has the stations, rules and poll periods they were
 * compiled from (replay may swap in other rules), else compiled now.
 */
export function compileAlarmRules(cfg: RulesInput & { alarmRules?: PrecompiledRules | undefined }): CompiledRules {
  const pre = cfg.alarmRules;
  if (pre && pre.stations === cfg.stations && pre.alarms === cfg.alarms && pre.periods === periodsOf(cfg)) return pre.compiled;
  const fresh = compileFresh(cfg);
  // a stale set (poll periods changed after loading) is released: at city scale it is ~30 MB per 1,000 stations
  if (pre) Object.defineProperty(cfg, 'alarmRules', { value: undefined });
  return fresh;
}

/**
 * Drops the rules compiled at load from the config once the engine is built from them: their
 * list of every point an alarm reads (~355,000 at 5,000 stations) is needed only to build it.
 * A later `compileAlarmRules` compiles afresh.
 */
export function releaseAlarmRules(cfg: { alarmRules?: PrecompiledRules | undefined }): void {
  if (cfg.alarmRules) Object.defineProperty(cfg, 'alarmRules', { value: undefined });
}
