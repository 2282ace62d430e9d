import Type, { type Static } from 'typebox';
import { ID_PATTERN } from '../model.ts';
import { TicketsConfig } from '../tickets/config.ts';
import { ReportsConfig } from '../reports/config.ts';
import { NotifyConfig } from '../notify/config.ts';
import { AlarmRule } from '../alarms/rule-schema.ts';
import { OperationsConfig } from '../modes/config.ts';
import { ShiftsConfig } from '../shifts/config.ts';
import { SetbackInput } from '../modes/setback-config.ts';
import { ClusterConfig } from '../cluster/config.ts';
import { StateStorageConfig } from '../state/config.ts';
import { OpcuaClientConfig } from '../adapters/opcua/options.ts';
import { ApiConfig } from '../api/config.ts';
import { AnalyticsConfig, CounterPointKeys, StationFactKeys } from '../analytics/config.ts';
import { ModbusDeviceKeys, ModbusPoint as ModbusRegisterPoint, ModbusTable, ModbusType, WordOrder } from '../adapters/modbus/config.ts';

export { ModbusTable, ModbusType, WordOrder };

/**
 * The configuration schema (DESIGN §3). Types derive from it; unknown keys are
 * errors everywhere, so a misspelt key never silently falls back to a default.
 */
const strict = { additionalProperties: false } as const;
const Id = Type.String({ pattern: ID_PATTERN, minLength: 1, maxLength: 64 });

/**
 * How finely the embedded store keeps a float point's values (docs/historian.md): a stored
 * value is within resolution / 2 of the one read. Default by unit (src/store/codec/spec.ts).
 * Integer registers are stored exactly whatever it says.
 */
const StorageKeys = {
  resolution: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1_000_000 })),
};

/** A Modbus point: the adapter's register keys and the store's. */
export const ModbusPoint = Type.Object({ ...ModbusRegisterPoint.properties, ...StorageKeys }, strict);

const PointCommon = {
  ...StorageKeys,
  id: Id,
  name: Type.Optional(Type.String({ maxLength: 200 })),
  unit: Type.Optional(Type.String({ maxLength: 32 })),
  /** a cumulative counter (src/analytics/config.ts) */
  ...CounterPointKeys,
};

export const OpcuaPoint = Type.Object(
  {
    ...PointCommon,
    nodeId: Type.String({ minLength: 1 }),
  },
  strict,
);

export const OpcuaSecurityPolicy = Type.Union([
  Type.Literal('None'),
  Type.Literal('Basic256Sha256'),
  Type.Literal('Aes128_Sha256_RsaOaep'),
  Type.Literal('Aes256_Sha256_RsaPss'),
]);

export const Template = Type.Object(
  {
    protocol: Type.Literal('modbus'),
    description: Type.Optional(Type.String()),
    points: Type.Array(ModbusPoint, { minItems: 1 }),
  },
  strict,
);

export const Device = Type.Object(
  {
    id: Id,
    template: Type.Optional(Id),
    protocol: Type.Optional(Type.Union([Type.Literal('modbus'), Type.Literal('opcua')])),
    /** `modbus+tcp://host:port` or `opc.tcp://host:port` */
    endpoint: Type.String({ minLength: 1 }),
    // ---- Modbus only: unit, maxGap, inFlight (src/adapters/modbus/config.ts) ----
    ...ModbusDeviceKeys,
    pollMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 3_600_000 })),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 50, maximum: 60_000 })),
    points: Type.Optional(Type.Array(Type.Union([ModbusPoint, OpcuaPoint]))),
    // ---- OPC UA only (src/adapters/opcua/README.md) ----
    securityMode: Type.Optional(Type.Union([Type.Literal('None'), Type.Literal('Sign'), Type.Literal('SignAndEncrypt')])),
    securityPolicy: Type.Optional(OpcuaSecurityPolicy),
    username: Type.Optional(Type.String({ minLength: 1 })),
    password: Type.Optional(Type.String()),
    /** PEM/DER file of the server certificate to trust (else `heatwatch trust` must have stored it) */
    serverCertificate: Type.Optional(Type.String({ minLength: 1 })),
    /** subscribe (monitored items, default) or poll (batched Read every pollMs) */
    mode: Type.Optional(Type.Union([Type.Literal('subscribe'), Type.Literal('poll')])),
    deadband: Type.Optional(
      Type.Object({ type: Type.Union([Type.Literal('absolute'), Type.Literal('percent')]), value: Type.Number({ minimum: 0 }) }, strict),
    ),
    /** import: subscribe to the server's Alarms & Conditions events */
    alarms: Type.Optional(Type.Literal('import')),
  },
  strict,
);

export const CurvePoint = Type.Tuple([Type.Number(), Type.Number()]);

export const Station = Type.Object(
  {
    id: Id,
    name: Type.Optional(Type.String({ maxLength: 200 })),
    area: Type.Optional(Type.String({ maxLength: 100 })),
    /** weather-compensation curve: (outdoor °C, secondary supply setpoint °C) pairs */
    curve: Type.Optional(Type.Array(CurvePoint, { minItems: 2 })),
    /** radiators (ΔT 15–25 K) or floor heating (ΔT 2–10 K, supply ≤ 60 °C); the default alarm limits follow it */
    heatingType: Type.Optional(Type.Union([Type.Literal('radiator'), Type.Literal('floor')])),
    /** static head (building height) in MPa, one number or one per pressure zone; the secondary pressure limits follow it */
    staticHeadMPa: Type.Optional(Type.Union([Type.Number({ minimum: 0, maximum: 2 }), Type.Array(Type.Number({ minimum: 0, maximum: 2 }), { minItems: 1, maxItems: 4 })])),
    /** this station's setback schedule instead of `operations.setback`, or false: its PLC does no setback */
    setback: Type.Optional(Type.Union([SetbackInput, Type.Literal(false)])),
    /** heated area, system volume, design temperatures, location (src/analytics/config.ts) */
    ...StationFactKeys,
    devices: Type.Array(Device, { minItems: 1 }),
  },
  strict,
);

export const Role = Type.Union([
  Type.Literal('viewer'),
  Type.Literal('operator'),
  Type.Literal('engineer'),
  Type.Literal('admin'),
  /** QA review: writes like an operator; the only role besides admin that verifies a ticket */
  Type.Literal('qa'),
  /** shift lead (值班长): writes like an operator; with admin, edits the on-call roster */
  Type.Literal('supervisor'),
]);

export const SeriesStorage = Type.Union([
  Type.Object(
    {
      kind: Type.Literal('sqlite'),
      path: Type.String({ minLength: 1 }),
      /** days of raw samples kept; rollups are kept 10× longer */
      retentionDays: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    },
    strict,
  ),
  Type.Object(
    {
      kind: Type.Literal('influxdb'),
      url: Type.String({ minLength: 1 }),
      database: Type.String({ minLength: 1 }),
      username: Type.Optional(Type.String()),
      password: Type.Optional(Type.String()),
      retentionDays: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
      /** true (default): retention policy durations enforce retention in influxd; false: INF policies, applyRetention deletes */
      serverRetention: Type.Optional(Type.Boolean()),
      /** lines (device polls) per HTTP write (default 1000) and writes in flight (default 4) */
      writeBatch: Type.Optional(Type.Integer({ minimum: 100, maximum: 100_000 })),
      writeConcurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 32 })),
      timeoutMs: Type.Optional(Type.Integer({ minimum: 500, maximum: 300_000 })),
    },
    strict,
  ),
]);

/** Store-and-forward spool between ingest and the series store (src/store/spool). */
export const SpoolStorage = Type.Object(
  {
    /** default: on for influxdb, off for sqlite */
    enabled: Type.Optional(Type.Boolean()),
    /** default: spool.db beside storage.state.path */
    path: Type.Optional(Type.String({ minLength: 1 })),
    /** size bound in MiB (default 1024); past it the oldest samples are dropped and counted */
    maxMB: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1_048_576 })),
    /** age bound in hours (default 168 = 7 days) */
    maxAgeHours: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 87_600 })),
  },
  strict,
);

export const Config = Type.Object(
  {
    site: Type.Optional(
      Type.Object({ name: Type.String(), timezone: Type.Optional(Type.String()) }, strict),
    ),
    storage: Type.Optional(
      Type.Object(
        {
          series: Type.Optional(SeriesStorage),
          state: Type.Optional(StateStorageConfig),
          spool: Type.Optional(SpoolStorage),
        },
        strict,
      ),
    ),
    ingest: Type.Optional(
      Type.Object(
        {
          batchSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
          maxDelayMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 60_000 })),
          /** samples held in memory while the store is behind; beyond it the oldest are dropped and counted */
          queueLimit: Type.Optional(Type.Integer({ minimum: 1000, maximum: 50_000_000 })),
        },
        strict,
      ),
    ),
    mqtt: Type.Optional(
      Type.Object(
        {
          url: Type.String({ minLength: 1 }),
          prefix: Type.Optional(Type.String({ minLength: 1 })),
          qos: Type.Optional(Type.Union([Type.Literal(0), Type.Literal(1), Type.Literal(2)])),
          /** default heatwatch-<command>-<shard>-<pid> */
          clientId: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
          /** messages held while disconnected (default 10000); past it the oldest are dropped and counted */
          bufferMessages: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000_000 })),
          /** reconnect backoff: first delay and cap, ms (defaults 500 and 30000) */
          reconnectMinMs: Type.Optional(Type.Integer({ minimum: 50, maximum: 600_000 })),
          reconnectMaxMs: Type.Optional(Type.Integer({ minimum: 50, maximum: 3_600_000 })),
          /** broker credentials (src/bus/settings.ts); kept out of the url so logs never carry them */
          username: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
          password: Type.Optional(Type.String({ maxLength: 1024 })),
          /** for mqtts:// and wss://: PEM file paths */
          tls: Type.Optional(
            Type.Object(
              {
                ca: Type.Optional(Type.String({ minLength: 1 })),
                cert: Type.Optional(Type.String({ minLength: 1 })),
                key: Type.Optional(Type.String({ minLength: 1 })),
                rejectUnauthorized: Type.Optional(Type.Boolean()),
              },
              strict,
            ),
          ),
          /** serve: input limits (default 256 KiB; 300000 ms ahead) and the collectors' shard count N */
          maxMessageBytes: Type.Optional(Type.Integer({ minimum: 1024, maximum: 256 * 2 ** 20 })),
          maxFutureMs: Type.Optional(Type.Integer({ minimum: 1000, maximum: 86_400_000 })),
          shards: Type.Optional(Type.Integer({ minimum: 1, maximum: 1024 })),
          /** collect: the shard's lease between a collector and its standby (src/bus/lease.ts); defaults 2000, 8000, 1000 ms */
          lease: Type.Optional(
            Type.Object(
              {
                heartbeatMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 60_000 })),
                lostAfterMs: Type.Optional(Type.Integer({ minimum: 300, maximum: 600_000 })),
                settleMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 60_000 })),
              },
              strict,
            ),
          ),
        },
        strict,
      ),
    ),
    /** listen address, TLS, /ws limits, failed-token limit (src/api/config.ts) */
    api: Type.Optional(ApiConfig),
    /** OPC UA client settings shared by every opcua device: PKI folder, message size limits (src/adapters/opcua/options.ts) */
    opcua: Type.Optional(OpcuaClientConfig),
    templates: Type.Optional(Type.Record(Type.String({ pattern: ID_PATTERN }), Template)),
    stations: Type.Array(Station),
    /** alarm rules; merged over the shipped defaults by id (src/alarms/default-rules.ts) */
    alarms: Type.Optional(Type.Array(AlarmRule)),
    tickets: Type.Optional(TicketsConfig),
    /** service reports and the ticket export (src/reports/config.ts) */
    reports: Type.Optional(ReportsConfig),
    /** teams, notification channels and SMTP; the roster is edited at runtime (src/notify/config.ts) */
    notify: Type.Optional(NotifyConfig),
    /** heating season, attended hours, planned stops (src/modes/config.ts) */
    operations: Type.Optional(OperationsConfig),
    /** when the dispatchers' shifts begin, HH:MM in the site's time zone (src/shifts/config.ts) */
    shifts: Type.Optional(ShiftsConfig),
    /** degree-day base, outlier rule, station facts CSV, district outlines, report schedule (src/analytics/config.ts) */
    analytics: Type.Optional(AnalyticsConfig),
    /** several serve instances sharing the state in PostgreSQL (src/cluster/config.ts) */
    cluster: Type.Optional(ClusterConfig),
    auth: Type.Optional(
      Type.Object(
        {
          tokens: Type.Array(
            // exactly one of token, tokenEnv (an environment variable's name) or sha256 (hex digest): src/api/tokens.ts
            Type.Object(
              {
                name: Type.String({ minLength: 1 }),
                token: Type.Optional(Type.String({ minLength: 1 })),
                tokenEnv: Type.Optional(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' })),
                sha256: Type.Optional(Type.String({ pattern: '^[0-9a-fA-F]{64}$' })),
                role: Role,
              },
              strict,
            ),
          ),
        },
        strict,
      ),
    ),
  },
  strict,
);

export type ConfigInput = Static<typeof Config>;
export type ModbusPointConfig = Static<typeof ModbusPoint>;
export type OpcuaPointConfig = Static<typeof OpcuaPoint>;
export type DeviceConfig = Static<typeof Device>;
export type StationConfig = Static<typeof Station>;
export type TemplateConfig = Static<typeof Template>;
export type RoleName = Static<typeof Role>;
export type SeriesStorageConfig = Static<typeof SeriesStorage>;
export type SpoolStorageConfig = Static<typeof SpoolStorage>;
