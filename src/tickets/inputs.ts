/**
 * What the ticket service's operations take and answer (service.ts): new tickets and calls from
 * the service window, lifecycle transitions.
 */
import type { LinkedCall } from './calls.ts';
import type { Outage } from './outage.ts';
import type { ReplyLang } from './replies.ts';
import type { Customer, CustomerCategory, Ticket, TicketPriority, TicketStatus } from './types.ts';

export interface NewTicketInput {
  source: 'customer' | 'manual';
  /** required for customer tickets */
  category?: CustomerCategory;
  customer?: Customer;
  title?: string;
  description: string;
  /** explicit station; otherwise mapped from the customer's address */
  station?: string;
  /** manual tickets only (customer tickets take it from the category) */
  priority?: TicketPriority;
  /** a ticket the new one is related to (a new need found on a callback); linked both ways */
  relatedTo?: number;
}

export interface CallInput extends NewTicketInput {
  /** false: open a ticket even while a planned stop or incident covers the address (the clerk judged the call unrelated) */
  linkToOutage?: boolean;
}

/** A no-heat call joined to the outage that covers the caller, with the reply naming when heat returns. */
export interface LinkedCallResult {
  call: LinkedCall;
  outage: Outage;
  replies: Record<ReplyLang, string>;
}

export interface TransitionInput {
  to: TicketStatus;
  note?: string;
  /** on resolve: one of `tickets.resolutionCodes` */
  resolution?: string;
  assignee?: string;
  team?: string;
}

export interface CreatedTicket {
  ticket: Ticket;
  replies: Record<ReplyLang, string>;
  /** a station alarm "customers report no heat" was raised by this complaint */
  noHeatAlarm: boolean;
}
