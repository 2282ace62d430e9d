/**
 * Alarms raised from outside the rules: customer complaints ("no heat"), and the device's own
 * conditions imported over OPC UA. A device condition whose source point a rule also reads
 * (the same equipment and cause: "1#循环泵跳闸" on pump1_fault) joins that rule alarm's
 * first-out group: it is shown under it, never annunciated or ticketed on its own. It waits a
 * short grace for the rule's condition, since events and polls arrive by different paths.
 */
import { applyExternalCondition, type ExternalAlarm } from './external.ts';
import type { AlarmRunner } from './runner.ts';
import type { AlarmEvent, AlarmStateName, Priority } from './types.ts';
import { alarmView, type AlarmView } from './views.ts';

export interface ExternalAlarmSpec {
  /** unique per station, e.g. `customer_no_heat` */
  key: string;
  station: string;
  device?: string;
  source?: 'external' | 'device';
  class: string;
  priority: Priority;
  message: string;
  active: boolean;
  value?: number;
  /** the device's own id of the alarm (OPC UA ConditionId) */
  ref?: string;
  /** the device point the condition watches (its OPC UA SourceName), for first-out grouping */
  sourcePoint?: string;
}

/** how long a device condition waits for the poll that shows the same cause to a rule */
export const JOIN_GRACE_MS = 15_000;

export class ExternalAlarms {
  /** device alarm id → rule alarm indexes reading its source point */
  private readonly joinable = new Map<string, number[]>();
  /** device alarm id → when its raise started waiting for a rule to join */
  private readonly waiting = new Map<string, number>();

  constructor(private readonly r: AlarmRunner) {}

  raise(spec: ExternalAlarmSpec): AlarmView {
    const r = this.r;
    const id = `${spec.station}:${spec.key}`;
    let x = r.externals.get(id);
    if (!x) {
      x = { id, source: spec.source ?? 'external', station: spec.station, device: spec.device ?? '', point: spec.station, class: spec.class, priority: spec.priority, message: spec.message, st: 'normal', active: false, value: null };
      r.externals.set(id, x);
    }
    if (spec.sourcePoint && spec.device && !this.joinable.has(id)) {
      const full = `${spec.station}.${spec.device}.${spec.sourcePoint}`;
      const readers: number[] = [];
      const A = r.engine.alarms;
      for (let i = 0; i < A.length; i++) if (A.station(i) === spec.station && A.reads(i, full)) readers.push(i);
      this.joinable.set(id, readers);
    }
    x.priority = spec.priority;
    x.message = spec.message;
    if (spec.ref !== undefined) x.ref = spec.ref;
    x.value = spec.value ?? x.value;
    if (spec.active && !x.active && (this.joinable.get(id)?.length ?? 0) > 0) {
      // hold the raise until the rule side has seen the same cause, or the grace has passed
      x.active = true;
      this.waiting.set(id, r.now());
      this.settle(x);
      void r.flush();
      return alarmView(r, id)!;
    }
    if (!spec.active) {
      this.waiting.delete(id);
      if (x.parent) {
        // it left the group with its condition: back to normal quietly
        const from = x.st;
        x.parent = null;
        x.active = false;
        x.st = 'normal';
        if (from !== 'normal') void this.emit(x, 'unsuppress', from);
        return alarmView(r, id)!;
      }
    }
    const from = x.st;
    const t = applyExternalCondition(x, spec.active);
    if (t) void this.emit(x, t, from);
    return alarmView(r, id)!;
  }

  /** A rule alarm reading the condition's source point whose condition holds, if any (views show its first-out). */
  private activeRule(id: string): string | null {
    const s = this.r.current();
    for (const i of this.joinable.get(id) ?? []) {
      if (s.alarms.holds(i)) return this.r.engine.alarms.id(i);
    }
    return null;
  }

  /** A waiting device condition joins a rule alarm's group, or after the grace raises on its own. */
  private settle(x: ExternalAlarm): void {
    const since = this.waiting.get(x.id);
    if (since === undefined) return;
    const parent = this.activeRule(x.id);
    if (parent) {
      this.waiting.delete(x.id);
      const from = x.st;
      x.parent = parent;
      x.st = 'suppressed';
      const rule = this.r.get(parent);
      if (rule) x.class = rule.class;
      if (from !== 'suppressed') void this.emit(x, 'suppress', from);
      return;
    }
    if (this.r.now() - since < JOIN_GRACE_MS) return;
    this.waiting.delete(x.id);
    x.active = false; // applyExternalCondition raises from an inactive condition
    const from = x.st;
    const t = applyExternalCondition(x, true);
    if (t) void this.emit(x, t, from);
  }

  /** Called every runner tick. */
  tick(): void {
    for (const id of [...this.waiting.keys()]) {
      const x = this.r.externals.get(id);
      if (x) this.settle(x);
      else this.waiting.delete(id);
    }
  }

  /**
   * `within` runs in the transaction that records the event (an acknowledgement's audit row);
   * the promise settles when it is written, as `flush` tells.
   */
  emit(x: ExternalAlarm, type: AlarmEvent['type'], from: AlarmStateName, user?: string, comment?: string, within?: () => unknown, report = false): Promise<void> {
    const r = this.r;
    const s = r.current();
    const e: AlarmEvent = {
      id: ++s.seq,
      alarmId: x.id,
      ruleId: x.source,
      station: x.station,
      device: x.device,
      point: x.point,
      ts: r.now(),
      type,
      from,
      to: x.st,
      priority: x.priority,
      value: x.value,
      message: x.message,
      class: x.class,
    };
    if (user !== undefined) e.user = user;
    if (comment !== undefined) e.comment = comment;
    r.queue([e]);
    return r.flush(within, report);
  }
}
