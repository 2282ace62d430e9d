/** Test helpers: alarm events as plain data, a clock, an alarm source the service can query, the state file. */
import type { AlarmEvent, AlarmStateName, Priority } from '../../src/alarms/types.ts';
import type { SqliteStateDb } from '../../src/state/sqlite-db.ts';
import { openSqliteState, type SqliteState } from '../helpers/sqlite-state.ts';
import type { TicketAlarmSource } from '../../src/tickets/types.ts';

export const T0 = Date.UTC(2025, 0, 15, 4, 0, 0); // 12:00 in Asia/Shanghai
export const MIN = 60_000;
export const HOUR = 3_600_000;

let seq = 0;
export function ev(p: Partial<AlarmEvent> & { station: string; ts: number }): AlarmEvent {
  const device = p.device ?? 'plc';
  const point = p.point ?? `${p.station}.${device}.p_sec_return`;
  const cls = p.class === undefined ? 'leak' : p.class;
  return {
    id: ++seq,
    alarmId: p.alarmId ?? `${p.station}:${cls}:${point}`,
    ruleId: p.ruleId ?? String(cls),
    device,
    point,
    type: 'raise',
    from: 'normal',
    to: 'unacked',
    priority: 1 as Priority,
    value: 0.1,
    message: `${cls} at ${p.station}`,
    class: cls,
    ...p,
  } as AlarmEvent;
}

export const clearOf = (e: AlarmEvent, ts: number): AlarmEvent => ({ ...e, id: ++seq, type: 'clear', from: 'unacked', to: 'rtn_unacked', ts });

/** A stand-in for the alarm runner: views set by the test, external raises recorded. */
export class TestAlarmSource implements TicketAlarmSource {
  readonly views = new Map<string, { state: AlarmStateName; chattering: boolean }>();
  readonly external: Array<Parameters<TicketAlarmSource['raiseExternal']>[0]> = [];
  private listeners = new Set<(e: AlarmEvent[]) => void>();
  onEvents(l: (e: AlarmEvent[]) => void) {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  emit(events: AlarmEvent[]) {
    for (const l of this.listeners) l(events);
  }
  get(alarmId: string) {
    return this.views.get(alarmId);
  }
  raiseExternal(spec: Parameters<TicketAlarmSource['raiseExternal']>[0]) {
    this.external.push(spec);
  }
}

export class Clock {
  constructor(public t = T0) {}
  now = () => this.t;
  advance(ms: number) {
    this.t += ms;
    return this.t;
  }
}

/** A ticket test's state file: the port (what the ticket service takes) and the audit store on the same connection. */
export async function openTestState(file: string): Promise<{ stateDb: SqliteStateDb; state: SqliteState }> {
  const state = await openSqliteState(file);
  return { stateDb: state.stateDb, state };
}
