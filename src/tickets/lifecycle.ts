/**
 * Ticket lifecycle (DESIGN §2), pure: open → dispatched → in_progress →
 * resolved → verified → closed, and reopened. Who may do what: operators
 * dispatch and close, engineers resolve, QA verifies (an engineer does not
 * verify their own fix), closing a customer ticket needs a recorded callback.
 *
 * @example
 *   checkTransition({ from: 'resolved', to: 'verified', role: 'qa', source: 'alarm', callbackDone: false, hasAssignee: true })
 *   // { ok: true }
 */
import { rankOf, type Role } from '../roles.ts';
import { TICKET_STATUSES, type TicketSource, type TicketStatus } from './types.ts';

/** By rank (src/roles.ts), or only the roles named: qa and admin verify, nobody else. */
type Who = { min: Role } | { only: Role[] };

interface Rule {
  who: Who;
  /** dispatching needs a team or an assignee */
  needsAssignee?: boolean;
  /** closing a customer ticket needs a callback */
  needsCallback?: boolean;
}

export const TRANSITIONS: Record<TicketStatus, Partial<Record<TicketStatus, Rule>>> = {
  open: { dispatched: { who: { min: 'operator' }, needsAssignee: true } },
  reopened: { dispatched: { who: { min: 'operator' }, needsAssignee: true } },
  dispatched: { dispatched: { who: { min: 'operator' }, needsAssignee: true }, in_progress: { who: { min: 'operator' } } },
  in_progress: { resolved: { who: { min: 'engineer' } } },
  resolved: { verified: { who: { only: ['qa', 'admin'] } }, reopened: { who: { only: ['qa', 'admin'] } } },
  verified: { closed: { who: { min: 'operator' }, needsCallback: true }, reopened: { who: { min: 'operator' } } },
  closed: { reopened: { who: { min: 'operator' } } },
};

export interface TransitionRequest {
  from: TicketStatus;
  to: TicketStatus;
  role: string;
  source: TicketSource;
  callbackDone: boolean;
  /** the ticket has, or the request sets, a team or assignee */
  hasAssignee: boolean;
}

export type TransitionCheck =
  | { ok: true }
  | { ok: false; reason: 'invalid_transition' | 'forbidden' | 'assignee_required' | 'callback_required'; message: string };

/** The system actor (alarm intake, SLA clock) may make every transition. */
function allowed(who: Who, role: string): boolean {
  if (role === 'system') return true;
  if ('only' in who) return (who.only as string[]).includes(role);
  return rankOf(role) >= rankOf(who.min);
}

/** The transitions a role may make, by status: what the page offers as buttons. */
export function transitionsFor(role: string): Record<TicketStatus, TicketStatus[]> {
  const out = {} as Record<TicketStatus, TicketStatus[]>;
  for (const from of TICKET_STATUSES) out[from] = (Object.keys(TRANSITIONS[from]) as TicketStatus[]).filter((to) => allowed(TRANSITIONS[from][to]!.who, role));
  return out;
}

export function describeWho(who: Who): string {
  return 'only' in who ? `role ${who.only.join(' or ')}` : `role ${who.min} or above`;
}

export function checkTransition(r: TransitionRequest): TransitionCheck {
  const rule = TRANSITIONS[r.from][r.to];
  if (!rule) {
    const next = Object.keys(TRANSITIONS[r.from]);
    return { ok: false, reason: 'invalid_transition', message: `cannot go from ${r.from} to ${r.to} (allowed: ${next.join(', ') || 'none'})` };
  }
  if (!allowed(rule.who, r.role)) return { ok: false, reason: 'forbidden', message: `${r.from} → ${r.to} needs ${describeWho(rule.who)}` };
  if (rule.needsAssignee && !r.hasAssignee) return { ok: false, reason: 'assignee_required', message: 'dispatching needs an assignee (team or person)' };
  if (rule.needsCallback && r.source === 'customer' && !r.callbackDone) {
    return { ok: false, reason: 'callback_required', message: 'a customer ticket closes only after a recorded callback that reached the customer' };
  }
  return { ok: true };
}

/** Statuses that count as open for dedup and for the open-ticket metrics. */
export function isOpenStatus(s: TicketStatus): boolean {
  return s !== 'closed';
}
