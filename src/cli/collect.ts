/**
 * `heatwatch collect --shard K/N`: polls only the stations of shard K (stable FNV-1a hash of the
 * station id modulo N, src/bus/shard.ts) and publishes their telemetry and device status to
 * MQTT. No store, no API: `heatwatch serve` consumes. Its presence `{prefix}/collectors/shard-K-of-N`
 * lists its stations; the broker publishes the same list as `offline` (last will) if it dies.
 *
 * A shard may have two collectors (on two machines): the one holding the shard's lease
 * (src/bus/lease.ts) polls and publishes, the other waits and takes over when the holder dies
 * or goes quiet. Only the holder connects its publisher, so only it speaks for the shard.
 */
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { ModbusAdapter } from '../adapters/modbus/adapter.ts';
import type { Adapter, AdapterSink } from '../adapters/types.ts';
import { CollectorLease } from '../bus/collector-lease.ts';
import { LEASE_DEFAULTS, type LeaseRole } from '../bus/lease.ts';
import { MqttBus } from '../bus/mqtt-bus.ts';
import { inShard, parseShard } from '../bus/shard.ts';
import { ConfigError, configPath, loadConfig } from '../config/load.ts';
import type { ResolvedConfig } from '../config/resolve.ts';
import { createLogger, type Logger } from '../log.ts';
import { untilSignal } from './run.ts';

export interface Collector {
  name: string;
  /** this instance among the shard's collectors */
  self: string;
  stations: string[];
  /** polling (holds the lease) or waiting */
  role(): LeaseRole;
  /** the publisher while this instance polls */
  bus(): MqttBus | null;
  stop(): Promise<void>;
}

/** Starts collecting shard `shard` ('K/N') of the configured stations: polls and publishes while it holds the shard's lease. */
export async function startCollector(cfg: ResolvedConfig, shard: string, log: Logger, self = `${hostname()}-${process.pid}`): Promise<Collector> {
  const mqtt = cfg.mqtt;
  if (!mqtt) throw new ConfigError('config', [{ path: 'mqtt', message: 'collect publishes to MQTT: the mqtt section is required' }]);
  const { k, n } = parseShard(shard);
  // serve takes presence only from shard-K-of-<mqtt.shards>: a collector with another N would go unheard
  if (mqtt.shards !== undefined && n !== mqtt.shards) {
    throw new ConfigError('config', [{ path: 'mqtt.shards', message: `is ${mqtt.shards}, but --shard ${shard} splits into ${n}` }]);
  }
  const mine = cfg.stations.filter((s) => inShard(s.id, k, n));
  const name = `shard-${k}-of-${n}`;
  const modbus = mine.flatMap((s) => s.devices).filter((d) => d.protocol === 'modbus');
  const opcua = mine.flatMap((s) => s.devices).filter((d) => d.protocol === 'opcua');
  if (opcua.length) log.warn({ devices: opcua.length }, 'collect polls Modbus devices only in this version; OPC UA devices of this shard are not polled');
  // the two collectors of a shard share one config (and may share a pid on two machines): the client id names the instance
  const settings = { ...mqtt, clientId: `${mqtt.clientId ?? `heatwatch-${name}`}-${self}`.slice(0, 128) };

  let polling: { bus: MqttBus; adapters: Adapter[] } | null = null;
  const poll = async () => {
    if (polling) return;
    const bus = new MqttBus({ settings, logger: log.child({ module: 'mqtt' }), name, shard: `${k}/${n}`, instance: self, stations: mine.map((s) => s.id) });
    const sink: AdapterSink = { samples: (batch) => bus.publishSamples(batch), status: (s) => bus.publishStatus(s) };
    const adapters: Adapter[] = modbus.length ? [new ModbusAdapter({ devices: modbus, sink, logger: log.child({ module: 'modbus' }) })] : [];
    polling = { bus, adapters };
    await bus.start();
    for (const a of adapters) await a.start();
    log.info({ shard: `${k}/${n}`, self, stations: mine.length, devices: modbus.length }, 'collector polling');
  };
  const stopPolling = async (reason: string) => {
    const p = polling;
    if (!p) return;
    polling = null;
    for (const a of p.adapters) await a.stop();
    // stopping for good: say offline (a standby's presence follows if it takes over); handing over: quietly
    if (reason === 'stopping') await p.bus.stop();
    else await p.bus.leave();
  };
  const lease = new CollectorLease({ settings, name, self, timing: mqtt.lease ?? LEASE_DEFAULTS, logger: log.child({ module: 'lease' }), poll, stopPolling });
  lease.start();
  log.info({ shard: `${k}/${n}`, self, stations: mine.length }, 'collector started; polls while it holds the shard');
  let stopped = false;
  return {
    name,
    self,
    stations: mine.map((s) => s.id),
    role: () => lease.role,
    bus: () => polling?.bus ?? null,
    async stop() {
      if (stopped) return;
      stopped = true;
      await lease.stop();
      await stopPolling('stopping');
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
