/**
 * `heatwatch collect --shard K/N`: polls only the stations of shard K (stable FNV-1a hash of the
 * station id modulo N, src/bus/shard.ts) and publishes their telemetry and device status to
 * MQTT. No store, no API: `heatwatch serve` consumes. Its presence `{prefix}/collectors/shard-K-of-N`
 * lists its stations; the broker publishes the same list as `offline` (last will) if it dies.
 */
import { parseArgs } from 'node:util';
import { ModbusAdapter } from '../adapters/modbus/adapter.ts';
import type { Adapter, AdapterSink } from '../adapters/types.ts';
import { MqttBus } from '../bus/mqtt-bus.ts';
import { inShard, parseShard } from '../bus/shard.ts';
import { ConfigError, configPath, loadConfig } from '../config/load.ts';
import type { ResolvedConfig } from '../config/resolve.ts';
import { createLogger, type Logger } from '../log.ts';
import { untilSignal } from './run.ts';

export interface Collector {
  name: string;
  stations: string[];
  bus: MqttBus;
  adapters: Adapter[];
  stop(): Promise<void>;
}

/** Starts polling shard `shard` ('K/N') of the configured stations and publishing to MQTT. */
export async function startCollector(cfg: ResolvedConfig, shard: string, log: Logger): Promise<Collector> {
  if (!cfg.mqtt) throw new ConfigError('config', [{ path: 'mqtt', message: 'collect publishes to MQTT: the mqtt section is required' }]);
  const { k, n } = parseShard(shard);
  // serve takes presence only from shard-K-of-<mqtt.shards>: a collector with another N would go unheard
  if (cfg.mqtt.shards !== undefined && n !== cfg.mqtt.shards) {
    throw new ConfigError('config', [{ path: 'mqtt.shards', message: `is ${cfg.mqtt.shards}, but --shard ${shard} splits into ${n}` }]);
  }
  const mine = cfg.stations.filter((s) => inShard(s.id, k, n));
  const name = `shard-${k}-of-${n}`;
  const bus = new MqttBus({ settings: cfg.mqtt, logger: log.child({ module: 'mqtt' }), name, shard: `${k}/${n}`, stations: mine.map((s) => s.id) });
  const sink: AdapterSink = { samples: (batch) => bus.publishSamples(batch), status: (s) => bus.publishStatus(s) };
  const adapters: Adapter[] = [];
  const modbus = mine.flatMap((s) => s.devices).filter((d) => d.protocol === 'modbus');
  if (modbus.length) adapters.push(new ModbusAdapter({ devices: modbus, sink, logger: log.child({ module: 'modbus' }) }));
  const opcua = mine.flatMap((s) => s.devices).filter((d) => d.protocol === 'opcua');
  if (opcua.length) log.warn({ devices: opcua.length }, 'collect polls Modbus devices only in this version; OPC UA devices of this shard are not polled');
  await bus.start();
  for (const a of adapters) await a.start();
  log.info({ shard: `${k}/${n}`, stations: mine.length, devices: modbus.length }, 'collector started');
  let stopped = false;
  return {
    name,
    stations: mine.map((s) => s.id),
    bus,
    adapters,
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const a of adapters) await a.stop();
      await bus.stop();
    },
  };
}

export async function runCollect(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { config: { type: 'string' }, shard: { type: 'string' }, 'log-level': { type: 'string' } } });
  if (!values.shard) {
    process.stderr.write('heatwatch collect: --shard K/N is required (e.g. --shard 1/2)\n');
    return 2;
  }
  try {
    parseShard(values.shard);
  } catch (err) {
    process.stderr.write(`heatwatch collect: ${(err as Error).message}\n`);
    return 2;
  }
  const log = createLogger(values['log-level'] ?? 'info');
  const cfg = loadConfig(configPath(values.config));
  const c = await startCollector(cfg, values.shard, log);
  await untilSignal(() => c.stop(), log);
  return 0;
}
