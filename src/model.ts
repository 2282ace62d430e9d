/** Station → device → point, ids `[a-z0-9_-]+`; a full point id is `station.device.point`. */
export const ID_PATTERN = '^[a-z0-9_-]+$';

/** The range of ms epoch a Date holds (±275,760 years): a time outside it cannot be shown, compared as a date or written out. */
export const MAX_TIME_MS = 8_640_000_000_000_000;

export type Quality = 'good' | 'bad' | 'uncertain';
export type SampleValue = number | boolean | null;

/** One reading of one point. A failed read is `{ value: null, quality: 'bad' }`, never a made-up value. */
export interface Sample {
  point: string;
  /** ms since epoch */
  ts: number;
  value: SampleValue;
  quality: Quality;
}

/** Samples dated before this (2000-01-01) are refused everywhere: no PLC clock or legacy history predates it. */
export const MIN_SAMPLE_TS_MS = Date.UTC(2000, 0, 1);
/** Stores refuse samples dated from this (2100-01-01) on: a wild clock cannot make them walk centuries of empty chunks. */
export const MAX_SAMPLE_TS_MS = Date.UTC(2100, 0, 1);
/** Ingest and import refuse samples more than this ahead of their clock. */
export const MAX_FUTURE_MS = 5 * 60_000;

/** Why a sample cannot be stored: its shape, or a time out of range. */
export type SampleProblem = 'malformed' | 'too_old' | 'future';

/**
 * The one rule for a storable sample: a `station.device.point` id, a whole-ms ts in
 * [2000-01-01, 2100-01-01) and no later than `now + MAX_FUTURE_MS` when a clock is given,
 * a finite number, boolean or null, and a known quality. Null when the sample is fine.
 */
export function sampleProblem(s: Sample, now?: number): SampleProblem | null {
  if (
    s == null ||
    typeof s !== 'object' ||
    typeof s.point !== 'string' ||
    !Number.isSafeInteger(s.ts) ||
    !(s.value === null || typeof s.value === 'boolean' || (typeof s.value === 'number' && Number.isFinite(s.value))) ||
    !(s.quality === 'good' || s.quality === 'uncertain' || s.quality === 'bad') ||
    !isPointId(s.point)
  ) {
    return 'malformed';
  }
  if (s.ts < MIN_SAMPLE_TS_MS) return 'too_old';
  if (s.ts >= MAX_SAMPLE_TS_MS || (now !== undefined && s.ts > now + MAX_FUTURE_MS)) return 'future';
  return null;
}

/**
 * The samples of a batch that a store may keep (the sample rule without a clock): the same
 * array when all are, so one bad sample never blocks the rest of its batch.
 */
export function storableSamples(samples: Sample[]): Sample[] {
  for (let i = 0; i < samples.length; i++) {
    if (sampleProblem(samples[i]) !== null) return samples.filter((x) => sampleProblem(x) === null);
  }
  return samples;
}

/** Two dots, three non-empty parts: cheaper than splitting on the hot path. */
function isPointId(id: string): boolean {
  const a = id.indexOf('.');
  if (a <= 0) return false;
  const b = id.indexOf('.', a + 1);
  return b > a + 1 && b < id.length - 1 && id.indexOf('.', b + 1) === -1;
}

export type DeviceComm = 'online' | 'offline' | 'unknown';

/** Reported by adapters whenever a device's communication state changes. */
export interface DeviceStatus {
  station: string;
  device: string;
  comm: DeviceComm;
  ts: number;
  /** last error text when offline */
  error?: string;
}

export function pointId(station: string, device: string, point: string): string {
  return `${station}.${device}.${point}`;
}

export function splitPointId(id: string): { station: string; device: string; point: string } | null {
  const parts = id.split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[a-z0-9_-]+$/.test(p))) return null;
  return { station: parts[0], device: parts[1], point: parts[2] };
}

/**
 * The comm-loss window (DOMAIN §2): a device is lost after no good poll for max(3 × period, 60 s).
 * The alarm engine, the comm-loss rule and the OPC UA adapter all read it from here.
 */
export function commLossWindowMs(pollMs: number): number {
  return Math.max(3 * pollMs, 60_000);
}
