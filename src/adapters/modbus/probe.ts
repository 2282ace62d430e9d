/**
 * Unit backoff on a shared connection: a unit (station behind a gateway) that stopped answering
 * is probed ever less often instead of costing its neighbours a full timeout every period.
 *
 * - {@link probeDelayMs} (pure): after the n-th consecutive silent poll (timeout, or exception
 *   0x0A/0x0B from the gateway), the next probe is due n = 1 → 1, 2 → 2, 3 → 4, … periods
 *   later, capped at {@link PROBE_MAX_PERIODS} periods and {@link PROBE_MAX_MS} (never below
 *   one period). Periods in between report bad samples without a request.
 * - {@link ProbeGate} (one per connection): at most one probe in flight, and after a probe that
 *   took `d` ms the next may start only `d × (1/share − 1)` ms later, so probes of silent units
 *   use at most {@link PROBE_SHARE} of the connection's time however many units are silent;
 *   a neighbour's poll waits behind at most one probe.
 *
 * @example
 * probeDelayMs(1, 500); // 500: first retry at the next period
 * probeDelayMs(3, 500); // 2000
 * probeDelayMs(9, 500); // 3000 (6 periods)
 * const g = new ProbeGate();
 * if (g.tryTake(now)) { ...send probe...; g.release(end, end - start); }
 */

/** the cap of a unit's probe interval in periods … */
export const PROBE_MAX_PERIODS = 6;
/** … and in ms (whichever is shorter, but at least one period) */
export const PROBE_MAX_MS = 60_000;
/** the largest share of a connection's time that probes of silent units may take */
export const PROBE_SHARE = 0.25;

/** ms from a silent poll's slot to the unit's next probe, after `streak` (≥ 1) silent polls in a row. */
export function probeDelayMs(streak: number, periodMs: number): number {
  const capPeriods = Math.max(1, Math.min(PROBE_MAX_PERIODS, Math.floor(PROBE_MAX_MS / periodMs)));
  const periods = Math.min(2 ** Math.max(0, Math.min(streak - 1, 30)), capPeriods);
  return periods * periodMs;
}

/** Paces probes on one connection: one at a time, at most {@link PROBE_SHARE} of its time. */
export class ProbeGate {
  /** a probe is queued or in flight */
  busy = false;
  /** earliest start of the next probe, ms epoch */
  freeAt = 0;
  /** probes let through so far */
  probes = 0;

  constructor(readonly share = PROBE_SHARE) {}

  /** Takes the gate for one probe; false while a probe runs or the pause after the last one lasts. */
  tryTake(now: number): boolean {
    if (this.busy || now < this.freeAt) return false;
    this.busy = true;
    this.probes++;
    return true;
  }

  /** The probe is over (answered, failed or never sent); `tookMs` = its time on the wire. */
  release(now: number, tookMs: number): void {
    this.busy = false;
    this.freeAt = now + Math.max(0, tookMs) * (1 / this.share - 1);
  }
}
