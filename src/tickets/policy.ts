/**
 * Ticket policy (DOMAIN §4), pure: alarm priority → ticket priority, when an
 * alarm opens a ticket, deadlines from the SLA table.
 *
 * @example
 *   deadlinesFor('P2', t0, settings.sla) // { respondBy: t0 + 2 h, onSiteBy: null, resolveBy: t0 + 24 h }
 */
import type { AlarmEvent, Priority } from '../alarms/types.ts';
import type { CategorySpec, SlaSpec, TicketSettings } from './config.ts';
import type { CustomerCategory, Deadlines, TicketPriority } from './types.ts';

const MIN = 60_000;

export function ticketPriorityOf(alarmPriority: Priority): TicketPriority {
  return `P${alarmPriority}` as TicketPriority;
}

/** 1 for P1 … 4 for P4: lower is more urgent. */
export function priorityRank(p: TicketPriority): number {
  return Number(p.slice(1));
}

/** The more urgent of two priorities: a re-raise may raise priority, never lower it. */
export function maxPriority(a: TicketPriority, b: TicketPriority): TicketPriority {
  return priorityRank(a) <= priorityRank(b) ? a : b;
}

/** How long an alarm of this priority must stay active before it opens a ticket; null = never. */
export function openDelayMs(alarmPriority: Priority, settings: Pick<TicketSettings, 'openAfterMin'>): number | null {
  const m = settings.openAfterMin[alarmPriority - 1];
  return m === null ? null : m * MIN;
}

/** Deadlines counted from `from` (the first raise, or the customer's call). */
export function deadlinesFor(priority: TicketPriority, from: number, sla: Record<TicketPriority, SlaSpec>): Deadlines {
  const s = sla[priority];
  return {
    respondBy: from + s.respondMin * MIN,
    onSiteBy: s.onSiteMin === null ? null : from + s.onSiteMin * MIN,
    resolveBy: from + s.resolveMin * MIN,
  };
}

/** Customer categories: priority from the category table; respond/resolve from it, on-site from the priority's SLA. */
export function customerPolicy(
  category: CustomerCategory,
  from: number,
  settings: Pick<TicketSettings, 'categories' | 'sla'>,
): { priority: TicketPriority; deadlines: Deadlines } {
  const c: CategorySpec = settings.categories[category];
  const onSite = settings.sla[c.priority].onSiteMin;
  return {
    priority: c.priority,
    deadlines: { respondBy: from + c.respondMin * MIN, onSiteBy: onSite === null ? null : from + onSite * MIN, resolveBy: from + c.resolveMin * MIN },
  };
}

const EQUIPMENT = /^((?:pump|valve|makeup|meter|tank)\d*)(?:_|$)/;

/**
 * Equipment of an alarm: the numbered unit its point belongs to (`plc/pump1`
 * for `pump1_run`), else the device, so two rules seeing one leak share a ticket.
 */
export function equipmentOf(e: Pick<AlarmEvent, 'device' | 'point'>): string {
  const leaf = e.point.slice(e.point.lastIndexOf('.') + 1);
  const m = EQUIPMENT.exec(leaf);
  return m && e.point.split('.').length === 3 ? `${e.device}/${m[1]}` : e.device;
}

/** One open ticket per (station, fault class, equipment). */
export function dedupKey(station: string, faultClass: string, equipment: string): string {
  return `${station}|${faultClass}|${equipment}`;
}

export function incidentKey(area: string): string {
  return `incident|${area}`;
}
