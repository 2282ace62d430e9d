/**
 * Markers on a station's trends (pure): the alarm raises and the ticket events of a period as
 * one list in time order, each `{ ts, kind, label, priority, ref }`, so a trend shows what the
 * dispatchers saw and did beside the values. Only what changes the picture is a marker: an
 * alarm's raise (not its acks or clears), a ticket's creation, status changes and missed
 * deadlines (not its notes, links or repeated occurrences).
 *
 * @example
 *   alarmMarkers([{ type: 'raise', ts, alarmId: 'a1', priority: 2, message: '二次供水温度高' }]);
 *   // [{ ts, kind: 'alarm', label: '二次供水温度高', priority: 2, ref: 'a1' }]
 */
import type { ReportLang } from '../../reports/labels.ts';
import { label } from '../../reports/labels.ts';
import type { TicketStatus } from '../../tickets/types.ts';

export type MarkerKind = 'alarm' | 'ticket';

export interface Marker {
  ts: number;
  kind: MarkerKind;
  label: string;
  /** 1 emergency … 4 low (a ticket's P1..P4) */
  priority: number;
  /** the alarm id, or the ticket number */
  ref: string;
}

/** The alarm event fields a marker needs. */
export interface AlarmEventLike {
  type: string;
  ts: number;
  alarmId: string;
  priority: number;
  message: string;
}

/** One ticket timeline entry with the ticket fields a marker needs. */
export interface TicketEventLike {
  ts: number;
  /** timeline kind: created, transition, reopened_repeat, breach_respond, … */
  kind: string;
  toStatus: TicketStatus | null;
  ticket: number;
  /** P1..P4 */
  priority: string;
  title: string;
}

/** Most markers one answer holds: the newest are kept, a trend cannot show more. */
export const MAX_MARKERS = 2000;

export function alarmMarkers(events: readonly AlarmEventLike[]): Marker[] {
  return events.filter((e) => e.type === 'raise').map((e) => ({ ts: e.ts, kind: 'alarm', label: e.message, priority: e.priority, ref: e.alarmId }));
}

const CREATED: Record<ReportLang, string> = { 'zh-CN': '新建', en: 'created' };
const BREACH: Record<ReportLang, Record<string, string>> = {
  'zh-CN': { breach_respond: '响应超时', breach_on_site: '到场超时', breach_resolve: '处理超时' },
  en: { breach_respond: 'respond late', breach_on_site: 'on site late', breach_resolve: 'resolve late' },
};

/** Whether a timeline entry is worth a marker: creation, a status change, a missed deadline. */
export function isMarkerEvent(kind: string, toStatus: TicketStatus | null): boolean {
  return kind === 'created' || toStatus !== null || kind.startsWith('breach_');
}

export function ticketMarkers(entries: readonly TicketEventLike[], lang: ReportLang = 'zh-CN'): Marker[] {
  const words = label(lang);
  const out: Marker[] = [];
  for (const e of entries) {
    if (!isMarkerEvent(e.kind, e.toStatus)) continue;
    const what = e.kind === 'created' ? CREATED[lang] : e.kind.startsWith('breach_') ? (BREACH[lang][e.kind] ?? e.kind) : words.status(e.toStatus as TicketStatus);
    const p = Number(e.priority.replace(/^P/, ''));
    out.push({ ts: e.ts, kind: 'ticket', label: `#${e.ticket} ${what}: ${e.title}`, priority: p >= 1 && p <= 4 ? p : 4, ref: String(e.ticket) });
  }
  return out;
}

/** Both lists in time order (alarms first at equal times), the newest `max` kept. */
export function mergeMarkers(alarms: readonly Marker[], tickets: readonly Marker[], max = MAX_MARKERS): Marker[] {
  const all = [...alarms, ...tickets].sort((a, b) => a.ts - b.ts || (a.kind === b.kind ? 0 : a.kind === 'alarm' ? -1 : 1));
  return all.length > max ? all.slice(all.length - max) : all;
}
