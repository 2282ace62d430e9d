/**
 * ISA-18.2 state transitions (DOMAIN §3), as small functions that update one
 * AlarmRecord in place and return the event type of the transition, or null
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
import type { AlarmEventType, AlarmRecord, AlarmStateName } from './types.ts';

export const ACTIVE_STATES: ReadonlySet<AlarmStateName> = new Set(['unacked', 'acked']);
const OVERLAYS: ReadonlySet<AlarmStateName> = new Set(['shelved', 'suppressed', 'out_of_service']);

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

/** The debounced condition changed. */
export function applyCondition(a: AlarmRecord, active: boolean, latching: boolean, now: number): AlarmEventType | null {
  a.cond = active;
  if (active) a.activeTs = now;
  const st = a.st;
  if (OVERLAYS.has(st)) return null;
  if (active) {
    if (a.latched) {
      a.latched = false;
      return null;
    }
    if (st === 'normal' || st === 'rtn_unacked') {
      a.st = 'unacked';
      return 'raise';
    }
    return null;
  }
  if (latching && (st === 'unacked' || st === 'acked')) {
    a.latched = true;
    return 'latch';
  }
  if (st === 'unacked') {
    a.st = 'rtn_unacked';
    return 'clear';
  }
  if (st === 'acked') {
    a.st = 'normal';
    return 'clear';
  }
  return null;
}

/** Operator acknowledgement; a string is the reason it does not apply. */
export function applyAck(a: AlarmRecord): AlarmEventType | string {
  switch (a.st) {
    case 'unacked':
      a.st = a.latched && !a.cond ? 'normal' : 'acked';
      if (a.st === 'normal') a.latched = false;
      return 'ack';
    case 'acked':
      if (a.latched && !a.cond) {
        a.st = 'normal';
        a.latched = false;
        return 'ack';
      }
      return 'already acknowledged';
    case 'rtn_unacked':
      a.st = 'normal';
      return 'ack';
    default:
      return `nothing to acknowledge in state ${a.st}`;
  }
}

function overlayTarget(a: AlarmRecord): AlarmStateName | null {
  if (a.oos) return 'out_of_service';
  if (a.shelvedUntil !== null) return 'shelved';
  if (a.supExpr || a.supComm || a.supMode || a.supParent) return 'suppressed';
  return null;
}

/**
 * Re-derives the state after an overlay flag (oos, shelvedUntil, supExpr,
 * supComm, supMode, supParent) changed. Entering an overlay drops the acknowledgement state;
 * leaving the last one returns to unacked or normal by the condition.
 */
export function applyOverlay(a: AlarmRecord): AlarmEventType | null {
  const from = a.st;
  const target = overlayTarget(a);
  if (target === null) {
    if (!OVERLAYS.has(from)) return null;
    a.st = a.cond ? 'unacked' : 'normal';
    a.latched = false;
  } else {
    if (target === from) return null;
    a.st = target;
  }
  if (from === 'out_of_service') return 'return';
  if (from === 'shelved' && target !== 'out_of_service') return 'unshelve';
  if (from === 'suppressed' && target === null) return 'unsuppress';
  return target === 'out_of_service' ? 'oos' : target === 'shelved' ? 'shelve' : 'suppress';
}
