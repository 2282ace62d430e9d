/** Ticket metrics for `/metrics`: open tickets by priority, deadline breaches, webhook backlog. */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { TicketService } from './service.ts';
import { TICKET_PRIORITIES } from './types.ts';

export function registerTicketMetrics(registry: Registry, svc: TicketService): void {
  new Gauge({
    name: 'heatwatch_tickets_open',
    help: 'Tickets not closed, by priority',
    labelNames: ['priority'],
    registers: [registry],
    collect() {
      const open = svc.metrics().openByPriority;
      for (const p of TICKET_PRIORITIES) this.set({ priority: p }, open[p] ?? 0);
    },
  });
  const breaches = new Counter({ name: 'heatwatch_ticket_breaches_total', help: 'Deadline breaches marked, by kind (respond, on_site, resolve)', labelNames: ['kind'], registers: [registry] });
  for (const k of ['respond', 'on_site', 'resolve']) breaches.inc({ kind: k }, 0);
  svc.onEvent((e) => {
    if (e.type === 'escalated') breaches.inc({ kind: e.change.replace(/^breach_/, '') });
  });
  new Gauge({
    name: 'heatwatch_webhook_outbox',
    help: 'Webhook outbox rows by state (pending, dead)',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const s = svc.metrics().outbox;
      this.set({ state: 'pending' }, s.pending);
      this.set({ state: 'dead' }, s.dead);
    },
  });
}
