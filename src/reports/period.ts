/**
 * Report periods in the site's time zone (pure; the zone's rules come from the runtime's ICU
 * data): a day `YYYY-MM-DD` or a month `YYYY-MM` becomes the half-open interval [from, to) of
 * ms epoch between its local midnights, so a ticket filed at 23:59:59.999 local time belongs to
 * that day and one at 00:00 to the next, whatever UTC says.
 *
 * @example
 *   parsePeriod({ date: '2026-12-01' }, 'Asia/Shanghai', now);
 *   // { kind: 'day', label: '2026-12-01', from: Date.UTC(2026, 10, 30, 16), to: Date.UTC(2026, 11, 1, 16), timeZone: 'Asia/Shanghai' }
 */

export type PeriodKind = 'day' | 'month';

export interface Period {
  kind: PeriodKind;
  /** as asked: `2026-12-01` or `2026-12` */
  label: string;
  /** local midnight starting the period, ms epoch */
  from: number;
  /** local midnight after it (exclusive) */
  to: number;
  timeZone: string;
}

/** Bad period input; `field` names the query parameter (`querystring.date`). */
export class PeriodError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Local wall-clock minus UTC at instant `ms`, in ms (Asia/Shanghai: +8 h). */
export function zoneOffsetMs(ms: number, timeZone: string): number {
  const whole = Math.floor(ms / 1000) * 1000;
  const p = Object.fromEntries(formatter(timeZone).formatToParts(new Date(whole)).map((x) => [x.type, x.value]));
  const asUtc = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second));
  return asUtc - whole;
}

/** The instant of local midnight starting the given local date (month 1..12; day may overflow into the next month). */
export function localMidnight(year: number, month: number, day: number, timeZone: string): number {
  const wall = Date.UTC(year, month - 1, day);
  const first = wall - zoneOffsetMs(wall, timeZone);
  // the offset at the guess may differ from the one at the answer (a change of offset that day)
  const second = wall - zoneOffsetMs(first, timeZone);
  return second;
}

/** A Date whose UTC fields show the local wall-clock time (spreadsheet cells carry no zone). */
export function wallClock(ms: number, timeZone: string): Date {
  return new Date(ms + zoneOffsetMs(ms, timeZone));
}

/** `2026-12-01 08:05` in the zone. */
export function localDateTime(ms: number, timeZone: string): string {
  return wallClock(ms, timeZone).toISOString().slice(0, 16).replace('T', ' ');
}

/** `2026-12-01` in the zone. */
export function localDate(ms: number, timeZone: string): string {
  return wallClock(ms, timeZone).toISOString().slice(0, 10);
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const MONTH = /^(\d{4})-(\d{2})$/;

/**
 * The period of `date` (`YYYY-MM-DD` a day, `YYYY-MM` a month; `period` when given must agree).
 * A period that begins after `now` is refused: there is nothing to report yet. The current,
 * unfinished period is allowed and covers what happened so far.
 */
export function parsePeriod(q: { period?: PeriodKind; date: string }, timeZone: string, now: number): Period {
  const day = DAY.exec(q.date);
  const month = day ? null : MONTH.exec(q.date);
  const kind: PeriodKind | null = day ? 'day' : month ? 'month' : null;
  if (!kind) throw new PeriodError('querystring.date', `'${q.date}' is not a date: give YYYY-MM-DD for a day or YYYY-MM for a month`);
  if (q.period && q.period !== kind) {
    throw new PeriodError('querystring.date', `period=${q.period} needs ${q.period === 'day' ? 'YYYY-MM-DD' : 'YYYY-MM'}, got '${q.date}'`);
  }
  const m = (day ?? month) as RegExpExecArray;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = day ? Number(m[3]) : 1;
  const check = new Date(Date.UTC(y, mo - 1, d));
  if (mo < 1 || mo > 12 || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) throw new PeriodError('querystring.date', `'${q.date}' is not a calendar ${kind}`);
  if (y < 1970) throw new PeriodError('querystring.date', `'${q.date}' is before 1970`);
  const from = localMidnight(y, mo, d, timeZone);
  const to = kind === 'day' ? localMidnight(y, mo, d + 1, timeZone) : localMidnight(y, mo + 1, 1, timeZone);
  if (from > now) {
    throw new PeriodError('querystring.date', `${q.date} (${timeZone}) is in the future (today is ${localDate(now, timeZone)}): a report covers a period that has begun`);
  }
  return { kind, label: q.date, from, to, timeZone };
}
