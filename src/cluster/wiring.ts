/**
 * What a `serve` instance of a cluster hands to the others and takes from them, beside the
 * leases: its alarm and ticket events reach every instance's /ws clients, and an external alarm
 * (customers reporting no heat, filed through any instance) is raised by the station's owner.
 */
import type { AlarmRow } from '../alarms/persist.ts';
import type { AlarmRunner } from '../alarms/runner.ts';
import type { AlarmEvent } from '../alarms/types.ts';
import type { DailyStore } from '../analytics/store.ts';
import type { ModeService } from '../modes/service.ts';
import type { NotifyService } from '../notify/service.ts';
import type { TicketService } from '../tickets/service.ts';
import type { TicketAlarmSource, TicketEvent } from '../tickets/types.ts';
import type { ClusterCoordinator } from './coordinator.ts';

type Broadcast = ((msg: { type: 'alarm' | 'ticket'; [k: string]: unknown }) => void) | undefined;
type ExternalSpec = Parameters<TicketAlarmSource['raiseExternal']>[0];

/** The alarm runner as the ticket service sees it, raising external alarms where the station is owned. */
export function clusterAlarmSource(c: ClusterCoordinator, alarms: AlarmRunner): TicketAlarmSource {
  c.bus.on<ExternalSpec>('alarm-external', (m) => {
    if (c.holdsStation(m.body.station)) alarms.raiseExternal(m.body);
  });
  return {
    onEvents: (l) => alarms.onEvents(l),
    get: (id) => alarms.get(id),
    raiseExternal: (spec) => {
      if (c.holdsStation(spec.station)) alarms.raiseExternal(spec);
      else void c.bus.send('alarm-external', spec).catch(() => {});
    },
  };
}

/** Events between the instances' live feeds. */
export function relayLiveEvents(c: ClusterCoordinator, o: { alarms: AlarmRunner; tickets: TicketService; broadcast: () => Broadcast; onError: (err: unknown) => void }): void {
  c.bus.on<{ event: AlarmEvent; row: AlarmRow | null }>('alarm', (m) => {
    c.mirror(m.body);
    o.broadcast()?.({ type: 'alarm', event: m.body.event, alarm: o.alarms.get(m.body.event.alarmId) ?? null });
  });
  // a ticket is bigger than a notification may be: its id goes, and the others read it
  o.tickets.onEvent((e: TicketEvent) => void c.bus.send('ticket', { id: e.id, type: e.type, change: e.change, ticket: e.ticket.id }).catch(o.onError));
  c.bus.on<{ id: string; type: string; change: string; ticket: number }>('ticket', async (m) => {
    try {
      const ticket = await o.tickets.get(m.body.ticket);
      if (ticket) o.broadcast()?.({ type: 'ticket', event: m.body.type, id: m.body.id, change: m.body.change, ticket });
    } catch (err) {
      o.onError(err);
    }
  });
}

/**
 * Modes and planned stops set through any instance hold on every instance: the one that changed
 * them says so, the others read them again (also after their bus reconnects, when a message may
 * have been missed) and give the alarm engine the stations' new contexts.
 */
export function relayModes(c: ClusterCoordinator, o: { modes: ModeService; alarms: AlarmRunner; onError: (err: unknown) => void }): void {
  o.modes.onChange(() => void c.bus.send('modes', {}).catch(o.onError));
  const reload = () =>
    o.modes.reload().then(
      () => o.alarms.applyContexts(),
      (err: unknown) => o.onError(err),
    );
  c.bus.on('modes', reload);
  c.bus.on('$connected', reload);
}

/** The analytics job runs on one instance; the others drop what they kept about the days it wrote. */
export function relayAnalyticsDays(c: ClusterCoordinator, daily: DailyStore, onError: (err: unknown) => void): void {
  daily.onWrite((days) => void c.bus.send('analytics-days', { days }).catch(onError));
  c.bus.on<{ days: string[] }>('analytics-days', (m) => daily.noteWritten(m.body.days));
}

/** A roster set through one instance pages from all at once (each also reads it again every 30 s). */
export function relayRoster(c: ClusterCoordinator, notify: NotifyService, onError: (err: unknown) => void): void {
  notify.onRosterChange(() => void c.bus.send('roster', {}).catch(onError));
  c.bus.on('roster', () => void notify.refresh().catch(onError));
}
