/**
 * When each of a ticket's deadlines was met or missed (pure). A deadline's outcome is decided
 * once: met when the work was done at or before it (decided at that moment), missed when it
 * passed undone (decided at the deadline, whether the work came later or not yet). Reports count
 * an outcome in the period it was decided in, so a day's figures add up to the month's and a
 * deadline still running is counted nowhere yet.
 *
 * A reopen starts a new cycle with new deadlines (the ticket service resets them), and the ticket
 * row keeps only the current cycle. Earlier cycles are read back from the timeline: a deadline the
 * SLA clock marked as breached (`breach_*`, with the deadline in its detail) was missed then; work
 * done in a cycle without such a mark was on time.
 *
 * @example
 *   deadlineOutcomes(ticket, timeline, now);
 *   // [{ kind: 'respond', late: false, at: ticket.respondedAt }, { kind: 'resolve', late: true, at: ticket.resolveBy }]
 */
import type { BreachKind, Ticket, TicketStatus, TimelineEntry } from '../tickets/types.ts';

/** What a report reads of a timeline entry. */
export type ReportEntry = Pick<TimelineEntry, 'ts' | 'kind' | 'to' | 'detail'>;

export interface DeadlineOutcome {
  kind: BreachKind;
  late: boolean;
  /** when the outcome was decided: the work's time when met, the deadline when missed */
  at: number;
}

/** The status whose reaching does the work a deadline asks for. */
const DONE_BY: Record<BreachKind, TicketStatus> = { respond: 'dispatched', on_site: 'in_progress', resolve: 'resolved' };
const KINDS: readonly BreachKind[] = ['respond', 'on_site', 'resolve'];

/** One deadline of the current cycle, from the ticket's own fields. */
function current(kind: BreachKind, due: number | null, done: number | null, now: number): DeadlineOutcome | null {
  if (due === null) return null;
  if (done !== null) return done <= due ? { kind, late: false, at: done } : { kind, late: true, at: due };
  return now > due ? { kind, late: true, at: due } : null;
}

/** One deadline of an earlier (reopened) cycle, from its timeline entries. */
function earlier(kind: BreachKind, cycle: readonly ReportEntry[]): DeadlineOutcome | null {
  const breach = cycle.find((e) => e.kind === `breach_${kind}`);
  if (breach) {
    const due = breach.detail?.deadline;
    return { kind, late: true, at: typeof due === 'number' ? due : breach.ts };
  }
  const done = cycle.find((e) => e.to === DONE_BY[kind]);
  // on-site deadlines exist only where the SLA sets one: without a breach mark there is no telling
  return done && kind !== 'on_site' ? { kind, late: false, at: done.ts } : null;
}

/** The ticket's timeline split at its reopens: every cycle but the current one. */
function earlierCycles(entries: readonly ReportEntry[]): ReportEntry[][] {
  const cycles: ReportEntry[][] = [];
  let cur: ReportEntry[] = [];
  for (const e of entries) {
    if (e.to === 'reopened') {
      cycles.push(cur);
      cur = [];
    } else cur.push(e);
  }
  return cycles;
}

/** Every decided outcome of the ticket's deadlines, as of `now`; `entries` in timeline order. */
export function deadlineOutcomes(t: Ticket, entries: readonly ReportEntry[], now: number): DeadlineOutcome[] {
  const out: DeadlineOutcome[] = [];
  for (const cycle of earlierCycles(entries)) {
    for (const kind of KINDS) {
      const o = earlier(kind, cycle);
      if (o) out.push(o);
    }
  }
  for (const o of [
    current('respond', t.respondBy, t.respondedAt, now),
    current('on_site', t.onSiteBy, t.onSiteAt, now),
    current('resolve', t.resolveBy, t.resolvedAt, now),
  ]) {
    if (o) out.push(o);
  }
  return out;
}

/** Every time the ticket was resolved: its timeline's resolutions and the row's current one. */
export function resolutionTimes(t: Pick<Ticket, 'resolvedAt'>, entries: readonly ReportEntry[]): number[] {
  const times = entries.filter((e) => e.to === 'resolved').map((e) => e.ts);
  if (t.resolvedAt !== null && !times.includes(t.resolvedAt)) times.push(t.resolvedAt);
  return times.sort((a, b) => a - b);
}
