import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DeviceCounters } from '../adapters/types.ts';
import type { IngestPipeline } from './pipeline.ts';

export interface MetricsDeps {
  pipeline: IngestPipeline;
  /** per-device poll counters of every adapter, read at scrape time */
  adapters?: () => DeviceCounters[];
}

/**
 * The Prometheus registry for ingest. Values are read from the pipeline's and the
 * adapters' live counters in collect() callbacks at scrape time, so the hot path makes
 * no metric calls per sample; the write-time histogram gets one observation per store write.
 *
 * @example
 * const registry = createMetrics({ pipeline, adapters: () => adapters.flatMap((a) => a.counters()) });
 * reply.type(registry.contentType).send(await registry.metrics());
 */
export function createMetrics(deps: MetricsDeps): Registry {
  const { pipeline } = deps;
  const registry = new Registry();
  const registers = [registry];
  // the process's own: resident memory, heap, event-loop lag, handles (read at scrape time)
  collectDefaultMetrics({ register: registry });

  const counterOf = (name: string, help: string, read: () => number) =>
    new Counter({
      name,
      help,
      registers,
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  counterOf('heatwatch_samples_received_total', 'Samples pushed by adapters into the ingest pipeline', () => pipeline.stats().received);
  counterOf('heatwatch_samples_stored_total', 'Samples written to the series store', () => pipeline.stats().stored);
  counterOf(
    'heatwatch_samples_dropped_total',
    'Samples dropped (queue over its limit, invalid, or pushed after stop)',
    () => pipeline.stats().dropped,
  );
  new Counter({
    name: 'heatwatch_samples_rejected_total',
    help: 'Samples refused at ingest, by reason: malformed, too_old (before 2000-01-01), future (over 5 minutes ahead); never stored',
    labelNames: ['reason'] as const,
    registers,
    collect() {
      this.reset();
      for (const [reason, n] of Object.entries(pipeline.stats().rejectedBy)) this.inc({ reason }, n);
    },
  });
  counterOf('heatwatch_store_write_errors_total', 'Failed series store writes (each retry counts)', () => pipeline.stats().writeErrors);

  new Gauge({
    name: 'heatwatch_ingest_queue_depth',
    help: 'Samples waiting to be written (including a batch being retried)',
    registers,
    collect() {
      this.set(pipeline.stats().queueDepth);
    },
  });
  new Gauge({
    name: 'heatwatch_samples_per_second',
    help: 'Samples received per second over the last 10 s',
    registers,
    collect() {
      this.set(pipeline.stats().receivedPerSecond);
    },
  });
  const writeSeconds = new Histogram({
    name: 'heatwatch_store_write_seconds',
    help: 'Duration of one series store batch write',
    labelNames: ['outcome'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers,
  });
  pipeline.onWrite((w) => writeSeconds.observe({ outcome: w.ok ? 'ok' : 'error' }, w.ms / 1000));

  const adapters = deps.adapters;
  const perDevice = (name: string, help: string, read: (c: DeviceCounters) => number) =>
    new Counter({
      name,
      help,
      labelNames: ['station', 'device'] as const,
      registers,
      collect() {
        this.reset();
        for (const c of adapters ? adapters() : []) this.inc({ station: c.station, device: c.device }, read(c));
      },
    });
  perDevice('heatwatch_polls_total', 'Device polls attempted', (c) => c.polls);
  perDevice('heatwatch_poll_errors_total', 'Device polls that failed', (c) => c.errors);
  return registry;
}
