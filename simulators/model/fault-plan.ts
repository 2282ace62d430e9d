import { hashStream } from '../random.ts';
import type { Fault } from './layout.ts';

/**
 * Labelled faults for a season check: windows of the existing faults that the model switches
 * on and off itself while advancing (`NetworkOptions.faultPlan`), so a pure replay injects them
 * at exact model times and knows which alarms are true.
 */
export interface FaultWindow {
  station: number;
  fault: Fault;
  fromMs: number;
  toMs: number;
}

/** Faults a season check labels (garbage is a protocol fault, not a physical one). */
export const PLANNED_FAULTS = ['leak', 'burst', 'pump_trip', 'valve_stuck', 'over_temp', 'under_supply', 'sensor_freeze', 'power_loss', 'comm_loss'] as const;

/**
 * Faults that only a station's own history reveals (a slow leak the make-up keeps up with, a
 * fouling exchanger): planned once that history exists.
 */
export const BASELINE_FAULTS = ['slow_leak', 'fouling'] as const;
export type PlannedFault = (typeof PLANNED_FAULTS)[number] | (typeof BASELINE_FAULTS)[number];

/** How long each fault lasts before the crew has fixed it, minutes. */
const DURATION_MIN: Record<PlannedFault, [number, number]> = {
  leak: [90, 180],
  burst: [20, 45],
  pump_trip: [40, 120],
  valve_stuck: [90, 240],
  over_temp: [20, 40],
  under_supply: [180, 300],
  sensor_freeze: [90, 180],
  power_loss: [20, 60],
  comm_loss: [30, 90],
  // found by the day's make-up or the approach trend, repaired within days
  slow_leak: [36 * 60, 48 * 60],
  fouling: [36 * 60, 48 * 60],
};

export interface FaultPlanOptions {
  seed: number;
  stations: number;
  fromMs: number;
  toMs: number;
  /** faults to plan, each `count` times (default every planned fault once) */
  faults?: readonly PlannedFault[];
  count?: number;
}

/**
 * A deterministic fault plan: each fault at a different station (while there are stations to
 * spare), starting at a random time that leaves it room to end inside [fromMs, toMs).
 * @example
 * const faultPlan = planFaults({ seed: 1, stations: 500, fromMs: t0, toMs: t0 + 7 * 86_400_000 });
 * const net = createNetwork({ ...opts, operations: true, faultPlan });
 */
export function planFaults(o: FaultPlanOptions): FaultWindow[] {
  const faults = o.faults ?? PLANNED_FAULTS;
  const count = o.count ?? 1;
  const r = hashStream(o.seed, 0x66706c6e, faults.length, count);
  const used = new Set<number>();
  const out: FaultWindow[] = [];
  for (let i = 0; i < count; i++) {
    for (const fault of faults) {
      let station = Math.floor(r() * o.stations);
      for (let k = 0; used.has(station) && used.size < o.stations && k < o.stations; k++) station = (station + 1) % o.stations;
      used.add(station);
      const [lo, hi] = DURATION_MIN[fault];
      const dur = Math.round(r(lo, hi)) * 60_000;
      const span = Math.max(0, o.toMs - o.fromMs - dur);
      const from = o.fromMs + Math.round((r() * span) / 60_000) * 60_000;
      out.push({ station, fault, fromMs: from, toMs: Math.min(o.toMs, from + dur) });
    }
  }
  return out.sort((a, b) => a.fromMs - b.fromMs || a.station - b.station);
}

/** A fault plan as on/off transitions in time order (what the model walks while advancing). */
export function faultTransitions(plan: readonly FaultWindow[]): Array<{ at: number; station: number; fault: Fault; active: boolean }> {
  const t = plan.flatMap((w) => [
    { at: w.fromMs, station: w.station, fault: w.fault, active: true },
    { at: w.toMs, station: w.station, fault: w.fault, active: false },
  ]);
  // at equal times, ends before starts so back-to-back windows of one fault stay on
  return t.sort((a, b) => a.at - b.at || Number(a.active) - Number(b.active));
}
