import * as layout from './layout.ts';
import type { Fault } from './layout.ts';

const { AUTOST, CMD1, CMD2, FOUL_S, FROZEN_TSS, INTEG, TRIP_S, TRIPP, zoneOffset } = layout;

/**
 * What switching a fault on or off does to the state beyond its bit in the fault mask.
 * `frozen(z)` is the reading a freezing sensor of zone z sticks at.
 */
export function faultEffects(x: Float64Array, zones: number, fault: Fault, active: boolean, frozen: (z: number) => number): void {
  if (fault === 'sensor_freeze') {
    for (let z = 0; z < zones; z++) x[zoneOffset(z) + FROZEN_TSS] = active ? frozen(z) : NaN;
  }
  // fouling builds up from its start; cleaning the plates (fault off) restores the clean exchanger
  if (fault === 'fouling') x[FOUL_S] = 0;
  if (fault === 'burst' && !active) {
    // the crew repaired the pipe and refilled the loop
    for (let z = 0; z < zones; z++) x[zoneOffset(z) + INTEG] = 0;
  }
  if (fault === 'pump_trip') {
    x[TRIP_S] = 0;
    for (let z = 0; z < zones; z++) {
      const o = zoneOffset(z);
      if (active) {
        // the duty pump trips; its command stays on and its fault bit is set, as on a real PLC
        x[o + TRIPP] = x[o + CMD1] > 0 ? 1 : x[o + CMD2] > 0 ? 2 : 1;
        x[o + AUTOST] = 0;
      } else {
        // repaired: where the standby took over, the crew resets the tripped pump to standby
        if (x[o + AUTOST] > 0) x[o + (x[o + TRIPP] === 1 ? CMD1 : CMD2)] = 0;
        x[o + TRIPP] = 0;
        x[o + AUTOST] = 0;
      }
    }
  }
}
