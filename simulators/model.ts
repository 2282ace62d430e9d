/**
 * Physical model of a network of heat substations (pure: no I/O, no clock; time is passed in).
 * Every station has 1..4 exchanger zones; state lives in one Float64Array per station so that
 * 5,000 stations × 3 zones advance in a few milliseconds per simulated second.
 * Sensor noise is computed when a value is read, from a hash of (seed, station, point, step):
 * reading never changes the model and the same seed gives the same readings.
 *
 * The parts, one job each, under model/:
 * - layout.ts: state slots, faults, physical constants
 * - plan.ts, params.ts: per-station habits and physical parameters
 * - init.ts: the state a station starts from; step.ts: one time step of the physics
 * - readers.ts: what the PLC reports; faults.ts: what switching a fault does to the state
 * - operation-types.ts, schedule.ts, schedule-config.ts: the normal operations and their schedule
 * - apply.ts: applying the schedule while advancing; counters.ts: restart-proof counters
 * - fault-plan.ts: labelled fault windows; network.ts: the Network that ties them together
 */
export { FAULTS, isFault, diurnal, PLC_MODES, type Fault } from './model/layout.ts';
export { FORCED_POINTS, isForcedPoint, type ForcedPoint } from './model/readers.ts';
export { createNetwork, Network, type NetworkOptions, type StationInfo } from './model/network.ts';
export type { HeatingType } from './model/plan.ts';
export { COUNTER_EPOCH_MS } from './model/counters.ts';
export { planFaults, PLANNED_FAULTS, type FaultPlanOptions, type FaultWindow } from './model/fault-plan.ts';
export {
  OPERATION_KINDS,
  type ChangeoverOp,
  type MeterReplaceOp,
  type Operation,
  type OperationEdge,
  type OperationInput,
  type OperationKind,
  type OperationsOptions,
  type OutageOp,
  type PatrolOp,
  type PlannedStopOp,
  type RatedKind,
  type RefillOp,
  type SeasonOp,
  type SeasonPhase,
  type SetpointOp,
} from './model/operation-types.ts';
