/**
 * Streams a history file (CSV or line protocol, optionally gzipped) as chunks of checked
 * samples, one read buffer (~1 MB) at a time, so a 10 M-sample file never sits in memory.
 * Every line that yields no storable sample becomes a problem with its line number.
 */
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import type { Sample } from '../model.ts';
import { csvHeader, openQuote, parseCsvRecord, type CsvColumns, type Parsed } from './import-csv.ts';
import { parseLine, type Precision } from './import-line.ts';

export type Format = 'csv' | 'line';
export type ProblemKind = 'malformed' | 'unknown_point' | 'too_old' | 'future';

export interface Problem {
  line: number;
  kind: ProblemKind;
  message: string;
}

export interface Chunk {
  /** storable samples of known points, in file order */
  samples: Sample[];
  problems: Problem[];
  /** lines read so far */
  lines: number;
}

export interface ReadOptions {
  format: Format;
  precision: Precision;
  /** the points a sample may name (from the config) */
  devicePoints: (station: string, device: string) => ReadonlySet<string> | undefined;
  /** the sample rule with the import's clock: null when storable (model.ts `sampleProblem`) */
  rule: (s: Sample) => 'malformed' | 'too_old' | 'future' | null;
}

/** csv for `.csv[.gz]`, line for `.lp`, `.line`, `.influx`, `.txt` (and gzipped), else null. */
export function formatOf(file: string): Format | null {
  const f = file.toLowerCase().replace(/\.gz$/, '');
  if (f.endsWith('.csv')) return 'csv';
  if (/\.(lp|line|influx|txt)$/.test(f)) return 'line';
  return null;
}

function open(file: string): Readable {
  const raw = createReadStream(file, { highWaterMark: 1 << 20 });
  return file.toLowerCase().endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
}

/** Lines of a file in chunks with the number of the first; `\r\n` and `\n` both end a line. */
async function* lineChunks(file: string): AsyncGenerator<{ first: number; lines: string[] }> {
  const input = open(file);
  input.setEncoding('utf8');
  let rest = '';
  let next = 1;
  for await (const text of input as AsyncIterable<string>) {
    const lines = (rest + text).split('\n');
    rest = lines.pop()!;
    yield { first: next, lines };
    next += lines.length;
  }
  if (rest) yield { first: next, lines: [rest] };
}

/** The checked samples and problems of a file, chunk by chunk. */
export async function* readHistory(file: string, o: ReadOptions): AsyncGenerator<Chunk> {
  let header: CsvColumns | null = null;
  let open = ''; // a CSV record whose quoted field runs over a line end
  let openLine = 0;
  let lines = 0;
  // point id → known, so each distinct id is looked up in the config once
  const seen = new Map<string, boolean>();
  const known = (point: string) => {
    let k = seen.get(point);
    if (k === undefined) {
      const [station, device, name] = point.split('.');
      k = o.devicePoints(station, device)?.has(name) ?? false;
      if (seen.size < 1_000_000) seen.set(point, k);
    }
    return k;
  };
  for await (const { first, lines: chunk } of lineChunks(file)) {
    const out: Chunk = { samples: [], problems: [], lines: 0 };
    const take = (line: number, p: Parsed) => {
      if (typeof p === 'string') return void out.problems.push({ line, kind: 'malformed', message: p });
      const why = o.rule(p);
      if (why === 'malformed') out.problems.push({ line, kind: 'malformed', message: `not a storable sample (point '${p.point}')` });
      else if (why === 'too_old') out.problems.push({ line, kind: 'too_old', message: `${p.point} at ${p.ts}: before 2000-01-01` });
      else if (why === 'future') out.problems.push({ line, kind: 'future', message: `${p.point} at ${new Date(p.ts).toISOString()}: more than 5 minutes ahead of the clock` });
      else if (!known(p.point)) out.problems.push({ line, kind: 'unknown_point', message: `${p.point} is not a point of the config` });
      else out.samples.push(p);
    };
    for (let i = 0; i < chunk.length; i++) {
      const n = first + i;
      let text = chunk[i];
      if (text.endsWith('\r')) text = text.slice(0, -1);
      if (o.format === 'line') {
        const t = text.trim();
        // comments, and the DDL that `influx_inspect export` puts before the data
        if (t === '' || t.startsWith('#') || /^CREATE (DATABASE|RETENTION POLICY) /i.test(t)) continue;
        for (const p of parseLine(t, o.precision)) take(n, p);
        continue;
      }
      if (open) {
        text = `${open}\n${text}`;
        open = '';
      } else openLine = n;
      if (openQuote(text)) {
        open = text;
        continue;
      }
      if (text.trim() === '') continue;
      if (header === null) {
        const h = csvHeader(text);
        if (typeof h === 'string') throw new HistoryFileError(file, openLine, h);
        header = h;
        continue;
      }
      take(openLine, parseCsvRecord(text, header));
    }
    lines = first + chunk.length - 1;
    out.lines = lines;
    yield out;
  }
  if (open) yield { samples: [], problems: [{ line: openLine, kind: 'malformed', message: 'unterminated quoted field at the end of the file' }], lines };
  if (o.format === 'csv' && header === null) throw new HistoryFileError(file, 1, 'empty file: no header ts,point,value,quality');
}

/** The file cannot be read at all (no header): nothing of it is imported. */
export class HistoryFileError extends Error {
  constructor(file: string, line: number, message: string) {
    super(`${file}:${line}: ${message}`);
    this.name = 'HistoryFileError';
  }
}
