/**
 * `heatwatch serve`'s acquisition: telemetry, device status and collector presence arrive over
 * MQTT and are handed to the same sink the protocol adapters feed (pipeline, status board).
 *
 * A collector's presence going `offline` (its last will, or a clean stop) turns every device of
 * exactly the stations it lists into comm loss. While a station's collector is down, stale
 * retained `online` statuses for its devices are ignored; the collector republishes its
 * devices' statuses when it comes back.
 */
import type { Logger } from 'pino';
import type { StationSpec } from '../config/resolve.ts';
import type { Adapter, AdapterSink, DeviceCounters } from '../adapters/types.ts';
import type { MqttBus } from './mqtt-bus.ts';
import { telemetrySamples, type PresenceMessage } from './topics.ts';

export interface MqttSourceOptions {
  prefix: string;
  stations: StationSpec[];
  sink: AdapterSink;
  logger: Logger;
  now?: () => number;
}

export class MqttSource implements Adapter {
  private readonly o: MqttSourceOptions;
  private readonly devices = new Map<string, string[]>();
  private readonly counts = new Map<string, DeviceCounters>();
  /** station → name of the collector that reported it down */
  private readonly down = new Map<string, string>();
  private malformed = 0;
  private readonly now: () => number;

  constructor(o: MqttSourceOptions) {
    this.o = o;
    this.now = o.now ?? Date.now;
    for (const s of o.stations) this.devices.set(s.id, s.devices.map((d) => d.id));
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
      if (parts[0] === 'telemetry' && parts.length === 3) return this.telemetry(parts[1], parts[2], payload);
      if (parts[0] === 'status' && parts.length === 3) return this.status(parts[1], parts[2], payload.toString());
      if (parts[0] === 'collectors' && parts.length === 2) return this.presence(payload);
    } catch (err) {
      this.o.logger.error({ err, topic }, 'mqtt message handling failed');
    }
  }

  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  counters(): DeviceCounters[] {
    return [...this.counts.values()];
  }

  stats(): { malformed: number; stationsDown: number } {
    return { malformed: this.malformed, stationsDown: this.down.size };
  }

  private telemetry(station: string, device: string, payload: Buffer): void {
    if (!this.devices.get(station)?.includes(device)) {
      this.malformed++;
      return;
    }
    const samples = telemetrySamples(station, device, payload);
    if (!samples) {
      this.malformed++;
      if (this.malformed % 1000 === 1) this.o.logger.warn({ station, device }, 'malformed telemetry message ignored');
      return;
    }
    const key = `${station}/${device}`;
    let c = this.counts.get(key);
    if (!c) this.counts.set(key, (c = { station, device, polls: 0, errors: 0, lastLatenessMs: 0 }));
    c.polls++;
    if (samples.length && samples.every((s) => s.quality === 'bad')) c.errors++;
    this.o.sink.samples(samples);
  }

  private status(station: string, device: string, text: string): void {
    if (!this.devices.get(station)?.includes(device)) return;
    if (text !== 'online' && text !== 'offline') return;
    if (text === 'online' && this.down.has(station)) return; // stale retained status of a dead collector
    this.o.sink.status({ station, device, comm: text, ts: this.now() });
  }

  private presence(payload: Buffer): void {
    let p: PresenceMessage;
    try {
      p = JSON.parse(payload.toString());
    } catch {
      this.malformed++;
      return;
    }
    if (!Array.isArray(p.stations)) return;
    if (p.status === 'offline') {
      const error = `collector ${p.name}${p.shard ? ` (shard ${p.shard})` : ''} is offline`;
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
