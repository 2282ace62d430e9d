/**
 * Checks on what `heatwatch serve` takes in over MQTT (pure): telemetry and collector presence
 * come from the network and are validated like API input. Nothing is trusted because it is
 * well-formed JSON: every point must be a configured point of a configured device, every value a
 * finite number, a boolean or null, every ts inside a window around now, every presence from a
 * collector name serve expects and about that collector's own stations. What fails is dropped
 * with a named reason, never thrown; the caller counts the reasons
 * (`heatwatch_mqtt_input_dropped_total{reason}`).
 *
 * @example
 * const cat = catalogOf(cfg.stations);
 * const { samples, drops } = checkTelemetry(cat, 'hs-001', 'plc', payload, limits, Date.now());
 */
import type { StationSpec } from '../config/resolve.ts';
import type { Quality, Sample } from '../model.ts';
import { inShard } from './shard.ts';
import type { PresenceMessage } from './topics.ts';

/** Why input was dropped: whole messages for most reasons, single points for bad_key, unknown_point, bad_value. */
export const DROP_REASONS = [
  /** over mqtt.maxMessageBytes */
  'oversize',
  /** not JSON, or not the shape of its topic's message */
  'malformed',
  /** a telemetry or status topic naming a station/device that is not configured */
  'unknown_device',
  /** a point key that is not an id [a-z0-9_-]+ ('.', newline, ...): it could corrupt a series key */
  'bad_key',
  /** a well-formed point key the device does not have: a publisher cannot create series */
  'unknown_point',
  /** a value that is not a finite number, boolean or null, or an unknown quality */
  'bad_value',
  /** ts not an integer ms epoch, or outside [now - maxAgeMs, now + maxFutureMs] */
  'bad_ts',
  /** presence from a name that is not one of the expected collectors */
  'unknown_collector',
  /** presence whose body does not match its topic, or names stations of another shard */
  'bad_presence',
] as const;
export type DropReason = (typeof DROP_REASONS)[number];

export type Drops = Partial<Record<DropReason, number>>;

export interface InputLimits {
  maxMessageBytes: number;
  /** how far a ts may be ahead of now */
  maxFutureMs: number;
  /** how far a ts may be behind now (the spool's age bound: older data would be dropped there anyway) */
  maxAgeMs: number;
}

/** station → device → point ids, from the config. */
export type Catalog = Map<string, Map<string, Set<string>>>;

export function catalogOf(stations: StationSpec[]): Catalog {
  return new Map(stations.map((s) => [s.id, new Map(s.devices.map((d) => [d.id, new Set(d.points.map((p) => p.id))]))]));
}

const ID = /^[a-z0-9_-]+$/;
const QUALITIES = new Set<unknown>(['good', 'bad', 'uncertain']);

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

function parse(payload: Buffer | string): unknown {
  try {
    return JSON.parse(payload.toString());
  } catch {
    return undefined;
  }
}

export interface TelemetryCheck {
  samples: Sample[];
  drops: Drops;
  /** the first rejected key or value, for a log line (JSON-quoted, shortened) */
  example?: string;
}

const show = (x: unknown) => (JSON.stringify(x) ?? String(x)).slice(0, 80);

/** A `{prefix}/telemetry/{station}/{device}` payload → the samples that pass, and what was dropped. */
export function checkTelemetry(cat: Catalog, station: string, device: string, payload: Buffer | string, limits: InputLimits, now: number): TelemetryCheck {
  const out: TelemetryCheck = { samples: [], drops: {} };
  const drop = (r: DropReason, example?: unknown) => {
    out.drops[r] = (out.drops[r] ?? 0) + 1;
    if (out.example === undefined && example !== undefined) out.example = show(example);
    return out;
  };
  if (payload.length > limits.maxMessageBytes) return drop('oversize', payload.length);
  const points = cat.get(station)?.get(device);
  if (!points) return drop('unknown_device', `${station}/${device}`);
  const m = parse(payload);
  if (!isRecord(m) || !isRecord(m.values) || (m.quality !== undefined && !isRecord(m.quality))) return drop('malformed');
  const ts = m.ts;
  if (typeof ts !== 'number' || !Number.isSafeInteger(ts)) return drop('bad_ts', ts);
  if (ts > now + limits.maxFutureMs || ts < now - limits.maxAgeMs) return drop('bad_ts', ts);
  const quality = (m.quality ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(m.values)) {
    if (!ID.test(key) || key.length > 64) {
      drop('bad_key', key);
      continue;
    }
    if (!points.has(key)) {
      drop('unknown_point', key);
      continue;
    }
    let value = m.values[key];
    // own properties only: 'constructor' is a valid id and must not read Object.prototype
    let q = Object.hasOwn(quality, key) ? quality[key] : value === null ? 'bad' : 'good';
    if (!QUALITIES.has(q) || !(value === null || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value)))) {
      drop('bad_value', { [key]: value });
      continue;
    }
    // a failed read is null and bad, never a value (DESIGN §2): make the pair consistent
    if (value === null) q = 'bad';
    if (q === 'bad') value = null;
    out.samples.push({ point: `${station}.${device}.${key}`, ts, value: value as Sample['value'], quality: q as Quality });
  }
  return out;
}

export type PresenceCheck = { ok: true; presence: PresenceMessage } | { ok: false; reason: DropReason; example: string };

/**
 * A `{prefix}/collectors/{name}` payload. Collectors are named `shard-K-of-N` by
 * `collect --shard K/N` (src/cli/collect.ts); with `shards` set only that N is expected. The body
 * must repeat the topic's name, and every configured station it lists must be in shard K of N:
 * a presence can only speak for its own stations. Stations not in this config are ignored by the
 * caller (a collector reading a newer config), not a reason to drop.
 */
export function checkPresence(name: string, payload: Buffer | string, stationIds: ReadonlySet<string>, maxMessageBytes: number, shards?: number): PresenceCheck {
  if (payload.length > maxMessageBytes) return { ok: false, reason: 'oversize', example: String(payload.length) };
  const mm = /^shard-(\d{1,4})-of-(\d{1,4})$/.exec(name);
  const k = mm ? Number(mm[1]) : 0;
  const n = mm ? Number(mm[2]) : 0;
  if (!(k >= 1 && k <= n && n <= 1024) || (shards !== undefined && n !== shards)) return { ok: false, reason: 'unknown_collector', example: show(name) };
  const p = parse(payload);
  if (!isRecord(p) || p.name !== name || (p.status !== 'online' && p.status !== 'offline')) return { ok: false, reason: 'bad_presence', example: show(name) };
  if (!Array.isArray(p.stations) || !p.stations.every((s) => typeof s === 'string')) return { ok: false, reason: 'bad_presence', example: show(name) };
  const stations = p.stations as string[];
  const foreign = stations.find((s) => stationIds.has(s) && !inShard(s, k, n));
  if (foreign !== undefined) return { ok: false, reason: 'bad_presence', example: `${name} lists ${show(foreign)} of another shard` };
  if (p.instance !== undefined && (typeof p.instance !== 'string' || p.instance.length > 200)) return { ok: false, reason: 'bad_presence', example: show(name) };
  const instance = p.instance as string | undefined;
  return { ok: true, presence: { status: p.status, name, shard: `${k}/${n}`, stations, ...(instance ? { instance } : {}) } };
}
