/**
 * The service report of a day or a month (pure): tickets created, deadlines met, callbacks and
 * satisfaction, repeat repairs and breaches by team. Time is an argument; the SQL reader
 * (reader.ts) hands it the tickets that can matter for the period. docs/service-reports.md
 * defines every figure.
 *
 * Percentages have one decimal and are null where there is nothing to divide (no deadline
 * decided, no callback reached): "no data" is not 0 % and not 100 %.
 *
 * @example
 *   const period = parsePeriod({ date: '2026-12-01' }, 'Asia/Shanghai', now);
 *   const r = serviceReport({ period, now, tickets, callbacks, repeatWindowMs: 72 * 3_600_000 });
 *   r.onTime.respond; // { onTime: 41, late: 3, percent: 93.2 }
 */
import type { Callback } from '../tickets/store.ts';
import { CUSTOMER_CATEGORIES, TICKET_PRIORITIES, type BreachKind, type CustomerCategory, type Ticket, type TicketPriority, type TicketSource } from '../tickets/types.ts';
import { deadlineOutcomes, resolutionTimes, type DeadlineOutcome, type ReportEntry } from './deadlines.ts';
import { label, type ReportLang } from './labels.ts';
import type { Period } from './period.ts';
import { repeatRepairs, type RepeatRepair } from './repeats.ts';

export type ReportCallback = Pick<Callback, 'ticketId' | 'ts' | 'reached' | 'satisfied'>;

export interface ReportTicket {
  ticket: Ticket;
  /** its timeline in order (transitions, breaches, reopens are what a report reads) */
  entries: readonly ReportEntry[];
}

export interface ServiceReportInput {
  period: Period;
  now: number;
  tickets: readonly ReportTicket[];
  callbacks: readonly ReportCallback[];
  repeatWindowMs: number;
  /** the language of the team label of tickets without a team (default zh-CN: 未分派) */
  lang?: ReportLang;
}

export interface Rate {
  onTime: number;
  late: number;
  /** onTime / (onTime + late) in %, one decimal; null when no deadline was decided */
  percent: number | null;
}

export interface TeamBreaches {
  /** null: tickets without a team */
  team: string | null;
  label: string;
  respond: number;
  on_site: number;
  resolve: number;
  total: number;
}

export interface ServiceReport {
  period: { kind: Period['kind']; date: string; from: number; to: number; timeZone: string; generatedAt: number };
  created: {
    total: number;
    bySource: Record<TicketSource, number>;
    /** customer tickets by the service window's category */
    byCategory: Record<CustomerCategory, number>;
    /** alarm tickets by fault class (`incident` for alarm-storm incidents), most first */
    byFaultClass: Array<{ faultClass: string; count: number }>;
    byPriority: Record<TicketPriority, number>;
  };
  onTime: {
    respond: Rate;
    resolve: Rate;
    byPriority: Array<{ priority: TicketPriority; respond: Rate; resolve: Rate }>;
  };
  callbacks: {
    /** customer tickets resolved in the period */
    resolved: number;
    /** of those, with a callback recorded at or after the resolution */
    withCallback: number;
    /** withCallback / resolved in % */
    callbackRate: number | null;
    /** callbacks recorded in the period */
    made: number;
    reached: number;
    unreached: number;
    satisfied: number;
    dissatisfied: number;
    /** satisfied / reached in % (an unreached callback says nothing about satisfaction) */
    satisfaction: number | null;
  };
  repeats: { total: number; reopened: number; newTickets: number; items: RepeatRepair[] };
  breaches: { total: Omit<TeamBreaches, 'team' | 'label'>; byTeam: TeamBreaches[] };
}

/** n / d in % with one decimal, null when d is 0. */
export function percent(n: number, d: number): number | null {
  return d === 0 ? null : Math.round((1000 * n) / d) / 10;
}

const rateOf = (outcomes: readonly DeadlineOutcome[]): Rate => {
  const late = outcomes.filter((o) => o.late).length;
  return { onTime: outcomes.length - late, late, percent: percent(outcomes.length - late, outcomes.length) };
};

const zeroes = <K extends string>(keys: readonly K[]) => Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;

function created(tickets: readonly Ticket[]): ServiceReport['created'] {
  const bySource = zeroes<TicketSource>(['alarm', 'customer', 'manual']);
  const byCategory = zeroes(CUSTOMER_CATEGORIES);
  const byPriority = zeroes(TICKET_PRIORITIES);
  const classes = new Map<string, number>();
  for (const t of tickets) {
    bySource[t.source]++;
    byPriority[t.priority]++;
    if (t.source === 'customer' && t.category) byCategory[t.category]++;
    if (t.source === 'alarm') {
      const c = t.kind === 'incident' ? 'incident' : (t.faultClass ?? 'other');
      classes.set(c, (classes.get(c) ?? 0) + 1);
    }
  }
  const byFaultClass = [...classes].map(([faultClass, count]) => ({ faultClass, count })).sort((a, b) => b.count - a.count || a.faultClass.localeCompare(b.faultClass));
  return { total: tickets.length, bySource, byCategory, byFaultClass, byPriority };
}

function callbackFigures(input: ServiceReportInput, inPeriod: (ts: number) => boolean): ServiceReport['callbacks'] {
  const byTicket = new Map<number, number[]>();
  for (const c of input.callbacks) byTicket.set(c.ticketId, [...(byTicket.get(c.ticketId) ?? []), c.ts]);
  let resolved = 0;
  let withCallback = 0;
  for (const { ticket: t, entries } of input.tickets) {
    if (t.source !== 'customer') continue;
    const last = resolutionTimes(t, entries).filter(inPeriod).at(-1);
    if (last === undefined) continue;
    resolved++;
    if ((byTicket.get(t.id) ?? []).some((ts) => ts >= last)) withCallback++;
  }
  const made = input.callbacks.filter((c) => inPeriod(c.ts));
  const reached = made.filter((c) => c.reached);
  const satisfied = reached.filter((c) => c.satisfied === true).length;
  return {
    resolved,
    withCallback,
    callbackRate: percent(withCallback, resolved),
    made: made.length,
    reached: reached.length,
    unreached: made.length - reached.length,
    satisfied,
    dissatisfied: reached.filter((c) => c.satisfied === false).length,
    satisfaction: percent(satisfied, reached.length),
  };
}

function breachesByTeam(late: ReadonlyArray<{ ticket: Ticket; o: DeadlineOutcome }>, lang: ReportLang): ServiceReport['breaches'] {
  const names = label(lang);
  const rows = new Map<string | null, TeamBreaches>();
  const total = { respond: 0, on_site: 0, resolve: 0, total: 0 };
  for (const { ticket, o } of late) {
    const team = ticket.team ?? null;
    let row = rows.get(team);
    if (!row) rows.set(team, (row = { team, label: names.team(team), respond: 0, on_site: 0, resolve: 0, total: 0 }));
    row[o.kind]++;
    row.total++;
    total[o.kind]++;
    total.total++;
  }
  // most breaches first; tickets without a team after the teams with as many
  const byTeam = [...rows.values()].sort((a, b) => b.total - a.total || (a.team === null ? 1 : 0) - (b.team === null ? 1 : 0) || (a.team ?? '').localeCompare(b.team ?? ''));
  return { total, byTeam };
}

export function serviceReport(input: ServiceReportInput): ServiceReport {
  const { period, now } = input;
  const inPeriod = (ts: number) => ts >= period.from && ts < period.to;

  const decided: Array<{ ticket: Ticket; o: DeadlineOutcome }> = [];
  for (const { ticket, entries } of input.tickets) {
    for (const o of deadlineOutcomes(ticket, entries, now)) if (inPeriod(o.at)) decided.push({ ticket, o });
  }
  const of = (kind: BreachKind, priority?: TicketPriority) => decided.filter((d) => d.o.kind === kind && (priority === undefined || d.ticket.priority === priority)).map((d) => d.o);

  const repeats = repeatRepairs(input.tickets.map((r) => ({ ticket: r.ticket, entries: r.entries })), input.repeatWindowMs, period);
  const reopened = repeats.filter((r) => r.kind === 'reopened').length;

  return {
    period: { kind: period.kind, date: period.label, from: period.from, to: period.to, timeZone: period.timeZone, generatedAt: now },
    created: created(input.tickets.map((r) => r.ticket).filter((t) => inPeriod(t.createdAt))),
    onTime: {
      respond: rateOf(of('respond')),
      resolve: rateOf(of('resolve')),
      byPriority: TICKET_PRIORITIES.map((p) => ({ priority: p, respond: rateOf(of('respond', p)), resolve: rateOf(of('resolve', p)) })),
    },
    callbacks: callbackFigures(input, inPeriod),
    repeats: { total: repeats.length, reopened, newTickets: repeats.length - reopened, items: repeats },
    breaches: breachesByTeam(
      decided.filter((d) => d.o.late),
      input.lang ?? 'zh-CN',
    ),
  };
}
