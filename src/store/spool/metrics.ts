import type { Registry } from 'prom-client';
import { scrapedCounter, scrapedGauge } from '../../scraped-metrics.ts';
import type { ForwardStats } from './spooling-store.ts';

/**
 * Spool gauges on the service registry, read at scrape time.
 *
 * @example
 * registerSpoolMetrics(registry, () => spooling.stats());
 */
export function registerSpoolMetrics(registry: Registry, stats: () => ForwardStats, now: () => number = Date.now): void {
  const gauge = (name: string, help: string, read: (s: ForwardStats) => number) => scrapedGauge(registry, name, help, () => read(stats()));
  gauge('heatwatch_spool_samples', 'Samples in the store-and-forward spool, waiting for the series store', (s) => s.samples);
  gauge('heatwatch_spool_bytes', 'Bytes of spooled sample data', (s) => s.bytes);
  gauge('heatwatch_spool_oldest_age_seconds', 'Age of the oldest spooled chunk (0 when empty)', (s) =>
    s.oldestAt > 0 ? Math.max(0, (now() - s.oldestAt) / 1000) : 0,
  );
  gauge('heatwatch_spool_active', '1 while writes go to the spool instead of the series store', (s) => (s.spooling ? 1 : 0));
  const counter = (name: string, help: string, read: (s: ForwardStats) => number) => scrapedCounter(registry, name, help, () => read(stats()));
  counter('heatwatch_spool_dropped_total', 'Spooled samples dropped: spool over its size or age bound', (s) => s.dropped);
  counter('heatwatch_spool_forwarded_total', 'Samples written back from the spool to the series store', (s) => s.forwarded);
}
