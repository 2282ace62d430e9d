import { hashUniform } from '../random.ts';

/**
 * Per-station operating parameters of the PLC and the crew (setback, changeover cadence,
 * patrol habits, standby auto-start, 4G cell). Each is a pure function of (seed, station):
 * a station keeps its habits whatever the network size or the time the model was created.
 */
export type HeatingType = 'radiator' | 'floor';

export interface StationPlan {
  heatingType: HeatingType;
  /** night setback 23:00–05:00 in K (0: this PLC does no setback) */
  setbackK: number;
  /** morning boost after 05:00, K and ms */
  boostK: number;
  boostMs: number;
  /** probability that a day has no patrol */
  patrolSkip: number;
  /** a pump changeover every `coPeriodDays` days, counted from local day `coPhaseDay` */
  coPeriodDays: number;
  coPhaseDay: number;
  /** PLC timer changeover at local hour `coHour`; otherwise by hand during the patrol */
  coAuto: boolean;
  coHour: number;
  /** run feedback delay after a pump command, ms */
  feedbackMs: number;
  /** the PLC starts the standby pump when the duty pump trips */
  standbyAutoStart: boolean;
  /** 4G cell of the station's modem: a cell outage takes all its stations at once */
  cell: number;
}

export const CELLS = 64;
const K_PLAN = 0x706c616e;

export interface PlanOptions {
  floorShare: number;
  autoStartShare: number;
}

export function stationPlan(seed: number, s: number, o: PlanOptions): StationPlan {
  const u = (k: number) => hashUniform(seed, s, K_PLAN, k);
  const floor = u(0) < o.floorShare;
  // most radiator PLCs set back at night; most floor stations do not (their mass carries the
  // night), but a few do, which is exactly what a heating-type rule must still tolerate
  const setback = floor ? u(1) < 0.2 : u(1) < 0.85;
  const period = 2 + Math.floor(u(5) * 4);
  return {
    heatingType: floor ? 'floor' : 'radiator',
    setbackK: setback ? round1(3 + 3 * u(2)) : 0,
    boostK: setback ? round1(3 + 2 * u(3)) : 0,
    boostMs: Math.round((1 + u(4)) * 3_600_000 / 60_000) * 60_000,
    patrolSkip: 0.05 + 0.3 * u(8),
    coPeriodDays: period,
    coPhaseDay: Math.floor(u(6) * period),
    coAuto: u(7) < 0.6,
    coHour: 7 + Math.floor(u(9) * 14) + (u(10) < 0.5 ? 0 : 0.5),
    feedbackMs: Math.round(1000 + 1000 * u(11)),
    standbyAutoStart: u(12) < o.autoStartShare,
    cell: Math.floor(u(13) * CELLS),
  };
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
