/**
 * Shared types of the alarm engine. Everything here is plain data but the points' readings and
 * the alarms' states, which are typed columns (point-states.ts, alarm-states.ts) that JSON
 * holds as records: the engine continues from `JSON.parse(JSON.stringify(state))` exactly.
 */
import type { Quality, SampleValue } from '../model.ts';
import type { AlarmStates } from './alarm-states.ts';
import type { PointStates } from './point-states.ts';

/** ISA-18.2 alarm states (DESIGN §2). */
export type AlarmStateName =
  | 'normal'
  | 'unacked'
  | 'acked'
  | 'rtn_unacked'
  | 'shelved'
  | 'suppressed'
  | 'out_of_service';

export type AlarmEventType =
  | 'raise'
  | 'clear'
  | 'ack'
  | 'shelve'
  | 'unshelve'
  | 'suppress'
  | 'unsuppress'
  | 'oos'
  | 'return'
  | 'latch'
  /** a counter restarted (meter or PLC replaced): recorded once, not an alarm; the state does not change */
  | 'reset';

export type Priority = 1 | 2 | 3 | 4;

/** One state transition of one alarm instance. `id` is monotonic within an engine state. */
export interface AlarmEvent {
  id: number;
  alarmId: string;
  ruleId: string;
  station: string;
  device: string;
  /** full point id (`station.device.point`); `station.device` for commLoss */
  point: string;
  ts: number;
  type: AlarmEventType;
  from: AlarmStateName;
  to: AlarmStateName;
  priority: Priority;
  value: SampleValue;
  message: string;
  class: string | null;
  user?: string;
  comment?: string;
}

/** Latest reading of one point, as JSON holds it (the engine keeps them in `PointStates`). */
export interface PointRecord {
  id: string;
  /** last value as received (null when bad) */
  val: SampleValue;
  /** numeric view of `val` (bool → 1/0); meaningful only when `ok` */
  v: number;
  /** the last sample was good and finite */
  ok: boolean;
  quality: Quality | null;
  /** engine time of the last sample of any quality, -1 if none */
  ts: number;
  /** engine time of the last good sample, -1 if none */
  good: number;
  /** engine time the good value last changed, -1 if none */
  changed: number;
}

/**
 * One alarm's state as it is persisted, restored and shown (the engine keeps them in
 * `AlarmStates`). `raw` is the condition after deadband, `cond` after on/off delays.
 */
export interface AlarmRecord {
  id: string;
  st: AlarmStateName;
  raw: boolean;
  rawTs: number;
  cond: boolean;
  /** engine time the condition last became active, -1 if never */
  activeTs: number;
  /** a latching alarm whose condition cleared before it was reset */
  latched: boolean;
  /** suppressed by `suppressedBy` */
  supExpr: boolean;
  /** suppressed because a device it reads is in comm loss */
  supComm: boolean;
  /** suppressed by design: the rule is not active in the station's mode (or attended hours); absent in older states */
  supMode?: boolean;
  /** first-out child: a parent's condition holds while this one's does; absent in older states */
  supParent?: boolean;
  shelvedUntil: number | null;
  shelvedBy: string | null;
  oos: boolean;
  /** engine time out of service ends (the alarm returns by itself); absent in older states, null = no end */
  oosUntil?: number | null;
  /** evaluator scratch (rate-of-change buckets), null otherwise */
  x: number[] | null;
}

export interface DeviceRecord {
  /** `station.device` */
  id: string;
  comm: 'online' | 'offline' | 'unknown';
  /** engine time of the last good sample or `online` status, -1 if none */
  lastOk: number;
  /** engine time the device was reported offline, -1 when not offline */
  offlineSince: number;
  /** comm loss established (after max(3 × period, 60 s)) */
  lost: boolean;
}

/**
 * The engine state. Lists are aligned with the engine's compiled alarm, point and device lists
 * (each record names its id, so `engine.adopt` can re-align a persisted state after a config
 * change).
 */
export interface EngineState {
  v: 1;
  /** id of the last event emitted */
  seq: number;
  /** engine time of the first step/tick, -1 before (baseline for stale / comm loss) */
  t0: number;
  points: PointStates;
  alarms: AlarmStates;
  devices: DeviceRecord[];
}

/** A state as JSON holds it: points and alarms as records. The engine takes either. */
export type StoredState = Omit<EngineState, 'points' | 'alarms'> & { points: PointRecord[]; alarms: AlarmRecord[] };

export interface StepResult {
  state: EngineState;
  events: readonly AlarmEvent[];
}

export type ActionResult =
  | { ok: true; state: EngineState; events: readonly AlarmEvent[] }
  | { ok: false; state: EngineState; events: readonly AlarmEvent[]; error: string };
