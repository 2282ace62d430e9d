/**
 * Point patterns: full ids with `*` wildcards inside segments
 * (`*.plc.t_sec_supply`, `hs-00*.plc.pump*_run`); `station.device` patterns
 * for device-level rules.
 */
export type PatternMatcher = (segments: readonly string[]) => boolean;

function segmentMatcher(seg: string): (s: string) => boolean {
  if (seg === '*') return () => true;
  if (!seg.includes('*')) return (s) => s === seg;
  const re = new RegExp(`^${seg.replace(/[-_]/g, (c) => `\\${c}`).replace(/\*/g, '[a-z0-9_-]*')}$`);
  return (s) => re.test(s);
}

/** Compiles a dotted pattern; the matcher takes the same number of segments. */
export function compilePattern(pattern: string): { size: number; match: PatternMatcher } {
  const parts = pattern.split('.').map(segmentMatcher);
  return {
    size: parts.length,
    match: (segs) => segs.length === parts.length && parts.every((m, i) => m(segs[i])),
  };
}

/**
 * Resolves an identifier relative to a station and device: `device.point`
 * within the station, or `point` within the device.
 */
export function resolveRelative(station: string, device: string, rel: string): string {
  const dot = rel.indexOf('.');
  return dot < 0 ? `${station}.${device}.${rel}` : `${station}.${rel}`;
}
