/**
 * Reads a window of minutes [start, end) of a group of stations from the series store and lays
 * it out as daily.ts `WindowInputs`: per-minute means of the temperatures and flows over the
 * window, per-minute last values of the counters from where each counter has to be read (its
 * last known value, or a day before), whether each minute was in service (the station's mode
 * every quarter hour) and its setback band.
 */
import { contextMode } from '../alarms/modes.ts';
import type { MinuteOfDay } from '../alarms/setback.ts';
import type { SeriesStore } from '../store/port.ts';
import type { CounterSlice, WindowInputs } from './daily.ts';
import { MINUTE_MS } from './increase.ts';
import { counterPointsOf, meanPoints, type StationInputs } from './inputs.ts';
import { readMinutes } from './minutes.ts';

const QUARTER_MS = 15 * 60_000;

export interface WindowSpec {
  start: number;
  end: number;
  /** counters: read until here (beyond `end` for a past day, so a gap after it is known) */
  counterEnd: number;
  /** counters: increases of minutes before this belong to another day */
  countFrom: number;
  /** per station, per counter (heat, then make-up): read from this minute */
  readFrom: (station: string, counter: number) => number;
}

export interface ReaderContext {
  series: Pick<SeriesStore, 'query'>;
  minuteOfDay: MinuteOfDay;
  /** context codes of stations at an instant (src/modes/history.ts); absent: always in service */
  contexts?: (stationIds: readonly string[], at: number) => Uint8Array;
  chunkMinutes?: number | undefined;
}

export interface StationWindow {
  inputs: WindowInputs;
  /** the counters' slices (heat, then make-up) with the minute of their index 0 */
  counters: Array<{ slice: CounterSlice; readFrom: number }>;
}

/** The windows of a group of stations (one store read for the counters, one for the means). */
export async function readWindow(ctx: ReaderContext, part: readonly StationInputs[], w: WindowSpec): Promise<Map<string, StationWindow>> {
  const minutes = Math.max(0, Math.round((w.end - w.start) / MINUTE_MS));
  let lo = w.start;
  for (const x of part) for (let k = 0; k < x.heat.length + x.makeup.length; k++) lo = Math.min(lo, w.readFrom(x.station, k));
  const counters = await readMinutes(ctx.series, part.flatMap(counterPointsOf), lo, Math.max(w.counterEnd, w.start), 'last', { chunkMinutes: ctx.chunkMinutes });
  const means = await readMinutes(ctx.series, part.flatMap(meanPoints), w.start, w.end, 'mean', { chunkMinutes: ctx.chunkMinutes });
  const inService = inServiceMinutes(ctx, part, w.start, minutes);
  const minuteOfDay = part.some((x) => x.setback) ? Array.from({ length: minutes }, (_, i) => ctx.minuteOfDay.at(w.start + i * MINUTE_MS)) : [];
  const out = new Map<string, StationWindow>();
  for (const x of part) {
    const slices: StationWindow['counters'] = [...x.heat, ...x.makeup].map((c, k) => {
      const readFrom = Math.max(lo, w.readFrom(x.station, k));
      const all = counters.values.get(c.point)!;
      const at = (t: number) => Math.round((t - readFrom) / MINUTE_MS);
      const values = all.subarray(Math.round((readFrom - lo) / MINUTE_MS));
      return { readFrom, slice: { values, rolloverAt: c.rolloverAt, from: at(w.start), countFrom: Math.max(0, at(w.countFrom)) } };
    });
    const series = (p: string | null) => (p === null ? null : means.values.get(p)!);
    let band: WindowInputs['band'] = null;
    if (x.setback) {
      band = { lo: new Float64Array(minutes), hi: new Float64Array(minutes) };
      for (let m = 0; m < minutes; m++) {
        band.lo[m] = x.setback[2 * minuteOfDay[m]];
        band.hi[m] = x.setback[2 * minuteOfDay[m] + 1];
      }
    }
    out.set(x.station, {
      counters: slices,
      inputs: {
        minutes,
        heat: slices.slice(0, x.heat.length).map((c) => c.slice),
        makeup: slices.slice(x.heat.length).map((c) => c.slice),
        outdoor: series(x.outdoor),
        supply: series(x.supply),
        ret: series(x.ret),
        priReturn: series(x.priReturn),
        flows: x.flows.map((p) => means.values.get(p)!),
        curve: x.curve,
        band,
        inService: inService.get(x.station)!,
      },
    });
  }
  return out;
}

/** Per station, 1 for each minute of the window whose quarter hour began with the station in service. */
function inServiceMinutes(ctx: ReaderContext, part: readonly StationInputs[], start: number, minutes: number): Map<string, Uint8Array> {
  const out = new Map(part.map((x) => [x.station, new Uint8Array(minutes).fill(1)]));
  if (!ctx.contexts || minutes === 0) return out;
  const ids = part.map((x) => x.station);
  let codes: Uint8Array | null = null;
  let quarter = Number.NaN;
  for (let m = 0; m < minutes; m++) {
    const q = Math.floor((start + m * MINUTE_MS) / QUARTER_MS) * QUARTER_MS;
    if (q !== quarter) {
      quarter = q;
      codes = ctx.contexts(ids, q);
    }
    ids.forEach((id, i) => {
      out.get(id)![m] = contextMode(codes![i]) === 'in_service' ? 1 : 0;
    });
  }
  return out;
}
