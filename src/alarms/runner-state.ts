/**
 * The engine state as the runner persists and restores it (pure): which records a checkpoint
 * holds, and a restored state built from the checkpoint and the newer per-alarm records.
 */
import { ST_NORMAL } from './alarm-states.ts';
import type { Engine } from './engine.ts';
import type { RestoredAlarms } from './persist.ts';
import type { AlarmRecord, EngineState, StoredState } from './types.ts';

/** `x` of a baseline rule: [value, limit] learnt from the station's history (a rate window is longer). */
const isBaseline = (x: number[] | null): boolean => x !== null && x.length === 2;

/**
 * The checkpoint of a state: the alarm records that are not at rest (active, pending an on/off
 * delay, latched, shelved, out of service, suppressed, or holding a learnt baseline) and the
 * event counter. Point values, device timers and rate-of-change windows are left out on
 * purpose: they refill from the polls, and writing them (hundreds of thousands of records for a
 * city) every few seconds costs more than it saves: with the rate windows of 5,000 stations'
 * three rate-of-change rules each, one checkpoint held the polling loop ~1.3 s. After a
 * restart, delays that were running start again from the first poll, and a rate of change is
 * judged once its window has refilled.
 */
export function checkpointOf(s: EngineState): StoredState {
  const busy: AlarmRecord[] = [];
  for (let i = 0; i < s.alarms.length; i++) if (s.alarms.busy(i, isBaseline)) busy.push(s.alarms.record(i));
  return { v: 1, seq: s.seq, t0: -1, points: [], alarms: busy, devices: [] };
}

/**
 * The checkpoint (unless `withCheckpoint` is false: in a cluster each instance owns only some
 * stations, so records only), then the newer per-alarm records on top, so nothing re-raises and
 * no ack is lost. `restored`: records taken; `active`: rule alarms not at rest.
 */
export function restoredState(engine: Engine, r: RestoredAlarms, withCheckpoint: boolean): { state: EngineState; fromCheckpoint: boolean; restored: number; active: number } {
  const checkpoint = withCheckpoint ? r.checkpoint : null;
  const state = checkpoint ? engine.adopt(checkpoint) : engine.init();
  let restored = 0;
  for (const [id, rec] of r.records) {
    const i = engine.alarmIndex.get(id);
    if (i !== undefined && state.alarms.id(i) === id) {
      state.alarms.put(i, rec);
      restored++;
    }
  }
  state.seq = Math.max(state.seq, r.maxEventId);
  let active = 0;
  for (let i = 0; i < state.alarms.length; i++) if (state.alarms.st[i] !== ST_NORMAL) active++;
  return { state, fromCheckpoint: checkpoint !== null, restored, active };
}
