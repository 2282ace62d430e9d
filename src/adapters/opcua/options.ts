/**
 * OPC UA device options: defaults and cross-key checks (pure; no node-opcua import, so that
 * `check-config` stays quick). Called by the config resolver for every opcua device.
 *
 * @example
 * const problems: ConfigProblem[] = [];
 * resolveOpcuaOptions({ id: 'ua', endpoint: 'opc.tcp://h:4840', securityMode: 'Sign' }, 'stations[0].devices[0]', problems);
 * // → { securityMode: 'Sign', securityPolicy: 'Basic256Sha256', mode: 'subscribe', alarms: 'none' }
 */
import Type, { type Static } from 'typebox';
import type { DeviceConfig } from '../../config/schema.ts';

export type OpcuaSecurityMode = 'None' | 'Sign' | 'SignAndEncrypt';
export type OpcuaSecurityPolicyName = 'None' | 'Basic256Sha256' | 'Aes128_Sha256_RsaOaep' | 'Aes256_Sha256_RsaPss';

export interface OpcuaDeviceOptions {
  securityMode: OpcuaSecurityMode;
  securityPolicy: OpcuaSecurityPolicyName;
  username?: string;
  password?: string;
  /** path of a PEM/DER server certificate to add to the trusted store at start */
  serverCertificate?: string;
  mode: 'subscribe' | 'poll';
  deadband?: { type: 'absolute' | 'percent'; value: number };
  /**
   * DataChangeFilter trigger (subscribe mode): 'StatusValue' (OPC UA default: report changes),
   * or 'StatusValueTimestamp' (also report a new source timestamp at an unchanged value: every
   * sample the server takes is stored, as a Modbus poll would). Not a config key yet (bench).
   */
  trigger?: 'StatusValue' | 'StatusValueTimestamp';
  alarms: 'import' | 'none';
}

interface Problem {
  path: string;
  message: string;
}

/** `opcua:` — client settings shared by every opcua device. */
export const OpcuaClientConfig = Type.Object(
  {
    /** client PKI folder (own certificate, trusted servers); default data/pki */
    pkiDir: Type.Optional(Type.String({ minLength: 1 })),
    /** largest message the client accepts, bytes (default 4 MiB) */
    maxMessageSize: Type.Optional(Type.Integer({ minimum: 65_536, maximum: 256 * 2 ** 20 })),
    /** most chunks one message may come in (default 512) */
    maxChunkCount: Type.Optional(Type.Integer({ minimum: 1, maximum: 65_536 })),
  },
  { additionalProperties: false },
);

export interface OpcuaClientSettings {
  pkiDir: string;
  maxMessageSize: number;
  maxChunkCount: number;
}

/**
 * A server (or something posing as one) must not make the client buffer without bound. The
 * defaults are those of the OPC Foundation's .NET stack: 4 MiB, i.e. 512 chunks of 8 KiB.
 */
export function resolveOpcuaClient(c: Static<typeof OpcuaClientConfig> | undefined): OpcuaClientSettings {
  return { pkiDir: c?.pkiDir ?? 'data/pki', maxMessageSize: c?.maxMessageSize ?? 4 * 2 ** 20, maxChunkCount: c?.maxChunkCount ?? 512 };
}

/** Device keys that only mean something for OPC UA. */
export const OPCUA_ONLY_KEYS = [
  'securityMode',
  'securityPolicy',
  'username',
  'password',
  'serverCertificate',
  'mode',
  'deadband',
  'alarms',
] as const;

/**
 * A node id as OPC UA writes it: `ns=<n>;` or `nsu=<uri>;` (optional) then `i=`, `s=`, `g=` or `b=`.
 * Returns an error message, or null when the syntax is right.
 */
export function nodeIdProblem(nodeId: string): string | null {
  const m = /^(?:(?:ns=(\d+)|nsu=([^;]+));)?([isgb])=(.+)$/s.exec(nodeId);
  if (!m) return `'${nodeId}' is not a node id (expected e.g. ns=1;s=hs-001.t_sec_supply, i=2258 or nsu=urn:x;s=name)`;
  if (m[1] !== undefined && Number(m[1]) > 65535) return `namespace index ${m[1]} is above 65535`;
  if (m[3] === 'i' && !/^\d+$/.test(m[4])) return `numeric node id '${m[4]}' is not a whole number`;
  if (m[3] === 'g' && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(m[4])) return `'${m[4]}' is not a GUID`;
  return null;
}

/** Fills OPC UA defaults and reports inconsistent keys, each by its path. */
export function resolveOpcuaOptions(d: DeviceConfig, path: string, problems: Problem[]): OpcuaDeviceOptions {
  const securityMode = d.securityMode ?? 'None';
  const securityPolicy = d.securityPolicy ?? (securityMode === 'None' ? 'None' : 'Basic256Sha256');
  if (securityMode === 'None' && securityPolicy !== 'None') {
    problems.push({ path: `${path}.securityPolicy`, message: `securityMode None takes no policy (got ${securityPolicy}); use Sign or SignAndEncrypt` });
  }
  if (securityMode !== 'None' && securityPolicy === 'None') {
    problems.push({ path: `${path}.securityPolicy`, message: `securityMode ${securityMode} needs a policy such as Basic256Sha256, not None` });
  }
  if (d.password !== undefined && d.username === undefined) {
    problems.push({ path: `${path}.password`, message: 'password without username' });
  }
  if (d.username !== undefined && d.password === undefined) {
    problems.push({ path: `${path}.username`, message: 'username without password' });
  }
  if (d.password !== undefined && securityMode === 'None') {
    // with no secure channel the user token, password included, crosses the network in clear
    problems.push({ path: `${path}.password`, message: 'a password with securityMode None would cross the network in clear; use securityMode SignAndEncrypt (or Sign)' });
  }
  if (d.serverCertificate !== undefined && securityMode === 'None') {
    problems.push({ path: `${path}.serverCertificate`, message: 'serverCertificate is used only with securityMode Sign or SignAndEncrypt' });
  }
  if (d.deadband?.type === 'percent' && d.deadband.value > 100) {
    problems.push({ path: `${path}.deadband.value`, message: `a percent deadband is 0..100, got ${d.deadband.value}` });
  }
  if (d.deadband && d.mode === 'poll') {
    problems.push({ path: `${path}.deadband`, message: 'deadband applies to mode subscribe, not poll' });
  }
  return {
    securityMode,
    securityPolicy,
    ...(d.username !== undefined ? { username: d.username } : {}),
    ...(d.password !== undefined ? { password: d.password } : {}),
    ...(d.serverCertificate !== undefined ? { serverCertificate: d.serverCertificate } : {}),
    mode: d.mode ?? 'subscribe',
    ...(d.deadband ? { deadband: { type: d.deadband.type, value: d.deadband.value } } : {}),
    alarms: d.alarms ?? 'none',
  };
}

/** Problems for OPC UA keys set on a modbus device. */
export function opcuaKeysOnModbus(d: DeviceConfig, path: string, problems: Problem[]): void {
  for (const k of OPCUA_ONLY_KEYS) {
    if (d[k] !== undefined) problems.push({ path: `${path}.${k}`, message: `${k} applies to opcua devices only` });
  }
}
