/**
 * Config of the night setback schedule that curve deviation allows for where a station has no
 * PLC setpoint point (src/alarms/setback.ts): site-wide as `operations.setback`, per station as
 * `stations[].setback` (the same shape, or `false` for a PLC that does no setback).
 *
 * @example
 * ```yaml
 * operations:
 *   setback: { windows: [{ from: "23:00", to: "05:00", offsetK: -5 }, { from: "05:00", to: "07:00", offsetK: 4 }], rampMin: 30 }
 * stations:
 *   - { id: hs-012, setback: false, … }
 * ```
 */
import Type, { type Static } from 'typebox';
import type { SetbackSchedule, SetbackWindow } from '../alarms/setback.ts';

const strict = { additionalProperties: false } as const;
const HM = /^([01][0-9]|2[0-3]):[0-5][0-9]$/;
/** beyond this an offset is no setback but a different curve */
export const MAX_OFFSET_K = 15;
export const DEFAULT_RAMP_MIN = 30;
export const DEFAULT_CLOCK_MIN = 10;

export const SetbackInput = Type.Object(
  {
    windows: Type.Array(
      Type.Object(
        {
          /** HH:MM in the site's time zone; `to` before `from` wraps past midnight */
          from: Type.String({ pattern: HM.source }),
          to: Type.String({ pattern: HM.source }),
          offsetK: Type.Number({ minimum: -MAX_OFFSET_K, maximum: MAX_OFFSET_K }),
        },
        strict,
      ),
      { minItems: 1, maxItems: 24 },
    ),
    /** minutes after a boundary during which the supply may be anywhere between the two offsets */
    rampMin: Type.Optional(Type.Integer({ minimum: 0, maximum: 240 })),
    /** how far a PLC clock may be off, minutes */
    clockMin: Type.Optional(Type.Integer({ minimum: 0, maximum: 60 })),
  },
  strict,
);

export type SetbackInputT = Static<typeof SetbackInput>;

interface Problem {
  path: string;
  message: string;
}

const hm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

/** The minutes of the day a window covers, as [start, end) runs that do not wrap. */
function runs(w: SetbackWindow): Array<[number, number]> {
  return w.from < w.to ? [[w.from, w.to]] : [[w.from, 1440], [0, w.to]];
}

/**
 * Checks a schedule and resolves it to minutes; every problem names its field under `path`
 * (`operations.setback.windows[1].to`). Bad times and offsets are also schema errors; they are
 * checked here too for callers that skip the schema.
 */
export function resolveSetback(s: SetbackInputT, path: string): { schedule: SetbackSchedule | null; problems: Problem[] } {
  const problems: Problem[] = [];
  const windows: SetbackWindow[] = [];
  /** config index of each accepted window */
  const index: number[] = [];
  s.windows.forEach((w, i) => {
    const wp = `${path}.windows[${i}]`;
    let ok = true;
    for (const k of ['from', 'to'] as const) {
      if (!HM.test(w[k])) {
        problems.push({ path: `${wp}.${k}`, message: `must be a time HH:MM (00:00–23:59), got '${w[k]}'` });
        ok = false;
      }
    }
    if (!(Math.abs(w.offsetK) <= MAX_OFFSET_K)) {
      problems.push({ path: `${wp}.offsetK`, message: `must be within ±${MAX_OFFSET_K} K, got ${w.offsetK}` });
      ok = false;
    }
    if (!ok) return;
    const win = { from: Number(w.from.slice(0, 2)) * 60 + Number(w.from.slice(3)), to: Number(w.to.slice(0, 2)) * 60 + Number(w.to.slice(3)), offsetK: w.offsetK };
    if (win.from === win.to) {
      problems.push({ path: `${wp}.to`, message: 'must differ from from (a window of the whole day is a different curve)' });
      return;
    }
    const j = windows.findIndex((o) => runs(o).some(([a, b]) => runs(win).some(([c, d]) => a < d && c < b)));
    if (j >= 0) {
      const o = windows[j];
      problems.push({ path: wp, message: `${w.from}–${w.to} overlaps windows[${index[j]}] (${hm(o.from)}–${hm(o.to)})` });
      return;
    }
    windows.push(win);
    index.push(i);
  });
  if (problems.length) return { schedule: null, problems };
  return { schedule: { windows, rampMin: s.rampMin ?? DEFAULT_RAMP_MIN, clockMin: s.clockMin ?? DEFAULT_CLOCK_MIN }, problems };
}

/**
 * The schedule a station's curve deviation allows for: its own, else the site's; none for
 * `false` (its PLC does no setback) or where neither is configured.
 */
export function stationSetback(own: SetbackSchedule | false | undefined, site: SetbackSchedule | null): SetbackSchedule | undefined {
  if (own === false) return undefined;
  return own ?? site ?? undefined;
}
