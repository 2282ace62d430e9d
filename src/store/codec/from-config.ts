import { DEFAULT_RESOLUTION, FALLBACK_RESOLUTION, type PointEncoding, type PointEncodings } from './spec.ts';

/** The parts of a resolved point definition the encoding follows (Modbus spec or OPC UA point). */
interface PointDef {
  id: string;
  unit?: string;
  type?: string;
  scale?: number;
  offset?: number;
  bit?: number;
  resolution?: number;
}

interface StationDef {
  id: string;
  devices?: ReadonlyArray<{ id: string; points?: ReadonlyArray<PointDef> }>;
}

const INT_TYPES = new Set(['int16', 'uint16', 'int32', 'uint32']);

/** The resolution of a float point: its own, else the default of its unit, else {@link FALLBACK_RESOLUTION}. */
export function floatResolution(p: Pick<PointDef, 'unit' | 'resolution'>): number {
  return p.resolution ?? (p.unit !== undefined ? DEFAULT_RESOLUTION[p.unit] : undefined) ?? FALLBACK_RESOLUTION;
}

/** How one point is stored: integer registers exactly (raw × scale + offset), bits as bits, the rest at a resolution. */
export function pointEncoding(p: PointDef): PointEncoding {
  if (p.type === 'bool' || p.bit !== undefined) return { kind: 'bool' };
  if (p.type !== undefined && INT_TYPES.has(p.type)) return { kind: 'int', scale: p.scale ?? 1, ...(p.offset ? { offset: p.offset } : {}) };
  return { kind: 'float', resolution: floatResolution(p) };
}

/**
 * The encodings of every configured point, by full id `station.device.point` (plain data for
 * the store's options).
 *
 * @example
 * pointEncodings([{ id: 'hs-001', devices: [{ id: 'plc', points: [{ id: 'p', type: 'int16', scale: 0.001 }] }] }]);
 * // { 'hs-001.plc.p': { kind: 'int', scale: 0.001 } }
 */
export function pointEncodings(stations: ReadonlyArray<StationDef>): PointEncodings {
  const out: PointEncodings = {};
  for (const s of stations) {
    for (const d of s.devices ?? []) for (const p of d.points ?? []) out[`${s.id}.${d.id}.${p.id}`] = pointEncoding(p);
  }
  return out;
}
