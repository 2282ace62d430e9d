/**
 * Which scheduled analytics report files are due (pure; time is an argument). At `dailyAt`
 * (HH:MM in the site's time zone) the previous day's daily station report is due; from `dailyAt`
 * on the first of a month, the previous month's network report. A report is due while one of its
 * files (XLSX, CSV) is missing from the folder, so a failed run is retried at the next tick and a
 * written file is never written again.
 *
 * After a stop the job catches up on the days (at most `catchUpDays`) and months (at most
 * `catchUpMonths`) it missed, but never before the first report of that kind the folder holds:
 * a new folder starts with the latest report due, not with a week of empty ones.
 *
 * @example
 *   dueReports(now, { timeZone: 'Asia/Shanghai', dailyAtMin: 390 }, ['daily-2026-12-01.xlsx', 'daily-2026-12-01.csv']);
 *   // [{ kind: 'daily', label: '2026-12-02', files: ['daily-2026-12-02.xlsx', 'daily-2026-12-02.csv'] }]
 */
import { addDays } from './analytics-season.ts';
import { localDate, localMidnight } from './period.ts';

export type ScheduledKind = 'daily' | 'monthly';
export type ScheduledFormat = 'xlsx' | 'csv';
export const SCHEDULED_FORMATS: readonly ScheduledFormat[] = ['xlsx', 'csv'];

export interface DueReport {
  kind: ScheduledKind;
  /** `YYYY-MM-DD` (daily) or `YYYY-MM` (monthly) */
  label: string;
  /** the missing file names, XLSX first */
  files: string[];
}

export interface ScheduleSettings {
  timeZone: string;
  /** minutes after local midnight */
  dailyAtMin: number;
  catchUpDays?: number;
  catchUpMonths?: number;
}

export const DEFAULT_CATCH_UP_DAYS = 7;
export const DEFAULT_CATCH_UP_MONTHS = 3;

/** A scheduled file's name: `daily-2026-12-01.xlsx`, `monthly-2026-11.csv`. */
export const FILE_NAME = /^(daily)-(\d{4}-\d{2}-\d{2})\.(xlsx|csv)$|^(monthly)-(\d{4}-\d{2})\.(xlsx|csv)$/;

export interface ScheduledFile {
  name: string;
  kind: ScheduledKind;
  label: string;
  format: ScheduledFormat;
}

/** The parts of a scheduled file's name, or null for any other name (temp files, strays, `../x`). */
export function parseFileName(name: string): ScheduledFile | null {
  const m = FILE_NAME.exec(name);
  if (!m) return null;
  return m[1] ? { name, kind: 'daily', label: m[2], format: m[3] as ScheduledFormat } : { name, kind: 'monthly', label: m[5], format: m[6] as ScheduledFormat };
}

export const fileName = (kind: ScheduledKind, label: string, format: ScheduledFormat): string => `${kind}-${label}.${format}`;

/** `HH:MM` → minutes after midnight. */
export function parseDailyAt(hhmm: string): number {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(hhmm);
  if (!m) throw new Error(`'${hhmm}' is not HH:MM`);
  return Number(m[1]) * 60 + Number(m[2]);
}

function addMonths(month: string, n: number): string {
  const d = new Date(Date.UTC(Number(month.slice(0, 4)), Number(month.slice(5, 7)) - 1 + n, 1));
  return d.toISOString().slice(0, 7);
}

/** The labels from the newest due one back, within the catch-up and not before the folder's first. */
function candidates(newest: string, count: number, step: (label: string, n: number) => string, first: string | undefined): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const label = step(newest, -i);
    if (first === undefined ? i > 0 : label < first) break;
    out.push(label);
  }
  return out.reverse();
}

export function dueReports(now: number, s: ScheduleSettings, existing: readonly string[]): DueReport[] {
  const today = localDate(now, s.timeZone);
  const [y, m, d] = today.split('-').map(Number);
  // the wall-clock time on the first of the month and on today; a report waits for it
  const ranToday = now >= localMidnight(y, m, d, s.timeZone) + s.dailyAtMin * 60_000;
  const ranThisMonth = now >= localMidnight(y, m, 1, s.timeZone) + s.dailyAtMin * 60_000;
  const newestDay = addDays(today, ranToday ? -1 : -2);
  const newestMonth = addMonths(today.slice(0, 7), ranThisMonth ? -1 : -2);

  const files = existing.map(parseFileName).filter((f): f is ScheduledFile => f !== null);
  const have = new Set(files.map((f) => f.name));
  const first = (kind: ScheduledKind) =>
    files
      .filter((f) => f.kind === kind)
      .map((f) => f.label)
      .sort()[0];

  const due: DueReport[] = [];
  const add = (kind: ScheduledKind, labels: string[]) => {
    for (const label of labels) {
      const missing = SCHEDULED_FORMATS.map((f) => fileName(kind, label, f)).filter((n) => !have.has(n));
      if (missing.length) due.push({ kind, label, files: missing });
    }
  };
  add('daily', candidates(newestDay, s.catchUpDays ?? DEFAULT_CATCH_UP_DAYS, addDays, first('daily')));
  add('monthly', candidates(newestMonth, s.catchUpMonths ?? DEFAULT_CATCH_UP_MONTHS, addMonths, first('monthly')));
  return due;
}
