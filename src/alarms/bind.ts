import { TYPE_SUFFIX, type AlarmParams, type BoundExpr, type CompiledAlarm, type PointInfo, type RuleProblem } from './compiled.ts';
import { ExprError, identifiers, parseExpr, type ExprAst } from './expr.ts';
import { commLossWindowMs } from '../model.ts';
import { modeMask } from './modes.ts';
import { compilePattern, resolveRelative } from './pattern.ts';
import type { AlarmRuleConfig, AlarmRuleType } from './rule-schema.ts';
import type { Priority } from './types.ts';

export interface BindContext {
  stations: string[];
  byStation: Map<string, PointInfo[]>;
  /** every full point id → its one shared (internalized) string */
  ids: Map<string, string>;
  exprCache: Map<string, ExprAst | ExprError>;
  /**
   * Values shared between alarm instances during one compile: messages,
   * id-free params, weather curves and input lists, by content. Dropped with
   * the context after compiling.
   */
  shared?: Map<string, unknown>;
  curves?: Map<PointInfo['curve'], Array<[number, number]>>;
}

function shareBy<T>(ctx: BindContext, key: string, make: () => T): T {
  const m = (ctx.shared ??= new Map());
  let v = m.get(key) as T | undefined;
  if (v === undefined) m.set(key, (v = make()));
  return v;
}

/** The id rule entries are grouped by: explicit `id`, else `<point>:<type suffix>`. */
export function ruleKey(r: AlarmRuleConfig): string | null {
  if (r.id !== undefined) return r.id;
  if (r.point === undefined || r.type === undefined) return null;
  return `${r.point}:${TYPE_SUFFIX[r.type]}`;
}

const REQUIRED: Record<string, ReadonlyArray<keyof AlarmRuleConfig>> = {
  high: ['limit'],
  highHigh: ['limit'],
  low: ['limit'],
  lowLow: ['limit'],
  rateOfChange: ['rate', 'windowS'],
  deviation: ['limit', 'reference'],
  state: [],
  mismatch: ['feedback'],
  stale: ['afterS'],
  frozen: ['afterS'],
  commLoss: [],
  expression: ['expr'],
  baseline: ['baseline'],
};
const EXPR_FIELDS = ['expr', 'while', 'suppressedBy'] as const;

function parseCached(src: string, cache: Map<string, ExprAst | ExprError>): ExprAst | ExprError {
  let r = cache.get(src);
  if (r === undefined) {
    try {
      r = parseExpr(src);
    } catch (e) {
      r = e instanceof ExprError ? e : new ExprError(String(e), 1);
    }
    cache.set(src, r);
  }
  return r;
}

/** Checks an effective (merged) rule for the fields its type needs and parses its expressions. */
export function validateRule(
  r: AlarmRuleConfig,
  where: (field: string) => string,
  cache: Map<string, ExprAst | ExprError> = new Map(),
): RuleProblem[] {
  const out: RuleProblem[] = [];
  const need = (f: string, why: string) => out.push({ path: `${where(f)}.${f}`, message: why });
  if (r.point === undefined) need('point', 'required');
  if (r.type === undefined) {
    need('type', 'required');
    return out;
  }
  if (r.priority === undefined) need('priority', 'required');
  for (const f of REQUIRED[r.type]) if (r[f] === undefined) need(f, `required for type ${r.type}`);
  const dirs = r.type === 'rateOfChange' ? ['rising', 'falling', 'both'] : r.type === 'deviation' ? ['above', 'below', 'both'] : null;
  if (r.direction !== undefined && (!dirs || !dirs.includes(r.direction))) {
    need('direction', dirs ? `must be one of ${dirs.join(', ')} for type ${r.type}` : `does not apply to type ${r.type}`);
  }
  if (r.type === 'baseline' && r.baseline?.method === 'atLoad') {
    if (r.baseline.minus === undefined) need('baseline', 'minus is required for method atLoad');
    if (r.baseline.load === undefined) need('baseline', 'load is required for method atLoad');
  }
  if (r.type !== 'commLoss' && r.point !== undefined && r.point.split('.').length !== 3) {
    need('point', 'must be station.device.point (wildcards allowed)');
  }
  for (const f of EXPR_FIELDS) {
    const src = r[f];
    if (src === undefined) continue;
    const ast = parseCached(src, cache);
    if (ast instanceof ExprError) need(f, ast.message);
    else for (const id of identifiers(ast)) if (id.split('.').length > 2) need(f, `'${id}' must be point or device.point`);
  }
  return out;
}

export interface BindResult {
  alarms: CompiledAlarm[];
  matched: number;
  errors: RuleProblem[];
  missing: Array<{ path: string; ref: string }>;
}

function describe(r: AlarmRuleConfig): string {
  switch (r.type) {
    case 'high':
    case 'highHigh':
      return `${r.type === 'high' ? 'high' : 'high-high'} (> ${r.limit})`;
    case 'low':
    case 'lowLow':
      return `${r.type === 'low' ? 'low' : 'low-low'} (< ${r.limit})`;
    case 'rateOfChange':
      return `${r.direction ?? 'both'} more than ${r.rate} in ${r.windowS} s`;
    case 'deviation':
      return `deviates from ${r.reference} by more than ${r.limit} (${r.direction ?? 'both'})`;
    case 'state':
      return `is ${String(r.alarmValue ?? true)}`;
    case 'mismatch':
      return `command and feedback ${r.feedback} disagree`;
    case 'stale':
      return `no good value for ${r.afterS} s`;
    case 'frozen':
      return `unchanged for ${r.afterS} s`;
    case 'commLoss':
      return 'communication lost';
    case 'baseline':
      return r.baseline?.method === 'atLoad' ? `more than ${r.baseline.offset ?? 0} above its clean level at equal load` : `more than ${r.baseline?.factor ?? 3}× its baseline`;
    default:
      return r.expr ?? '';
  }
}

const ZONE = /^z[2-4]_/;

/** The zone prefixes as constants: a match's own string per alarm was ~260,000 strings at 5,000 stations. */
const ZONES: Readonly<Record<string, string>> = { z2_: 'z2_', z3_: 'z3_', z4_: 'z4_' };

/** The zone prefix of a point id (`z2_`), or '' for zone 1 and station-wide points. */
export function zoneOf(point: string): string {
  const m = ZONE.exec(point);
  return m ? ZONES[m[0]] : '';
}

/** `hs-1.plc.f_sec` in zone `z2_` → `hs-1.plc.z2_f_sec` (ids already zoned are kept). */
function inZone(fullId: string, zone: string): string {
  const dot = fullId.lastIndexOf('.');
  const point = fullId.slice(dot + 1);
  return ZONE.test(point) ? fullId : `${fullId.slice(0, dot + 1)}${zone}${point}`;
}

/** A limit from the zone's static head (station facts), or undefined when the rule or station has none. */
function staticLimit(r: AlarmRuleConfig, t: { zone?: string; staticHeadMPa?: readonly number[] }): number | undefined {
  if (r.limitOverStaticHead === undefined || !t.staticHeadMPa?.length) return undefined;
  const z = t.zone ? Number(t.zone[1]) - 1 : 0;
  const head = t.staticHeadMPa[Math.min(z, t.staticHeadMPa.length - 1)];
  return Math.round((head + r.limitOverStaticHead) * 1000) / 1000;
}

/** Param types that name points: their params are per instance. */
const HAS_IDS: Record<AlarmRuleType, boolean> = {
  high: false,
  highHigh: false,
  low: false,
  lowLow: false,
  rateOfChange: false,
  deviation: true,
  state: false,
  mismatch: true,
  stale: false,
  frozen: true,
  commLoss: false,
  expression: true,
  baseline: true,
};

/** One copy of a station's weather curve for every alarm that uses it. */
function sharedCurve(ctx: BindContext, curve: NonNullable<PointInfo['curve']>): Array<[number, number]> {
  const m = (ctx.curves ??= new Map());
  let c = m.get(curve);
  if (!c) {
    c = curve.map(([x, y]) => [x, y] as [number, number]);
    const key = `c\u0000${JSON.stringify(c)}`;
    c = shareBy(ctx, key, () => c!);
    m.set(curve, c);
  }
  return c;
}

/** Defaults of a baseline rule: make-up learns a week, fouling a season's start (2 months). */
function baselineParams(r: AlarmRuleConfig, ref: (field: string, rel: string) => string): AlarmParams {
  const b = r.baseline!;
  const atLoad = b.method === 'atLoad';
  return {
    type: 'baseline',
    method: b.method,
    learnMs: (b.learnDays ?? (atLoad ? 60 : 7)) * 86_400_000,
    recentMs: (b.recentH ?? 24) * 3_600_000,
    factor: atLoad ? 1 : (b.factor ?? 3),
    offset: b.offset ?? 0,
    minimum: b.minimum ?? null,
    deadband: r.deadband ?? 0,
    minus: atLoad ? ref('baseline', b.minus!) : null,
    load: atLoad ? ref('baseline', b.load!) : null,
    bands: b.bands ?? 5,
  };
}

/** Binds one effective rule to the matching points (or devices) of one station. */
export function bindRule(
  r: AlarmRuleConfig,
  ruleId: string,
  station: string,
  ctx: BindContext,
  where: (field: string) => string,
): BindResult {
  const res: BindResult = { alarms: [], matched: 0, errors: [], missing: [] };
  const type = r.type!;
  const pat = compilePattern(r.point!);
  const pts = ctx.byStation.get(station) ?? [];
  const suffix = r.id ?? TYPE_SUFFIX[type];
  const targets: Array<{ device: string; point: string | null; pollMs: number; curve?: PointInfo['curve']; staticHeadMPa?: readonly number[]; zone?: string }> = [];
  if (type === 'commLoss') {
    const devs = new Map<string, number>();
    for (const p of pts) {
      const segs = pat.size === 2 ? [p.station, p.device] : [p.station, p.device, p.point];
      if (pat.match(segs)) devs.set(p.device, Math.max(devs.get(p.device) ?? 0, p.pollMs));
    }
    for (const [device, pollMs] of devs) targets.push({ device, point: null, pollMs });
  } else {
    const zones = r.zones !== false;
    for (const p of pts) {
      const zone = zoneOf(p.point);
      if (pat.match([p.station, p.device, p.point])) targets.push(zone ? { ...p, zone } : p);
      else if (zones && zone && pat.match([p.station, p.device, p.point.slice(zone.length)])) targets.push({ ...p, zone });
    }
  }
  for (const t of targets) {
    res.matched++;
    const fullId = t.point === null ? `${station}.${t.device}` : `${station}.${t.device}.${t.point}`;
    const full = ctx.ids.get(fullId) ?? shareBy(ctx, `d\u0000${fullId}`, () => fullId);
    let ok = true;
    const ref = (field: string, rel: string): string => {
      const id = resolveRelative(station, t.device, rel);
      // in a zone, a reference names the zone's own point where the station has one (z2_f_sec), else the station's
      const zoned = t.zone ? ctx.ids.get(inZone(id, t.zone)) : undefined;
      if (zoned !== undefined) return zoned;
      const shared = ctx.ids.get(id);
      if (shared === undefined) {
        res.missing.push({ path: `${where(field)}.${field}`, ref: rel });
        ok = false;
        return id;
      }
      return shared;
    };
    const bind = (field: 'expr' | 'while' | 'suppressedBy', src: string): BoundExpr => {
      const ast = parseCached(src, ctx.exprCache) as ExprAst;
      const refs: Record<string, string> = {};
      for (const id of identifiers(ast)) refs[id] = ref(field, id);
      return { src, refs };
    };
    const inputs = t.point === null ? [] : [full];
    const read = (id: string) => {
      if (!inputs.includes(id)) inputs.push(id);
      return id;
    };
    let params: AlarmParams;
    switch (type) {
      case 'high':
      case 'highHigh':
      case 'low':
      case 'lowLow':
        params = { type, limit: staticLimit(r, t) ?? r.limit!, deadband: r.deadband ?? 0 };
        break;
      case 'rateOfChange':
        params = { type, rate: r.rate!, windowMs: r.windowS! * 1000, direction: (r.direction ?? 'both') as 'rising' | 'falling' | 'both', resetBelow: r.resetBelow ?? 0 };
        break;
      case 'deviation': {
        const has = (rel: string) => ctx.ids.has(resolveRelative(station, t.device, rel)) || (!!t.zone && ctx.ids.has(inZone(resolveRelative(station, t.device, rel), t.zone)));
        const isCurve = r.reference === 'curve' || (r.fallback === 'curve' && !has(r.reference!));
        const curve = isCurve ? pts.find((p) => p.curve)?.curve : undefined;
        if (isCurve && !curve) {
          res.missing.push({ path: `${where('reference')}.reference`, ref: 'curve' });
          ok = false;
        }
        params = {
          type,
          limit: r.limit!,
          deadband: r.deadband ?? 0,
          direction: (r.direction ?? 'both') as 'above' | 'below' | 'both',
          reference: isCurve ? null : read(ref('reference', r.reference!)),
          curve: curve ? sharedCurve(ctx, curve) : null,
          outdoor: isCurve ? read(ref('outdoor', r.outdoor ?? 't_outdoor')) : null,
          // a PLC setpoint point already carries the PLC's own setback; only the curve needs the schedule
          setback: curve ? (pts.find((p) => p.setback)?.setback ?? null) : null,
        };
        break;
      }
      case 'state':
        params = { type, alarmValue: Number(r.alarmValue ?? true) };
        break;
      case 'mismatch':
        params = { type, feedback: read(ref('feedback', r.feedback!)), tolerance: r.tolerance ?? null };
        break;
      case 'stale':
        params = { type, afterMs: r.afterS! * 1000 };
        break;
      case 'frozen': {
        const w = r.while !== undefined ? bind('while', r.while) : null;
        if (w) for (const id of Object.values(w.refs)) read(id);
        params = { type, afterMs: r.afterS! * 1000, while: w };
        break;
      }
      case 'commLoss':
        params = { type, afterMs: r.afterS !== undefined ? r.afterS * 1000 : commLossWindowMs(t.pollMs) };
        break;
      case 'expression': {
        const e = bind('expr', r.expr!);
        for (const id of Object.values(e.refs)) read(id);
        params = { type, expr: e };
        break;
      }
      case 'baseline':
        params = baselineParams(r, (f, rel) => ref(f, rel));
        break;
    }
    const suppressedBy = r.suppressedBy !== undefined ? bind('suppressedBy', r.suppressedBy) : null;
    if (!ok) continue;
    // params without point ids are the same for every instance of a rule
    if (!HAS_IDS[type] || (params.type === 'frozen' && params.while === null)) params = shareBy(ctx, `p\u0000${JSON.stringify(params)}`, () => params);
    const rel = t.point === null ? t.device : `${t.device}.${t.point}`;
    const message = r.message ?? shareBy(ctx, `m\u0000${rel} ${describe(r)}`, () => `${rel} ${describe(r)}`);
    res.alarms.push({
      alarmId: `${full}:${suffix}`,
      ruleId,
      path: where('type'),
      type,
      station,
      device: t.device,
      point: full,
      priority: r.priority as Priority,
      message,
      class: r.class ?? null,
      onDelayMs: (r.onDelayS ?? 0) * 1000,
      offDelayMs: (r.offDelayS ?? 0) * 1000,
      latching: r.latching ?? false,
      inputs: shareBy(ctx, `i\u0000${inputs.join('\u0000')}`, () => inputs.slice()), // exact length, no spare capacity
      params,
      suppressedBy,
      modeMask: modeMask(r.modes, r.unattendedOnly ?? false),
      zone: t.zone ?? '',
      parentRules: r.parents ?? null,
      parents: null,
    });
  }
  return res;
}
