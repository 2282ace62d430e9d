/**
 * Ticket metrics for `/metrics`: open tickets by priority, deadline breaches, webhook backlog and
 * dead letters. A scrape reads counters only (trigger-kept counts in the state database, counters
 * here), never a scan of tables that grow with every ticket and event.
 */
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
      const open = svc.store.countOpenByPriority();
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
    help: 'Outbox rows (webhook events and notifications) by state (pending, dead)',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const s = await svc.outbox.stats();
      this.set({ state: 'pending' }, s.pending);
      this.set({ state: 'dead' }, s.dead);
    },
  });
  const dead = new Counter({
    name: 'heatwatch_webhook_dead_letters_total',
    help: 'Outbox rows (webhook events and notifications) dead-lettered by this process, by receiver and reason (permanent, max_attempts, max_age)',
    labelNames: ['receiver', 'reason'],
    registers: [registry],
  });
  for (const w of svc.settings.webhooks) dead.inc({ receiver: w.name, reason: 'max_attempts' }, 0);
  svc.dispatcher.onDeadLetter((receiver, reason) => dead.inc({ receiver, reason }));
}
