/**
 * Which points of a station the daily table reads (pure): the heat and make-up counters of
 * every zone, the outdoor, secondary supply and return and primary return temperatures (the
 * first zone's: the points without a zone prefix), the secondary flow of every zone, and the
 * curve and setback band its supply is judged against.
 */
import { setbackTable, type SetbackSchedule } from '../alarms/setback.ts';
import { pointId } from '../model.ts';
import { basePointId, COUNTER_KINDS, counterOf, type CounterSpec } from './counters.ts';

export interface CounterInput extends CounterSpec {
  point: string;
}

export interface StationInputs {
  station: string;
  heat: CounterInput[];
  makeup: CounterInput[];
  outdoor: string | null;
  supply: string | null;
  ret: string | null;
  priReturn: string | null;
  flows: string[];
  curve: ReadonlyArray<readonly [number, number]> | null;
  /** band of every local minute of the day (setback.ts setbackTable), null without setback */
  setback: Float64Array | null;
}

interface StationLike {
  id: string;
  curve?: Array<[number, number]> | undefined;
  setback?: SetbackSchedule | undefined;
  devices: ReadonlyArray<{ id: string; points: ReadonlyArray<{ id: string; counter?: boolean | undefined; rolloverAt?: number | undefined }> }>;
}

export const MEAN_POINTS = { outdoor: 't_outdoor', supply: 't_sec_supply', ret: 't_sec_return', priReturn: 't_pri_return', flow: 'f_sec' } as const;

export function stationInputs(s: StationLike): StationInputs {
  const first = (leaf: string): string | null => {
    for (const d of s.devices) if (d.points.some((p) => p.id === leaf)) return pointId(s.id, d.id, leaf);
    return null;
  };
  const heat: CounterInput[] = [];
  const makeup: CounterInput[] = [];
  const flows: string[] = [];
  for (const d of s.devices) {
    for (const p of d.points) {
      const base = basePointId(p.id);
      const c = counterOf(p);
      if (c && base === COUNTER_KINDS.heat) heat.push({ point: pointId(s.id, d.id, p.id), ...c });
      if (c && base === COUNTER_KINDS.makeup) makeup.push({ point: pointId(s.id, d.id, p.id), ...c });
      if (base === MEAN_POINTS.flow) flows.push(pointId(s.id, d.id, p.id));
    }
  }
  return {
    station: s.id,
    heat,
    makeup,
    outdoor: first(MEAN_POINTS.outdoor),
    supply: first(MEAN_POINTS.supply),
    ret: first(MEAN_POINTS.ret),
    priReturn: first(MEAN_POINTS.priReturn),
    flows,
    curve: s.curve ?? null,
    setback: s.setback ? setbackTable(s.setback) : null,
  };
}

/** The points read as per-minute means (temperatures, flows). */
export function meanPoints(x: StationInputs): string[] {
  return [x.outdoor, x.supply, x.ret, x.priReturn, ...x.flows].filter((p): p is string => p !== null);
}

/** The counter points (per-minute last). */
export function counterPointsOf(x: StationInputs): string[] {
  return [...x.heat, ...x.makeup].map((c) => c.point);
}
