/**
 * Repeat repairs (返修) in a period (pure): work that had to be done again soon after a fix.
 * Counted in the period the repeat happened in, each at most once:
 * - a reopen within the window after the ticket's previous resolution, or one the ticket service
 *   itself marked as a repeat (`reopened_repeat`: an alarm re-raised within
 *   `tickets.reopenWindowH` of closing);
 * - a new ticket filed within the window after the resolution of an earlier ticket for the same
 *   thing: an alarm ticket with the same dedup key (station, fault class, equipment), or a
 *   customer ticket for the same address (compared normalised, src/tickets/address.ts).
 *
 * @example
 *   repeatRepairs(tickets, 72 * 3_600_000, { from, to });
 *   // [{ ticketId: 12, previousId: 7, kind: 'same_equipment', at, previousResolvedAt, ... }]
 */
import { normalizeAddress } from '../tickets/address.ts';
import type { Ticket } from '../tickets/types.ts';
import { resolutionTimes, type ReportEntry } from './deadlines.ts';

export type RepeatKind = 'reopened' | 'same_equipment' | 'same_address';

export interface RepeatRepair {
  ticketId: number;
  /** the ticket whose fix did not hold (the same ticket for a reopen) */
  previousId: number;
  kind: RepeatKind;
  /** the reopen, or the new ticket's filing */
  at: number;
  /** the resolution it followed; null for a reopen the service marked without a resolution on record */
  previousResolvedAt: number | null;
  station: string | null;
  address: string | null;
}

export interface RepeatInput {
  ticket: Ticket;
  entries: readonly ReportEntry[];
}

/** What makes two tickets about the same thing, or null when nothing does (manual tickets, incidents). */
function sameThingKey(t: Ticket): { key: string; kind: RepeatKind } | null {
  if (t.source === 'alarm' && t.kind === 'single' && t.key) return { key: `key:${t.key}`, kind: 'same_equipment' };
  if (t.source === 'customer' && t.customer?.address) return { key: `address:${normalizeAddress(t.customer.address)}`, kind: 'same_address' };
  return null;
}

/** The latest of `times` at or before `at` and no more than `windowMs` before it. */
function latestWithin(times: readonly number[], at: number, windowMs: number): number | null {
  let best: number | null = null;
  for (const r of times) if (r <= at && at - r <= windowMs && (best === null || r > best)) best = r;
  return best;
}

export function repeatRepairs(input: readonly RepeatInput[], windowMs: number, period: { from: number; to: number }): RepeatRepair[] {
  const inPeriod = (ts: number) => ts >= period.from && ts < period.to;
  const out: RepeatRepair[] = [];
  const resolutions = new Map<number, number[]>();
  const byKey = new Map<string, RepeatInput[]>();
  for (const r of input) {
    resolutions.set(r.ticket.id, resolutionTimes(r.ticket, r.entries));
    const k = sameThingKey(r.ticket);
    if (k) byKey.set(k.key, [...(byKey.get(k.key) ?? []), r]);
  }
  const where = (t: Ticket) => ({ station: t.station, address: t.customer?.address ?? null });

  for (const { ticket: t, entries } of input) {
    // reopens of this ticket
    for (const e of entries) {
      if (e.to !== 'reopened' || !inPeriod(e.ts)) continue;
      const before = latestWithin(entries.filter((x) => x.to === 'resolved').map((x) => x.ts), e.ts, Number.POSITIVE_INFINITY);
      const within = before !== null && e.ts - before <= windowMs;
      if (within || e.kind === 'reopened_repeat') out.push({ ticketId: t.id, previousId: t.id, kind: 'reopened', at: e.ts, previousResolvedAt: before, ...where(t) });
    }
    // a new ticket for the same thing soon after another's fix
    if (!inPeriod(t.createdAt)) continue;
    const k = sameThingKey(t);
    if (!k) continue;
    let best: { id: number; resolvedAt: number } | null = null;
    for (const other of byKey.get(k.key) ?? []) {
      if (other.ticket.id === t.id || other.ticket.createdAt > t.createdAt) continue;
      const r = latestWithin(resolutions.get(other.ticket.id) ?? [], t.createdAt, windowMs);
      if (r !== null && (best === null || r > best.resolvedAt)) best = { id: other.ticket.id, resolvedAt: r };
    }
    if (best) out.push({ ticketId: t.id, previousId: best.id, kind: k.kind, at: t.createdAt, previousResolvedAt: best.resolvedAt, ...where(t) });
  }
  return out.sort((a, b) => a.at - b.at || a.ticketId - b.ticketId);
}
