/**
 * The summary a shift opens with (pure): open tickets by priority, the annunciated alarms by
 * priority and how many are unacknowledged, the tickets whose deadlines passed during the last
 * shift, and the stations in maintenance or stopped with where that comes from and until when.
 * The route gathers the inputs from the ticket store, the alarm runner and the mode service
 * (src/api/routes/shifts.ts); a part whose service is not deployed is null.
 */
import type { EffectiveMode, ModeSource } from '../modes/schedule.ts';
import type { BreachKind, TicketPriority, TicketStatus } from '../tickets/types.ts';

/** One deadline a ticket missed: the timeline's `breach_*` entry with the ticket it belongs to. */
export interface ShiftBreach {
  ticket: number;
  title: string;
  /** the ticket's station; an incident has none but its area */
  station: string | null;
  area: string | null;
  priority: TicketPriority;
  /** the ticket's status now */
  status: TicketStatus;
  /** which deadline: respond, on_site or resolve */
  deadline: BreachKind;
  /** when the breach was marked */
  at: number;
}

export interface StationOff {
  station: string;
  name: string;
  area: string | null;
  mode: 'maintenance' | 'stopped';
  source: ModeSource;
  /** when the mode ends, where known */
  until: number | null;
  /** the operator's comment or the planned stop's reason */
  reason: string | null;
  /** the operator who set it, or who entered the stop (`config` for the config file's) */
  by: string | null;
}

export interface ShiftSummary {
  /** when it was computed */
  at: number;
  openTickets: { total: number; byPriority: Record<TicketPriority, number> } | null;
  alarms: { total: number; unacked: number; byPriority: Record<'1' | '2' | '3' | '4', number> } | null;
  /** oldest first */
  breached: ShiftBreach[] | null;
  /** maintenance first, then stopped; by station id */
  stationsOff: StationOff[] | null;
}

export interface SummaryInputs {
  at: number;
  /** open (not closed) tickets per priority; a priority with none may be absent */
  openByPriority?: Readonly<Record<string, number>>;
  /** the annunciated alarms (unacked, acked, rtn_unacked) */
  alarms?: ReadonlyArray<{ priority: number; state: string }>;
  breaches?: readonly ShiftBreach[];
  stations?: ReadonlyArray<{ id: string; name: string; area: string | null; mode: EffectiveMode | undefined }>;
}

const PRIORITIES = ['P1', 'P2', 'P3', 'P4'] as const;
const UNACKED = new Set(['unacked', 'rtn_unacked']);

export function buildShiftSummary(i: SummaryInputs): ShiftSummary {
  let openTickets: ShiftSummary['openTickets'] = null;
  if (i.openByPriority) {
    const byPriority = Object.fromEntries(PRIORITIES.map((p) => [p, i.openByPriority![p] ?? 0])) as Record<TicketPriority, number>;
    openTickets = { total: PRIORITIES.reduce((n, p) => n + byPriority[p], 0), byPriority };
  }
  let alarms: ShiftSummary['alarms'] = null;
  if (i.alarms) {
    const byPriority = { '1': 0, '2': 0, '3': 0, '4': 0 };
    let unacked = 0;
    for (const a of i.alarms) {
      const k = String(a.priority) as keyof typeof byPriority;
      if (k in byPriority) byPriority[k]++;
      if (UNACKED.has(a.state)) unacked++;
    }
    alarms = { total: i.alarms.length, unacked, byPriority };
  }
  const breached = i.breaches ? [...i.breaches].sort((a, b) => a.at - b.at || a.ticket - b.ticket) : null;
  let stationsOff: StationOff[] | null = null;
  if (i.stations) {
    stationsOff = [];
    for (const s of i.stations) {
      const m = s.mode;
      if (!m || (m.mode !== 'maintenance' && m.mode !== 'stopped')) continue;
      stationsOff.push({
        station: s.id,
        name: s.name,
        area: s.area,
        mode: m.mode,
        source: m.source,
        until: m.until,
        reason: m.operator?.comment ?? m.stop?.reason ?? null,
        by: m.operator?.user ?? m.stop?.by ?? null,
      });
    }
    stationsOff.sort((a, b) => (a.mode === b.mode ? a.station.localeCompare(b.station) : a.mode === 'maintenance' ? -1 : 1));
  }
  return { at: i.at, openTickets, alarms, breached, stationsOff };
}
