/**
 * What the runner keeps about an alarm beyond its engine record (who acknowledged it, its
 * comment, its recent raises for chattering), and how an event changes it. Pure.
 */
import type { AlarmMeta } from './persist.ts';
import type { AlarmEvent } from './types.ts';

/** Raises counted for chattering (ISA-18.2: 3 or more within a minute). */
export const CHATTER_WINDOW_MS = 60_000;

export function emptyMeta(): AlarmMeta {
  return { raisedAt: null, lastChange: 0, ackedBy: null, ackedAt: null, comment: null, value: null, raises: [] };
}

/** Updates `m` in place for event `e`. */
export function noteEvent(m: AlarmMeta, e: AlarmEvent): void {
  m.lastChange = e.ts;
  m.value = e.value;
  if (e.type === 'raise') {
    m.raisedAt = e.ts;
    m.ackedBy = m.ackedAt = null;
    m.raises = m.raises.filter((t) => e.ts - t <= CHATTER_WINDOW_MS);
    m.raises.push(e.ts);
  }
  if (e.type === 'ack') {
    m.ackedBy = e.user ?? null;
    m.ackedAt = e.ts;
  }
  if (e.comment !== undefined) m.comment = e.comment;
}
