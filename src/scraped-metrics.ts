/**
 * Prometheus metrics whose values are read at scrape time from totals the code keeps anyway,
 * so the hot path makes no metric calls per sample.
 *
 * @example
 * scrapedCounter(registry, 'heatwatch_samples_stored_total', 'Samples written', () => pipeline.stats().stored);
 */
import { Counter, Gauge, type Registry } from 'prom-client';

export function scrapedCounter(registry: Registry, name: string, help: string, read: () => number): Counter {
  return new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}

export function scrapedGauge(registry: Registry, name: string, help: string, read: () => number): Gauge {
  return new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.set(read());
    },
  });
}
