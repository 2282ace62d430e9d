/**
 * Raw samples of a time range in time order, for alarm replay, read in windows so a long
 * replay holds one window of lines at a time (InfluxDB answers a query whole).
 */
import type { Sample } from '../../model.ts';
import { fqm, MINUTE, RAW } from './schema.ts';
import { rowsToSamples, type SelectMany } from './read.ts';

/** lines of one query: at city scale (5,000 devices, a poll every 10 s) a minute is 30 k lines, ~3.6 M samples */
const WINDOW_MS = MINUTE;

/** Samples ordered by (ts, point), as the SQLite store's scan gives them; empty stretches are skipped, not read window by window. */
export async function* scanRaw(select: SelectMany, database: string, from: number, to: number, windowMs = WINDOW_MS): AsyncIterable<Sample[]> {
  // an export from 2000-01-01 would otherwise be millions of empty windows
  let a = await firstTimeFrom(select, database, from, to);
  while (a !== null && a < to) {
    const b = Math.min(to, a + windowMs);
    const [series] = await select([`SELECT * FROM ${fqm(database, RAW)} WHERE time >= ${a}ms AND time < ${b}ms GROUP BY *`]);
    const out: Sample[] = [];
    for (const s of series ?? []) for (const x of rowsToSamples(s)) out.push(x);
    out.sort((x, y) => x.ts - y.ts || (x.point < y.point ? -1 : x.point > y.point ? 1 : 0));
    if (out.length) yield out;
    a = out.length ? b : await firstTimeFrom(select, database, b, to);
  }
}

/** The time of the first stored line in [from, to), null when there is none. */
async function firstTimeFrom(select: SelectMany, database: string, from: number, to: number): Promise<number | null> {
  if (from >= to) return null;
  const [series] = await select([`SELECT * FROM ${fqm(database, RAW)} WHERE time >= ${from}ms AND time < ${to}ms ORDER BY time ASC LIMIT 1`]);
  const t = series?.[0]?.values?.[0]?.[0];
  const ms = typeof t === 'number' ? t : typeof t === 'string' ? Date.parse(t) : NaN;
  return Number.isFinite(ms) ? ms : null;
}
