import { DEFAULT_RESOLUTION, FALLBACK_RESOLUTION, type DeviceEncodings, type PointEncoding } from './spec.ts';

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
 * The encodings of every configured point, by device (plain data for the store's options):
 * devices with the same point list (one template) share one table.
 *
 * @example
 * pointEncodings([{ id: 'hs-001', devices: [{ id: 'plc', points: [{ id: 'p', type: 'int16', scale: 0.001 }] }] }]);
 * // { byDevice: { 'hs-001.plc': 0 }, tables: [{ p: { kind: 'int', scale: 0.001 } }] }
 */
export function pointEncodings(stations: ReadonlyArray<StationDef>): DeviceEncodings {
  const out: DeviceEncodings = { byDevice: {}, tables: [] };
  const byList = new Map<ReadonlyArray<PointDef>, number>();
  const byContent = new Map<string, number>();
  for (const s of stations) {
    for (const d of s.devices ?? []) {
      const points = d.points ?? [];
      let i = byList.get(points);
      if (i === undefined) {
        const table: Record<string, PointEncoding> = {};
        for (const p of points) table[p.id] = pointEncoding(p);
        const key = JSON.stringify(table);
        i = byContent.get(key);
        if (i === undefined) byContent.set(key, (i = out.tables.push(table) - 1));
        byList.set(points, i);
      }
      out.byDevice[`${s.id}.${d.id}`] = i;
    }
  }
  return out;
}
