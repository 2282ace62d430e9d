import type { ModbusPointSpec, WordOrderName } from '../src/config/resolve.ts';
import { registerWidth } from '../src/config/resolve.ts';
import type { TemplateConfig } from '../src/config/schema.ts';

/**
 * Register images of a simulated PLC, pure. Point values are encoded into the four Modbus
 * tables honouring type, scale/offset (raw = (value − offset) / scale, rounded for integers),
 * bit-in-register and word/byte order — ABCD big-endian, CDAB words reversed, BADC bytes
 * swapped in each word, DCBA both (the same convention as src/adapters/modbus/decode.ts).
 */
export type Table = ModbusPointSpec['table'];

export interface StationImage {
  coil: Uint8Array;
  discrete: Uint8Array;
  holding: Uint16Array;
  input: Uint16Array;
  /** model step each table was encoded at (-1 = never) */
  stamps: Record<Table, number>;
}

/** Template points with defaults filled (as the config resolver does). */
export function templateSpecs(t: TemplateConfig): ModbusPointSpec[] {
  return t.points.map((p) => ({
    id: p.id,
    table: p.table,
    address: p.address,
    type: p.type,
    order: p.order ?? 'ABCD',
    scale: p.scale ?? 1,
    offset: p.offset ?? 0,
    ...(p.bit !== undefined ? { bit: p.bit } : {}),
  }));
}

const scratch = new DataView(new ArrayBuffer(8));

/** Encodes a raw (already scaled) number as `type` into words in the given order. */
export function encodeWords(raw: number, type: ModbusPointSpec['type'], order: WordOrderName, out: Uint16Array, at: number): void {
  const n = registerWidth(type);
  switch (type) {
    case 'bool':
      out[at] = raw ? 1 : 0;
      return;
    case 'int16':
      scratch.setInt16(0, clampInt(raw, -32768, 32767));
      break;
    case 'uint16':
      scratch.setUint16(0, clampInt(raw, 0, 65535));
      break;
    case 'int32':
      scratch.setInt32(0, clampInt(raw, -2147483648, 2147483647));
      break;
    case 'uint32':
      scratch.setUint32(0, clampInt(raw, 0, 4294967295));
      break;
    case 'float32':
      scratch.setFloat32(0, raw);
      break;
    case 'float64':
      scratch.setFloat64(0, raw);
      break;
  }
  const reverse = n > 1 && (order === 'CDAB' || order === 'DCBA');
  const swap = n > 1 && (order === 'BADC' || order === 'DCBA');
  for (let i = 0; i < n; i++) {
    const w = scratch.getUint16(2 * i);
    out[at + (reverse ? n - 1 - i : i)] = swap ? ((w & 0xff) << 8) | (w >> 8) : w;
  }
}

function clampInt(x: number, lo: number, hi: number): number {
  const r = Math.round(x);
  return Number.isFinite(r) ? (r < lo ? lo : r > hi ? hi : r) : 0;
}

/** Where a table's points live: reads entirely outside [min, end) get exception 02. */
export interface TableSpan {
  min: number;
  /** exclusive */
  end: number;
}

/** The compiled register map of one template. */
export class RegisterMap {
  readonly specs: ModbusPointSpec[];
  readonly spans: Record<Table, TableSpan | null>;
  private readonly byTable: Record<Table, ModbusPointSpec[]>;

  constructor(specs: ModbusPointSpec[]) {
    this.specs = specs;
    this.byTable = { coil: [], discrete: [], holding: [], input: [] };
    this.spans = { coil: null, discrete: null, holding: null, input: null };
    for (const p of specs) {
      this.byTable[p.table].push(p);
      const w = p.table === 'coil' || p.table === 'discrete' ? 1 : registerWidth(p.type);
      const s = this.spans[p.table];
      this.spans[p.table] = s
        ? { min: Math.min(s.min, p.address), end: Math.max(s.end, p.address + w) }
        : { min: p.address, end: p.address + w };
    }
  }

  newImage(): StationImage {
    const len = (t: Table) => this.spans[t]?.end ?? 0;
    return {
      coil: new Uint8Array(len('coil')),
      discrete: new Uint8Array(len('discrete')),
      holding: new Uint16Array(len('holding')),
      input: new Uint16Array(len('input')),
      stamps: { coil: -1, discrete: -1, holding: -1, input: -1 },
    };
  }

  /** Encodes every point of one table; `read(i)` gives the value of `points(table)[i]`. */
  encodeTable(table: Table, img: StationImage, read: (p: ModbusPointSpec) => number | boolean): void {
    const points = this.byTable[table];
    if (table === 'coil' || table === 'discrete') {
      const bits = img[table];
      for (const p of points) bits[p.address] = read(p) ? 1 : 0;
      return;
    }
    const regs = img[table];
    regs.fill(0);
    for (const p of points) {
      const v = read(p);
      if (p.bit !== undefined) {
        if (v) regs[p.address] |= 1 << p.bit;
        continue;
      }
      const x = typeof v === 'boolean' ? (v ? 1 : 0) : v;
      encodeWords((x - p.offset) / p.scale, p.type, p.order, regs, p.address);
    }
  }

  /**
   * Whether a read of [address, address + quantity) may be answered: false only when the
   * range lies entirely outside the table's span (gaps inside the span read as 0).
   */
  inSpan(table: Table, address: number, quantity: number): boolean {
    const s = this.spans[table];
    return s !== null && address < s.end && address + quantity > s.min;
  }

  /** Points of a table wholly inside a written range (for FC 5/6/15/16). */
  pointsIn(table: Table, address: number, quantity: number): ModbusPointSpec[] {
    return this.byTable[table].filter((p) => {
      const w = table === 'coil' || table === 'discrete' ? 1 : registerWidth(p.type);
      return p.address >= address && p.address + w <= address + quantity;
    });
  }
}
