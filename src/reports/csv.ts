/**
 * CSV for spreadsheets (pure): RFC 4180 (CRLF line ends; a field with a comma, quote or line
 * break quoted, quotes doubled), UTF-8 with a byte-order mark so Excel opens Chinese text as
 * UTF-8, and text cells that a spreadsheet would run as a formula (starting with = + - @, or a
 * tab or carriage return before one) prefixed with ' so they stay text. Numbers are written as
 * numbers: a negative number is data, not a formula.
 *
 * @example
 *   csvLine(['=1+2', '水, "暖"', -3, null]); // `'=1+2,"水, ""暖""",-3,\r\n`
 */

export type Cell = string | number | boolean | null | undefined;

export const BOM = '\uFEFF';

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

/** One field: formula-guarded, quoted when it has to be. */
export function csvField(v: Cell): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  let s = String(v);
  if (typeof v === 'string' && FORMULA_START.test(s)) s = `'${s}`;
  return NEEDS_QUOTES.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One record with its CRLF. */
export function csvLine(cells: readonly Cell[]): string {
  return `${cells.map(csvField).join(',')}\r\n`;
}
