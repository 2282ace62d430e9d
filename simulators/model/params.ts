import { HARBIN_FLOOR, HARBIN_RADIATOR, shiftCurve, shiftCurveCapped, type Curve } from '../curve.ts';
import { hashUniform, type Rng } from '../random.ts';
import { GJ_PER_M3K } from './layout.ts';
import type { HeatingType, StationPlan } from './plan.ts';

/** Physical parameters of a station and its exchanger zones. */
export interface ZoneParams {
  staticHead: number; // MPa
  /** secondary pump head at nominal speed, MPa (supply = return + head) */
  pumpHead: number;
  fDesign: number; // m3/h at 50 Hz
  hzNom: number;
  approach: number; // K, primary return above secondary return
  roomBias: number;
  pumpKw: number;
  /** share of (supply − room) the return keeps (radiators 0.55); 0 = floor heating (ΔT 2–4 K) */
  retFrac: number;
  /** heat meter and make-up meter rate limits (GJ/h, m3/h): counters never run faster */
  energyCap: number;
  makeupCap: number;
}

export interface StationParams {
  tOutMean: number;
  curve: Curve;
  heatingType: HeatingType;
  pPriSupply: number;
  pPriReturn: number;
  tankM3: number;
  zones: ZoneParams[];
}

const K_HEAD = 0x68656164;
/** supply pressure at nominal speed stays below this, leaving room for transients under 1.0 MPa */
const MAX_SUPPLY = 0.88;

/**
 * Draws a station's parameters. The draws of the original model come from the sequential
 * generator in their original order; parameters added since come from a hash of (seed, station),
 * so adding one never shifts the others.
 */
export function makeParams(rng: Rng, seed: number, s: number, zoneCount: number, plan: StationPlan): StationParams {
  const zones: ZoneParams[] = [];
  const floor = plan.heatingType === 'floor';
  for (let z = 0; z < zoneCount; z++) {
    const high = zoneCount > 1 && z === zoneCount - 1;
    const staticHead = high ? rng.uniform(0.6, 0.72) : rng.uniform(0.22, 0.42) + z * 0.08;
    const fDesign = rng.uniform(70, 220);
    const hzNom = rng.uniform(38, 45);
    const approach = rng.uniform(4, 6);
    // a utility sets a station's night setback so its rooms stay above 18 °C (about 0.3 K of room
    // per K of supply): the stations that set back deepest are the ones whose buildings run warm
    const roomBias = Math.max(rng.uniform(-0.4, 0.6), 0.3 * plan.setbackK - 1.5);
    const pumpKw = rng.uniform(7.5, 30);
    const headMax = Math.min(0.35, MAX_SUPPLY - staticHead);
    zones.push({
      staticHead,
      pumpHead: 0.15 + (headMax - 0.15) * hashUniform(seed, s, K_HEAD, z),
      fDesign,
      hzNom,
      approach,
      roomBias,
      pumpKw,
      retFrac: floor ? 0 : 0.55,
      // 40 K across the design flow is more than any state of the model reaches
      energyCap: fDesign * 40 * GJ_PER_M3K,
      makeupCap: Math.max(6, 0.08 * fDesign),
    });
  }
  const tOutMean = rng.uniform(-14, -10);
  const shift = Math.round(rng.uniform(-2, 2) * 10) / 10;
  return {
    tOutMean,
    // floor stations run the DOMAIN floor curve a little warm (35–45 °C in this climate), capped at 45
    curve: floor ? shiftCurveCapped(HARBIN_FLOOR, 4.25 + shift / 4, 45) : shiftCurve(HARBIN_RADIATOR, shift),
    heatingType: plan.heatingType,
    pPriSupply: rng.uniform(0.6, 0.85),
    pPriReturn: rng.uniform(0.25, 0.35),
    tankM3: rng.uniform(6, 12),
    zones,
  };
}
