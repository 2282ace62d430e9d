import { hashUniform } from '../random.ts';
import { ENERGY, HOURS1, HOURS2, VMK, zoneOffset } from './layout.ts';
import type { ZoneParams } from './params.ts';

/**
 * Cumulative counters (heat energy, make-up volume, pump hours) that never go backwards when the
 * simulator restarts. A model created at `startMs` starts each counter at
 *   base + (upper-bound rate) × (startMs − COUNTER_EPOCH_MS)
 * and the model never accumulates faster than that bound (the meters saturate), so a model
 * created later always starts at or above anything an earlier model reached by then.
 * After a scheduled replacement (meter or PLC) the same holds from the replacement time.
 * Holds for start times after the epoch.
 */
export const COUNTER_EPOCH_MS = Date.UTC(2024, 0, 1);

const K_COUNT = 0x636e7472;
const H = 3_600_000;
/** a hair above the true limit, so rounding never lets a running model overtake the bound */
const MARGIN = 1.001;

export interface Counters {
  energy: number;
  vmk: number;
  hours1: number;
  hours2: number;
}

/** When the heat meter and the PLC (which keeps make-up volume and pump hours) were last replaced. */
export interface LastReplaced {
  heatMeterMs: number | null;
  plcMs: number | null;
}

/** Reading of a new heat meter: a few GJ from the factory test. */
export function newMeterEnergy(seed: number, s: number, z: number, atMs: number): number {
  return Math.round(hashUniform(seed, s, K_COUNT + 9, (z * 7919 + Math.floor(atMs / H)) | 0) * 500) / 100;
}

export function initialCounters(seed: number, s: number, z: number, zp: ZoneParams, startMs: number, last: LastReplaced): Counters {
  const u = (k: number) => hashUniform(seed, s, K_COUNT, z * 16 + k);
  const since = (from: number) => (MARGIN * Math.max(0, startMs - from)) / H;
  const e = last.heatMeterMs;
  const p = last.plcMs;
  return {
    energy: e === null ? Math.round(2000 + 38000 * u(0)) + zp.energyCap * since(COUNTER_EPOCH_MS) : newMeterEnergy(seed, s, z, e) + zp.energyCap * since(e),
    vmk: p === null ? Math.round(100 + 2900 * u(1)) + zp.makeupCap * since(COUNTER_EPOCH_MS) : zp.makeupCap * since(p),
    hours1: p === null ? Math.round(1000 + 29000 * u(2)) + since(COUNTER_EPOCH_MS) : since(p),
    hours2: p === null ? Math.round(500 + 19500 * u(3)) + since(COUNTER_EPOCH_MS) : since(p),
  };
}

/** A replaced heat meter starts from its factory reading; a replaced PLC counts from zero. */
export function replaceCounters(x: Float64Array, zones: number, seed: number, s: number, what: 'heat_meter' | 'plc', atMs: number): void {
  for (let z = 0; z < zones; z++) {
    const o = zoneOffset(z);
    if (what === 'heat_meter') x[o + ENERGY] = newMeterEnergy(seed, s, z, atMs);
    else {
      x[o + VMK] = 0;
      x[o + HOURS1] = 0;
      x[o + HOURS2] = 0;
    }
  }
}
