import type {
  ConfigInput,
  DeviceConfig,
  ModbusPointConfig,
  OpcuaPointConfig,
  RoleName,
  SeriesStorageConfig,
} from './schema.ts';
import { resolveTicketSettings, type TicketSettings } from '../tickets/config.ts';
import { resolveReportSettings, type ReportSettings } from '../reports/config.ts';
import { resolveNotify, type NotifySettings } from '../notify/config.ts';
import { resolveOperations, type OperationsSettings } from '../modes/config.ts';
import { resolveShifts, type ShiftSettings } from '../shifts/config.ts';
import { resolveSetback, stationSetback } from '../modes/setback-config.ts';
import type { SetbackSchedule } from '../alarms/setback.ts';
import { resolveMqtt, type MqttSettings } from '../bus/settings.ts';
import { resolveSpool, type SpoolSettings } from '../store/spool/settings.ts';
import { defaultIngestBatch } from '../ingest/defaults.ts';
import { resolveCluster, type ClusterSettings } from '../cluster/config.ts';
import type { StateStorageSettings } from '../state/config.ts';
import { nodeIdProblem, opcuaKeysOnModbus, resolveOpcuaClient, resolveOpcuaOptions, type OpcuaClientSettings, type OpcuaDeviceOptions } from '../adapters/opcua/options.ts';
import { resolveApiSettings, type ApiSettings } from '../api/config.ts';
import { resolveTokens, type TokenSpec } from '../api/tokens.ts';
import { MODBUS_DEFAULTS, resolveModbusDevice, type ModbusDeviceSettings, type ModbusPointSpec } from '../adapters/modbus/config.ts';
import type { PrecompiledRules } from '../alarms/config.ts';
import { resolveAnalytics, type AnalyticsSettings } from '../analytics/config.ts';
import { checkFacts, readFactsCsv, stationFacts, withCsvFacts, type StationFacts } from '../analytics/facts.ts';

/** A config problem: the path of the bad key in `stations[3].devices[0].endpoint` form and what is wrong. */
export interface ConfigProblem {
  path: string;
  message: string;
}

// the Modbus part of the config lives with its adapter
export { registerWidth, type ModbusPointSpec, type WordOrderName } from '../adapters/modbus/config.ts';

/**
 * What the schema check removed (src/config/load.ts), so that the checks here skip only what
 * they cannot judge: a device whose template failed the schema is not "unknown template".
 */
export interface Unchecked {
  /** objects and arrays of the input that lost a part to a schema problem */
  partial: WeakSet<object>;
  /** names the file defines, including those whose entries failed the schema */
  templates: ReadonlySet<string>;
  stations: ReadonlySet<string>;
  areas: ReadonlySet<string>;
}
const NOTHING_UNCHECKED: Unchecked = { partial: new WeakSet(), templates: new Set(), stations: new Set(), areas: new Set() };

interface DeviceBase {
  station: string;
  id: string;
  endpoint: string;
  host: string;
  port: number;
  pollMs: number;
  timeoutMs: number;
}

export interface ModbusDeviceSpec extends DeviceBase, ModbusDeviceSettings {
  protocol: 'modbus';
}

export interface OpcuaDeviceSpec extends DeviceBase {
  protocol: 'opcua';
  points: OpcuaPointConfig[];
  /** security, identity, mode, deadband, alarm import (src/adapters/opcua/options.ts) */
  opcua: OpcuaDeviceOptions;
}

export type DeviceSpec = ModbusDeviceSpec | OpcuaDeviceSpec;

/** A station; its facts (heated area, system volume, design temperatures, location) come from src/analytics/facts.ts. */
export interface StationSpec extends StationFacts {
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

export type { TokenSpec };

export interface ResolvedConfig {
  site: { name: string; timezone: string };
  storage: { series: SeriesStorageConfig; state: StateStorageSettings; spool?: SpoolSettings };
  ingest: { batchSize: number; maxDelayMs: number; queueLimit: number };
  mqtt?: MqttSettings;
  api: ApiSettings;
  /** OPC UA client PKI folder (own certificate, trusted server certificates) and message limits */
  opcua: OpcuaClientSettings;
  stations: StationSpec[];
  tokens: TokenSpec[];
  alarms: ConfigInput['alarms'];
  tickets: TicketSettings;
  /** service reports and the ticket export (src/reports/config.ts) */
  reports: ReportSettings;
  /** teams, notification channels, SMTP (src/notify/config.ts) */
  notify: NotifySettings;
  operations: OperationsSettings;
  /** the dispatchers' shift starts (src/shifts/config.ts) */
  shifts: ShiftSettings;
  /** degree-day base, outlier rule, district outlines, report schedule (src/analytics/config.ts) */
  analytics: AnalyticsSettings;
  /** a serve instance's part in a cluster (src/cluster/config.ts); used when the state is in PostgreSQL */
  cluster: ClusterSettings;
  /** the alarm rules validateConfig compiled (src/alarms/config.ts); not enumerable */
  readonly alarmRules?: PrecompiledRules;
}

export const DEFAULTS = {
  pollMs: 5000,
  timeoutMs: 2000,
  maxGap: MODBUS_DEFAULTS.maxGap,
  modbusPort: MODBUS_DEFAULTS.port,
  opcuaPort: 4840,
} as const;

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

function resolveDevice(
  cfg: ConfigInput,
  stationId: string,
  d: DeviceConfig,
  path: string,
  problems: ConfigProblem[],
  templateSpecs: Map<string, ModbusPointSpec[]>,
  unchecked: Unchecked,
): DeviceSpec | null {
  const template = d.template !== undefined ? cfg.templates?.[d.template] : undefined;
  if (d.template !== undefined && !template) {
    // the template is in the file but failed the schema: reported there, nothing to check here
    if (unchecked.templates.has(d.template)) return null;
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
  const lostPoints = d.points === undefined ? unchecked.partial.has(d) : unchecked.partial.has(d.points);
  if (all.length === 0 && !lostPoints && !(template && unchecked.partial.has(template.points))) {
    problems.push({ path: `${path}.points`, message: 'a device needs points or a template' });
  }
  const seen = new Set<string>();
  for (const { p, path: pp } of all) {
    if (seen.has(p.id)) problems.push({ path: `${pp}.id`, message: `duplicate point id '${p.id}' in device ${stationId}.${d.id}` });
    seen.add(p.id);
  }
  if (protocol === 'modbus') {
    const shared = template && d.template !== undefined ? { name: d.template, points: template.points } : undefined;
    const modbus = resolveModbusDevice({ unit: d.unit, maxGap: d.maxGap, inFlight: d.inFlight, points: d.points, template: shared }, path, problems, templateSpecs);
    opcuaKeysOnModbus(d, path, problems);
    return { ...base, protocol, ...modbus };
  }
  for (const key of ['unit', 'maxGap', 'inFlight'] as const) {
    if (d[key] !== undefined) problems.push({ path: `${path}.${key}`, message: `${key} applies to modbus devices only` });
  }
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

/**
 * Turns a schema-valid config into specs with defaults filled and cross-references checked.
 * `unchecked`: what the schema check removed from `cfg`, when it was run on the valid rest.
 */
export function resolveConfig(cfg: ConfigInput, problems: ConfigProblem[], unchecked: Unchecked = NOTHING_UNCHECKED): ResolvedConfig {
  const templateSpecs = new Map<string, ModbusPointSpec[]>();
  const stations: ResolvedConfig['stations'] = [];
  const stationIds = new Set<string>();
  const ownSetback: Array<SetbackSchedule | false | undefined> = [];
  // station facts from the CSV fill what the entries leave out
  const factsCsv = readFactsCsv(cfg.analytics?.factsCsv, problems);
  cfg.stations.forEach((entry, si) => {
    const s = withCsvFacts(entry, factsCsv.get(entry.id));
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
      const spec = resolveDevice(cfg, s.id, d, dp, problems, templateSpecs, unchecked);
      if (spec) devices.push(spec);
    });
    stations.push({
      id: s.id,
      name: s.name ?? s.id,
      ...(s.area !== undefined ? { area: s.area } : {}),
      ...(s.curve !== undefined ? { curve: s.curve as Array<[number, number]> } : {}),
      ...(s.heatingType !== undefined ? { heatingType: s.heatingType } : {}),
      ...(s.staticHeadMPa !== undefined ? { staticHeadMPa: s.staticHeadMPa } : {}),
      ...stationFacts(s),
      devices,
    });
  });
  checkFacts(stations, factsCsv, new Set([...stationIds, ...unchecked.stations]), problems);

  (cfg.tickets?.addresses ?? []).forEach((a, i) => {
    if (!stationIds.has(a.station) && !unchecked.stations.has(a.station)) problems.push({ path: `tickets.addresses[${i}].station`, message: `unknown station '${a.station}'` });
  });
  const hookNames = new Set<string>();
  (cfg.tickets?.webhooks ?? []).forEach((w, i) => {
    if (hookNames.has(w.name)) problems.push({ path: `tickets.webhooks[${i}].name`, message: `duplicate webhook name '${w.name}'` });
    hookNames.add(w.name);
  });

  // tokenEnv names a variable of this process's environment (src/api/tokens.ts)
  const tokens = resolveTokens(cfg.auth?.tokens ?? [], problems, process.env);
  const api = resolveApiSettings(cfg.api, problems);

  const ops = resolveOperations(cfg.operations, {
    stations: new Set([...stationIds, ...unchecked.stations]),
    areas: new Set([...stations.map((s) => s.area).filter((a): a is string => a !== undefined), ...unchecked.areas]),
  });
  problems.push(...ops.problems);
  stations.forEach((s, si) => {
    const sb = stationSetback(ownSetback[si], ops.settings.setback);
    if (sb) s.setback = sb;
  });

  const series: SeriesStorageConfig = cfg.storage?.series ?? { kind: 'sqlite', path: 'data/series.db' };
  return {
    site: { name: cfg.site?.name ?? 'heatwatch', timezone: cfg.site?.timezone ?? 'Asia/Shanghai' },
    storage: {
      series,
      state: cfg.storage?.state ?? { kind: 'sqlite', path: 'data/state.db' },
      spool: resolveSpool(cfg.storage),
    },
    ingest: {
      // big enough to fill every write the store keeps in flight (InfluxDB: writeBatch × writeConcurrency)
      batchSize: cfg.ingest?.batchSize ?? defaultIngestBatch(series),
      maxDelayMs: cfg.ingest?.maxDelayMs ?? 500,
      queueLimit: cfg.ingest?.queueLimit ?? 2_000_000,
    },
    ...(cfg.mqtt
      ? { mqtt: resolveMqtt(cfg.mqtt, problems) }
      : {}),
    api,
    opcua: resolveOpcuaClient(cfg.opcua),
    stations,
    tokens,
    alarms: cfg.alarms,
    tickets: resolveTicketSettings(cfg.tickets),
    reports: resolveReportSettings(cfg.reports),
    notify: resolveNotify(cfg.notify, { areas: new Set([...stations.map((s) => s.area).filter((a): a is string => a !== undefined), ...unchecked.areas]), webhooks: hookNames, partial: unchecked.partial }, problems, process.env),
    operations: ops.settings,
    shifts: resolveShifts(cfg.shifts, problems),
    analytics: resolveAnalytics(cfg.analytics, { areas: new Set([...stations.map((s) => s.area).filter((a): a is string => a !== undefined), ...unchecked.areas]) }, problems),
    cluster: resolveCluster(cfg.cluster, api.port, problems),
  };
}
