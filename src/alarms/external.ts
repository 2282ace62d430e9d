/**
 * Alarms that no rule evaluates: raised and cleared from outside (customers
 * reporting no heat, device-side OPC UA conditions). Same ISA-18.2 states as
 * rule alarms, without delays or suppression. Pure.
 */
import type { AlarmStateName, Priority } from './types.ts';

export interface ExternalAlarm {
  /** alarm id, e.g. `hs-001:customer_no_heat` */
  id: string;
  source: 'external' | 'device';
  station: string;
  device: string;
  point: string;
  class: string | null;
  priority: Priority;
  message: string;
  st: AlarmStateName;
  active: boolean;
  value: number | null;
  /** the device's own id of the alarm (an OPC UA ConditionId), for acknowledging at the device */
  ref?: string;
  /** first-out: the rule alarm of the same equipment and cause this device alarm joined */
  parent?: string | null;
}

export type ExternalTransition = 'raise' | 'clear' | 'ack' | null;

/** Applies the condition; returns the transition type or null when nothing changed. */
export function applyExternalCondition(a: ExternalAlarm, active: boolean): ExternalTransition {
  if (a.active === active) return null;
  a.active = active;
  if (active) {
    if (a.st === 'normal' || a.st === 'rtn_unacked') {
      a.st = 'unacked';
      return 'raise';
    }
    return null;
  }
  if (a.st === 'unacked') a.st = 'rtn_unacked';
  else if (a.st === 'acked') a.st = 'normal';
  else return null;
  return 'clear';
}

/** Acknowledge; returns null with a reason when there is nothing to acknowledge. */
export function applyExternalAck(a: ExternalAlarm): ExternalTransition | string {
  if (a.st === 'unacked') a.st = 'acked';
  else if (a.st === 'rtn_unacked') a.st = 'normal';
  else return `not awaiting acknowledgement (state ${a.st})`;
  return 'ack';
}
