/**
 * Local wall-clock of the site's time zone, from ms epoch (pure; the zone's rules come from
 * the runtime's ICU data). The offset is cached per hour: modes and attended hours are read
 * for every station every second.
 */
export interface LocalTime {
  /** month * 100 + day, e.g. 1205 */
  monthDay: number;
  /** minutes since local midnight */
  minute: number;
}

export function localClock(timeZone: string): (ms: number) => LocalTime {
  const fmt = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
  let hourKey = NaN;
  let offsetMs = 0;
  return (ms) => {
    const h = Math.floor(ms / 3_600_000);
    if (h !== hourKey) {
      hourKey = h;
      const parts = Object.fromEntries(fmt.formatToParts(new Date(h * 3_600_000)).map((p) => [p.type, p.value]));
      const asUtc = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute));
      offsetMs = asUtc - h * 3_600_000;
    }
    const local = new Date(ms + offsetMs);
    return { monthDay: (local.getUTCMonth() + 1) * 100 + local.getUTCDate(), minute: local.getUTCHours() * 60 + local.getUTCMinutes() };
  };
}

/** Whether a minute of the day is inside [from, to), wrapping past midnight when to < from. */
export function inWindow(minute: number, w: { from: number; to: number }): boolean {
  return w.from <= w.to ? minute >= w.from && minute < w.to : minute >= w.from || minute < w.to;
}

/** Whether month-day `md` is in the season [start, end], which may wrap the new year. */
export function inSeason(md: number, s: { start: number; end: number }): boolean {
  return s.start <= s.end ? md >= s.start && md <= s.end : md >= s.start || md <= s.end;
}
