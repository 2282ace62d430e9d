/**
 * Normal operations of a heating utility that the model can schedule (DOMAIN §2, "Normal
 * operation that must not raise alarms"). An entry says what happens at which station and when,
 * so a test can tell normal from fault and heatwatch can be told of planned stops.
 * Times are ms epoch; intervals are [fromMs, toMs).
 */
export const OPERATION_KINDS = [
  'patrol',
  'changeover',
  'setback',
  'boost',
  'refill',
  'outage',
  'planned_stop',
  'season_start',
  'meter_replace',
] as const;
export type OperationKind = (typeof OPERATION_KINDS)[number];

/**
 * Named edge cases drawn on purpose (a real station does these and they fool simple rules):
 * - before_hours / after_hours: a patrol starting before 08:00 or running past 18:00
 * - second_visit: a second patrol the same day
 * - late_feedback: run feedback 3–6 s after the command (still a normal start)
 * - early_stop: the duty pump's command goes off just before the standby's feedback arrives
 * - during_changeover: a 4G outage that hides a changeover
 * - cell: an outage of every station on one 4G cell at once
 * - with_patrol: a drain and refill done by the patrol crew, overlapping the patrol's door
 * - night: a riser repair in the evening, outside attended hours
 * - overnight: a planned stop running through the night
 * - floor_setback: night setback at a floor-heating station
 * - extra: given in `OperationsOptions.extra`
 */
export type OperationEdge =
  | 'before_hours'
  | 'after_hours'
  | 'second_visit'
  | 'late_feedback'
  | 'early_stop'
  | 'during_changeover'
  | 'cell'
  | 'with_patrol'
  | 'night'
  | 'overnight'
  | 'floor_setback'
  | 'extra';

interface Base {
  station: number;
  fromMs: number;
  toMs: number;
  /** intervals when the station door is open (a crew on site) */
  door?: Array<[number, number]>;
  edge?: OperationEdge;
}

/** Daily patrol: door open for its whole interval. */
export interface PatrolOp extends Base {
  kind: 'patrol';
}

/**
 * Pump changeover in one zone: at `fromMs` the standby pump (`toPump`) is commanded on, its run
 * feedback follows `feedbackMs` later, the other pump is commanded off at `offMs`; from `offMs`
 * both secondary pressures carry a half-sine transient of `transientMPa` for `transientMs`.
 * `toMs` = offMs + transientMs. Skipped by the model while the station is stopped or tripped.
 */
export interface ChangeoverOp extends Base {
  kind: 'changeover';
  zone: number;
  toPump: 1 | 2;
  feedbackMs: number;
  offMs: number;
  transientMPa: number;
  transientMs: number;
}

/** PLC setpoint offset: setback (negative, 23:00–05:00) or morning boost (positive, after 05:00). */
export interface SetpointOp extends Base {
  kind: 'setback' | 'boost';
  offsetK: number;
}

/**
 * Riser drain and refill in one zone: the crew arrives at `fromMs`, drains from `drainFromMs`
 * (make-up held off, pressure falls by `dropMPa`), refills from `refillFromMs` to `toMs` (make-up
 * forced at `makeupPct` % of nominal circulation, pressure back to static).
 */
export interface RefillOp extends Base {
  kind: 'refill';
  zone: number;
  drainFromMs: number;
  refillFromMs: number;
  dropMPa: number;
  makeupPct: number;
}

/** No answers at all (4G link down). `cell` is set for a cell-wide outage. */
export interface OutageOp extends Base {
  kind: 'outage';
  cell?: number;
}

/** Planned stop (停热): pumps off, valve closed, temperatures decay; pumps restart at `toMs`. */
export interface PlannedStopOp extends Base {
  kind: 'planned_stop';
  reason: string;
}

export type SeasonPhase = 'empty' | 'filling' | 'pressure_test' | 'cold_circulation' | 'heat_up';

/**
 * One phase of the season start: empty (out of season, pumps off, no pressure), filling
 * (pressure ~0 → static, make-up at filling flow), pressure_test (up to static + `testMPa`, held,
 * released; ramps of 10 min), cold_circulation (pumps on, valve closed), heat_up (the PLC ramps
 * its setpoint from cold to the curve).
 */
export interface SeasonOp extends Base {
  kind: 'season_start';
  phase: SeasonPhase;
  testMPa?: number;
}

/**
 * Heat meter or PLC replaced: at `atMs` the counters it keeps restart (heat meter: heat_energy
 * to a few GJ; PLC: v_makeup and pump hours to 0). Heat meter: heat_power reads 0 from
 * `outFromMs` until `atMs`. PLC: no answers from `outFromMs` until `outToMs`.
 */
export interface MeterReplaceOp extends Base {
  kind: 'meter_replace';
  what: 'heat_meter' | 'plc';
  atMs: number;
  outFromMs: number;
  outToMs: number;
}

export type Operation = PatrolOp | ChangeoverOp | SetpointOp | RefillOp | OutageOp | PlannedStopOp | SeasonOp | MeterReplaceOp;

/** An operation given explicitly: kind, station and interval; other fields get defaults. */
export type OperationInput =
  | { kind: 'patrol' | 'outage'; station: number; fromMs: number; toMs: number }
  | { kind: 'planned_stop'; station: number; fromMs: number; toMs: number; reason?: string }
  | ({ kind: 'changeover'; station: number; fromMs: number } & Partial<Pick<ChangeoverOp, 'zone' | 'toPump' | 'feedbackMs' | 'offMs' | 'transientMPa' | 'transientMs'>>)
  | ({ kind: 'refill'; station: number; fromMs: number; toMs: number } & Partial<Pick<RefillOp, 'zone' | 'drainFromMs' | 'refillFromMs' | 'dropMPa' | 'makeupPct'>>)
  | { kind: 'meter_replace'; station: number; atMs: number; what?: 'heat_meter' | 'plc' };

/** Kinds whose frequency `OperationsOptions.rates` scales. */
export type RatedKind = 'refill' | 'outage' | 'planned_stop' | 'meter_replace';

export interface OperationsOptions {
  /** kinds to schedule; default every kind (season_start only with `seasonStart`) */
  kinds?: readonly OperationKind[];
  /**
   * Season start: stations are empty before it and start one by one over the following 3 days
   * (filling, pressure test, cold circulation, heat-up). `true` = local midnight of the day the
   * model starts; or give the local midnight yourself.
   */
  seasonStart?: boolean | { atMs: number };
  /** frequency multipliers (1 = the utility's usual rates; see schedule.ts) */
  rates?: Partial<Record<RatedKind, number>>;
  /** attended hours, local time (default [8, 18]) */
  attendedHours?: [number, number];
  /** share of stations whose PLC starts the standby pump on a trip (default 0.9) */
  autoStartShare?: number;
  /** delay before that start, s (default 3) */
  autoStartDelayS?: number;
  /** operations added to the schedule (tests, a season check's planned stops) */
  extra?: readonly OperationInput[];
}
