/**
 * How heatwatch lays its series out in InfluxDB 1.x (pure; no I/O): one line per device poll,
 * so the series cardinality is the number of devices, not of points.
 *
 * - Retention policies: `raw` (default RP; `retentionDays`), `rollup_1m` (10×), `rollup_1h` (100×).
 * - Raw measurement `poll`, tags `station`, `device` and `area` (when the station has one);
 *   one float field per point, the field key being the point id. Digital values are 0/1 so they
 *   aggregate like the SQLite store. A bad read leaves its field out.
 * - Per-line string fields (names start with `@`, which a point id never holds):
 *   `@bad` and `@uncertain` list the point ids (comma-separated) read bad or uncertain, and are
 *   written on every line, empty when none, so a replay of the same line overwrites them: the
 *   newest write decides the quality. `@bool` lists the digital points, so reads give booleans back.
 * - Rollups `poll_1m` (fields `sum_<p> count_<p> min_<p> max_<p> last_<p>`) and `poll_1h`
 *   (`sum_sum_<p> sum_count_<p> min_min_<p> max_max_<p> last_last_<p>`: InfluxQL names a
 *   wildcard aggregate's output `<function>_<field>`), same tags.
 * - The per-point layout of heatwatch ≤ 0.x (`telemetry`, `telemetry_1m`, `telemetry_1h`) is
 *   left alone: new data goes to new measurements, the old expires with its retention policy.
 */
import type { Quality, Sample } from '../../model.ts';

export const RAW = { rp: 'raw', measurement: 'poll' } as const;
export const ROLLUP_1M = { rp: 'rollup_1m', measurement: 'poll_1m' } as const;
export const ROLLUP_1H = { rp: 'rollup_1h', measurement: 'poll_1h' } as const;
/** the per-point layout before lines per poll: never written, deleted by applyRetention() */
export const LEGACY = [
  { rp: 'raw', measurement: 'telemetry' },
  { rp: 'rollup_1m', measurement: 'telemetry_1m' },
  { rp: 'rollup_1h', measurement: 'telemetry_1h' },
] as const;

/** per-line fields; `@` keeps them apart from point ids (`[a-z0-9_-]+`) */
export const F_BAD = '@bad';
export const F_UNCERTAIN = '@uncertain';
export const F_BOOL = '@bool';
/** InfluxQL: the point fields of a raw line, without the `@` fields */
export const POINT_FIELDS = '/^[a-z0-9_-]+$/';

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

/** An identifier in double quotes for InfluxQL. */
export function ident(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** A field in InfluxQL: `"p"::field`, so a point named like a tag still means the field. */
export function field(s: string): string {
  return `${ident(s)}::field`;
}

/** A string literal in single quotes for InfluxQL. */
export function lit(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** A regex literal matching `id` as one item of a comma-separated list. */
export function listed(id: string): string {
  return `/(^|,)${id.replace(/[\\/^$.*+?()[\]{}|]/g, '\\$&')}(,|$)/`;
}

/** `"db"."rp"."measurement"` */
export function fqm(db: string, t: { rp: string; measurement: string }): string {
  return `${ident(db)}.${ident(t.rp)}.${ident(t.measurement)}`;
}

/** The rollup field names of point `p` per aggregate, for each rollup measurement. */
export const ROLLUP_FIELDS = {
  rollup_1m: (p: string) => ({ sum: `sum_${p}`, count: `count_${p}`, min: `min_${p}`, max: `max_${p}`, last: `last_${p}` }),
  rollup_1h: (p: string) => ({ sum: `sum_sum_${p}`, count: `sum_count_${p}`, min: `min_min_${p}`, max: `max_max_${p}`, last: `last_last_${p}` }),
} as const;

/** A device: `station.device`. */
export interface DeviceKey {
  station: string;
  device: string;
}

/** Requested point ids grouped by device (`station.device` → point names); ids that are not `a.b.c` are left out. */
export function byDevice(points: string[]): Map<string, { key: DeviceKey; points: string[] }> {
  const out = new Map<string, { key: DeviceKey; points: string[] }>();
  for (const id of new Set(points)) {
    const seg = id.split('.');
    if (seg.length !== 3 || !seg[0] || !seg[1] || !seg[2]) continue;
    const k = `${seg[0]}.${seg[1]}`;
    let d = out.get(k);
    if (!d) out.set(k, (d = { key: { station: seg[0], device: seg[1] }, points: [] }));
    d.points.push(seg[2]);
  }
  return out;
}

/** The WHERE condition selecting one device's series (whatever its area). */
export function deviceWhere(k: DeviceKey): string {
  return `"station" = ${lit(k.station)} AND "device" = ${lit(k.device)}`;
}

function splitList(v: unknown): Set<string> {
  return typeof v === 'string' && v.length > 0 ? new Set(v.split(',')) : new Set();
}

/** The quality markers of one stored line. */
export interface LineMarks {
  bad: Set<string>;
  uncertain: Set<string>;
  bool: Set<string>;
}

export function marksOf(bad: unknown, uncertain: unknown, bool: unknown): LineMarks {
  return { bad: splitList(bad), uncertain: splitList(uncertain), bool: splitList(bool) };
}

/**
 * One point of a stored line back into a sample, or null when the line holds nothing for it.
 * A point listed bad is bad even if an older write left its field behind.
 */
export function pointSample(id: string, name: string, ts: number, v: unknown, m: LineMarks): Sample | null {
  if (m.bad.has(name)) return { point: id, ts, value: null, quality: 'bad' };
  if (typeof v !== 'number') return null;
  const quality: Quality = m.uncertain.has(name) ? 'uncertain' : 'good';
  return { point: id, ts, value: m.bool.has(name) ? v !== 0 : v, quality };
}
