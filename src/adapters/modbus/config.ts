/**
 * Modbus config (DESIGN §3): the schema of a point and of a device's Modbus keys, the point spec
 * with every default filled, and the checks across a point's keys. Like src/tickets/config.ts
 * it imports nothing from src/config; the config schema and resolver compose it.
 *
 * @example
 * ```ts
 * const problems: Problem[] = [];
 * const dev = resolveModbusDevice({ points: [{ id: 't', table: 'holding', address: 0, type: 'float32' }] }, 'stations[0].devices[0]', problems, new Map());
 * dev.points[0]; // { id: 't', table: 'holding', address: 0, type: 'float32', order: 'ABCD', scale: 1, offset: 0 }
 * ```
 */
import Type, { type Static } from 'typebox';
import { ID_PATTERN } from '../../model.ts';
import { CounterPointKeys } from '../../analytics/config.ts';

const strict = { additionalProperties: false } as const;

export const ModbusTable = Type.Union([Type.Literal('coil'), Type.Literal('discrete'), Type.Literal('holding'), Type.Literal('input')]);
export const ModbusType = Type.Union([
  Type.Literal('bool'),
  Type.Literal('int16'),
  Type.Literal('uint16'),
  Type.Literal('int32'),
  Type.Literal('uint32'),
  Type.Literal('float32'),
  Type.Literal('float64'),
]);
export const WordOrder = Type.Union([Type.Literal('ABCD'), Type.Literal('CDAB'), Type.Literal('BADC'), Type.Literal('DCBA')]);

export const ModbusPoint = Type.Object(
  {
    id: Type.String({ pattern: ID_PATTERN, minLength: 1, maxLength: 64 }),
    name: Type.Optional(Type.String({ maxLength: 200 })),
    unit: Type.Optional(Type.String({ maxLength: 32 })),
    table: ModbusTable,
    address: Type.Integer({ minimum: 0, maximum: 65535 }),
    type: ModbusType,
    order: Type.Optional(WordOrder),
    scale: Type.Optional(Type.Number()),
    offset: Type.Optional(Type.Number()),
    /** bit 0..15 of a holding/input register, read as bool */
    bit: Type.Optional(Type.Integer({ minimum: 0, maximum: 15 })),
    /** a cumulative counter, and where its register wraps (src/analytics/config.ts) */
    ...CounterPointKeys,
  },
  strict,
);

/** The keys a device has for Modbus only (spread into the device schema). */
export const ModbusDeviceKeys = {
  unit: Type.Optional(Type.Integer({ minimum: 0, maximum: 255 })),
  /** registers (or bits) of unused space a read may span to save a request */
  maxGap: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
  /**
   * requests of one poll sent before the first reply (Modbus TCP matches replies by transaction
   * id); 1, the default, suits every server, serial gateways included
   */
  inFlight: Type.Optional(Type.Integer({ minimum: 1, maximum: 16 })),
};

export type ModbusPointConfig = Static<typeof ModbusPoint>;
export type WordOrderName = Static<typeof WordOrder>;

/** A Modbus point with every default filled in. */
export interface ModbusPointSpec {
  id: string;
  name?: string;
  unit?: string;
  table: ModbusPointConfig['table'];
  address: number;
  type: ModbusPointConfig['type'];
  order: WordOrderName;
  scale: number;
  offset: number;
  bit?: number;
  counter?: boolean;
  rolloverAt?: number;
  /** how finely the embedded store keeps a float value (docs/historian.md) */
  resolution?: number;
}

/** The Modbus part of a resolved device (the rest, endpoint and timing, is every protocol's). */
export interface ModbusDeviceSettings {
  unit: number;
  maxGap: number;
  inFlight: number;
  points: ModbusPointSpec[];
}

export const MODBUS_DEFAULTS = { port: 502, unit: 1, maxGap: 10, inFlight: 1 } as const;

interface Problem {
  path: string;
  message: string;
}

const REGISTER_WIDTH: Record<ModbusPointConfig['type'], number> = {
  bool: 1,
  int16: 1,
  uint16: 1,
  int32: 2,
  uint32: 2,
  float32: 2,
  float64: 4,
};

export function registerWidth(type: ModbusPointConfig['type']): number {
  return REGISTER_WIDTH[type];
}

/** A point's spec with defaults, and the problems across its keys (bit tables, widths, order). */
export function resolveModbusPoint(p: ModbusPointConfig & { resolution?: number }, path: string, problems: Problem[]): ModbusPointSpec {
  const bitTable = p.table === 'coil' || p.table === 'discrete';
  if (bitTable && p.type !== 'bool') {
    problems.push({ path: `${path}.type`, message: `a ${p.table} holds one bit; type must be bool, got ${p.type}` });
  }
  if (bitTable && p.bit !== undefined) {
    problems.push({ path: `${path}.bit`, message: `bit applies to holding/input registers, not to a ${p.table}` });
  }
  if (!bitTable && p.type === 'bool' && p.bit === undefined) {
    problems.push({ path: `${path}.bit`, message: `a bool in a ${p.table} register needs bit (0..15)` });
  }
  if (!bitTable && p.bit !== undefined && p.type !== 'bool') {
    problems.push({ path: `${path}.type`, message: `a point with bit must have type bool, got ${p.type}` });
  }
  const width = bitTable ? 1 : REGISTER_WIDTH[p.type];
  if (p.address + width > 65536) {
    problems.push({ path: `${path}.address`, message: `${p.type} at ${p.address} runs past register 65535` });
  }
  if (p.order !== undefined && width < 2) {
    problems.push({ path: `${path}.order`, message: `order applies to 32/64-bit types, not ${p.type}` });
  }
  if ((p.scale !== undefined || p.offset !== undefined) && p.type === 'bool') {
    problems.push({ path: `${path}.scale`, message: 'scale/offset do not apply to bool points' });
  }
  return {
    id: p.id,
    ...(p.name !== undefined ? { name: p.name } : {}),
    ...(p.unit !== undefined ? { unit: p.unit } : {}),
    table: p.table,
    address: p.address,
    type: p.type,
    order: p.order ?? 'ABCD',
    scale: p.scale ?? 1,
    offset: p.offset ?? 0,
    ...(p.bit !== undefined ? { bit: p.bit } : {}),
    ...(p.counter !== undefined ? { counter: p.counter } : {}),
    ...(p.rolloverAt !== undefined ? { rolloverAt: p.rolloverAt } : {}),
    // the store's key (src/config/schema.ts StorageKeys), carried for it
    ...(p.resolution !== undefined ? { resolution: p.resolution } : {}),
  };
}

export interface ModbusDeviceInput {
  unit?: number | undefined;
  maxGap?: number | undefined;
  inFlight?: number | undefined;
  /** the device's template, by name */
  template?: { name: string; points: readonly ModbusPointConfig[] } | undefined;
  /** the device's own points; one without table/address (an OPC UA point) is a problem */
  points?: ReadonlyArray<ModbusPointConfig | { nodeId: string }> | undefined;
}

/**
 * The Modbus settings of one device. A template's points are checked once and their specs
 * shared (through `templateSpecs`) by every device using it: a city has thousands of devices on
 * one template, and a template's problems must be reported once.
 */
export function resolveModbusDevice(d: ModbusDeviceInput, path: string, problems: Problem[], templateSpecs: Map<string, ModbusPointSpec[]>): ModbusDeviceSettings {
  let shared: ModbusPointSpec[] = [];
  if (d.template) {
    const { name, points } = d.template;
    let cached = templateSpecs.get(name);
    if (!cached) {
      cached = points.map((p, i) => resolveModbusPoint(p, `templates.${name}.points[${i}]`, problems));
      templateSpecs.set(name, cached);
    }
    shared = cached;
  }
  let points = shared;
  const own = d.points ?? [];
  if (own.length) {
    points = [...shared];
    own.forEach((p, i) => {
      const pp = `${path}.points[${i}]`;
      if (!('table' in p)) problems.push({ path: pp, message: 'a modbus point needs table, address and type' });
      else points.push(resolveModbusPoint(p, pp, problems));
    });
  }
  return { unit: d.unit ?? MODBUS_DEFAULTS.unit, maxGap: d.maxGap ?? MODBUS_DEFAULTS.maxGap, inFlight: d.inFlight ?? MODBUS_DEFAULTS.inFlight, points };
}
