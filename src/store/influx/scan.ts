/**
 * Raw samples of a time range in time order, for alarm replay, read in windows so a long
 * replay holds one window of rows at a time (InfluxDB answers a query whole).
 */
import type { InfluxDB } from 'influx';
import type { Sample } from '../../model.ts';
import { fqm, MINUTE, RAW, rowToSample } from './schema.ts';

/** rows of one query; at city scale (60 k samples/s) five minutes are ~18 M rows, so step down */
const WINDOW_MS = 5 * MINUTE;

interface Series {
  columns: string[];
  values: unknown[][];
}

export async function* scanRaw(influx: InfluxDB, database: string, from: number, to: number, windowMs = WINDOW_MS): AsyncIterable<Sample[]> {
  for (let a = from; a < to; a += windowMs) {
    const b = Math.min(to, a + windowMs);
    const res = await influx.queryRaw(`SELECT "station", "device", "point", "v", "b", "q" FROM ${fqm(database, RAW)} WHERE time >= ${a}ms AND time < ${b}ms`, {
      precision: 'ms',
      database,
    });
    const series = (res.results?.[0]?.series ?? []) as Series[];
    const out: Sample[] = [];
    for (const s of series) {
      const c = (n: string) => s.columns.indexOf(n);
      const [ti, si, di, pi, vi, bi, qi] = ['time', 'station', 'device', 'point', 'v', 'b', 'q'].map(c);
      for (const r of s.values) out.push(rowToSample(`${r[si]}.${r[di]}.${r[pi]}`, Number(r[ti]), r[vi], r[bi], r[qi]));
    }
    out.sort((x, y) => x.ts - y.ts);
    if (out.length) yield out;
  }
}
