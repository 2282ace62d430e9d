/**
 * The CSV history format of `heatwatch import` / `export` (pure): header `ts,point,value,quality`
 * (columns in any order, quality optional), ts ms epoch or ISO 8601 with an offset, value a
 * number, true/false or empty when bad, quality good|uncertain|bad (empty: good, or bad when the
 * value is empty too). Fields may be quoted as RFC 4180 has it.
 */
import type { Quality, Sample } from '../model.ts';

/** A line the format cannot read: the reason, for the report. */
export type Parsed = Sample | string;

export interface CsvColumns {
  ts: number;
  point: number;
  value: number;
  quality: number;
  count: number;
}

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
/** an ISO time must say its offset: a bare local time would be read in whatever zone the importer runs in */
const ISO = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/i;

/** Splits one record into fields; quoted fields may hold commas, doubled quotes and newlines. */
export function splitCsv(line: string): string[] {
  if (line.indexOf('"') === -1) return line.split(',');
  const out: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let f = '';
      let j = i + 1;
      for (;;) {
        const q = line.indexOf('"', j);
        if (q === -1) throw new Error('unterminated quoted field');
        f += line.slice(j, q);
        if (line[q + 1] === '"') {
          f += '"';
          j = q + 2;
        } else {
          j = q + 1;
          break;
        }
      }
      out.push(f);
      if (j === line.length) return out;
      if (line[j] !== ',') throw new Error('text after a closing quote');
      i = j + 1;
    } else {
      const c = line.indexOf(',', i);
      out.push(c === -1 ? line.slice(i) : line.slice(i, c));
      if (c === -1) return out;
      i = c + 1;
    }
  }
}

/** True while a record is open: an odd number of quotes so far (a quoted newline). */
export function openQuote(text: string): boolean {
  let n = 0;
  for (let i = text.indexOf('"'); i !== -1; i = text.indexOf('"', i + 1)) n++;
  return n % 2 === 1;
}

/** The column positions from the header line, or the reason it is not one. */
export function csvHeader(line: string): CsvColumns | string {
  const names = splitCsv(line.replace(/^\uFEFF/, '')).map((h) => h.trim().toLowerCase());
  const at = (n: string) => names.indexOf(n);
  const cols = { ts: at('ts'), point: at('point'), value: at('value'), quality: at('quality'), count: names.length };
  const missing = ['ts', 'point', 'value'].filter((n) => at(n) === -1);
  if (missing.length) return `header must name the columns ts,point,value[,quality]; missing ${missing.join(', ')}`;
  return cols;
}

/** ms epoch or ISO 8601 with an offset → ms; null if neither. */
export function parseTs(text: string): number | null {
  const t = text.trim();
  if (t.length > 0 && t.length < 16 && allDigits(t)) return Number(t);
  if (!ISO.test(t)) return null;
  const ms = Date.parse(t.replace(' ', 'T'));
  return Number.isNaN(ms) ? null : ms;
}

function allDigits(t: string): boolean {
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** line[a, b) as a ms epoch when it is 1–15 digits (what {@link parseTs} reads as one), else -1 */
function msEpochAt(line: string, a: number, b: number): number {
  if (b - a < 1 || b - a > 15) return -1;
  let n = 0;
  for (let i = a; i < b; i++) {
    const d = line.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** line[a, b) is exactly `good` */
function isGoodAt(line: string, a: number, b: number): boolean {
  return b - a === 4 && line.startsWith('good', a);
}

/** comma positions of the current record, reused: a split() array per line is most of the parse time */
let commas = new Int32Array(8);

/** Field i of the current record: from the quoted split, or between the recorded commas. */
function fieldAt(line: string, parts: string[] | null, i: number): string {
  return parts ? parts[i] : line.slice(i === 0 ? 0 : commas[i - 1] + 1, commas[i]);
}

/** One data record → a sample, or why not. The sample rule (model.ts) is checked by the caller. */
export function parseCsvRecord(line: string, c: CsvColumns): Parsed {
  let parts: string[] | null = null;
  if (line.indexOf('"') !== -1) {
    try {
      parts = splitCsv(line);
    } catch (err) {
      return (err as Error).message;
    }
    if (parts.length !== c.count) return `${parts.length} fields, the header has ${c.count}`;
  } else {
    let n = 0;
    for (let at = line.indexOf(','); at !== -1; at = line.indexOf(',', at + 1)) {
      if (n + 1 >= commas.length) commas = new Int32Array(commas.length * 2);
      commas[n++] = at;
    }
    if (n + 1 !== c.count) return `${n + 1} fields, the header has ${c.count}`;
    commas[n] = line.length;
  }
  // the common record (unquoted ms epoch, quality 'good') is read in place: no substring for
  // either field, which was a third of the parse and most of its garbage
  let ts = parts ? -1 : msEpochAt(line, c.ts === 0 ? 0 : commas[c.ts - 1] + 1, commas[c.ts]);
  if (ts < 0) {
    const tsText = fieldAt(line, parts, c.ts);
    const t = parseTs(tsText);
    if (t === null) return `ts '${tsText}' is neither ms epoch nor ISO 8601 with an offset (Z, +08:00)`;
    ts = t;
  }
  const point = fieldAt(line, parts, c.point).trim();
  const raw = fieldAt(line, parts, c.value).trim();
  const good = !parts && c.quality !== -1 && isGoodAt(line, c.quality === 0 ? 0 : commas[c.quality - 1] + 1, commas[c.quality]);
  const qText = good ? 'good' : c.quality === -1 ? '' : fieldAt(line, parts, c.quality).trim();
  let quality: Quality;
  if (qText === 'good' || qText === 'uncertain' || qText === 'bad') quality = qText;
  else if (qText === '') quality = raw === '' ? 'bad' : 'good';
  else {
    const lower = qText.toLowerCase();
    if (lower !== 'good' && lower !== 'uncertain' && lower !== 'bad') return `quality '${qText}' is not good, uncertain or bad`;
    quality = lower;
  }
  let value: Sample['value'];
  if (raw === '') {
    if (quality !== 'bad') return `empty value with quality ${quality} (an empty value means a bad read)`;
    value = null;
  } else if (NUMBER.test(raw)) value = Number(raw);
  else if (raw === 'true' || raw === 'TRUE' || raw === 'True') value = true;
  else if (raw === 'false' || raw === 'FALSE' || raw === 'False') value = false;
  else return `value '${raw}' is not a number, true or false`;
  // a bad read keeps no value: the stores would drop it anyway, and export writes it empty
  if (quality === 'bad') value = null;
  return { point, ts, value, quality };
}

/** A field for the CSV export: quoted only when it must be. */
function field(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One exported line; ISO or ms times. */
export function csvLine(s: Sample, iso: boolean): string {
  const ts = iso ? new Date(s.ts).toISOString() : String(s.ts);
  const v = s.quality === 'bad' || s.value === null ? '' : String(s.value);
  return `${ts},${field(s.point)},${v},${s.quality}\n`;
}

export const CSV_HEADER = 'ts,point,value,quality\n';
