import type {
  ConfigInput,
  DeviceConfig,
  ModbusPointConfig,
  OpcuaPointConfig,
  RoleName,
  SeriesStorageConfig,
} from './schema.ts';
import { resolveTicketSettings, type TicketSettings } from '../tickets/config.ts';
import { resolveOperations, type OperationsSettings } from '../modes/config.ts';
import { resolveSetback, stationSetback } from '../modes/setback-config.ts';
import type { SetbackSchedule } from '../alarms/setback.ts';
import { resolveMqtt, type MqttSettings } from '../bus/settings.ts';
import { resolveSpool, type SpoolSettings } from '../store/spool/settings.ts';
import { nodeIdProblem, opcuaKeysOnModbus, resolveOpcuaOptions, type OpcuaDeviceOptions } from '../adapters/opcua/options.ts';

/** A config problem: the path of the bad key in `stations[3].devices[0].endpoint` form and what is wrong. */
export interface ConfigProblem {
  path: string;
  message: string;
}

export type WordOrderName = 'ABCD' | 'CDAB' | 'BADC' | 'DCBA';

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
}

interface DeviceBase {
  station: string;
  id: string;
  endpoint: string;
  host: string;
  port: number;
  pollMs: number;
  timeoutMs: number;
}

export interface ModbusDeviceSpec extends DeviceBase {
  protocol: 'modbus';
  unit: number;
  maxGap: number;
  points: ModbusPointSpec[];
}

export interface OpcuaDeviceSpec extends DeviceBase {
  protocol: 'opcua';
  points: OpcuaPointConfig[];
  /** security, identity, mode, deadband, alarm import (src/adapters/opcua/options.ts) */
  opcua: OpcuaDeviceOptions;
}

export type DeviceSpec = ModbusDeviceSpec | OpcuaDeviceSpec;

export interface StationSpec {
  id: string;
  name: string;
  area?: string;
  curve?: Array<[number, number]>;
  heatingType?: 'radiator' | 'floor';
  staticHeadMPa?: number | number[];
  /** the setback schedule its curve deviation allows for (its own, else `operations.setback`); absent: none */
  setback?: SetbackSchedule;
  devices: DeviceSpec[];
}

export interface TokenSpec {
  name: string;
  token: string;
  role: RoleName;
}

export interface ResolvedConfig {
  site: { name: string; timezone: string };
  storage: { series: SeriesStorageConfig; state: { kind: 'sqlite'; path: string }; spool?: SpoolSettings };
  ingest: { batchSize: number; maxDelayMs: number; queueLimit: number };
  mqtt?: MqttSettings;
  api: { host: string; port: number };
  /** OPC UA client PKI folder (own certificate, trusted server certificates) */
  opcua: { pkiDir: string };
  stations: StationSpec[];
  tokens: TokenSpec[];
  alarms: ConfigInput['alarms'];
  tickets: TicketSettings;
  operations: OperationsSettings;
}

export const DEFAULTS = {
  pollMs: 5000,
  timeoutMs: 2000,
  maxGap: 10,
  modbusPort: 502,
  opcuaPort: 4840,
} as const;

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

function isModbusPoint(p: ModbusPointConfig | OpcuaPointConfig): p is ModbusPointConfig {
  return 'table' in p;
}

function parseEndpoint(
  endpoint: string,
  protocol: 'modbus' | 'opcua',
): { host: string; port: number } | string {
  const scheme = protocol === 'modbus' ? 'modbus+tcp:' : 'opc.tcp:';
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return `not a URL (expected ${scheme}//host:port)`;
  }
  if (url.protocol !== scheme) return `scheme must be ${scheme}// for a ${protocol} device, got ${url.protocol}//`;
  if (!url.hostname) return 'host is missing';
  const port = url.port ? Number(url.port) : protocol === 'modbus' ? DEFAULTS.modbusPort : DEFAULTS.opcuaPort;
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port };
}

function checkModbusPoint(p: ModbusPointConfig, path: string, problems: ConfigProblem[]): ModbusPointSpec {
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
  };
}

function resolveDevice(
  cfg: ConfigInput,
  stationId: string,
  d: DeviceConfig,
  path: string,
  problems: ConfigProblem[],
  templateSpecs: Map<string, ModbusPointSpec[]>,
): DeviceSpec | null {
  const template = d.template !== undefined ? cfg.templates?.[d.template] : undefined;
  if (d.template !== undefined && !template) {
    const known = Object.keys(cfg.templates ?? {});
    problems.push({
      path: `${path}.template`,
      message: `unknown template '${d.template}'${known.length ? ` (known: ${known.join(', ')})` : ''}`,
    });
    return null;
  }
  const protocol = d.protocol ?? template?.protocol ?? (d.endpoint.startsWith('opc.tcp:') ? 'opcua' : 'modbus');
  if (template && template.protocol !== protocol) {
    problems.push({ path: `${path}.protocol`, message: `template '${d.template}' is ${template.protocol}, device says ${protocol}` });
  }
  const ep = parseEndpoint(d.endpoint, protocol);
  if (typeof ep === 'string') problems.push({ path: `${path}.endpoint`, message: ep });
  const base = {
    station: stationId,
    id: d.id,
    endpoint: d.endpoint,
    host: typeof ep === 'string' ? '' : ep.host,
    port: typeof ep === 'string' ? 0 : ep.port,
    pollMs: d.pollMs ?? DEFAULTS.pollMs,
    timeoutMs: d.timeoutMs ?? DEFAULTS.timeoutMs,
  };
  const own = d.points ?? [];
  const all: Array<{ p: ModbusPointConfig | OpcuaPointConfig; path: string }> = [
    ...(template?.points ?? []).map((p, i) => ({ p, path: `templates.${d.template}.points[${i}]` })),
    ...own.map((p, i) => ({ p, path: `${path}.points[${i}]` })),
  ];
  if (all.length === 0) problems.push({ path: `${path}.points`, message: 'a device needs points or a template' });
  const seen = new Set<string>();
  for (const { p, path: pp } of all) {
    if (seen.has(p.id)) problems.push({ path: `${pp}.id`, message: `duplicate point id '${p.id}' in device ${stationId}.${d.id}` });
    seen.add(p.id);
  }
  if (protocol === 'modbus') {
    // a template's points are checked once and their specs shared by every device using it:
    // a city has thousands of devices on one template, and problems must be reported once
    let shared: ModbusPointSpec[] = [];
    if (template && d.template !== undefined) {
      let cached = templateSpecs.get(d.template);
      if (!cached) {
        cached = [];
        template.points.forEach((p, i) => cached!.push(checkModbusPoint(p, `templates.${d.template}.points[${i}]`, problems)));
        templateSpecs.set(d.template, cached);
      }
      shared = cached;
    }
    let points: ModbusPointSpec[] = shared;
    if (own.length) {
      points = [...shared];
      own.forEach((p, i) => {
        const pp = `${path}.points[${i}]`;
        if (!isModbusPoint(p)) problems.push({ path: pp, message: 'a modbus point needs table, address and type' });
        else points.push(checkModbusPoint(p, pp, problems));
      });
    }
    opcuaKeysOnModbus(d, path, problems);
    return { ...base, protocol, unit: d.unit ?? 1, maxGap: d.maxGap ?? DEFAULTS.maxGap, points };
  }
  if (d.unit !== undefined) problems.push({ path: `${path}.unit`, message: 'unit applies to modbus devices only' });
  const points: OpcuaPointConfig[] = [];
  for (const { p, path: pp } of all) {
    if (isModbusPoint(p)) problems.push({ path: pp, message: 'an opcua point needs nodeId, not table/address' });
    else {
      const bad = nodeIdProblem(p.nodeId);
      if (bad) problems.push({ path: `${pp}.nodeId`, message: bad });
      points.push(p);
    }
  }
  return { ...base, protocol: 'opcua', points, opcua: resolveOpcuaOptions(d, path, problems) };
}

/** Turns a schema-valid config into specs with defaults filled and cross-references checked. */
export function resolveConfig(cfg: ConfigInput, problems: ConfigProblem[]): ResolvedConfig {
  const templateSpecs = new Map<string, ModbusPointSpec[]>();
  const stations: ResolvedConfig['stations'] = [];
  const stationIds = new Set<string>();
  const ownSetback: Array<SetbackSchedule | false | undefined> = [];
  cfg.stations.forEach((s, si) => {
    const sp = `stations[${si}]`;
    if (stationIds.has(s.id)) problems.push({ path: `${sp}.id`, message: `duplicate station id '${s.id}'` });
    stationIds.add(s.id);
    if (s.curve) {
      for (let i = 1; i < s.curve.length; i++) {
        if (s.curve[i][0] <= s.curve[i - 1][0]) {
          problems.push({ path: `${sp}.curve[${i}]`, message: 'curve outdoor temperatures must increase' });
        }
      }
    }
    if (s.setback !== undefined && s.setback !== false) {
      const r = resolveSetback(s.setback, `${sp}.setback`);
      problems.push(...r.problems);
      ownSetback[si] = r.schedule ?? undefined;
    } else ownSetback[si] = s.setback;
    const deviceIds = new Set<string>();
    const devices: DeviceSpec[] = [];
    s.devices.forEach((d, di) => {
      const dp = `${sp}.devices[${di}]`;
      if (deviceIds.has(d.id)) problems.push({ path: `${dp}.id`, message: `duplicate device id '${d.id}' in station ${s.id}` });
      deviceIds.add(d.id);
      const spec = resolveDevice(cfg, s.id, d, dp, problems, templateSpecs);
      if (spec) devices.push(spec);
    });
    stations.push({
      id: s.id,
      name: s.name ?? s.id,
      ...(s.area !== undefined ? { area: s.area } : {}),
      ...(s.curve !== undefined ? { curve: s.curve as Array<[number, number]> } : {}),
      ...(s.heatingType !== undefined ? { heatingType: s.heatingType } : {}),
      ...(s.staticHeadMPa !== undefined ? { staticHeadMPa: s.staticHeadMPa } : {}),
      devices,
    });
  });

  (cfg.tickets?.addresses ?? []).forEach((a, i) => {
    if (!stationIds.has(a.station)) problems.push({ path: `tickets.addresses[${i}].station`, message: `unknown station '${a.station}'` });
  });
  const hookNames = new Set<string>();
  (cfg.tickets?.webhooks ?? []).forEach((w, i) => {
    if (hookNames.has(w.name)) problems.push({ path: `tickets.webhooks[${i}].name`, message: `duplicate webhook name '${w.name}'` });
    hookNames.add(w.name);
  });

  const tokens = cfg.auth?.tokens ?? [];
  const seenTokens = new Set<string>();
  tokens.forEach((t, i) => {
    if (seenTokens.has(t.token)) problems.push({ path: `auth.tokens[${i}].token`, message: 'duplicate token' });
    seenTokens.add(t.token);
  });

  const ops = resolveOperations(cfg.operations, {
    stations: stationIds,
    areas: new Set(stations.map((s) => s.area).filter((a): a is string => a !== undefined)),
  });
  problems.push(...ops.problems);
  stations.forEach((s, si) => {
    const sb = stationSetback(ownSetback[si], ops.settings.setback);
    if (sb) s.setback = sb;
  });

  return {
    site: { name: cfg.site?.name ?? 'heatwatch', timezone: cfg.site?.timezone ?? 'Asia/Shanghai' },
    storage: {
      series: cfg.storage?.series ?? { kind: 'sqlite', path: 'data/series.db' },
      state: cfg.storage?.state ?? { kind: 'sqlite', path: 'data/state.db' },
      spool: resolveSpool(cfg.storage),
    },
    ingest: {
      batchSize: cfg.ingest?.batchSize ?? 5000,
      maxDelayMs: cfg.ingest?.maxDelayMs ?? 500,
      queueLimit: cfg.ingest?.queueLimit ?? 2_000_000,
    },
    ...(cfg.mqtt
      ? { mqtt: resolveMqtt(cfg.mqtt, problems) }
      : {}),
    api: { host: cfg.api?.host ?? '127.0.0.1', port: cfg.api?.port ?? 8080 },
    opcua: { pkiDir: cfg.opcua?.pkiDir ?? 'data/pki' },
    stations,
    tokens,
    alarms: cfg.alarms,
    tickets: resolveTicketSettings(cfg.tickets),
    operations: ops.settings,
  };
}
