/**
 * Ticket model (DESIGN §2, DOMAIN §4). Plain data; every field is stored in
 * the state database and survives a restart.
 */
import type { AlarmEvent, AlarmStateName, Priority } from '../alarms/types.ts';

export type TicketPriority = 'P1' | 'P2' | 'P3' | 'P4';
export const TICKET_PRIORITIES: readonly TicketPriority[] = ['P1', 'P2', 'P3', 'P4'];

export type TicketStatus = 'open' | 'dispatched' | 'in_progress' | 'resolved' | 'verified' | 'closed' | 'reopened';
export const TICKET_STATUSES: readonly TicketStatus[] = ['open', 'dispatched', 'in_progress', 'resolved', 'verified', 'closed', 'reopened'];

export type TicketSource = 'alarm' | 'customer' | 'manual';
/** `incident`: one ticket standing for an alarm storm in one area. */
export type TicketKind = 'single' | 'incident';

export type CustomerCategory = 'no_heat' | 'repair' | 'leak' | 'complaint' | 'consult' | 'fee_dispute';
export const CUSTOMER_CATEGORIES: readonly CustomerCategory[] = ['no_heat', 'repair', 'leak', 'complaint', 'consult', 'fee_dispute'];

/** Deadlines as ms epoch; `onSiteBy` only where the SLA sets one. */
export interface Deadlines {
  respondBy: number;
  onSiteBy: number | null;
  resolveBy: number;
}

export type BreachKind = 'respond' | 'on_site' | 'resolve';

export interface Customer {
  name: string;
  phone: string;
  address: string;
  /** the utility's account number (户号), when the caller gives it */
  account?: string;
}

export interface Ticket extends Deadlines {
  id: number;
  /** dedup key `station|class|equipment`; incidents `incident|area`; null for customer/manual */
  key: string | null;
  kind: TicketKind;
  source: TicketSource;
  status: TicketStatus;
  priority: TicketPriority;
  title: string;
  description: string;
  station: string | null;
  area: string | null;
  faultClass: string | null;
  equipment: string | null;
  category: CustomerCategory | null;
  customer: Customer | null;
  /** stations of an incident */
  stations: string[];
  alarmIds: string[];
  occurrences: number;
  firstSeen: number;
  lastSeen: number;
  peakValue: number | null;
  /** repeat repair (返修): re-raised within the reopen window after closing */
  repeat: boolean;
  /** earlier closed ticket of the same key, or the alarm ticket a complaint refers to */
  linkedTo: number | null;
  /** incident this ticket belongs to */
  incidentId: number | null;
  /** tickets a dispatcher linked to this one, both ways (a new need found on a callback, the same leak seen twice) */
  related?: number[];
  /** no-heat calls linked to this incident or alarm ticket instead of opening tickets of their own */
  linkedCalls?: number;
  team: string | null;
  assignee: string | null;
  createdAt: number;
  updatedAt: number;
  respondedAt: number | null;
  onSiteAt: number | null;
  resolvedAt: number | null;
  closedAt: number | null;
  /** breach kind → time it was marked */
  breaches: Partial<Record<BreachKind, number>>;
  /** 0 normal; +1 for every breach: lists show escalated tickets first */
  escalation: number;
  callbackDone: boolean;
  /** how it was put right, from `tickets.resolutionCodes`; set on resolve (absent on tickets stored before codes existed) */
  resolutionCode?: string | null;
  /** the resolver's note on how it was put right (the case library's answer to the next caller) */
  resolutionNote?: string | null;
}

export interface TimelineEntry {
  id: number;
  ticketId: number;
  ts: number;
  actor: string;
  role: string;
  kind: string;
  from: TicketStatus | null;
  to: TicketStatus | null;
  note: string | null;
  detail: Record<string, unknown> | null;
}

export interface Actor {
  name: string;
  role: string;
}

export const SYSTEM_ACTOR: Actor = { name: 'heatwatch', role: 'system' };

/** What the service publishes (live feed, MQTT, webhooks). */
export type TicketEventType = 'created' | 'updated' | 'escalated' | 'closed';

export interface TicketEvent {
  /** idempotency key, unique per event: `ticketId:timelineId` */
  id: string;
  type: TicketEventType;
  ts: number;
  /** what changed, e.g. `transition`, `occurrence`, `breach_respond` */
  change: string;
  ticket: Ticket;
}

/** The alarm runner as the ticket service needs it (the runner satisfies it structurally). */
export interface TicketAlarmSource {
  onEvents(listener: (events: AlarmEvent[]) => void): () => void;
  get(alarmId: string): { state: AlarmStateName; chattering: boolean; active?: boolean } | undefined;
  raiseExternal(spec: {
    key: string;
    station: string;
    device?: string;
    class: string;
    priority: Priority;
    message: string;
    active: boolean;
    value?: number;
    now?: number;
  }): void;
}
