/**
 * `shifts:` config: when the dispatchers' shifts begin, as wall-clock times in the site's time
 * zone (`site.timezone`). Each shift runs from its start to the next one; the last of the day
 * runs into the first of the next day. Owned here; src/config/schema.ts only places it.
 *
 * @example
 * ```yaml
 * shifts:
 *   starts: ["08:00", "20:00"]        # the default: two 12 h shifts
 * # three 8 h shifts: starts: ["00:00", "08:00", "16:00"]
 * ```
 */
import Type, { type Static } from 'typebox';

const strict = { additionalProperties: false } as const;
/** `HH:MM`, 00:00..23:59 */
export const HOUR_MINUTE = '^([01][0-9]|2[0-3]):[0-5][0-9]$';

export const ShiftsConfig = Type.Object(
  {
    /** shift start times, HH:MM in the site's time zone, in increasing order */
    starts: Type.Optional(Type.Array(Type.String({ pattern: HOUR_MINUTE }), { minItems: 1, maxItems: 24 })),
  },
  strict,
);
export type ShiftsConfigInput = Static<typeof ShiftsConfig>;

export interface ShiftSettings {
  /** minutes after local midnight at which a shift begins, increasing */
  starts: number[];
}

export const DEFAULT_SHIFT_STARTS = ['08:00', '20:00'];

const minutesOf = (hm: string) => Number(hm.slice(0, 2)) * 60 + Number(hm.slice(3, 5));

/**
 * Fills the default and checks what the schema cannot: the starts increase (which makes them
 * unique too). A problem names its key, e.g. `shifts.starts[1]`.
 */
export function resolveShifts(input: ShiftsConfigInput | undefined, problems: Array<{ path: string; message: string }>): ShiftSettings {
  const given = input?.starts ?? DEFAULT_SHIFT_STARTS;
  const starts: number[] = [];
  given.forEach((hm, i) => {
    if (!new RegExp(HOUR_MINUTE).test(hm)) {
      problems.push({ path: `shifts.starts[${i}]`, message: `must be HH:MM (00:00..23:59), got '${hm}'` });
      return;
    }
    const m = minutesOf(hm);
    const prev = starts[starts.length - 1];
    if (prev !== undefined && m === prev) problems.push({ path: `shifts.starts[${i}]`, message: `duplicate start '${hm}'` });
    else if (prev !== undefined && m < prev) problems.push({ path: `shifts.starts[${i}]`, message: `'${hm}' comes before the start above it; list the starts in increasing order` });
    else starts.push(m);
  });
  return { starts: starts.length ? starts : DEFAULT_SHIFT_STARTS.map(minutesOf) };
}

/** `HH:MM` of minutes after midnight. */
export function hourMinute(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}
