/**
 * Shift boundaries (pure): which shift holds an instant, the one before it, the shifts of a
 * range. A shift starts at one of the configured wall-clock times in the site's time zone and
 * ends at the next, so on a daylight-saving day a shift is an hour shorter or longer; the
 * zone's rules come from the runtime's ICU data (Intl), nothing is assumed about the zone.
 *
 * A start that falls in the hour a clock skips (02:30 on a spring-forward day) begins when the
 * clock has moved on (03:30, the same instant the old offset names); one that a clock passes
 * twice (02:30 on a fall-back day) begins at the first pass.
 *
 * @example
 * const cal = shiftCalendar({ starts: [480, 1200] }, 'Asia/Shanghai');
 * cal.at(Date.parse('2025-01-15T02:00:00Z'));       // the night shift 2025-01-14 20:00 → 2025-01-15 08:00
 * cal.previous(Date.parse('2025-01-15T02:00:00Z')); // the day shift 2025-01-14 08:00 → 20:00
 */
import { hourMinute, type ShiftSettings } from './config.ts';

export interface Shift {
  /** ms epoch of the first instant of the shift */
  start: number;
  /** ms epoch of the first instant after it (the next shift's start) */
  end: number;
  /** which of `shifts.starts` it begins at */
  index: number;
  /** local date of the start, YYYY-MM-DD */
  date: string;
  /** the configured HH:MM it starts and ends at */
  startsAt: string;
  endsAt: string;
}

export interface ShiftCalendar {
  readonly timeZone: string;
  /** the shift holding instant `t` (a shift holds its start, not its end) */
  at(t: number): Shift;
  /** the shift that ended when the one holding `t` began */
  previous(t: number): Shift;
  /** the shifts overlapping [from, to), oldest first, at most `max` */
  between(from: number, to: number, max: number): Shift[];
}

const DAY_MS = 86_400_000;

interface Wall {
  y: number;
  mo: number;
  d: number;
}

/** `Intl` reads of one time zone: the local date at an instant, the offset in force at an instant. */
function zoneReader(timeZone: string) {
  const fmt = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
  const parts = (ms: number) => {
    const p = Object.fromEntries(fmt.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
    return { y: Number(p.year), mo: Number(p.month), d: Number(p.day), h: Number(p.hour), mi: Number(p.minute) };
  };
  /** local wall time minus UTC at `ms`, to the minute */
  const offsetAt = (ms: number) => {
    const p = parts(ms);
    return Date.UTC(p.y, p.mo - 1, p.d, p.h, p.mi) - Math.floor(ms / 60_000) * 60_000;
  };
  return {
    date: (ms: number): Wall => parts(ms),
    /** the instant at which local date `w` shows `minute` after midnight (gap: after it; twice: the first) */
    instant(w: Wall, minute: number): number {
      const wall = Date.UTC(w.y, w.mo - 1, w.d, 0, minute);
      const before = offsetAt(wall - DAY_MS);
      const after = offsetAt(wall + DAY_MS);
      const valid = [wall - before, wall - after].filter((c, i) => offsetAt(c) === (i === 0 ? before : after));
      // none valid: the clock skipped this time; the offset before the jump names the instant after it
      return valid.length ? Math.min(...valid) : wall - before;
    },
  };
}

const dateText = (w: Wall) => `${w.y}-${String(w.mo).padStart(2, '0')}-${String(w.d).padStart(2, '0')}`;
const addDays = (w: Wall, k: number): Wall => {
  const d = new Date(Date.UTC(w.y, w.mo - 1, w.d + k));
  return { y: d.getUTCFullYear(), mo: d.getUTCMonth() + 1, d: d.getUTCDate() };
};

export function shiftCalendar(settings: ShiftSettings, timeZone: string): ShiftCalendar {
  const zone = zoneReader(timeZone);
  const starts = settings.starts;
  if (starts.length === 0) throw new Error('shiftCalendar: no shift starts');

  const at = (t: number): Shift => {
    const today = zone.date(t);
    // the starts of yesterday, today and tomorrow: the one at or before t and the one after it are among them
    const marks: Array<{ ms: number; index: number; date: Wall }> = [];
    for (let k = -1; k <= 1; k++) {
      const date = addDays(today, k);
      starts.forEach((minute, index) => {
        const ms = zone.instant(date, minute);
        // a skipped start can land on the instant of a later one (02:10 skipped begins at 03:10): the first stands
        if (marks.length === 0 || ms > marks[marks.length - 1].ms) marks.push({ ms, index, date });
      });
    }
    let i = marks.length - 1;
    while (i > 0 && marks[i].ms > t) i--;
    const cur = marks[i];
    const next = marks[i + 1];
    return { start: cur.ms, end: next.ms, index: cur.index, date: dateText(cur.date), startsAt: hourMinute(starts[cur.index]), endsAt: hourMinute(starts[next.index]) };
  };

  return {
    timeZone,
    at,
    previous: (t) => at(at(t).start - 1),
    between(from, to, max) {
      const out: Shift[] = [];
      for (let s = at(from); s.start < to && out.length < max; s = at(s.end)) out.push(s);
      return out;
    },
  };
}
