/** Plain data for the notification tests: teams, a ticket, a change as the ticket core hands it. */
import type { Team } from '../../src/notify/config.ts';
import type { RosterEntry } from '../../src/notify/roster.ts';
import type { TicketChange } from '../../src/tickets/outbox.ts';
import type { Ticket } from '../../src/tickets/types.ts';

export const T0 = Date.UTC(2026, 11, 1, 4, 0, 0); // 12:00 in Asia/Shanghai
export const MIN = 60_000;
export const HOUR = 3_600_000;

export const TEAMS: Team[] = [
  { id: 'south', name: '南岗维修班', areas: ['南岗区', '香坊区'], categories: null, faultClasses: null, channels: ['ops-wecom', 'mail'] },
  { id: 'leaks', name: '管网抢修队', areas: ['*'], categories: ['leak'], faultClasses: ['leak', 'flood'], channels: ['ops-ding'] },
  { id: 'north', name: '道里维修班', areas: ['道里区'], categories: null, faultClasses: null, channels: ['ops-wecom'] },
];

export function person(p: Partial<RosterEntry> & Pick<RosterEntry, 'name' | 'level'>): RosterEntry {
  return { team: 'south', area: '*', mobile: null, email: null, from: null, to: null, ...p };
}

export function ticket(p: Partial<Ticket> = {}): Ticket {
  return {
    id: 12, key: 'hs-001|over_pressure|plc', kind: 'single', source: 'alarm', status: 'open', priority: 'P1', title: '南岗1号站: 二次侧压力过高',
    description: '', station: 'hs-001', area: '南岗区', faultClass: 'over_pressure', equipment: 'plc', category: null, customer: null, stations: ['hs-001'],
    alarmIds: [], occurrences: 1, firstSeen: T0, lastSeen: T0, peakValue: null, repeat: false, linkedTo: null, incidentId: null, team: null, assignee: null,
    createdAt: T0, updatedAt: T0, respondedAt: null, onSiteAt: null, resolvedAt: null, closedAt: null, breaches: {}, escalation: 0, callbackDone: false,
    respondBy: T0 + 5 * MIN, onSiteBy: T0 + 30 * MIN, resolveBy: T0 + 48 * HOUR,
    ...p,
  };
}

export function change(change: string, t: Ticket, o: { ts?: number; from?: TicketChange['from']; to?: TicketChange['to']; detail?: Record<string, unknown> | null } = {}): TicketChange {
  const type = change.startsWith('breach_') ? 'escalated' : change === 'created' ? 'created' : 'updated';
  return { event: { id: `${t.id}:7`, type, ts: o.ts ?? T0, change, ticket: t }, from: o.from ?? null, to: o.to ?? null, detail: o.detail ?? null };
}
