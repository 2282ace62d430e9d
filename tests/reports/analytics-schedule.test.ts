// What the analytics report schedule has due, as a pure function of an injected clock and the
// folder's file names: yesterday's daily report from dailyAt on, last month's from dailyAt on
// the first, each while one of its files is missing; catch-up after a stop, bounded and never
// before the folder's first report; names that are not report files ignored.
import { describe, expect, it } from 'vitest';
import { dueReports, parseDailyAt, parseFileName } from '../../src/reports/analytics-schedule.ts';
import { localMidnight } from '../../src/reports/period.ts';

const TZ = 'Asia/Shanghai';
const S = { timeZone: TZ, dailyAtMin: parseDailyAt('06:30') };
/** local wall-clock time in Shanghai */
const at = (y: number, m: number, d: number, hh: number, mm: number) => localMidnight(y, m, d, TZ) + (hh * 60 + mm) * 60_000;
const both = (kind: string, label: string) => [`${kind}-${label}.xlsx`, `${kind}-${label}.csv`];

describe('dueReports', () => {
  it('a new folder: yesterday from 06:30 local time on, not before', () => {
    expect(dueReports(at(2026, 12, 2, 6, 29), S, both('monthly', '2026-11'))).toEqual([{ kind: 'daily', label: '2026-11-30', files: both('daily', '2026-11-30') }]);
    expect(dueReports(at(2026, 12, 2, 6, 30), S, both('monthly', '2026-11'))).toEqual([{ kind: 'daily', label: '2026-12-01', files: both('daily', '2026-12-01') }]);
    // 06:30 local is 22:30 UTC the day before: the local day decides
    expect(at(2026, 12, 2, 6, 30)).toBe(Date.UTC(2026, 11, 1, 22, 30));
  });

  it('the month before, from dailyAt on the first', () => {
    const files = [...both('daily', '2026-11-29'), ...both('daily', '2026-11-30'), ...both('monthly', '2026-10')];
    expect(dueReports(at(2026, 12, 1, 6, 0), S, files)).toEqual([]);
    expect(dueReports(at(2026, 12, 1, 6, 30), S, files)).toEqual([{ kind: 'monthly', label: '2026-11', files: both('monthly', '2026-11') }]);
    // the new year: December's report on 1 January
    expect(dueReports(at(2027, 1, 1, 7, 0), S, [...both('daily', '2026-12-31'), ...both('monthly', '2026-11')]).map((d) => d.label)).toEqual(['2026-12']);
  });

  it('nothing twice: a report whose files are both there is not due; one file missing is due alone', () => {
    const now = at(2026, 12, 2, 9, 0);
    expect(dueReports(now, S, [...both('daily', '2026-12-01'), ...both('monthly', '2026-11')])).toEqual([]);
    expect(dueReports(now, S, ['daily-2026-12-01.xlsx', ...both('monthly', '2026-11')])).toEqual([{ kind: 'daily', label: '2026-12-01', files: ['daily-2026-12-01.csv'] }]);
  });

  it('catches up after a stop, at most a week back and never before the folder\'s first report', () => {
    const now = at(2026, 12, 20, 7, 0);
    const months = both('monthly', '2026-11');
    // written on the 10th and the 15th only: the missing days of the last seven are due, oldest first
    expect(dueReports(now, S, [...both('daily', '2026-12-10'), ...both('daily', '2026-12-15'), ...months]).map((d) => d.label)).toEqual(['2026-12-13', '2026-12-14', '2026-12-16', '2026-12-17', '2026-12-18', '2026-12-19']);
    // a month of silence: only the last seven days
    expect(dueReports(now, S, [...both('daily', '2026-10-01'), ...months]).map((d) => d.label)).toEqual(['2026-12-13', '2026-12-14', '2026-12-15', '2026-12-16', '2026-12-17', '2026-12-18', '2026-12-19']);
    expect(dueReports(now, { ...S, catchUpDays: 2 }, [...both('daily', '2026-10-01'), ...months]).map((d) => d.label)).toEqual(['2026-12-18', '2026-12-19']);
    // months: from the folder's first, at most three
    expect(dueReports(at(2027, 3, 2, 7, 0), S, [...both('daily', '2027-03-01'), ...both('monthly', '2026-06')]).map((d) => d.label)).toEqual(['2026-12', '2027-01', '2027-02']);
  });

  it('ignores names that are not report files: temp files, strays, path tricks', () => {
    const now = at(2026, 12, 2, 9, 0);
    const strays = ['.daily-2026-12-01.xlsx.123.tmp', 'daily-2026-12-01.xlsx.bak', 'notes.txt', '../daily-2026-12-01.csv', 'daily-2026-13-01.csvx'];
    expect(dueReports(now, S, [...strays, ...both('monthly', '2026-11')]).map((d) => d.files)).toEqual([both('daily', '2026-12-01')]);
    expect(parseFileName('daily-2026-12-01.xlsx')).toEqual({ name: 'daily-2026-12-01.xlsx', kind: 'daily', label: '2026-12-01', format: 'xlsx' });
    expect(parseFileName('monthly-2026-11.csv')).toEqual({ name: 'monthly-2026-11.csv', kind: 'monthly', label: '2026-11', format: 'csv' });
    for (const bad of strays) expect(parseFileName(bad), bad).toBeNull();
  });

  it('reads HH:MM', () => {
    expect(parseDailyAt('00:00')).toBe(0);
    expect(parseDailyAt('23:59')).toBe(1439);
    for (const bad of ['24:00', '6:30', '06:60', '']) expect(() => parseDailyAt(bad), bad).toThrow(/HH:MM/);
  });
});
