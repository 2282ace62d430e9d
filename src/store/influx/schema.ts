/**
 * How heatwatch lays its series out in InfluxDB 1.x (pure; no I/O).
 *
 * - Retention policies: `raw` (default RP; `retentionDays`), `rollup_1m` (10×), `rollup_1h` (100×).
 * - Raw measurement `telemetry`, tags `station`, `device`, `point`; fields:
 *   `v` float — the value; a digital value is stored as 0/1 so it aggregates like the SQLite store;
 *   `b` boolean — present only for digital points (the value again, so `latest` returns a boolean);
 *   `q` integer — quality: 0 good, 1 uncertain, 2 bad. A bad read has only `q` (no value).
 *   Quality is a field, not a tag, so a replay of the same (point, ts) with another quality
 *   still overwrites the same InfluxDB point (measurement + tag set + timestamp).
 * - Rollups `telemetry_1m` / `telemetry_1h` (same tags): `sum`, `count`, `min`, `max`, `last` of
 *   the good and uncertain values; a mean over any multiple of the rollup width is sum/count,
 *   so rollup answers equal raw ones within float error.
 */
import type { Quality, Sample } from '../../model.ts';

export const RAW = { rp: 'raw', measurement: 'telemetry' } as const;
export const ROLLUP_1M = { rp: 'rollup_1m', measurement: 'telemetry_1m' } as const;
export const ROLLUP_1H = { rp: 'rollup_1h', measurement: 'telemetry_1h' } as const;

export const QUALITY_CODE: Record<Quality, number> = { good: 0, uncertain: 1, bad: 2 };
export const QUALITIES: Quality[] = ['good', 'uncertain', 'bad'];

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

/** An identifier in double quotes for InfluxQL. */
export function ident(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** A string literal in single quotes for InfluxQL. */
export function lit(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** `"db"."rp"."measurement"` */
export function fqm(db: string, t: { rp: string; measurement: string }): string {
  return `${ident(db)}.${ident(t.rp)}.${ident(t.measurement)}`;
}

/** The WHERE clause selecting the series of these point ids (ids that are not `a.b.c` select nothing). */
export function pointFilter(points: string[]): string | null {
  const parts: string[] = [];
  for (const p of new Set(points)) {
    const seg = p.split('.');
    if (seg.length !== 3) continue;
    parts.push(`("station" = ${lit(seg[0])} AND "device" = ${lit(seg[1])} AND "point" = ${lit(seg[2])})`);
  }
  return parts.length ? `(${parts.join(' OR ')})` : null;
}

/** The fields of one raw sample. */
export function sampleFields(s: Sample): Record<string, number | boolean> {
  const q = QUALITY_CODE[s.quality];
  if (s.value === null) return { q };
  if (typeof s.value === 'boolean') return { v: s.value ? 1 : 0, b: s.value, q };
  return { v: s.value, q };
}

/** A stored row back into a sample: a bad row has a null value even if an older replay left `v` behind. */
export function rowToSample(point: string, ts: number, v: unknown, b: unknown, q: unknown): Sample {
  const quality = QUALITIES[Number(q)] ?? 'bad';
  let value: Sample['value'] = null;
  if (quality !== 'bad') value = typeof b === 'boolean' ? b : typeof v === 'number' ? v : null;
  return { point, ts, value, quality };
}
