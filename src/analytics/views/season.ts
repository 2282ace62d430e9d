/**
 * This heating season against the last one, day by day (pure, on local dates `YYYY-MM-DD`): the
 * two seasons' daily values side by side on the same day of the season (day 0 = the season's
 * first day), so a mild start this year and a cold one last year are compared day for day, not
 * date for date. Season bounds are the reports' (src/reports/analytics-season.ts): this season
 * up to today, last season whole, so the overlay also shows how last season went on from here.
 *
 * @example
 *   seasonSpans('2026-12-10', { start: 1015, end: 415 });
 *   // { current: { from: '2026-10-15', to: '2026-12-10' }, last: { from: '2025-10-15', to: '2026-04-15' } }
 */
import { addDays, daysBetween, seasonToDate, type SeasonDays } from '../../reports/analytics-season.ts';

export interface SeasonSpan {
  /** first day */
  from: string;
  /** last day shown: today for the season in progress, else the season's last day */
  to: string;
}

/** The season `today` falls in (between seasons: the one just ended) and the whole season before it. */
export function seasonSpans(today: string, season: SeasonDays | null): { current: SeasonSpan; last: SeasonSpan } {
  const cur = seasonToDate(today, season);
  // the day before this season began lies past the end of the last one, which is then counted whole
  const prev = seasonToDate(addDays(cur.start, -1), season);
  return { current: { from: cur.start, to: cur.to }, last: { from: prev.start, to: prev.to } };
}

export interface SeasonDay {
  /** days since the season's first day */
  index: number;
  /** this season's date of that day (null past today), and last season's (null past its end) */
  day: string | null;
  lastDay: string | null;
  value: number | null;
  lastValue: number | null;
}

/**
 * The two seasons' values on a common day-of-season axis, from day 0 to the longer of the two
 * spans. A day without a row is null.
 */
export function alignSeasons(
  spans: { current: SeasonSpan; last: SeasonSpan },
  current: ReadonlyArray<{ day: string; value: number | null }>,
  last: ReadonlyArray<{ day: string; value: number | null }>,
): SeasonDay[] {
  const nowLen = daysBetween(spans.current.from, spans.current.to) + 1;
  const lastLen = daysBetween(spans.last.from, spans.last.to) + 1;
  const a = new Map(current.map((r) => [r.day, r.value]));
  const b = new Map(last.map((r) => [r.day, r.value]));
  const out: SeasonDay[] = [];
  for (let i = 0; i < Math.max(nowLen, lastLen); i++) {
    const day = i < nowLen ? addDays(spans.current.from, i) : null;
    const lastDay = i < lastLen ? addDays(spans.last.from, i) : null;
    out.push({ index: i, day, lastDay, value: day ? (a.get(day) ?? null) : null, lastValue: lastDay ? (b.get(lastDay) ?? null) : null });
  }
  return out;
}
