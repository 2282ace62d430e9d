import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DeviceCounters } from '../adapters/types.ts';
import type { IngestPipeline } from './pipeline.ts';
import type { SeriesStore } from '../store/port.ts';
import { scrapedCounter, scrapedGauge } from '../scraped-metrics.ts';

export interface MetricsDeps {
  pipeline: IngestPipeline;
  /** per-device poll counters of every adapter, read at scrape time */
  adapters?: () => DeviceCounters[];
  /** the series store behind any spool: its head's start, where it has one (compaction's lag) */
  store?: Pick<SeriesStore, 'headFrom'>;
  now?: () => number;
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

  const counterOf = (name: string, help: string, read: () => number) => scrapedCounter(registry, name, help, read);
  const gaugeOf = (name: string, help: string, read: () => number) => scrapedGauge(registry, name, help, read);
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

  gaugeOf('heatwatch_ingest_queue_depth', 'Samples waiting to be written (including a batch being retried)', () => pipeline.stats().queueDepth);
  gaugeOf('heatwatch_ingest_queue_age_seconds', 'How long the oldest sample waiting to be written (queued, or in the batch being written or retried) has waited', () => pipeline.stats().queueAgeMs / 1000);
  gaugeOf('heatwatch_ingest_queue_growth_per_second', 'Change of the ingest queue per second over the last 10 s (samples queued minus written or dropped); above 0 the store falls behind', () => pipeline.stats().queueGrowthPerSecond);
  gaugeOf('heatwatch_store_writes_in_flight', 'Series store writes in progress', () => pipeline.stats().writesInFlight);
  gaugeOf(
    'heatwatch_store_head_age_seconds',
    'Age of the oldest sample the embedded store has not yet compacted into blocks, as of its last write (0: none, or a store without a head). Up to ~35 minutes normally; it grows while compaction waits for the writer to catch up',
    () => {
      const from = deps.store?.headFrom?.() ?? null;
      return from === null ? 0 : Math.max(0, ((deps.now ?? Date.now)() - from) / 1000);
    },
  );
  gaugeOf('heatwatch_samples_per_second', 'Samples received per second over the last 10 s', () => pipeline.stats().receivedPerSecond);
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
  perDevice('heatwatch_polls_late_total', 'Polls started later than their late threshold after their slot because the process was busy', (c) => c.late ?? 0);
  perDevice('heatwatch_polls_skipped_total', 'Poll periods that passed without a poll (previous poll still running, or the process too busy)', (c) => c.skipped ?? 0);
  const totalOf = (name: string, help: string, read: (t: PollTotals) => number) => counterOf(name, help, () => read(pollTotals(adapters ? adapters() : [])));
  totalOf('heatwatch_polls_late_all_total', 'Late polls over all devices (see heatwatch_polls_late_total)', (t) => t.late);
  totalOf('heatwatch_polls_skipped_all_total', 'Skipped polls over all devices (see heatwatch_polls_skipped_total)', (t) => t.skipped);
  return registry;
}

export interface PollTotals {
  devices: number;
  polls: number;
  errors: number;
  late: number;
  skipped: number;
}

/** Sums of the adapters' per-device poll counters, for /api/health and the totals in /metrics. */
export function pollTotals(counters: readonly DeviceCounters[]): PollTotals {
  const t: PollTotals = { devices: counters.length, polls: 0, errors: 0, late: 0, skipped: 0 };
  for (const c of counters) {
    t.polls += c.polls;
    t.errors += c.errors;
    t.late += c.late ?? 0;
    t.skipped += c.skipped ?? 0;
  }
  return t;
}
