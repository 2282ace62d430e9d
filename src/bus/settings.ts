import type { ConfigInput } from '../config/schema.ts';

/** The `mqtt` section with defaults filled in. */
export interface MqttSettings {
  url: string;
  prefix: string;
  qos: 0 | 1 | 2;
  clientId?: string;
  bufferMessages: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
}

export function resolveMqtt(m: NonNullable<ConfigInput['mqtt']>, problems: Array<{ path: string; message: string }>): MqttSettings {
  if (!/^(mqtts?|wss?|tcp):\/\//.test(m.url)) problems.push({ path: 'mqtt.url', message: `expected mqtt://host:port (or mqtts, ws, wss), got '${m.url}'` });
  const prefix = m.prefix ?? 'heat';
  if (/[#+]/.test(prefix) || prefix.startsWith('/') || prefix.endsWith('/')) {
    problems.push({ path: 'mqtt.prefix', message: `a topic prefix without wildcards or leading/trailing '/', got '${prefix}'` });
  }
  const reconnectMinMs = m.reconnectMinMs ?? 500;
  const reconnectMaxMs = m.reconnectMaxMs ?? 30_000;
  if (reconnectMaxMs < reconnectMinMs) problems.push({ path: 'mqtt.reconnectMaxMs', message: `must be ≥ reconnectMinMs (${reconnectMinMs})` });
  return {
    url: m.url,
    prefix,
    qos: m.qos ?? 0,
    ...(m.clientId !== undefined ? { clientId: m.clientId } : {}),
    bufferMessages: m.bufferMessages ?? 10_000,
    reconnectMinMs,
    reconnectMaxMs,
  };
}
