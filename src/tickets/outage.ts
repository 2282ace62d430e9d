/**
 * Which known outage covers a caller's station now, and the reply that names its restoration
 * time (pure). While a planned stop (停热公告) or an incident covers the station, a no-heat call
 * is the same cause reported again: the service window links the call to it instead of opening a
 * ticket, and tells the caller when heat comes back.
 *
 * What counts as covering, in order:
 * - a planned stop of the station, or of its area, in force now;
 * - an open incident ticket (an alarm storm grouped per area) naming the station;
 * - an open P1 alarm ticket of the station: P1 faults (burst, power loss in winter, last pump
 *   tripped) stop heat to the whole station. A P2 (a pump trip the standby took over) does not,
 *   so a no-heat call then still opens a ticket of its own.
 * An outage whose restoration time has already passed covers nothing: the caller's complaint is
 * then news (the stop overran), and it opens a ticket with deadlines like any other.
 *
 * @example
 *   coveringOutage({ station: 'hs-001', area: 'north', now, stops, openAlarmTickets: [] });
 *   // → { kind: 'planned_stop', id: 'ps-3', title: '换热器清洗', restoreBy: 1733223600000 } or null
 */
import type { PlannedStop } from '../modes/config.ts';
import { stopCovers } from '../modes/schedule.ts';
import { formatDeadline, type ReplyLang } from './replies.ts';
import type { Ticket } from './types.ts';

export interface Outage {
  kind: 'planned_stop' | 'incident' | 'alarm_ticket';
  /** the planned stop's id, or the ticket number */
  id: string | number;
  /** the stop's reason or the ticket's title */
  title: string;
  /** when heat is expected back: the stop's end, the ticket's resolve-by */
  restoreBy: number;
}

export function coveringOutage(o: {
  station: string;
  area: string | null;
  now: number;
  stops: readonly PlannedStop[];
  /** the station's open alarm tickets, incidents included */
  openAlarmTickets: readonly Ticket[];
}): Outage | null {
  const stop = o.stops.filter((s) => stopCovers(s, o.station, o.area, o.now)).sort((a, b) => b.to - a.to)[0];
  if (stop) return { kind: 'planned_stop', id: stop.id, title: stop.reason, restoreBy: stop.to };
  const ticket =
    o.openAlarmTickets.find((t) => t.kind === 'incident' && t.resolveBy > o.now) ??
    o.openAlarmTickets.find((t) => t.kind === 'single' && t.priority === 'P1' && t.resolveBy > o.now);
  if (!ticket) return null;
  return { kind: ticket.kind === 'incident' ? 'incident' : 'alarm_ticket', id: ticket.id, title: ticket.title, restoreBy: ticket.resolveBy };
}

/** The reply to a caller whose no-heat call was linked to `outage` (registered as call `callId`). */
export function outageReplyText(lang: ReplyLang, input: { callId: number; outage: Outage; now: number }, tz: string): string {
  const at = formatDeadline(input.outage.restoreBy, input.now, tz, lang);
  const { kind, title } = input.outage;
  if (lang === 'zh-CN') {
    const cause = kind === 'planned_stop' ? `计划停热（${title}）` : `管网故障抢修（${title}）`;
    return `您的来电已登记（编号 C${input.callId}）。您所在地址因${cause}暂停供热，预计 ${at} 前恢复供热。届时仍不热，请再次来电，我们将立即派单处理。`;
  }
  const cause = kind === 'planned_stop' ? `a planned heating stop (${title})` : `repair work on the network (${title})`;
  return `Your call is registered (no. C${input.callId}). Heating at your address is off because of ${cause}; it is expected back by ${at}. If it is still not warm by then, please call again and we will dispatch a crew at once.`;
}
