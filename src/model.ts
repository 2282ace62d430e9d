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
