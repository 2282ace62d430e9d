/**
 * The simulator's OPC UA Part 9 conditions, one pair per station:
 * - `ns=1;s=<station>.alarm.t_sec_supply` — ExclusiveLimitAlarm on the secondary supply
 *   temperature (High 75 °C / HighHigh 85 °C / Low 30 °C / LowLow 20 °C);
 * - `ns=1;s=<station>.alarm.pump1_trip` — OffNormalAlarm on `pump1_fault` (normal: false).
 * Both carry our own Chinese message and severity instead of node-opcua's defaults.
 */
import { DataType, StatusCodes } from 'node-opcua-client';
import type { OPCUAServer } from 'node-opcua-server';

export const SIM_ALARMS = {
  t_sec_supply: { high: 75, highHigh: 85, low: 30, lowLow: 20 },
  pump1_trip: { input: 'pump1_fault' },
} as const;

export type SimAlarmName = keyof typeof SIM_ALARMS;

/** What the simulator's Part 9 conditions look like from the inside (for tests and the control API). */
export interface SimConditionState {
  conditionId: string;
  active: boolean;
  acked: boolean;
  severity: number;
  lastComment: string;
}

/** The parts of a node-opcua alarm the simulator reads. */
export type SimAlarm = {
  activeState: { getValue(): boolean };
  ackedState: { getValue(): boolean };
  severity: { readValue(): { value: { value: unknown } } };
  comment?: { readValue(): { value: { value: { text?: string } | null } } };
};

type Namespace = ReturnType<NonNullable<OPCUAServer['engine']['addressSpace']>['getOwnNamespace']>;
type StationObject = ReturnType<Namespace['addObject']>;

/** Adds the conditions of station `stationId` whose input variables exist in `vars` (by point id). */
export function addStationConditions(ns: Namespace, obj: StationObject, stationId: string, vars: Map<string, unknown>): Map<SimAlarmName, SimAlarm> {
  const alarms = new Map<SimAlarmName, SimAlarm>();
  const tss = vars.get('t_sec_supply');
  if (tss) {
    const lim = SIM_ALARMS.t_sec_supply;
    const a = ns.instantiateExclusiveLimitAlarm('ExclusiveLimitAlarmType', {
      browseName: 't_sec_supply_limit',
      nodeId: `s=${stationId}.alarm.t_sec_supply`,
      componentOf: obj,
      conditionSource: tss as never,
      conditionName: '二次供水温度越限',
      inputNode: tss as never,
      highHighLimit: lim.highHigh,
      highLimit: lim.high,
      lowLimit: lim.low,
      lowLowLimit: lim.lowLow,
    });
    describe(a, (state, value) => {
      if (!state) return null;
      const sev = state === 'HighHigh' || state === 'LowLow' ? 900 : 700;
      return { severity: sev, message: `${stationId} 二次供水温度 ${Number(value).toFixed(1)} °C: ${state}` };
    });
    alarms.set('t_sec_supply', a as unknown as SimAlarm);
  }
  const fault = vars.get(SIM_ALARMS.pump1_trip.input);
  if (fault) {
    const normal = ns.addVariable({
      componentOf: obj,
      browseName: 'pump1_fault_normal',
      nodeId: `s=${stationId}.pump1_fault_normal`,
      dataType: 'Boolean',
      value: { dataType: DataType.Boolean, value: false },
    });
    const a = ns.instantiateOffNormalAlarm({
      browseName: 'pump1_trip',
      nodeId: `s=${stationId}.alarm.pump1_trip`,
      componentOf: obj,
      conditionSource: fault as never,
      conditionName: '1#循环泵跳闸',
      inputNode: fault as never,
      normalState: normal,
    });
    describe(a, (state) => (state ? { severity: 800, message: `${stationId} 1#循环泵跳闸 (pump 1 tripped)` } : null));
    alarms.set('pump1_trip', a as unknown as SimAlarm);
  }
  return alarms;
}

/** The state of one condition, as tests and the control API see it. */
export function conditionState(stationId: string, alarm: SimAlarmName, a: SimAlarm): SimConditionState {
  const comment = a.comment?.readValue().value.value;
  return {
    conditionId: `ns=1;s=${stationId}.alarm.${alarm}`,
    active: a.activeState.getValue(),
    acked: a.ackedState.getValue(),
    severity: Number(a.severity.readValue().value.value),
    lastComment: comment?.text ?? '',
  };
}

/**
 * Gives a node-opcua alarm our own message and severity (node-opcua's default is severity 150
 * and an English message). The ConditionInfo class is not exported, so the old info's
 * constructor is reused.
 */
function describe(alarm: unknown, info: (state: string | null, value: unknown) => { severity: number; message: string } | null): void {
  const a = alarm as { calculateConditionInfo: (s: string | null, act: boolean, v: unknown, old: object) => object };
  a.calculateConditionInfo = (state, _active, value, old) => {
    const Info = old.constructor as new (o: object) => object;
    const d = info(state, value);
    return new Info(
      d
        ? { message: d.message, severity: d.severity, quality: StatusCodes.Good, retain: true }
        : { message: `back to normal (${String(value)})`, severity: 100, quality: StatusCodes.Good, retain: true },
    );
  };
}
