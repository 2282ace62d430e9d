/**
 * `heatwatch serve`'s acquisition: telemetry, device status and collector presence arrive over
 * MQTT and are handed to the same sink the protocol adapters feed (pipeline, status board).
 *
 * A collector's presence going `offline` (its last will, or a clean stop) turns every device of
 * exactly the stations it lists into comm loss. While a station's collector is down, stale
 * retained `online` statuses for its devices are ignored; the collector republishes its
 * devices' statuses when it comes back.
 *
 * Everything arriving is input from the network, checked before it reaches the pipeline
 * (./input.ts): unknown devices and points, bad keys, values and timestamps, oversized messages and
 * presence from unexpected collector names are dropped, counted by reason and logged (rate
 * limited); a handler never throws.
 */
import type { Logger } from 'pino';
import type { StationSpec } from '../config/resolve.ts';
import type { Adapter, AdapterSink, DeviceCounters } from '../adapters/types.ts';
import { catalogOf, checkPresence, checkTelemetry, type Catalog, type DropReason, type Drops, type InputLimits } from './input.ts';
import type { MqttBus } from './mqtt-bus.ts';
import { MQTT_DEFAULTS, type MqttSettings } from './settings.ts';

export interface MqttSourceOptions {
  prefix: string;
  stations: StationSpec[];
  sink: AdapterSink;
  logger: Logger;
  now?: () => number;
  /** input limits and the expected collectors (defaults: MQTT_DEFAULTS, any shard count) */
  settings?: Pick<MqttSettings, 'maxMessageBytes' | 'maxFutureMs' | 'shards'>;
  /** oldest telemetry ts accepted, ms before now: the spool's age bound (default 7 days) */
  maxAgeMs?: number;
}

/** the presence `heatwatch serve` publishes itself (src/service.ts names its bus after the mode) */
const OWN_PRESENCE = 'serve';
const DROP_LOG_EVERY_MS = 60_000;

export interface SourceStats {
  /** messages or points dropped, by reason (./input.ts) */
  dropped: Drops;
  stationsDown: number;
}

export class MqttSource implements Adapter {
  private readonly o: MqttSourceOptions;
  private readonly devices = new Map<string, string[]>();
  private readonly counts = new Map<string, DeviceCounters>();
  /** collector name → the instance whose `online` was heard last */
  private readonly instances = new Map<string, string>();
  /** station → name of the collector that reported it down */
  private readonly down = new Map<string, string>();
  private readonly dropped: Drops = {};
  private readonly lastDropLog = new Map<DropReason, number>();
  private readonly catalog: Catalog;
  private readonly stationIds: Set<string>;
  private readonly limits: InputLimits;
  private readonly now: () => number;

  constructor(o: MqttSourceOptions) {
    this.o = o;
    this.now = o.now ?? Date.now;
    for (const s of o.stations) this.devices.set(s.id, s.devices.map((d) => d.id));
    this.catalog = catalogOf(o.stations);
    this.stationIds = new Set(o.stations.map((s) => s.id));
    this.limits = {
      maxMessageBytes: o.settings?.maxMessageBytes ?? MQTT_DEFAULTS.maxMessageBytes,
      maxFutureMs: o.settings?.maxFutureMs ?? MQTT_DEFAULTS.maxFutureMs,
      maxAgeMs: o.maxAgeMs ?? 7 * 86_400_000,
    };
  }

  /** The topics to subscribe to. */
  subscriptions(): string[] {
    const p = this.o.prefix;
    return [`${p}/telemetry/+/+`, `${p}/status/+/+`, `${p}/collectors/+`];
  }

  /** Attach with `new MqttBus({ ..., subscriptions: src.subscriptions(), onMessage: (t, m) => src.handle(t, m) })`. */
  handle(topic: string, payload: Buffer): void {
    const parts = topic.slice(this.o.prefix.length + 1).split('/');
    try {
      // an empty payload on a retained topic is its deletion (housekeeping), not a message
      if (payload.length === 0 && parts[0] !== 'telemetry') return;
      if (parts[0] === 'telemetry' && parts.length === 3) return this.telemetry(parts[1], parts[2], payload);
      if (parts[0] === 'status' && parts.length === 3) return this.status(parts[1], parts[2], payload);
      if (parts[0] === 'collectors' && parts.length === 2) return this.presence(parts[1], payload);
    } catch (err) {
      this.o.logger.error({ err, topic }, 'mqtt message handling failed');
    }
  }

  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  counters(): DeviceCounters[] {
    return [...this.counts.values()];
  }

  stats(): SourceStats {
    return { dropped: { ...this.dropped }, stationsDown: this.down.size };
  }

  /** Counts a drop; logs the first of each reason, then at most one line a minute per reason. */
  private drop(reason: DropReason, n: number, topic: string, example?: string): void {
    this.dropped[reason] = (this.dropped[reason] ?? 0) + n;
    const now = this.now();
    const last = this.lastDropLog.get(reason);
    if (last !== undefined && now - last < DROP_LOG_EVERY_MS) return;
    this.lastDropLog.set(reason, now);
    this.o.logger.warn({ reason, topic: topic.slice(0, 200), example, total: this.dropped[reason] }, `mqtt input dropped: ${reason}`);
  }

  private telemetry(station: string, device: string, payload: Buffer): void {
    const topic = `${this.o.prefix}/telemetry/${station}/${device}`;
    const { samples, drops, example } = checkTelemetry(this.catalog, station, device, payload, this.limits, this.now());
    for (const [reason, n] of Object.entries(drops) as Array<[DropReason, number]>) this.drop(reason, n, topic, example);
    if (!samples.length) return;
    const key = `${station}/${device}`;
    let c = this.counts.get(key);
    if (!c) this.counts.set(key, (c = { station, device, polls: 0, errors: 0, lastLatenessMs: 0 }));
    c.polls++;
    if (samples.length && samples.every((s) => s.quality === 'bad')) c.errors++;
    this.o.sink.samples(samples);
  }

  private status(station: string, device: string, payload: Buffer): void {
    const topic = `${this.o.prefix}/status/${station}/${device}`;
    if (payload.length > 16) return this.drop('malformed', 1, topic); // 'online' or 'offline', nothing longer
    if (!this.devices.get(station)?.includes(device)) return this.drop('unknown_device', 1, topic);
    const text = payload.toString();
    if (text !== 'online' && text !== 'offline') return this.drop('malformed', 1, topic);
    if (text === 'online' && this.down.has(station)) return; // stale retained status of a dead collector
    this.o.sink.status({ station, device, comm: text, ts: this.now() });
  }

  private presence(name: string, payload: Buffer): void {
    if (name === OWN_PRESENCE) return;
    const checked = checkPresence(name, payload, this.stationIds, this.limits.maxMessageBytes, this.o.settings?.shards);
    if (!checked.ok) return this.drop(checked.reason, 1, `${this.o.prefix}/collectors/${name}`, checked.example);
    const p = checked.presence;
    const current = this.instances.get(p.name);
    if (p.status === 'offline' && p.instance && current && current !== p.instance) {
      // the will of a collector that has handed its shard to its standby, arriving late
      this.o.logger.info({ collector: p.name, instance: p.instance, current }, 'offline presence of a replaced collector instance ignored');
      return;
    }
    if (p.status === 'online' && p.instance) this.instances.set(p.name, p.instance);
    if (p.status === 'offline') {
      const error = `collector ${p.name} (shard ${p.shard}) is offline`;
      this.o.logger.warn({ collector: p.name, stations: p.stations.length }, 'collector offline: its stations are in comm loss');
      for (const station of p.stations) {
        const devs = this.devices.get(station);
        if (!devs) continue;
        this.down.set(station, p.name);
        for (const device of devs) this.o.sink.status({ station, device, comm: 'offline', ts: this.now(), error });
      }
    } else if (p.status === 'online') {
      this.o.logger.info({ collector: p.name, stations: p.stations.length }, 'collector online');
      for (const station of p.stations) if (this.down.get(station) !== undefined) this.down.delete(station);
    }
  }
}
