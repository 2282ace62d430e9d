/**
 * Operator actions: acknowledge, shelve, unshelve, out of service. Each
 * returns an ActionResult; a refused action is `{ ok: false, error }` with the
 * state unchanged, never an exception.
 */
import type { Core } from './engine.ts';
import { OOS } from './alarm-states.ts';
import { applyAck, applyOverlay } from './states.ts';
import type { ActionResult, AlarmEvent, EngineState } from './types.ts';

export interface OperatorActions {
  ack(state: EngineState, alarmId: string, user: string, comment: string | undefined, now: number): ActionResult;
  /** comment required; 0 < minutes ≤ the engine's maxShelveMinutes */
  shelve(state: EngineState, alarmId: string, user: string, comment: string, minutes: number, now: number): ActionResult;
  unshelve(state: EngineState, alarmId: string, user: string, comment: string | undefined, now: number): ActionResult;
  /**
   * Out of service takes an end time `until` (engine time, after `now`, at most the engine's
   * maxOutOfServiceMinutes ahead): ISA-18.2 keeps an alarm out of service only for a bounded,
   * authorised time; at `until` the alarm returns by itself. Returning (`on` false) takes none.
   */
  setOutOfService(state: EngineState, alarmId: string, user: string, comment: string, on: boolean, now: number, until?: number | null): ActionResult;
}

const NONE: readonly AlarmEvent[] = Object.freeze([]);

export function operatorActions(core: Core, maxShelveMinutes: number, maxOutOfServiceMinutes: number): OperatorActions {
  const fail = (state: EngineState, error: string): ActionResult => ({ ok: false, state, events: NONE, error });
  const find = (state: EngineState, alarmId: string): number | string => {
    core.live(state);
    const ai = core.rt.alarmIndex.get(alarmId);
    if (ai === undefined || state.alarms.id(ai) !== alarmId) return `unknown alarm ${alarmId}`;
    return ai;
  };
  const done = (state: EngineState): ActionResult => ({ ok: true, state, events: core.take() });

  return {
    ack(state, alarmId, user, comment, now) {
      const ai = find(state, alarmId);
      if (typeof ai === 'string') return fail(state, ai);
      const A = state.alarms;
      const from = A.st[ai];
      const t = applyAck(A, ai);
      if (t !== 'ack') return fail(state, `${alarmId}: ${t}`);
      core.emit(state, ai, 'ack', from, now, user, comment);
      return done(state);
    },
    shelve(state, alarmId, user, comment, minutes, now) {
      const ai = find(state, alarmId);
      if (typeof ai === 'string') return fail(state, ai);
      if (!comment || !comment.trim()) return fail(state, 'comment: required to shelve an alarm');
      if (!(minutes > 0)) return fail(state, 'minutes: must be > 0');
      if (minutes > maxShelveMinutes) return fail(state, `minutes: at most ${maxShelveMinutes}`);
      const A = state.alarms;
      if (A.has(ai, OOS)) return fail(state, `${alarmId}: out of service`);
      A.shelvedUntil[ai] = now + minutes * 60_000;
      A.shelvedBy.set(ai, user);
      const from = A.st[ai];
      const t = applyOverlay(A, ai);
      core.emit(state, ai, t ?? 'shelve', from, now, user, comment);
      return done(state);
    },
    unshelve(state, alarmId, user, comment, now) {
      const ai = find(state, alarmId);
      if (typeof ai === 'string') return fail(state, ai);
      const A = state.alarms;
      if (Number.isNaN(A.shelvedUntil[ai])) return fail(state, `${alarmId}: not shelved`);
      A.shelvedUntil[ai] = NaN;
      A.shelvedBy.delete(ai);
      const from = A.st[ai];
      const t = applyOverlay(A, ai);
      if (t) core.emit(state, ai, t, from, now, user, comment);
      return done(state);
    },
    setOutOfService(state, alarmId, user, comment, on, now, until) {
      const ai = find(state, alarmId);
      if (typeof ai === 'string') return fail(state, ai);
      if (on) {
        if (until === undefined || until === null) return fail(state, 'until: an end time is required to take an alarm out of service');
        if (!(until > now)) return fail(state, 'until: must be in the future');
        if (until - now > maxOutOfServiceMinutes * 60_000) return fail(state, `until: at most ${maxOutOfServiceMinutes / 1440} days ahead`);
      }
      const A = state.alarms;
      if (A.has(ai, OOS) === on) return fail(state, `${alarmId}: already ${on ? 'out of service' : 'in service'}`);
      A.set(ai, OOS, on);
      A.oosUntil[ai] = on ? until! : NaN;
      if (on) {
        A.shelvedUntil[ai] = NaN;
        A.shelvedBy.delete(ai);
      }
      const from = A.st[ai];
      const t = applyOverlay(A, ai);
      if (t) core.emit(state, ai, t, from, now, user, comment);
      return done(state);
    },
  };
}
