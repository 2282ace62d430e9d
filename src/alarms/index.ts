/** The alarm engine's public surface. */
export * from './types.ts';
export { AlarmRule, AlarmRules, RULE_TYPES, type AlarmRuleConfig, type AlarmRuleType } from './rule-schema.ts';
export { DEFAULT_RULES, severityToPriority, priorityToSeverity } from './default-rules.ts';
export { compileRules, pointsOfStations, type CompileOptions } from './compile.ts';
export type { CompiledAlarm, CompiledRules, PointInfo, RuleProblem, AlarmParams, BoundExpr } from './compiled.ts';
export { createEngine, NO_EVENTS, type Engine, type EngineOptions } from './engine.ts';
export type { OperatorActions } from './actions.ts';
export { parseExpr, ExprError, type ExprAst } from './expr.ts';
export { curveAt } from './curve.ts';
export { alarmKpis, type AlarmKpis, type KpiEvent } from './kpis.ts';
