/**
 * Shift boundaries: the shifts of a day, the previous shift across midnight, the instant at a
 * boundary, daylight-saving days (Europe/Berlin: an 11 h and a 13 h night shift, a start in the
 * skipped hour and one in the hour passed twice), a half-hour zone, a single daily shift, and
 * the config's checks naming the key.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfigText } from '../../src/config/load.ts';
import { shiftCalendar } from '../../src/shifts/bounds.ts';
import { resolveShifts } from '../../src/shifts/config.ts';

const HOUR = 3_600_000;
const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();
const starts = (...hm: string[]) => resolveShifts({ starts: hm }, []);

describe('shifts in Asia/Shanghai, 08:00 and 20:00 (the default)', () => {
  const cal = shiftCalendar(resolveShifts(undefined, []), 'Asia/Shanghai');

  it('a day has the night shift from the evening before, the day shift and the night shift into the next morning', () => {
    // 2025-01-15 00:00 .. 24:00 local
    const day = cal.between(at('2025-01-14T16:00:00Z'), at('2025-01-15T16:00:00Z'), 10);
    expect(day.map((s) => [iso(s.start), iso(s.end), s.date, s.startsAt, s.endsAt])).toEqual([
      ['2025-01-14T12:00:00.000Z', '2025-01-15T00:00:00.000Z', '2025-01-14', '20:00', '08:00'],
      ['2025-01-15T00:00:00.000Z', '2025-01-15T12:00:00.000Z', '2025-01-15', '08:00', '20:00'],
      ['2025-01-15T12:00:00.000Z', '2025-01-16T00:00:00.000Z', '2025-01-15', '20:00', '08:00'],
    ]);
    expect(day.map((s) => s.index)).toEqual([1, 0, 1]);
  });

  it('at 03:00 the night shift began the evening before; the previous shift is that day shift', () => {
    const t = at('2025-01-15T03:00:00+08:00');
    expect(cal.at(t)).toMatchObject({ start: at('2025-01-14T20:00:00+08:00'), end: at('2025-01-15T08:00:00+08:00'), date: '2025-01-14' });
    expect(cal.previous(t)).toMatchObject({ start: at('2025-01-14T08:00:00+08:00'), end: at('2025-01-14T20:00:00+08:00') });
  });

  it('the morning shift hands over from the night shift across midnight', () => {
    const t = at('2025-01-15T09:30:00+08:00');
    expect(cal.previous(t)).toMatchObject({ start: at('2025-01-14T20:00:00+08:00'), end: at('2025-01-15T08:00:00+08:00'), startsAt: '20:00' });
  });

  it('a shift holds its start, not its end', () => {
    const start = at('2025-01-15T08:00:00+08:00');
    expect(cal.at(start).start).toBe(start);
    expect(cal.at(start - 1).end).toBe(start);
    expect(cal.previous(start).end).toBe(start);
  });

  it('across the new year and a leap day', () => {
    expect(cal.at(at('2025-01-01T02:00:00+08:00'))).toMatchObject({ start: at('2024-12-31T20:00:00+08:00'), date: '2024-12-31' });
    expect(cal.at(at('2024-03-01T07:59:59+08:00'))).toMatchObject({ start: at('2024-02-29T20:00:00+08:00'), date: '2024-02-29' });
  });
});

describe('daylight saving (Europe/Berlin)', () => {
  const cal = shiftCalendar(starts('08:00', '20:00'), 'Europe/Berlin');

  it('the night the clocks go forward, the night shift lasts 11 hours', () => {
    const night = cal.previous(at('2025-03-30T10:00:00+02:00'));
    expect(iso(night.start)).toBe('2025-03-29T19:00:00.000Z'); // 20:00 CET
    expect(iso(night.end)).toBe('2025-03-30T06:00:00.000Z'); // 08:00 CEST
    expect(night.end - night.start).toBe(11 * HOUR);
    const day = cal.at(at('2025-03-30T10:00:00+02:00'));
    expect(day.end - day.start).toBe(12 * HOUR);
  });

  it('the night the clocks go back, the night shift lasts 13 hours', () => {
    const night = cal.at(at('2025-10-26T02:30:00+01:00'));
    expect(iso(night.start)).toBe('2025-10-25T18:00:00.000Z'); // 20:00 CEST
    expect(iso(night.end)).toBe('2025-10-26T07:00:00.000Z'); // 08:00 CET
    expect(night.end - night.start).toBe(13 * HOUR);
  });

  it('a start in the skipped hour begins when the clock has moved on; one in the doubled hour at its first pass', () => {
    const cal2 = shiftCalendar(starts('02:30', '14:30'), 'Europe/Berlin');
    expect(iso(cal2.at(at('2025-03-30T12:00:00Z')).start)).toBe('2025-03-30T01:30:00.000Z'); // 03:30 CEST
    expect(iso(cal2.at(at('2025-10-26T12:00:00Z')).start)).toBe('2025-10-26T00:30:00.000Z'); // 02:30 CEST, the first 02:30
    // the hour between the two 02:30s belongs to the shift that began at the first
    expect(iso(cal2.at(at('2025-10-26T01:45:00Z')).start)).toBe('2025-10-26T00:30:00.000Z');
  });

  it('a start in the skipped hour and the one an hour after it fall on one instant: the first stands, no empty shift', () => {
    // 02:10 is skipped and begins at 03:10 CEST, when the 03:10 shift would begin too
    const cal3 = shiftCalendar(starts('02:10', '03:10', '12:00'), 'Europe/Berlin');
    const day = cal3.between(at('2025-03-30T00:00:00Z'), at('2025-03-30T12:00:00Z'), 10);
    expect(day.every((s) => s.end > s.start)).toBe(true);
    expect(day.map((s) => [s.startsAt, iso(s.start)])).toEqual([
      ['12:00', '2025-03-29T11:00:00.000Z'],
      ['02:10', '2025-03-30T01:10:00.000Z'],
      ['12:00', '2025-03-30T10:00:00.000Z'],
    ]);
    // the day after, both begin as configured
    expect(cal3.between(at('2025-03-31T00:10:00Z'), at('2025-03-31T02:00:00Z'), 10).map((s) => s.startsAt)).toEqual(['02:10', '03:10']);
  });
});

describe('other zones and patterns', () => {
  it('a half-hour zone (Asia/Kolkata), three 8 h shifts', () => {
    const cal = shiftCalendar(starts('06:00', '14:00', '22:00'), 'Asia/Kolkata');
    const s = cal.at(at('2025-06-01T23:30:00+05:30'));
    expect(s).toMatchObject({ start: at('2025-06-01T22:00:00+05:30'), end: at('2025-06-02T06:00:00+05:30'), startsAt: '22:00', endsAt: '06:00' });
  });

  it('one shift a day runs 24 hours, from the same time the day before', () => {
    const cal = shiftCalendar(starts('07:30'), 'Asia/Shanghai');
    const s = cal.at(at('2025-01-15T07:00:00+08:00'));
    expect(s).toMatchObject({ start: at('2025-01-14T07:30:00+08:00'), end: at('2025-01-15T07:30:00+08:00') });
  });
});

describe('shifts config', () => {
  const yaml = (shifts: string) => `
stations:
  - id: hs-001
    devices: [ { id: plc, endpoint: "modbus+tcp://127.0.0.1:5020", points: [ { id: t, table: holding, address: 0, type: float32 } ] } ]
${shifts}
`;
  const problems = (shifts: string) => {
    try {
      parseConfigText(yaml(shifts), 'test');
      return [];
    } catch (e) {
      return (e as ConfigError).problems.map((p) => `${p.path}: ${p.message}`);
    }
  };

  it('defaults to 08:00 and 20:00', () => {
    expect(parseConfigText(yaml(''), 'test').shifts).toEqual({ starts: [480, 1200] });
  });

  it('a bad time, a start out of order and a duplicate are each named by their key', () => {
    expect(problems('shifts: { starts: ["08:00", "8:00"] }').join('\n')).toMatch(/^shifts\.starts\[1\]: /);
    expect(problems('shifts: { starts: ["20:00", "08:00"] }')).toEqual([expect.stringMatching(/^shifts\.starts\[1\]: '08:00' comes before/)]);
    expect(problems('shifts: { starts: ["08:00", "16:00", "16:00"] }')).toEqual([expect.stringMatching(/^shifts\.starts\[2\]: duplicate start '16:00'/)]);
    expect(problems('shifts: { starts: [] }').join('\n')).toMatch(/^shifts\.starts: /);
    expect(problems('shifts: { begins: ["08:00"] }').join('\n')).toMatch(/^shifts\.begins: /);
  });
});
