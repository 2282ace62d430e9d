/**
 * The read side of the per-poll layout: newest samples, bucket aggregates, and decoding a
 * stored line back into samples. Several statements go in one request (`;`-separated).
 */
import type { Sample } from '../../model.ts';
import type { Aggregation, SeriesResult } from '../port.ts';
import { F_BAD, F_BOOL, F_UNCERTAIN, RAW, ROLLUP_1H, ROLLUP_1M, ROLLUP_FIELDS, byDevice, deviceWhere, field, fqm, ident, listed, marksOf, pointSample } from './schema.ts';

export interface RawSeries {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}

/** Runs statements, several per request; one list of series per statement. */
export type SelectMany = (statements: string[]) => Promise<RawSeries[][]>;

/** The samples of the rows of one `SELECT *` series of raw lines (points named in `only`, or all). */
export function rowsToSamples(s: RawSeries, only?: Set<string>): Sample[] {
  const out: Sample[] = [];
  if (!s.tags) return out;
  const prefix = `${s.tags.station}.${s.tags.device}.`;
  const ti = s.columns.indexOf('time');
  const [bi, ui, oi] = [F_BAD, F_UNCERTAIN, F_BOOL].map((c) => s.columns.indexOf(c));
  const cols: Array<[number, string]> = [];
  s.columns.forEach((c, i) => {
    if (i !== ti && !c.startsWith('@') && (!only || only.has(c))) cols.push([i, c]);
  });
  for (const row of s.values) {
    const ts = Number(row[ti]);
    const m = marksOf(row[bi], row[ui], row[oi]);
    const seen = new Set<string>();
    for (const [i, name] of cols) {
      const x = pointSample(prefix + name, name, ts, row[i], m);
      if (x) {
        out.push(x);
        seen.add(name);
      }
    }
    // a point only ever read bad has no field, so no column
    for (const name of m.bad) if (!seen.has(name) && (!only || only.has(name))) out.push({ point: prefix + name, ts, value: null, quality: 'bad' });
  }
  return out;
}

/**
 * Newest sample of each point. First the newest line of each device (it normally holds the
 * whole poll); a point missing from it is looked up on its own: the newest line with its field
 * or naming it bad.
 */
export async function latestSamples(select: SelectMany, db: string, points: string[]): Promise<Map<string, Sample>> {
  const out = new Map<string, Sample>();
  const devices = [...byDevice(points).values()];
  if (devices.length === 0) return out;
  const newer = (x: Sample) => {
    const have = out.get(x.point);
    if (!have || x.ts >= have.ts) out.set(x.point, x);
  };
  const heads = devices.map((d) => `SELECT * FROM ${fqm(db, RAW)} WHERE ${deviceWhere(d.key)} GROUP BY * ORDER BY time DESC LIMIT 1`);
  const res = await select(heads);
  devices.forEach((d, i) => {
    for (const s of res[i] ?? []) for (const x of rowsToSamples(s, new Set(d.points))) newer(x);
  });
  const rest: Array<{ id: string; q: string }> = [];
  for (const d of devices) {
    for (const p of d.points) {
      const id = `${d.key.station}.${d.key.device}.${p}`;
      if (out.has(id)) continue;
      const f = field(p);
      rest.push({
        id,
        q:
          `SELECT ${f} AS ${ident(p)}, ${ident(F_BAD)}, ${ident(F_UNCERTAIN)}, ${ident(F_BOOL)} FROM ${fqm(db, RAW)} ` +
          `WHERE ${deviceWhere(d.key)} AND (${f} >= 0 OR ${f} < 0 OR ${ident(F_BAD)} =~ ${listed(p)}) GROUP BY * ORDER BY time DESC LIMIT 1`,
      });
    }
  }
  if (rest.length) {
    const more = await select(rest.map((r) => r.q));
    rest.forEach((r, i) => {
      const name = r.id.slice(r.id.lastIndexOf('.') + 1);
      for (const s of more[i] ?? []) for (const x of rowsToSamples(s, new Set([name]))) newer(x);
    });
  }
  return out;
}

type Source = SeriesResult['source'];

/** The select list for one point's aggregate from a source; aliases `s<k>`/`c<k>` (mean) or `x<k>`. */
function selectFor(source: Source, agg: Aggregation, p: string, k: number): string {
  if (source === 'raw') {
    const f = field(p);
    return agg === 'mean' ? `sum(${f}) AS "s${k}", count(${f}) AS "c${k}"` : `${agg}(${f}) AS "x${k}"`;
  }
  const n = ROLLUP_FIELDS[source](p);
  return {
    mean: `sum(${field(n.sum)}) AS "s${k}", sum(${field(n.count)}) AS "c${k}"`,
    count: `sum(${field(n.count)}) AS "x${k}"`,
    min: `min(${field(n.min)}) AS "x${k}"`,
    max: `max(${field(n.max)}) AS "x${k}"`,
    last: `last(${field(n.last)}) AS "x${k}"`,
  }[agg];
}

/**
 * Aggregates [from, to) into the buckets of `values` (bucket 0 starts at `start`): one statement
 * per device, one select term per point. Bad reads have no field, so they are never aggregated.
 */
export async function fillBuckets(
  select: SelectMany,
  db: string,
  values: Map<string, Array<number | null>>,
  source: Source,
  agg: Aggregation,
  from: number,
  to: number,
  start: number,
  stepMs: number,
): Promise<void> {
  const table = fqm(db, source === 'raw' ? RAW : source === 'rollup_1m' ? ROLLUP_1M : ROLLUP_1H);
  const devices = [...byDevice([...values.keys()]).values()];
  if (devices.length === 0) return;
  const statements = devices.map(
    (d) =>
      `SELECT ${d.points.map((p, k) => selectFor(source, agg, p, k)).join(', ')} FROM ${table} ` +
      `WHERE ${deviceWhere(d.key)} AND time >= ${from}ms AND time < ${to}ms GROUP BY time(${stepMs}ms) fill(none)`,
  );
  const res = await select(statements);
  devices.forEach((d, di) => {
    for (const s of res[di] ?? []) {
      const ti = s.columns.indexOf('time');
      d.points.forEach((p, k) => {
        const arr = values.get(`${d.key.station}.${d.key.device}.${p}`)!;
        const [xi, si, ci] = [`x${k}`, `s${k}`, `c${k}`].map((c) => s.columns.indexOf(c));
        for (const row of s.values) {
          const i = Math.floor((Number(row[ti]) - start) / stepMs);
          if (i < 0 || i >= arr.length) continue;
          if (agg === 'mean') {
            const c = Number(row[ci] ?? 0);
            if (c > 0) arr[i] = Number(row[si]) / c;
          } else if (row[xi] !== null && row[xi] !== undefined) arr[i] = Number(row[xi]);
        }
      });
    }
  });
}
