/** Parsing of the time arguments of /api/series and the other reads; pure. */
import { MAX_TIME_MS } from '../../model.ts';

export { MAX_TIME_MS };

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `60s`, `5m`, `1h`, `2d`, `500ms` or a plain number of ms → ms; null if malformed. */
export function parseDuration(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) return null;
  const ms = Number(m[1]) * UNIT_MS[m[2] ?? 'ms'];
  return Number.isFinite(ms) && ms > 0 ? Math.round(ms) : null;
}

/** ISO 8601, ms epoch, `now` or `now-15m` → ms epoch; null if malformed or outside the range of dates. */
export function parseTime(text: string, now: number): number | null {
  const ms = readTime(text, now);
  return ms !== null && Math.abs(ms) <= MAX_TIME_MS ? ms : null;
}

function readTime(text: string, now: number): number | null {
  const t = text.trim();
  if (/^\d+$/.test(t)) return Number(t);
  const rel = /^now(?:-(.+))?$/.exec(t);
  if (rel) {
    if (rel[1] === undefined) return now;
    const d = parseDuration(rel[1]);
    return d === null ? null : now - d;
  }
  if (!/^\d{4}-\d{2}-\d{2}/.test(t)) return null;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? null : ms;
}


const NICE_STEPS = [1, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400].map((s) => s * 1000);

/** A step giving at most ~maxBuckets buckets over the range, rounded up to a familiar value. */
export function autoStep(rangeMs: number, maxBuckets = 600): number {
  const want = rangeMs / maxBuckets;
  return NICE_STEPS.find((s) => s >= want) ?? Math.ceil(want / 86_400_000) * 86_400_000;
}
