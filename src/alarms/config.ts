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

/**
 * Compiled rules by config object: loading a config compiles them to report rule errors, and
 * the service needs the same result right after; at city scale compiling twice doubles start-up
 * time and peak memory. Poll periods feed comm-loss timing, so a changed period recompiles.
 */
const cache = new WeakMap<RulesInput, { stations: RulesInput['stations']; alarms: RulesInput['alarms']; periods: string; compiled: CompiledRules }>();
const periodsOf = (cfg: RulesInput) => cfg.stations.map((s) => s.devices.map((d) => d.pollMs).join(',')).join(';');

/** The config's alarm rules over the shipped defaults, bound to the configured points. */
export function compileAlarmRules(cfg: RulesInput): CompiledRules {
  const periods = periodsOf(cfg);
  const hit = cache.get(cfg);
  if (hit && hit.stations === cfg.stations && hit.alarms === cfg.alarms && hit.periods === periods) return hit.compiled;
  const all = compileRules(cfg.alarms ?? [], pointsOfStations(cfg.stations), { defaults: [...DEFAULT_RULES, ...factRules(cfg.stations)] });
  const compiled = { ...all, points: pointsAlarmsRead(all) };
  cache.set(cfg, { stations: cfg.stations, alarms: cfg.alarms, periods, compiled });
  return compiled;
}
