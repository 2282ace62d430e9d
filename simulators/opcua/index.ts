/**
 * Wiring of the OPC UA server into the simulator (kept here so simulators/index.ts only calls it).
 *
 * @example
 * const sim = await startSimulator({ stations: 20, opcua: { port: 4840, every: 4 } });
 * sim.opcua?.endpointUrl;   // opc.tcp://127.0.0.1:4840, serving hs-004, hs-008, ...
 * sim.configYaml();          // those stations get an opcua device, the rest modbus
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TemplateConfig } from '../../src/config/schema.ts';
import type { Network } from '../model.ts';
import { OpcuaSimServer } from './server.ts';

export { OpcuaSimServer } from './server.ts';
export { SIM_ALARMS, type SimConditionState } from './conditions.ts';

export interface SimOpcuaOptions {
  /** 0 = ephemeral (default) */
  port?: number;
  /** serve every Nth station over OPC UA (hs-004, hs-008 … for 4); default 1 = all */
  every?: number;
  /** the server's PKI folder; default a new temp folder */
  pkiDir?: string;
  users?: Record<string, string>;
  allowAnonymous?: boolean;
}

/** True when station `index` (0-based) is served over OPC UA. */
export function servedOverOpcua(index: number, every: number): boolean {
  return (index + 1) % every === 0;
}

export async function startOpcuaSim(
  o: SimOpcuaOptions,
  network: Network,
  stations: Array<{ index: number; id: string; name: string }>,
  template: TemplateConfig,
  host: string,
): Promise<OpcuaSimServer> {
  const every = o.every ?? 1;
  if (!Number.isInteger(every) || every < 1) throw new Error(`opcua.every must be a whole number ≥ 1, got ${every}`);
  const server = new OpcuaSimServer({
    network,
    stations: stations.filter((s) => servedOverOpcua(s.index, every)),
    template,
    port: o.port ?? 0,
    host,
    pkiDir: o.pkiDir ?? mkdtempSync(join(tmpdir(), 'heatwatch-sim-pki-')),
    ...(o.users ? { users: o.users } : {}),
    ...(o.allowAnonymous !== undefined ? { allowAnonymous: o.allowAnonymous } : {}),
  });
  await server.start();
  return server;
}

/** The config device for a station served over OPC UA (id `plc`, so the alarm rules for `*.plc.*` apply). */
export function opcuaDeviceConfig(
  stationId: string,
  template: TemplateConfig,
  endpoint: string,
  pollMs?: number,
): Record<string, unknown> {
  return {
    id: 'plc',
    protocol: 'opcua',
    endpoint,
    ...(pollMs !== undefined ? { pollMs } : {}),
    alarms: 'import',
    points: template.points.map((p) => ({
      id: p.id,
      ...(p.name !== undefined ? { name: p.name } : {}),
      ...(p.unit !== undefined ? { unit: p.unit } : {}),
      nodeId: `ns=1;s=${stationId}.${p.id}`,
    })),
  };
}
