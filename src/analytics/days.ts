/**
 * Local calendar days of the analytics routes (pure; the zone's rules from the runtime's ICU
 * data): `YYYY-MM-DD` days and `YYYY-MM` months in the site time zone, the range a request asks
 * for, and the instants a day spans.
 *
 * @example
 * ```ts
 * dayRange({ from: '2026-12', to: '2026-12' }, 'Asia/Shanghai', now, null); // { from: '2026-12-01', to: '2026-12-09' } on 9 December
 * dayBounds('2026-12-01', 'Asia/Shanghai'); // { from: Date.UTC(2026, 10, 30, 16), to: Date.UTC(2026, 11, 1, 16) }
 * ```
 */
import { localDate, localMidnight } from '../reports/period.ts';
import { addDays, daysBetween, seasonToDate, type SeasonDays } from '../reports/analytics-season.ts';

export { addDays, daysBetween };

/** The most days one request covers. */
export const MAX_DAYS = 400;

/** Bad day input; `field` names the query parameter (`querystring.from`). */
export class DayError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const MONTH = /^(\d{4})-(\d{2})$/;

/** The instants [from, to) of a local day. */
export function dayBounds(day: string, timeZone: string): { from: number; to: number } {
  const y = Number(day.slice(0, 4));
  const m = Number(day.slice(5, 7));
  const d = Number(day.slice(8, 10));
  return { from: localMidnight(y, m, d, timeZone), to: localMidnight(y, m, d + 1, timeZone) };
}

/** Every day from `from` to `to`, both included. */
export function daysFrom(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) out.push(d);
  return out;
}

const lastOfMonth = (y: number, m: number) => new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);

/**
 * A `from` or `to` parameter as a day: a day as given; a month as its first day (`from`) or its
 * last (`to`, the month so far when it is the current one). A malformed value, or one after
 * today, is a DayError naming `field`.
 */
export function parseDay(field: string, text: string, edge: 'from' | 'to', today: string): string {
  const day = DAY.exec(text);
  const month = day ? null : MONTH.exec(text);
  if (!day && !month) throw new DayError(field, `'${text}' is not a day: give YYYY-MM-DD (or YYYY-MM for a month)`);
  const m = (day ?? month)!;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = day ? Number(m[3]) : 1;
  const check = new Date(Date.UTC(y, mo - 1, d));
  if (y < 1970 || mo < 1 || mo > 12 || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) throw new DayError(field, `'${text}' is not a calendar ${day ? 'day' : 'month'}`);
  const first = check.toISOString().slice(0, 10);
  if (first > today) throw new DayError(field, `${text} is in the future (today is ${today})`);
  if (day || edge === 'from') return first;
  const last = lastOfMonth(y, mo);
  return last < today ? last : today;
}

export interface RangeQuery {
  from?: string | undefined;
  to?: string | undefined;
  /** the current month or the season so far, unless from/to say otherwise */
  period?: 'month' | 'season' | undefined;
}

/**
 * The days a request covers: `from`/`to` as given (defaults: the 30 days to today, or the
 * period's), checked: not in the future, `from` not after `to`, at most MAX_DAYS days.
 * `season` is `operations.season` (null: the heating year from 1 July, as the reports count it).
 */
export function dayRange(q: RangeQuery, timeZone: string, now: number, season: SeasonDays | null): { from: string; to: string } {
  const today = localDate(now, timeZone);
  const to = q.to !== undefined ? parseDay('querystring.to', q.to, 'to', today) : today;
  let from: string;
  if (q.from !== undefined) from = parseDay('querystring.from', q.from, 'from', today);
  else if (q.period === 'month') from = `${to.slice(0, 7)}-01`;
  else if (q.period === 'season') from = seasonToDate(to, season).start;
  else from = addDays(to, -29);
  if (from > to) throw new DayError('querystring.from', `${from} is after to (${to})`);
  const days = daysBetween(from, to) + 1;
  if (days > MAX_DAYS) throw new DayError('querystring.to', `${days} days from ${from} to ${to}; at most ${MAX_DAYS} per request`);
  return { from, to };
}

/** `YYYY-MM-DD` of an instant in the zone. */
export function dayOf(ms: number, timeZone: string): string {
  return localDate(ms, timeZone);
}
