/**
 * The facts a utility knows of each simulated station (heated area, system volume, design
 * temperatures, place on the site plan), deterministic from the seed and the station's
 * parameters, so the analytics can be checked against a network whose answers are known:
 * - the heated area is what the station's usual heat (its steady state at its mean outdoor
 *   temperature) heats at 70 kJ per m² and degree-day, within ±8 %: every healthy station
 *   comes out near the same GJ/(m²·HDD), and one over-supplied (fault `oversupply`) stands out;
 * - stations lie in their district's block of a 4 × 2 grid of 4 km × 3 km blocks (site-plan
 *   metres), district k = station index mod 8, as the simulator's areas are given.
 */
import { curveSetpoint } from '../curve.ts';
import { hashUniform } from '../random.ts';
import { GJ_PER_M3K } from './layout.ts';
import type { StationParams } from './params.ts';

export interface SimStationFacts {
  heatedAreaM2: number;
  systemVolumeM3: number;
  designSupplyC: number;
  designReturnC: number;
  location: { x: number; y: number };
}

/** heat per m² and degree-day of a healthy simulated station, GJ */
export const SIM_INTENSITY = 7e-5;
export const DISTRICTS = 8;
const BLOCK = { w: 4000, h: 3000, margin: 300 } as const;
const K_FACTS = 0x66616374;

/** The usual heat of a station (GJ/h): its zones' steady state at the station's mean outdoor temperature. */
export function usualHeatGJh(p: StationParams): number {
  const sp = curveSetpoint(p.curve, p.tOutMean);
  let q = 0;
  for (const z of p.zones) {
    const flow = (z.fDesign * z.hzNom) / 50;
    const lift = Math.max(0, sp - (20 + z.roomBias));
    const dt = z.retFrac > 0 ? (1 - z.retFrac) * lift : Math.min(lift, 1.6 + 0.06 * lift);
    q += flow * dt * GJ_PER_M3K;
  }
  return q;
}

/** The block of district k on the site plan: its corners, counter-clockwise. */
export function districtOutline(k: number): Array<[number, number]> {
  const x0 = (k % 4) * BLOCK.w;
  const y0 = Math.floor(k / 4) * BLOCK.h;
  return [
    [x0, y0],
    [x0 + BLOCK.w, y0],
    [x0 + BLOCK.w, y0 + BLOCK.h],
    [x0, y0 + BLOCK.h],
  ];
}

export function stationFacts(seed: number, s: number, p: StationParams): SimStationFacts {
  const u = (k: number) => hashUniform(seed, s, K_FACTS, k);
  const hdd = Math.max(1, 18 - p.tOutMean);
  const area = ((usualHeatGJh(p) * 24) / (SIM_INTENSITY * hdd)) * (0.92 + 0.16 * u(0));
  const volume = p.zones.reduce((v, z) => v + z.fDesign, 0) * (0.8 + 0.6 * u(1));
  const design = curveSetpoint(p.curve, -24.2);
  const [[x0, y0]] = districtOutline(s % DISTRICTS);
  return {
    heatedAreaM2: Math.round(area / 100) * 100,
    systemVolumeM3: Math.round(volume),
    designSupplyC: Math.round(design * 10) / 10,
    designReturnC: Math.round((design - (p.heatingType === 'floor' ? 10 : 25)) * 10) / 10,
    location: {
      x: Math.round(x0 + BLOCK.margin + u(2) * (BLOCK.w - 2 * BLOCK.margin)),
      y: Math.round(y0 + BLOCK.margin + u(3) * (BLOCK.h - 2 * BLOCK.margin)),
    },
  };
}
