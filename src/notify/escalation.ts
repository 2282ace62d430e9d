/**
 * The escalation chain, pure: which ticket changes notify whom, and which team a ticket belongs
 * to. Each decision carries a named reason, for logs and tests.
 *
 * - A P1 ticket created, raised to P1, or reopened as P1 → level 1, the on-call, at once.
 * - The response deadline missed (`breach_respond`, also `breach_on_site`) → level 2.
 * - The resolve deadline missed (`breach_resolve`) → level 3, the manager.
 * - A customer's "not satisfied" callback that reopens the ticket → the QA lead (roster level `qa`).
 *
 * @example
 *   escalationsFor({ event: { change: 'breach_respond', ticket, … }, from: null, to: null, detail })
 *   // [{ rule: 'breach_respond', level: 2 }]
 */
import type { TicketChange } from '../tickets/outbox.ts';
import type { Ticket } from '../tickets/types.ts';
import type { Team } from './config.ts';
import type { RosterLevel } from './roster.ts';

export type NotifyRule = 'p1_open' | 'p1_raised' | 'p1_reopened' | 'breach_respond' | 'breach_on_site' | 'breach_resolve' | 'callback_unhappy';
export const NOTIFY_RULES: readonly NotifyRule[] = ['p1_open', 'p1_raised', 'p1_reopened', 'breach_respond', 'breach_on_site', 'breach_resolve', 'callback_unhappy'];

export interface Escalation {
  rule: NotifyRule;
  level: RosterLevel;
}

const BREACHES: Record<string, Escalation> = {
  breach_respond: { rule: 'breach_respond', level: 2 },
  breach_on_site: { rule: 'breach_on_site', level: 2 },
  breach_resolve: { rule: 'breach_resolve', level: 3 },
};

/** The notifications a ticket change calls for (none for most changes). */
export function escalationsFor(c: TicketChange): Escalation[] {
  const { change, ticket } = c.event;
  const breach = BREACHES[change];
  if (breach) return [breach];
  const out: Escalation[] = [];
  const p1 = ticket.priority === 'P1';
  if (change === 'created' && p1) out.push({ rule: 'p1_open', level: 1 });
  // an alarm re-raise that raises the priority, or a dispatcher's change with its reason
  if ((change === 'priority_raised' || change === 'priority') && p1) out.push({ rule: 'p1_raised', level: 1 });
  if (c.to === 'reopened') {
    // the callback's reopening names the callback it followed (service.ts recordCallback)
    if (c.detail !== null && c.detail.callback !== undefined) out.push({ rule: 'callback_unhappy', level: 'qa' });
    if (p1) out.push({ rule: 'p1_reopened', level: 1 });
  }
  return out;
}

export type TeamReason = 'dispatched' | 'area_and_kind' | 'area' | 'default' | 'no_team';

/** Does a team's category / fault-class filter take the ticket? null: it has none. */
function kindMatch(t: Team, ticket: Pick<Ticket, 'category' | 'faultClass'>): boolean | null {
  if (t.categories === null && t.faultClasses === null) return null;
  return (ticket.category !== null && (t.categories?.includes(ticket.category) ?? false)) || (ticket.faultClass !== null && (t.faultClasses?.includes(ticket.faultClass) ?? false));
}

/**
 * The team a ticket belongs to: the team it was dispatched to (by id or name), else a team
 * serving its area — one whose categories or fault classes name the ticket before one without
 * such a list, then in config order — else `defaultTeam`.
 */
export function teamFor(
  ticket: Pick<Ticket, 'team' | 'area' | 'category' | 'faultClass'>,
  teams: readonly Team[],
  defaultTeam: string | null,
): { team: Team | null; reason: TeamReason } {
  if (ticket.team !== null) {
    const named = teams.find((t) => t.id === ticket.team || t.name === ticket.team);
    if (named) return { team: named, reason: 'dispatched' };
  }
  const serving = teams.filter((t) => t.areas.includes('*') || (ticket.area !== null && t.areas.includes(ticket.area)));
  const specific = serving.find((t) => kindMatch(t, ticket) === true);
  if (specific) return { team: specific, reason: 'area_and_kind' };
  const general = serving.find((t) => kindMatch(t, ticket) === null);
  if (general) return { team: general, reason: 'area' };
  const fallback = defaultTeam === null ? undefined : teams.find((t) => t.id === defaultTeam);
  return fallback ? { team: fallback, reason: 'default' } : { team: null, reason: 'no_team' };
}
