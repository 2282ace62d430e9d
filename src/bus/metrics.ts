import { Counter, Gauge, type Registry } from 'prom-client';
import type { BusStats } from './mqtt-bus.ts';

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
