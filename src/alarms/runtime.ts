/**
 * The precomputed side of an engine: indexes from points to the alarms that
 * read them, compiled conditions, per-alarm constants in flat arrays. Built
 * once per compiled rule set by `createEngine`.
 */
import type { CompiledRules } from './compiled.ts';
import { AlarmCatalog } from './catalog.ts';
import { Conditions, isTimed } from './conditions.ts';
import { internalize } from '../intern.ts';
import { IdIndex } from '../id-index.ts';
import { commLossWindowMs } from '../model.ts';
import { AlarmStates } from './alarm-states.ts';
import { PointStates } from './point-states.ts';
import type { EngineState, StoredState } from './types.ts';

export interface Runtime {
  /** the compiled alarms, kept as columns (the compiler's objects are not held) */
  alarms: AlarmCatalog;
  /** alarm id → index (the catalog makes the ids it compares) */
  alarmIndex: IdIndex;
  /** internalized: the same string objects as the compiled alarms' point ids */
  pointIds: string[];
  /**
   * point id → slot, over `pointIds`, for `step` (a Modbus poll's layout is looked up once, see
   * engine.ts). An {@link IdIndex} rather than a dictionary object: the engine at 1,000
   * stations takes 13.7 MB instead of 20.0 (~25 MB less at 5,000), and `step` runs at about
   * half the dictionary's speed (5.4 against 10.0 M samples/s in tests/alarms/bench-engine.ts),
   * ~1 % of a core at 5,000 stations' 61,000 samples/s.
   */
  pointSlot: Pick<IdIndex, 'get'>;
  deviceIds: string[];
  /** point p → alarms whose condition reads it: `readers[readerStart[p] .. readerStart[p + 1])` */
  readerStart: Int32Array;
  readers: Int32Array;
  /** point p → alarms whose suppressedBy reads it, laid out like `readers` */
  supStart: Int32Array;
  supReaders: Int32Array;
  /** point → device */
  pointDevice: Int32Array;
  /** device d → alarms suppressed while it is in comm loss: `deviceAlarms[deviceAlarmStart[d] .. deviceAlarmStart[d + 1])` */
  deviceAlarmStart: Int32Array;
  deviceAlarms: Int32Array;
  /** alarm a → devices it reads: `alarmDevices[alarmDeviceStart[a] .. alarmDeviceStart[a + 1])` (flat: no array per alarm) */
  alarmDeviceStart: Int32Array;
  alarmDevices: Int32Array;
  /** device → comm-loss threshold max(3 × period, 60 s) */
  deviceLossMs: Float64Array;
  /** alarm → primary point, -1 for commLoss */
  primary: Int32Array;
  conds: Conditions;
  onMs: Float64Array;
  offMs: Float64Array;
  latching: Uint8Array;
  /** alarms evaluated on every tick */
  timed: Int32Array;
  stationIds: string[];
  /** station s → its alarms: `stationAlarms[stationAlarmStart[s] .. stationAlarmStart[s + 1])` */
  stationAlarmStart: Int32Array;
  stationAlarms: Int32Array;
  /** alarm → context mask (modes.ts) */
  modeMask: Uint8Array;
  /** first-out: alarm a → its children, and alarm a → its parents, laid out like `readers` */
  childStart: Int32Array;
  children: Int32Array;
  parentStart: Int32Array;
  parents: Int32Array;
}

function pushTo(m: Map<number, number[]>, k: number, v: number): void {
  const l = m.get(k);
  if (!l) m.set(k, [v]);
  else if (!l.includes(v)) l.push(v);
}
/** Lists per key 0..n-1 as one array with offsets (`start[k] .. start[k + 1]`). */
function flatLists(n: number, m: Map<number, number[]>): [Int32Array, Int32Array] {
  const start = new Int32Array(n + 1);
  const all: number[] = [];
  for (let k = 0; k < n; k++) {
    start[k] = all.length;
    for (const v of m.get(k) ?? []) all.push(v);
  }
  start[n] = all.length;
  return [start, Int32Array.from(all)];
}

/** `timeZone`: the site's, for conditions read at a local time of day (default UTC) */
export function buildRuntime(compiled: CompiledRules, timeZone?: string): Runtime {
  const alarms = compiled.alarms;
  const pointIds: string[] = [];
  const pointIndex = new Map<string, number>();
  const deviceIds: string[] = [];
  const deviceIndex = new Map<string, number>();
  const pointDev: number[] = [];
  const devPoll: number[] = [];
  for (const p of compiled.points) {
    const id = `${p.station}.${p.device}.${p.point}`;
    if (pointIndex.has(id)) continue;
    const dk = `${p.station}.${p.device}`;
    let di = deviceIndex.get(dk);
    if (di === undefined) {
      di = deviceIds.length;
      deviceIndex.set(dk, di);
      deviceIds.push(dk);
      devPoll.push(0);
    }
    devPoll[di] = Math.max(devPoll[di], p.pollMs);
    pointIndex.set(id, pointIds.length);
    pointIds.push(id);
    pointDev.push(di);
  }
  internalize(pointIds).forEach((id, i) => {
    pointIds[i] = id;
  });
  const pointSlot = IdIndex.over(pointIds);
  const ix = (id: string) => {
    const i = pointIndex.get(id);
    if (i === undefined) throw new Error(`alarm engine: unknown point ${id}`);
    return i;
  };
  const readers = new Map<number, number[]>();
  const supReaders = new Map<number, number[]>();
  const devAlarms = new Map<number, number[]>();
  const alarmDeviceStart = new Int32Array(alarms.length + 1);
  const alarmDevices: number[] = [];
  const timed: number[] = [];
  const catalog = new AlarmCatalog(alarms);
  // not a closure made here: it would keep every local of this function (the reader lists) alive
  const alarmIndex = catalog.index();
  alarms.forEach((c, ai) => {
    const devs = new Set<number>();
    for (const id of c.inputs) {
      pushTo(readers, ix(id), ai);
      devs.add(pointDev[ix(id)]);
    }
    for (const id of Object.values(c.suppressedBy?.refs ?? {})) pushTo(supReaders, ix(id), ai);
    if (c.type !== 'commLoss') for (const d of devs) pushTo(devAlarms, d, ai);
    alarmDeviceStart[ai] = alarmDevices.length;
    for (const d of devs) alarmDevices.push(d);
    if (isTimed(c)) timed.push(ai);
  });
  const stationIds: string[] = [];
  const stationIndex = new Map<string, number>();
  const stationAlarms = new Map<number, number[]>();
  const childLists = new Map<number, number[]>();
  const parentLists = new Map<number, number[]>();
  alarms.forEach((c, ai) => {
    let si = stationIndex.get(c.station);
    if (si === undefined) {
      stationIndex.set(c.station, (si = stationIds.length));
      stationIds.push(c.station);
    }
    pushTo(stationAlarms, si, ai);
    for (const pid of c.parents ?? []) {
      const pi = alarmIndex.get(pid);
      if (pi === undefined) continue;
      pushTo(childLists, pi, ai);
      pushTo(parentLists, ai, pi);
    }
  });
  const [stationAlarmStart, stationAlarmList] = flatLists(stationIds.length, stationAlarms);
  const [childStart, childList] = flatLists(alarms.length, childLists);
  const [parentStart, parentList] = flatLists(alarms.length, parentLists);
  const [readerStart, readerList] = flatLists(pointIds.length, readers);
  const [supStart, supList] = flatLists(pointIds.length, supReaders);
  alarmDeviceStart[alarms.length] = alarmDevices.length;
  const [deviceAlarmStart, deviceAlarmList] = flatLists(deviceIds.length, devAlarms);
  return {
    alarms: catalog,
    alarmIndex,
    pointIds,
    pointSlot,
    deviceIds,
    readerStart,
    readers: readerList,
    supStart,
    supReaders: supList,
    pointDevice: Int32Array.from(pointDev),
    deviceAlarmStart,
    deviceAlarms: deviceAlarmList,
    alarmDeviceStart,
    alarmDevices: Int32Array.from(alarmDevices),
    deviceLossMs: Float64Array.from(devPoll, commLossWindowMs),
    primary: Int32Array.from(alarms, (c) => (c.type === 'commLoss' ? -1 : ix(c.point))),
    conds: new Conditions(alarms, ix, (c) => deviceIndex.get(`${c.station}.${c.device}`) ?? -1, timeZone),
    onMs: Float64Array.from(alarms, (c) => c.onDelayMs),
    offMs: Float64Array.from(alarms, (c) => c.offDelayMs),
    latching: Uint8Array.from(alarms, (c) => (c.latching ? 1 : 0)),
    timed: Int32Array.from(timed),
    stationIds,
    stationAlarmStart,
    stationAlarms: stationAlarmList,
    modeMask: Uint8Array.from(alarms, (c) => c.modeMask ?? 0xff),
    childStart,
    children: childList,
    parentStart,
    parents: parentList,
  };
}

/** A fresh state for a runtime: every alarm normal, nothing received yet. */
export function initialState(rt: Runtime): EngineState {
  return {
    v: 1,
    seq: 0,
    t0: -1,
    points: new PointStates(rt.pointIds),
    alarms: new AlarmStates(rt.alarms),
    devices: rt.deviceIds.map((id) => ({ id, comm: 'unknown' as const, lastOk: -1, offlineSince: -1, lost: false })),
  };
}

/**
 * Re-aligns a persisted state with a runtime by ids: records of alarms,
 * points and devices that still exist are kept, new ones start fresh. The
 * start time is reset (`t0 = -1`) so downtime does not count as staleness or
 * comm loss; active alarms stay as they were, so nothing re-raises.
 */
export function adoptState(rt: Runtime, old: EngineState | StoredState): EngineState {
  const fresh = initialState(rt);
  const byId = <T extends { id: string }>(l: readonly T[]) => new Map(l.map((r) => [r.id, r]));
  const devs = byId(old.devices ?? []);
  return {
    v: 1,
    seq: old.seq ?? 0,
    t0: -1,
    points: PointStates.of(rt.pointIds, old.points),
    alarms: AlarmStates.of(rt.alarms, old.alarms),
    devices: fresh.devices.map((d) => ({ ...(devs.get(d.id) ?? d), lastOk: -1 })),
  };
}
