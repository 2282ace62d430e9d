/**
 * Alarm persistence metrics for `/metrics`: writes of alarm events that failed, and the events
 * still waiting in memory for the state database (persist-queue.ts), so an outage that the
 * polling path rides out is still seen.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { AlarmWriteStats } from './persist-queue.ts';

export function registerAlarmMetrics(registry: Registry, stats: () => AlarmWriteStats): void {
  new Counter({
    name: 'heatwatch_alarm_write_failures_total',
    help: 'Writes of alarm events, records or checkpoints to the state database that failed (each is tried again)',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(stats().failures);
    },
  });
  new Gauge({
    name: 'heatwatch_alarm_write_backlog',
    help: 'Alarm events waiting to be written to the state database',
    registers: [registry],
    collect() {
      this.set(stats().backlog);
    },
  });
}
