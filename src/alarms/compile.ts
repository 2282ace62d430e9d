import type { StationSpec } from '../config/resolve.ts';
import { bindRule, ruleKey, validateRule, type BindContext } from './bind.ts';
import { internalize } from '../intern.ts';
import type { CompiledAlarm, CompiledRules, PointInfo, RuleProblem } from './compiled.ts';
import type { AlarmRuleConfig } from './rule-schema.ts';

export type { CompiledAlarm, CompiledRules, PointInfo, RuleProblem } from './compiled.ts';

export interface CompileOptions {
  /** rules applied before the configured ones (normally DEFAULT_RULES); their paths read `defaults[i]` */
  defaults?: readonly AlarmRuleConfig[];
  /** path prefix of the configured rules, default `alarms` */
  prefix?: string;
}

/** The points of resolved stations, in the form `compileRules` takes. */
export function pointsOfStations(stations: readonly StationSpec[]): PointInfo[] {
  const out: PointInfo[] = [];
  for (const s of stations) {
    // one array per station, shared by its points (at city scale one per point is ~20 MB)
    const staticHeadMPa = typeof s.staticHeadMPa === 'number' ? [s.staticHeadMPa] : s.staticHeadMPa;
    for (const d of s.devices) {
      for (const p of d.points) {
        out.push({
          station: s.id,
          device: d.id,
          point: p.id,
          pollMs: d.pollMs,
          ...(s.curve ? { curve: s.curve } : {}),
          ...(s.setback ? { setback: s.setback } : {}),
          ...(staticHeadMPa ? { staticHeadMPa } : {}),
        });
      }
    }
  }
  return out;
}

interface Entry {
  rule: AlarmRuleConfig;
  path: string;
}

/**
 * Expands rules into concrete alarm instances, one per matching point (or
 * device, for commLoss) and station. Entries sharing an id merge in order: an
 * entry with `stations` only applies there, so a later entry overrides fields
 * for those stations. Never throws: problems come back as `errors` (invalid
 * rules, named by path: `alarms[3].expr: unexpected token ')' at 12`) and
 * `warnings` (patterns that match nothing, references missing at a station).
 *
 * @example
 * ```ts
 * const c = compileRules(cfg.alarms ?? [], pointsOfStations(cfg.stations), { defaults: DEFAULT_RULES });
 * if (c.errors.length) report(c.errors);
 * const engine = createEngine(c);
 * ```
 */
export function compileRules(
  rules: readonly AlarmRuleConfig[],
  points: readonly PointInfo[],
  opts: CompileOptions = {},
): CompiledRules {
  const errors: RuleProblem[] = [];
  const warnings: RuleProblem[] = [];
  const defaultNotes: RuleProblem[] = [];
  const entries: Entry[] = [
    ...(opts.defaults ?? []).map((rule, i) => ({ rule, path: `defaults[${i}]` })),
    ...rules.map((rule, i) => ({ rule, path: `${opts.prefix ?? 'alarms'}[${i}]` })),
  ];
  const groups = new Map<string, Entry[]>();
  for (const e of entries) {
    const key = ruleKey(e.rule);
    if (key === null) {
      errors.push({ path: e.path, message: 'a rule needs an id, or point and type' });
      continue;
    }
    const g = groups.get(key);
    if (g) g.push(e);
    else groups.set(key, [e]);
  }

  const ctx = buildContext(points);
  const alarms: CompiledAlarm[] = [];
  const seenIds = new Map<string, string>();
  const seenProblems = new Set<string>();
  const problem = (list: RuleProblem[], p: RuleProblem) => {
    const k = `${p.path}\u0000${p.message}`;
    if (!seenProblems.has(k)) {
      seenProblems.add(k);
      list.push(p);
    }
  };

  for (const [ruleId, group] of groups) {
    let matched = 0;
    let invalid = false;
    const missing = new Map<string, { path: string; count: number }>();
    for (const station of ctx.stations) {
      let eff: AlarmRuleConfig | null = null;
      const origin: Record<string, string> = {};
      for (const e of group) {
        if (e.rule.stations && !e.rule.stations.includes(station)) continue;
        eff = Object.assign({}, eff, e.rule) as AlarmRuleConfig;
        for (const k of Object.keys(e.rule)) origin[k] = e.path;
      }
      if (!eff || eff.enabled === false) continue;
      const lastPath = group[group.length - 1].path;
      const bad = validateRule(eff, (field) => origin[field] ?? origin.type ?? lastPath);
      if (bad.length) {
        for (const p of bad) problem(errors, p);
        invalid = true;
        continue;
      }
      const res = bindRule(eff, ruleId, station, ctx, (field) => origin[field] ?? lastPath);
      matched += res.matched;
      for (const p of res.errors) problem(errors, p);
      for (const m of res.missing) {
        const k = `${m.path}\u0000${m.ref}`;
        const cur = missing.get(k);
        if (cur) cur.count++;
        else missing.set(k, { path: m.path, count: 1 });
      }
      for (const a of res.alarms) {
        const prev = seenIds.get(a.alarmId);
        if (prev !== undefined) {
          problem(errors, { path: a.path, message: `alarm id ${a.alarmId} already defined by ${prev}; give the rule a distinct id` });
          continue;
        }
        seenIds.set(a.alarmId, a.path);
        alarms.push(a);
      }
    }
    const first = group[0];
    // a shipped rule for plant (or a curve) this network lacks is expected; a rule the user wrote is a mistake
    const notes = group.every((e) => e.path.startsWith('defaults[')) ? defaultNotes : warnings;
    const anyStationScoped = group.every((e) => e.rule.stations);
    if (matched === 0 && !invalid && !anyStationScoped && !group.some((e) => e.rule.enabled === false)) {
      problem(notes, { path: `${first.path}.point`, message: `rule ${ruleId}: pattern '${first.rule.point ?? '?'}' matches no point` });
    }
    for (const [k, m] of missing) {
      const ref = k.split('\u0000')[1];
      problem(notes, { path: m.path, message: `rule ${ruleId}: '${ref}' is missing at ${m.count} match(es); skipped there` });
    }
  }
  linkParents(alarms, ctx, errors, new Set(groups.keys()));
  // one flat string per alarm id, the same object the engine's indexes and state use
  const flat = internalize(alarms.map((a) => a.alarmId));
  alarms.forEach((a, i) => (a.alarmId = flat[i]));
  return { alarms, points: [...points], warnings, errors, defaultNotes };
}

/** A child waits at least this long, so a parent whose condition comes from the same poll is known first. */
export const CHILD_MIN_DELAY_MS = 2000;

/**
 * Resolves each alarm's parent rules to parent instances at its station: the same zone, or a
 * station-wide parent (a point with no zone copies, such as power_ok). Unknown parent rule ids
 * are errors; a rule that exists but matches no point here is no error (a default rule's parents
 * need not all apply to every site). A parent that is also a descendant is refused (no cycles).
 */
function linkParents(alarms: CompiledAlarm[], ctx: BindContext, errors: RuleProblem[], ruleIds: ReadonlySet<string>): void {
  const byStation = new Map<string, CompiledAlarm[]>();
  for (const a of alarms) {
    const l = byStation.get(a.station);
    if (l) l.push(a);
    else byStation.set(a.station, [a]);
  }
  const reported = new Set<string>();
  // children of one zone with the same parent rules have the same parents: one list for them all
  // (at 5,000 stations ~265,000 lists, most of them copies)
  const lists = new Map<string, string[]>();
  for (const a of alarms) {
    if (!a.parentRules) continue;
    for (const r of a.parentRules) {
      if (!ruleIds.has(r) && !reported.has(`${a.path}\u0000${r}`)) {
        reported.add(`${a.path}\u0000${r}`);
        errors.push({ path: `${a.path.replace(/\.type$/, '')}.parents`, message: `rule ${a.ruleId}: parent rule '${r}' does not exist` });
      }
    }
    const names = new Set((ctx.byStation.get(a.station) ?? []).map((q) => `${q.device}.${q.point}`));
    const stationWide = (p: CompiledAlarm) => {
      if (p.zone !== '') return false;
      const name = p.point.slice(p.station.length + 1 + p.device.length + 1);
      return !['z2_', 'z3_', 'z4_'].some((z) => names.has(`${p.device}.${z}${name}`));
    };
    const parents = (byStation.get(a.station) ?? [])
      .filter((p) => p !== a && a.parentRules!.includes(p.ruleId) && (p.zone === a.zone || stationWide(p)))
      .map((p) => p.alarmId);
    const key = parents.join('\u0000');
    let shared = lists.get(key);
    if (!shared) lists.set(key, (shared = parents));
    a.parents = parents.length ? shared : null;
    if (a.parents) a.onDelayMs = Math.max(a.onDelayMs, CHILD_MIN_DELAY_MS);
  }
  // refuse cycles: a parent chain that comes back to the alarm would suppress both for ever
  const byId = new Map(alarms.map((a) => [a.alarmId, a]));
  for (const a of alarms) {
    const seen = new Set<string>();
    const stack = [...(a.parents ?? [])];
    while (stack.length) {
      const id = stack.pop()!;
      if (id === a.alarmId) {
        errors.push({ path: `${a.path.replace(/\.type$/, '')}.parents`, message: `rule ${a.ruleId}: parents form a cycle at ${a.alarmId}` });
        a.parents = null;
        break;
      }
      if (seen.has(id)) continue;
      seen.add(id);
      stack.push(...(byId.get(id)?.parents ?? []));
    }
  }
}

function buildContext(points: readonly PointInfo[]): BindContext {
  const byStation = new Map<string, PointInfo[]>();
  const ids = new Map<string, string>();
  for (const id of internalize(points.map((p) => `${p.station}.${p.device}.${p.point}`))) ids.set(id, id);
  for (const p of points) {
    const l = byStation.get(p.station);
    if (l) l.push(p);
    else byStation.set(p.station, [p]);
  }
  return { stations: [...byStation.keys()], byStation, ids, exprCache: new Map() };
}
