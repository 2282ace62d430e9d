import { existsSync } from 'node:fs';
import type { ConfigInput } from '../config/schema.ts';
import { LEASE_DEFAULTS, type LeaseTiming } from './lease.ts';

/** TLS for mqtts:// and wss://: PEM file paths (read when the client connects). */
export interface MqttTlsSettings {
  ca?: string;
  cert?: string;
  key?: string;
  rejectUnauthorized: boolean;
}

/** The `mqtt` section with defaults filled in. */
export interface MqttSettings {
  url: string;
  prefix: string;
  qos: 0 | 1 | 2;
  clientId?: string;
  /** broker credentials; they take precedence over any in the URL, which is never logged whole */
  username?: string;
  password?: string;
  tls?: MqttTlsSettings;
  bufferMessages: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** serve: larger telemetry, status or presence messages are dropped and counted (default {@link MQTT_DEFAULTS}) */
  maxMessageBytes?: number;
  /** serve: a telemetry ts further ahead of this clock is dropped: a collector's clock or time zone gone wrong */
  maxFutureMs?: number;
  /** serve: the N of `collect --shard K/N`; presence only from shard-1-of-N … shard-N-of-N (any N when absent) */
  shards?: number;
  /** collect: the lease that lets a standby collector take over its shard (./lease.ts) */
  lease?: LeaseTiming;
}

export const MQTT_DEFAULTS = { maxMessageBytes: 256 * 1024, maxFutureMs: 300_000 };

/** `mqtt://user:secret@host:1883/` → `mqtt://host:1883/`: the URL as it may appear in logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (!u.username && !u.password) return url;
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    // not parseable: drop anything before an '@' in the authority rather than risk a secret
    return url.replace(/\/\/[^/@]*@/, '//');
  }
}

export function resolveMqtt(m: NonNullable<ConfigInput['mqtt']>, problems: Array<{ path: string; message: string }>): MqttSettings {
  if (!/^(mqtts?|wss?|tcp):\/\//.test(m.url)) problems.push({ path: 'mqtt.url', message: `expected mqtt://host:port (or mqtts, ws, wss), got '${redactUrl(m.url)}'` });
  const prefix = m.prefix ?? 'heat';
  if (/[#+]/.test(prefix) || prefix.startsWith('/') || prefix.endsWith('/')) {
    problems.push({ path: 'mqtt.prefix', message: `a topic prefix without wildcards or leading/trailing '/', got '${prefix}'` });
  }
  const reconnectMinMs = m.reconnectMinMs ?? 500;
  const reconnectMaxMs = m.reconnectMaxMs ?? 30_000;
  if (reconnectMaxMs < reconnectMinMs) problems.push({ path: 'mqtt.reconnectMaxMs', message: `must be ≥ reconnectMinMs (${reconnectMinMs})` });
  // MQTT 3.1.1 §3.1.2.9: a password without a user name is a protocol violation
  if (m.password !== undefined && m.username === undefined) problems.push({ path: 'mqtt.password', message: 'needs mqtt.username' });
  const lease = { ...LEASE_DEFAULTS, ...m.lease };
  if (lease.lostAfterMs < 3 * lease.heartbeatMs) problems.push({ path: 'mqtt.lease.lostAfterMs', message: `must be at least 3 × heartbeatMs (${3 * lease.heartbeatMs})` });
  let tls: MqttTlsSettings | undefined;
  if (m.tls) {
    if (!/^(mqtts|wss):\/\//.test(m.url)) problems.push({ path: 'mqtt.tls', message: `applies to mqtts:// and wss:// only, the url is '${redactUrl(m.url)}'` });
    if ((m.tls.cert === undefined) !== (m.tls.key === undefined)) problems.push({ path: 'mqtt.tls', message: 'cert and key go together (client certificate)' });
    for (const k of ['ca', 'cert', 'key'] as const) {
      const f = m.tls[k];
      if (f !== undefined && !existsSync(f)) problems.push({ path: `mqtt.tls.${k}`, message: `no such file '${f}'` });
    }
    tls = {
      ...(m.tls.ca !== undefined ? { ca: m.tls.ca } : {}),
      ...(m.tls.cert !== undefined ? { cert: m.tls.cert } : {}),
      ...(m.tls.key !== undefined ? { key: m.tls.key } : {}),
      rejectUnauthorized: m.tls.rejectUnauthorized ?? true,
    };
  }
  return {
    url: m.url,
    prefix,
    qos: m.qos ?? 0,
    ...(m.clientId !== undefined ? { clientId: m.clientId } : {}),
    ...(m.username !== undefined ? { username: m.username } : {}),
    ...(m.password !== undefined ? { password: m.password } : {}),
    ...(tls ? { tls } : {}),
    bufferMessages: m.bufferMessages ?? 10_000,
    reconnectMinMs,
    reconnectMaxMs,
    maxMessageBytes: m.maxMessageBytes ?? MQTT_DEFAULTS.maxMessageBytes,
    maxFutureMs: m.maxFutureMs ?? MQTT_DEFAULTS.maxFutureMs,
    ...(m.shards !== undefined ? { shards: m.shards } : {}),
    lease,
  };
}
