import type { AlarmRuleType } from './rule-schema.ts';
import type { SetbackSchedule } from './setback.ts';
import type { Priority } from './types.ts';

/** One point the alarm compiler may bind rules to. */
export interface PointInfo {
  station: string;
  device: string;
  point: string;
  /** the device's poll period */
  pollMs: number;
  /** the station's weather curve, if any */
  curve?: ReadonlyArray<readonly [number, number]>;
  /** the station's setback schedule, which deviation from its curve allows for */
  setback?: SetbackSchedule;
  /** the station's static head (building height) in MPa, per zone (index 0 = zone 1), if configured */
  staticHeadMPa?: readonly number[];
}

/** An expression with its identifiers resolved to full point ids. */
export interface BoundExpr {
  src: string;
  /** identifier → full point id */
  refs: Record<string, string>;
}

/** Type-specific settings of an alarm instance, with relative ids resolved to full ids. */
export type AlarmParams =
  | { type: 'high' | 'highHigh' | 'low' | 'lowLow'; limit: number; deadband: number }
  | { type: 'rateOfChange'; rate: number; windowMs: number; direction: 'rising' | 'falling' | 'both'; resetBelow: number }
  | {
      type: 'deviation';
      limit: number;
      deadband: number;
      direction: 'above' | 'below' | 'both';
      reference: string | null;
      curve: Array<[number, number]> | null;
      outdoor: string | null;
      /** with `curve`: the station's setback schedule, expected as a band around the curve */
      setback: SetbackSchedule | null;
    }
  | { type: 'state'; alarmValue: number }
  | { type: 'mismatch'; feedback: string; tolerance: number | null }
  | { type: 'stale'; afterMs: number }
  | { type: 'frozen'; afterMs: number; while: BoundExpr | null }
  | { type: 'commLoss'; afterMs: number }
  | { type: 'expression'; expr: BoundExpr }
  | BaselineParams;

/** A baseline rule's settings (rule-schema.ts `baseline`), with defaults applied and ids resolved. */
export interface BaselineParams {
  type: 'baseline';
  method: 'daily' | 'atLoad';
  learnMs: number;
  recentMs: number;
  factor: number;
  offset: number;
  minimum: number | null;
  deadband: number;
  /** atLoad: full ids of the subtracted point and the load point */
  minus: string | null;
  load: string | null;
  bands: number;
}

/** A concrete alarm: one rule bound to one point (or device, for commLoss). Plain data. */
export interface CompiledAlarm {
  /** stable and unique: `hs-001.plc.t_sec_supply:hh`, `hs-001.plc:comm` */
  alarmId: string;
  ruleId: string;
  /** config path of the rule entry, `alarms[3]` */
  path: string;
  type: AlarmRuleType;
  station: string;
  device: string;
  /** full point id; `station.device` for commLoss */
  point: string;
  priority: Priority;
  message: string;
  class: string | null;
  onDelayMs: number;
  offDelayMs: number;
  latching: boolean;
  /** full ids of every point the condition reads */
  inputs: string[];
  params: AlarmParams;
  suppressedBy: BoundExpr | null;
  /** station contexts (mode + attended, see modes.ts) the alarm is active in */
  modeMask: number;
  /** zone prefix of the point (`z2_`), '' for zone 1 and station-wide points */
  zone: string;
  /** rule ids of the configured first-out parents */
  parentRules: readonly string[] | null;
  /** alarm ids of this instance's parents (same station; same zone or station-wide), set by compileRules */
  parents: string[] | null;
}

export interface RuleProblem {
  /** `alarms[3].expr` */
  path: string;
  message: string;
}

export interface CompiledRules {
  alarms: CompiledAlarm[];
  /** every known point (the engine keeps one record per point) */
  points: PointInfo[];
  /** configured rules that matched nothing, references missing at some stations */
  warnings: RuleProblem[];
  /**
   * the same for shipped default rules alone: normal (not every site has every plant item or a
   * curve), so not warned about at start-up
   */
  defaultNotes?: RuleProblem[];
  /** invalid rules (bad expression, missing required field, duplicate alarm id) */
  errors: RuleProblem[];
}

export const TYPE_SUFFIX: Record<AlarmRuleType, string> = {
  high: 'h',
  highHigh: 'hh',
  low: 'l',
  lowLow: 'll',
  rateOfChange: 'roc',
  deviation: 'dev',
  state: 'st',
  mismatch: 'mm',
  stale: 'stale',
  frozen: 'frozen',
  commLoss: 'comm',
  expression: 'expr',
  baseline: 'base',
};
