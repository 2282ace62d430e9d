/** API metrics for `/metrics`: /ws connections, dropped and refused clients, failed token attempts. */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { TokenAuth } from './auth.ts';
import type { LiveHub } from './live-hub.ts';

/** A counter read from a running total at scrape time (the hub and the limiter keep the totals). */
function totalCounter(registry: Registry, name: string, help: string, labelName: string, read: () => Record<string, number>): void {
  new Counter({
    name,
    help,
    labelNames: [labelName],
    registers: [registry],
    collect() {
      this.reset();
      for (const [k, v] of Object.entries(read())) this.inc({ [labelName]: k }, v);
    },
  });
}

export function registerApiMetrics(registry: Registry, o: { hub: LiveHub; auth: TokenAuth }): void {
  // one app per registry in the service; a test building a second app on the same registry replaces them
  for (const n of ['heatwatch_ws_clients', 'heatwatch_ws_queue_bytes', 'heatwatch_ws_dropped_total', 'heatwatch_ws_rejected_total', 'heatwatch_auth_failures_total']) registry.removeSingleMetric(n);
  new Gauge({
    name: 'heatwatch_ws_clients',
    help: 'Open /ws connections',
    registers: [registry],
    collect() {
      this.set(o.hub.clients.size);
    },
  });
  new Gauge({
    name: 'heatwatch_ws_queue_bytes',
    help: 'Bytes of /ws messages queued for clients still behind (one copy shared by all clients; bounded by api.ws.maxBufferedBytes)',
    registers: [registry],
    collect() {
      this.set(o.hub.queuedBytes);
    },
  });
  totalCounter(registry, 'heatwatch_ws_dropped_total', '/ws clients dropped: slow (more than api.ws.maxBufferedBytes queued) or ping_timeout', 'reason', () => o.hub.counts.dropped);
  totalCounter(registry, 'heatwatch_ws_rejected_total', '/ws connections refused over api.ws.maxClients or maxPerToken', 'reason', () => o.hub.counts.rejected);
  totalCounter(registry, 'heatwatch_auth_failures_total', 'Requests with an unknown token (failed) and requests refused with 429 after too many (refused)', 'result', () => o.auth.failures.counts);
}
