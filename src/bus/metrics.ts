import { Counter, Gauge, type Registry } from 'prom-client';
import { DROP_REASONS } from './input.ts';
import type { BusStats } from './mqtt-bus.ts';
import type { SourceStats } from './mqtt-source.ts';

/** MQTT publisher metrics, read at scrape time. */
export function registerBusMetrics(registry: Registry, stats: () => BusStats): void {
  const registers = [registry];
  new Gauge({ name: 'heatwatch_mqtt_connected', help: '1 while connected to the MQTT broker', registers, collect() { this.set(stats().connected ? 1 : 0); } });
  new Gauge({ name: 'heatwatch_mqtt_buffered_messages', help: 'Messages waiting for the broker connection', registers, collect() { this.set(stats().buffered); } });
  const counter = (name: string, help: string, read: (s: BusStats) => number) =>
    new Counter({ name, help, registers, collect() { this.reset(); this.inc(read(stats())); } });
  counter('heatwatch_mqtt_published_total', 'MQTT messages published', (s) => s.published);
  counter('heatwatch_mqtt_dropped_total', 'MQTT messages dropped: buffer over its bound while disconnected', (s) => s.dropped);
  counter('heatwatch_mqtt_reconnects_total', 'MQTT reconnect attempts', (s) => s.reconnects);
}

/**
 * `heatwatch serve`'s MQTT input: what the checks of ./input.ts dropped, one series per reason
 * (every reason present from the start, so a rate() sees its first drop).
 */
export function registerSourceMetrics(registry: Registry, stats: () => SourceStats): void {
  new Counter({
    name: 'heatwatch_mqtt_input_dropped_total',
    help: 'MQTT input dropped by serve: messages (oversize, malformed, unknown_device, bad_ts, unknown_collector, bad_presence) or points (bad_key, unknown_point, bad_value)',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      const d = stats().dropped;
      this.reset();
      for (const reason of DROP_REASONS) this.inc({ reason }, d[reason] ?? 0);
    },
  });
  new Gauge({ name: 'heatwatch_mqtt_stations_down', help: 'Stations whose collector reported itself offline', registers: [registry], collect() { this.set(stats().stationsDown); } });
}
