/**
 * Which of a shard's collectors polls: a lease held through one MQTT topic, decided the same way
 * by every candidate because the broker hands every subscriber a topic's messages in one order.
 * Pure: the caller feeds it the topic's messages, its connection changes and clock ticks, and
 * carries out the actions it returns (collector-lease.ts).
 *
 * - The holder publishes `active` (retained) every `heartbeatMs`. A standby that hears neither
 *   `active` nor a `claim` for `lostAfterMs`, or hears the holder's `released` (its last will or
 *   a clean stop), publishes a `claim`. The first claim the topic carries after the lease fell
 *   free wins: each candidate hears the claims in the same order, so exactly one sees its own first.
 * - A holder that has not heard its own heartbeat back for `demoteAfterMs` (shorter than
 *   `lostAfterMs`), or loses its connection, stops polling at once: cut off from the broker, it
 *   cannot know a standby has taken over, and two pollers would double every sample.
 * - Two holders that hear each other (a partition healed) settle it by id: the larger yields.
 */

export type LeaseState = 'active' | 'claim' | 'released';

/** The lease topic's payload. */
export interface LeaseMessage {
  holder: string;
  state: LeaseState;
  ts: number;
}

export interface LeaseTiming {
  /** how often the holder says it is alive (default 2 s) */
  heartbeatMs: number;
  /** a standby claims after hearing nothing for this long (default 8 s) */
  lostAfterMs: number;
  /** at start, how long to listen for a holder before claiming (default 1 s) */
  settleMs: number;
}

export const LEASE_DEFAULTS: LeaseTiming = { heartbeatMs: 2_000, lostAfterMs: 8_000, settleMs: 1_000 };

export type LeaseAction =
  | { kind: 'publish'; message: LeaseMessage; retain: boolean }
  | { kind: 'poll' }
  | { kind: 'stop-polling'; reason: string };

export type LeaseRole = 'standby' | 'claiming' | 'active';

export class LeaseMachine {
  role: LeaseRole = 'standby';
  /** the holder or claimant last heard (null: none known) */
  holder: string | null = null;
  private lastHeard = -Infinity;
  private readonly startedAt: number;
  private claimedAt = -Infinity;
  /** since the lease fell free for this instance: was another's claim heard before its own? */
  private otherClaimFirst = false;
  private lastBeat = -Infinity;
  private lastOwnEcho = -Infinity;
  private connected = false;

  constructor(
    readonly self: string,
    private readonly t: LeaseTiming,
    now: number,
  ) {
    if (!(t.heartbeatMs > 0 && t.lostAfterMs >= 3 * t.heartbeatMs && t.settleMs >= 0)) {
      throw new RangeError(`lease timing: lostAfterMs (${t.lostAfterMs}) must be at least 3 × heartbeatMs (${t.heartbeatMs})`);
    }
    this.startedAt = now;
  }

  /** How long a holder goes without hearing its own heartbeat before it stops polling. */
  get demoteAfterMs(): number {
    return Math.floor(this.t.lostAfterMs / 2);
  }

  connection(up: boolean, now: number): LeaseAction[] {
    this.connected = up;
    if (up) return [];
    // what was heard before is stale; count silence from now, so a reconnect does not claim at once
    this.lastHeard = now;
    if (this.role === 'active') return this.demote('connection to the broker lost');
    if (this.role === 'claiming') this.role = 'standby';
    return [];
  }

  message(m: LeaseMessage, now: number): LeaseAction[] {
    if (m.holder === this.self) {
      if (m.state === 'active' && this.role === 'active') this.lastOwnEcho = now;
      if (m.state === 'claim' && this.role === 'claiming') {
        if (this.otherClaimFirst) {
          this.role = 'standby';
          return [];
        }
        return this.promote(now);
      }
      return [];
    }
    if (m.state === 'released') {
      if (this.holder === m.holder || this.holder === null) {
        this.holder = null;
        this.lastHeard = -Infinity;
      }
      return [];
    }
    // another instance is active or claiming
    if (this.role === 'claiming') {
      if (m.state === 'claim') this.otherClaimFirst = true;
      else this.role = 'standby';
    }
    if (this.role === 'active') {
      // a claim while the holder is alive comes from an instance that has not heard it yet: its
      // heartbeat answers that. Another holder: the larger id yields.
      if (m.state === 'claim' || this.self < m.holder) return [];
      this.holder = m.holder;
      this.lastHeard = now;
      return this.demote(`another collector (${m.holder}) holds the lease`);
    }
    this.holder = m.holder;
    this.lastHeard = now;
    return [];
  }

  tick(now: number): LeaseAction[] {
    if (!this.connected) return [];
    if (this.role === 'active') {
      if (now - this.lastOwnEcho > this.demoteAfterMs) return this.demote(`own heartbeat not heard back for ${this.demoteAfterMs} ms`);
      if (now - this.lastBeat >= this.t.heartbeatMs) return [this.beat(now)];
      return [];
    }
    if (this.role === 'claiming') {
      // the claim never came back (lost on the way): try again later
      if (now - this.claimedAt > this.t.lostAfterMs) {
        this.role = 'standby';
        this.lastHeard = now;
      }
      return [];
    }
    if (now - this.startedAt < this.t.settleMs) return [];
    const free = this.holder === null || now - this.lastHeard > this.t.lostAfterMs;
    if (!free) return [];
    this.role = 'claiming';
    this.claimedAt = now;
    this.otherClaimFirst = false;
    return [{ kind: 'publish', message: { holder: this.self, state: 'claim', ts: now }, retain: false }];
  }

  /** A clean stop: the lease is given back at once, so a standby need not wait. */
  release(now: number): LeaseAction[] {
    const was = this.role;
    this.role = 'standby';
    if (was !== 'active') return [];
    return [
      { kind: 'stop-polling', reason: 'stopping' },
      { kind: 'publish', message: { holder: this.self, state: 'released', ts: now }, retain: true },
    ];
  }

  private promote(now: number): LeaseAction[] {
    this.role = 'active';
    this.holder = this.self;
    this.lastOwnEcho = now;
    return [{ kind: 'poll' }, this.beat(now)];
  }

  private demote(reason: string): LeaseAction[] {
    this.role = 'standby';
    return [{ kind: 'stop-polling', reason }];
  }

  private beat(now: number): LeaseAction {
    this.lastBeat = now;
    return { kind: 'publish', message: { holder: this.self, state: 'active', ts: now }, retain: true };
  }
}

/** The lease topic's payload from the wire; null when malformed. */
export function parseLease(payload: Buffer | string): LeaseMessage | null {
  try {
    const m = JSON.parse(payload.toString()) as Partial<LeaseMessage>;
    if (typeof m.holder !== 'string' || !m.holder || m.holder.length > 200) return null;
    if (m.state !== 'active' && m.state !== 'claim' && m.state !== 'released') return null;
    return { holder: m.holder, state: m.state, ts: typeof m.ts === 'number' ? m.ts : 0 };
  } catch {
    return null;
  }
}
