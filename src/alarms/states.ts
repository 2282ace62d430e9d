/**
 * ISA-18.2 state transitions (DOMAIN §3), as small functions that update one
 * alarm's columns (alarm-states.ts) in place and return the event type of the transition, or null
 * when the visible state did not change.
 *
 *   normal ──activate──► unacked ──ack──► acked ──clear──► normal
 *                          │ clear                 ▲
 *                          ▼                       │
 *                      rtn_unacked ──ack───────────┘ (to normal)
 *                          └──recur──► unacked
 *
 * Overlays, in order of precedence: out_of_service > shelved > suppressed.
 * While an overlay holds, the condition is still tracked; leaving all
 * overlays goes to unacked if the condition holds, else normal.
 * A latching alarm stays unacked/acked after its condition clears until it is
 * acknowledged (`latch` event on clear).
 */
import { AlarmStates, COND, LATCHED, OOS, STATE_NAMES, ST_ACKED, ST_NORMAL, ST_OOS, ST_RTN_UNACKED, ST_SHELVED, ST_SUPPRESSED, ST_UNACKED, SUPPRESSED } from './alarm-states.ts';
import type { AlarmEventType, AlarmRecord, AlarmStateName } from './types.ts';

export const ACTIVE_STATES: ReadonlySet<AlarmStateName> = new Set(['unacked', 'acked']);
const OVERLAYS: ReadonlySet<AlarmStateName> = new Set(['shelved', 'suppressed', 'out_of_service']);
const isOverlayCode = (st: number) => st === ST_SHELVED || st === ST_SUPPRESSED || st === ST_OOS;

export function isOverlay(st: AlarmStateName): boolean {
  return OVERLAYS.has(st);
}

export function newRecord(id: string): AlarmRecord {
  return {
    id,
    st: 'normal',
    raw: false,
    rawTs: -1,
    cond: false,
    activeTs: -1,
    latched: false,
    supExpr: false,
    supComm: false,
    supMode: false,
    supParent: false,
    shelvedUntil: null,
    shelvedBy: null,
    oos: false,
    x: null,
  };
}

/** The debounced condition of alarm `i` changed. */
export function applyCondition(A: AlarmStates, i: number, active: boolean, latching: boolean, now: number): AlarmEventType | null {
  A.set(i, COND, active);
  if (active) A.activeTs[i] = now;
  const st = A.st[i];
  if (isOverlayCode(st)) return null;
  if (active) {
    if (A.has(i, LATCHED)) {
      A.set(i, LATCHED, false);
      return null;
    }
    if (st === ST_NORMAL || st === ST_RTN_UNACKED) {
      A.st[i] = ST_UNACKED;
      return 'raise';
    }
    return null;
  }
  if (latching && (st === ST_UNACKED || st === ST_ACKED)) {
    A.set(i, LATCHED, true);
    return 'latch';
  }
  if (st === ST_UNACKED) {
    A.st[i] = ST_RTN_UNACKED;
    return 'clear';
  }
  if (st === ST_ACKED) {
    A.st[i] = ST_NORMAL;
    return 'clear';
  }
  return null;
}

/** Operator acknowledgement; a string is the reason it does not apply. */
export function applyAck(A: AlarmStates, i: number): AlarmEventType | string {
  const latchedClear = A.has(i, LATCHED) && !A.has(i, COND);
  switch (A.st[i]) {
    case ST_UNACKED:
      A.st[i] = latchedClear ? ST_NORMAL : ST_ACKED;
      if (latchedClear) A.set(i, LATCHED, false);
      return 'ack';
    case ST_ACKED:
      if (latchedClear) {
        A.st[i] = ST_NORMAL;
        A.set(i, LATCHED, false);
        return 'ack';
      }
      return 'already acknowledged';
    case ST_RTN_UNACKED:
      A.st[i] = ST_NORMAL;
      return 'ack';
    default:
      return `nothing to acknowledge in state ${STATE_NAMES[A.st[i]]}`;
  }
}

/** The overlay state alarm `i`'s flags call for, -1 for none. */
function overlayTarget(A: AlarmStates, i: number): number {
  if (A.has(i, OOS)) return ST_OOS;
  if (A.shelvedUntil[i] === A.shelvedUntil[i]) return ST_SHELVED;
  if (A.has(i, SUPPRESSED)) return ST_SUPPRESSED;
  return -1;
}

/**
 * Re-derives the state after an overlay flag (oos, shelvedUntil, supExpr,
 * supComm, supMode, supParent) changed. Entering an overlay drops the acknowledgement state;
 * leaving the last one returns to unacked or normal by the condition.
 */
export function applyOverlay(A: AlarmStates, i: number): AlarmEventType | null {
  const from = A.st[i];
  const target = overlayTarget(A, i);
  if (target < 0) {
    if (!isOverlayCode(from)) return null;
    A.st[i] = A.has(i, COND) ? ST_UNACKED : ST_NORMAL;
    A.set(i, LATCHED, false);
  } else {
    if (target === from) return null;
    A.st[i] = target;
  }
  if (from === ST_OOS) return 'return';
  if (from === ST_SHELVED && target !== ST_OOS) return 'unshelve';
  if (from === ST_SUPPRESSED && target < 0) return 'unsuppress';
  return target === ST_OOS ? 'oos' : target === ST_SHELVED ? 'shelve' : 'suppress';
}
