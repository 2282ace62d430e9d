/**
 * Season to date and last season to the same day of season (pure, on local calendar days
 * `YYYY-MM-DD`). A heating season starts every year on `operations.season.start` (MM-DD) and
 * ends on its `end`; without a configured season the heating year starts on 1 July, so a
 * winter is never split. "To date" ends on the given day, or on the season's last day when that
 * day is past it; last season runs from its start for as many days as this one has so far, so
 * the two cover the same days of season (a 29 February shifts the calendar dates, not the count).
 *
 * @example
 *   seasonToDate('2026-12-31', { start: 1020, end: 410 });
 *   // { start: '2026-10-20', to: '2026-12-31', days: 73, last: { start: '2025-10-20', to: '2025-12-31' } }
 */

/** month * 100 + day, as OperationsSettings.season holds it */
export interface SeasonDays {
  start: number;
  end: number;
}

export interface SeasonWindow {
  /** first day of the season the day falls in (or last ended in) */
  start: string;
  /** last day counted: the day itself, or the season's last day */
  to: string;
  /** days counted, start and to included */
  days: number;
  last: { start: string; to: string };
}

/** the heating year without a configured season: 1 July to 30 June */
export const HEATING_YEAR: SeasonDays = { start: 701, end: 630 };

const DAY_MS = 86_400_000;

const parse = (day: string): number => Date.UTC(Number(day.slice(0, 4)), Number(day.slice(5, 7)) - 1, Number(day.slice(8, 10)));
const format = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** The day `n` days after `day` (n may be negative). */
export function addDays(day: string, n: number): string {
  return format(parse(day) + n * DAY_MS);
}

/** Days from `a` to `b` (b − a). */
export function daysBetween(a: string, b: string): number {
  return Math.round((parse(b) - parse(a)) / DAY_MS);
}

/** `YYYY-MM-DD` of a year and a month-day (a 29 February in a common year is 1 March). */
function dayOf(year: number, md: number): string {
  return format(Date.UTC(year, Math.floor(md / 100) - 1, md % 100));
}

export function seasonToDate(day: string, season: SeasonDays | null): SeasonWindow {
  const s = season ?? HEATING_YEAR;
  const year = Number(day.slice(0, 4));
  const md = Number(day.slice(5, 7)) * 100 + Number(day.slice(8, 10));
  const startYear = md >= s.start ? year : year - 1;
  const start = dayOf(startYear, s.start);
  // the season's last day: in the start's year when it does not wrap the new year
  const end = dayOf(s.end >= s.start ? startYear : startYear + 1, s.end);
  const to = day < end ? day : end;
  const days = daysBetween(start, to) + 1;
  const lastStart = dayOf(startYear - 1, s.start);
  return { start, to, days, last: { start: lastStart, to: addDays(lastStart, days - 1) } };
}
