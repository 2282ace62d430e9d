/**
 * Pure part of the OPC UA adapter: the compiled per-device plan, connection grouping,
 * StatusCode → quality and Variant → sample value. No node-opcua import.
 *
 * @example
 * const plan = buildDevicePlan(spec);
 * plan.items[0]; // { index: 0, point: 'hs-001.ua.t_outdoor', nodeId: 'ns=1;s=hs-001.t_outdoor' }
 * qualityOf(0x80340000); // 'bad' (BadNodeIdUnknown)
 */
import type { OpcuaDeviceSpec } from '../../config/resolve.ts';
import { commLossWindowMs, pointId, type Quality, type SampleValue } from '../../model.ts';
import type { OpcuaDeviceOptions } from './options.ts';
import { backoffDelay } from '../../backoff.ts';

export interface PlanItem {
  /** index in the device's point list */
  index: number;
  /** full point id station.device.point */
  point: string;
  /** node id as configured (`nsu=` forms are resolved to an index on every connect) */
  nodeId: string;
}

export interface DevicePlan {
  station: string;
  device: string;
  /** `hs-001/ua: ` for log and error texts */
  prefix: string;
  endpoint: string;
  pollMs: number;
  timeoutMs: number;
  options: OpcuaDeviceOptions;
  items: PlanItem[];
  /** no good data for this long → comm loss: max(3 × pollMs, 60 s) */
  commLossMs: number;
}

export { commLossWindowMs };

export function buildDevicePlan(spec: OpcuaDeviceSpec): DevicePlan {
  return {
    station: spec.station,
    device: spec.id,
    prefix: `${spec.station}/${spec.id}: `,
    endpoint: spec.endpoint,
    pollMs: spec.pollMs,
    timeoutMs: spec.timeoutMs,
    options: spec.opcua,
    items: spec.points.map((p, index) => ({ index, point: pointId(spec.station, spec.id, p.id), nodeId: p.nodeId })),
    commLossMs: commLossWindowMs(spec.pollMs),
  };
}

/**
 * Devices that can share one client connection (one secure channel, session and
 * subscription): same endpoint, security and identity.
 */
export function connectionKey(plan: DevicePlan): string {
  const o = plan.options;
  return [plan.endpoint, o.securityMode, o.securityPolicy, o.username ?? '', o.serverCertificate ?? ''].join('|');
}

/** OPC UA StatusCode (Part 4 §7.39): the top two bits are the severity: 00 good, 01 uncertain, 1x bad. */
export function qualityOf(statusCode: number): Quality {
  const sev = statusCode >>> 30;
  return sev === 0 ? 'good' : sev === 1 ? 'uncertain' : 'bad';
}

/**
 * A Variant's value as a sample value: numbers and booleans pass, 64-bit integers
 * (`[high, low]` in node-opcua) become numbers, anything else (strings, arrays, structures,
 * non-finite numbers) is not a measurement → null.
 */
export function sampleValue(value: unknown, int64 = false): SampleValue {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (int64 && Array.isArray(value) && value.length === 2 && value.every((x) => typeof x === 'number')) {
    return value[0] * 4294967296 + (value[1] >>> 0);
  }
  if (typeof value === 'bigint') return Number(value);
  return null;
}

/** Exponential backoff with jitter: a random delay in [b/2, b], b = min(max, base × 2^attempt). */
export function backoffMs(attempt: number, baseMs = 500, maxMs = 10_000, rnd = Math.random): number {
  return backoffDelay(attempt, { baseMs, maxMs, jitter: 0.5, random: rnd });
}

/**
 * Splits `nsu=<uri>;rest` into uri and rest; returns null for other forms.
 * Node ids with `nsu=` are re-resolved against the server's NamespaceArray on every connect,
 * so a server that renumbers its namespaces after a restart is still read right.
 */
export function splitNamespaceUri(nodeId: string): { uri: string; rest: string } | null {
  const m = /^nsu=([^;]+);(.+)$/s.exec(nodeId);
  return m ? { uri: m[1], rest: m[2] } : null;
}

/** Nodes per Read or CreateMonitoredItems request: larger sets go as several requests, so no single message nears a server's limits. */
export const ITEMS_PER_REQUEST = 1000;
