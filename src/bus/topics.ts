/**
 * MQTT topics and payloads (DESIGN §6), pure.
 *
 * - `{prefix}/telemetry/{station}/{device}` — one message per device poll:
 *   `{ ts, values: { point: value }, quality: { point: q } }`
 * - `{prefix}/status/{station}/{device}` — retained `online` / `offline`
 * - `{prefix}/alarms/{station}`, `{prefix}/tickets/{station}` — events (JSON)
 * - `{prefix}/collectors/{name}` — retained presence of each acquiring process, its last will:
 *   `{ status: 'online'|'offline', name, shard?, stations: [...], ts?, instance? }` (heatwatch's own addition:
 *   one will cannot set every device offline, so `serve` expands it to the listed stations)
 */
import type { Quality, Sample } from '../model.ts';

export type EventKind = 'alarms' | 'tickets';

export interface TelemetryMessage {
  ts: number;
  values: Record<string, number | boolean | null>;
  quality: Record<string, Quality>;
}

export interface PresenceMessage {
  status: 'online' | 'offline';
  name: string;
  shard?: string;
  stations: string[];
  ts?: number;
  /** which of the shard's collectors (a shard may have a standby): an `offline` of one that has handed over is not the shard's */
  instance?: string;
}

export const topics = {
  telemetry: (prefix: string, station: string, device: string) => `${prefix}/telemetry/${station}/${device}`,
  status: (prefix: string, station: string, device: string) => `${prefix}/status/${station}/${device}`,
  event: (prefix: string, kind: EventKind, station: string) => `${prefix}/${kind}/${station}`,
  collector: (prefix: string, name: string) => `${prefix}/collectors/${name}`,
};

/** Groups a batch into one message per (station, device, ts): a device poll is one message. */
export function telemetryMessages(batch: Sample[]): Array<{ station: string; device: string; msg: TelemetryMessage }> {
  const out = new Map<string, { station: string; device: string; msg: TelemetryMessage }>();
  for (const s of batch) {
    const a = s.point.indexOf('.');
    const b = s.point.indexOf('.', a + 1);
    if (a <= 0 || b <= a + 1) continue;
    const station = s.point.slice(0, a);
    const device = s.point.slice(a + 1, b);
    const point = s.point.slice(b + 1);
    const key = `${station}/${device}/${s.ts}`;
    let m = out.get(key);
    if (!m) out.set(key, (m = { station, device, msg: { ts: s.ts, values: {}, quality: {} } }));
    m.msg.values[point] = s.value;
    m.msg.quality[point] = s.quality;
  }
  return [...out.values()];
}

const QUALITIES = new Set(['good', 'bad', 'uncertain']);

/**
 * A telemetry message back into samples; null when malformed (a key that is not an id included).
 * A plain decoder: `serve` checks its input against the config with ./input.ts instead.
 */
export function telemetrySamples(station: string, device: string, payload: Buffer | string): Sample[] | null {
  let m: TelemetryMessage;
  try {
    m = JSON.parse(payload.toString());
  } catch {
    return null;
  }
  if (!m || !Number.isSafeInteger(m.ts) || typeof m.values !== 'object' || m.values === null) return null;
  const out: Sample[] = [];
  for (const [point, value] of Object.entries(m.values)) {
    if (!/^[a-z0-9_-]+$/.test(point)) return null;
    const q = (m.quality && Object.hasOwn(m.quality, point) ? m.quality[point] : undefined) ?? (value === null ? 'bad' : 'good');
    if (!QUALITIES.has(q)) return null;
    if (!(value === null || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value)))) return null;
    out.push({ point: `${station}.${device}.${point}`, ts: m.ts, value, quality: q });
  }
  return out;
}
