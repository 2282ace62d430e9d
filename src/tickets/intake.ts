/**
 * Alarm intake of the ticket service: alarm events become ticket candidates (dedup.ts decides,
 * with a named reason), due candidates open or join tickets, the SLA timer marks breaches, and
 * repeated no-heat complaints raise a station alarm. Time comes from the injected clock.
 */
import type { AlarmEvent } from '../alarms/types.ts';
import { TicketCore } from './core.ts';
import { decideOpen, screenAlarmEvent, type AlarmView } from './dedup.ts';
import { deadlinesFor, dedupKey, equipmentOf, incidentKey, maxPriority, ticketPriorityOf } from './policy.ts';
import type { PendingCandidate } from './store.ts';
import { SYSTEM_ACTOR, type BreachKind, type Ticket, type TicketPriority } from './types.ts';

export interface TickResult {
  opened: number[];
  updated: number[];
  escalated: Array<{ id: number; kind: BreachKind }>;
}

const AREA_DEFAULT = 'default';

export abstract class TicketIntake extends TicketCore {
  protected readonly noHeatRaised = new Set<string>();
  protected breachCounts: Record<BreachKind, number> = { respond: 0, on_site: 0, resolve: 0 };

  // ---- alarm intake -------------------------------------------------------

  /** Applies alarm events in order; returns the named decision for each (for logs and tests). */
  handleAlarmEvents(events: readonly AlarmEvent[]): Array<{ event: number; action: string; reason: string }> {
    const out: Array<{ event: number; action: string; reason: string }> = [];
    this.commit(() => {
      for (const e of events) {
        const d = this.screen(e);
        out.push({ event: e.id, action: d.action, reason: d.reason });
      }
    });
    // candidates due at once (P1 green channel) open now, not at the next timer tick
    if (out.some((d) => d.action === 'defer')) this.processDue(this.now());
    return out;
  }

  protected view(alarmId: string): AlarmView | undefined {
    return this.o.source?.get(alarmId);
  }

  protected areaOf(station: string): string {
    return this.stations.get(station)?.area ?? AREA_DEFAULT;
  }

  protected screen(e: AlarmEvent) {
    const faultClass = e.class ?? e.ruleId;
    const equipment = equipmentOf(e);
    const key = dedupKey(e.station, faultClass, equipment);
    const area = this.areaOf(e.station);
    const view = this.view(e.alarmId);
    const isRaise = e.type === 'raise' && e.to === 'unacked';
    if (isRaise) this.store.addRaise(e.alarmId, area, e.station, e.ts);
    const open = isRaise ? this.store.openByKey(key) : undefined;
    const d = screenAlarmEvent(e, {
      settings: this.s,
      view,
      open: open ? { id: open.id, priority: open.priority } : null,
      recentRaises: isRaise ? this.store.raisesOfAlarm(e.alarmId, e.ts - this.s.chatter.windowMs) : 0,
    });
    this.o.logger?.debug({ alarm: e.alarmId, action: d.action, reason: d.reason }, 'ticket decision');
    if (d.action === 'cancel') this.store.deletePending(e.alarmId);
    else if (d.action === 'update' && open) this.applyOccurrence(open, { ...e, value: typeof e.value === 'number' ? e.value : null }, d.priority, e.ts);
    else if (d.action === 'defer' && !this.store.getPending(e.alarmId)) {
      this.store.putPending({
        alarmId: e.alarmId,
        key,
        ruleId: e.ruleId,
        station: e.station,
        device: e.device,
        point: e.point,
        area,
        faultClass,
        equipment,
        priority: e.priority,
        raiseTs: e.ts,
        dueAt: d.dueAt,
        value: typeof e.value === 'number' ? e.value : null,
        message: e.message,
      });
    }
    return d;
  }

  protected applyOccurrence(t: Ticket, e: { alarmId: string; ts: number; value: number | null; station: string }, priority: TicketPriority, ts: number): void {
    const raised = priority !== t.priority;
    t.occurrences++;
    t.lastSeen = Math.max(t.lastSeen, ts);
    if (e.value !== null) t.peakValue = t.peakValue === null ? e.value : Math.max(t.peakValue, e.value);
    if (!t.alarmIds.includes(e.alarmId)) t.alarmIds.push(e.alarmId);
    if (t.kind === 'incident' && !t.stations.includes(e.station)) t.stations.push(e.station);
    if (raised) {
      t.priority = priority;
      // deadlines keep running from the first raise, at the new priority
      Object.assign(t, deadlinesFor(priority, t.firstSeen, this.s.sla));
    }
    if (t.kind === 'incident') t.title = `告警风暴 ${t.area}: ${t.stations.length} 个站`;
    this.change(t, SYSTEM_ACTOR, raised ? 'priority_raised' : 'occurrence', 'updated', { note: null, detail: { alarmId: e.alarmId, occurrences: t.occurrences, priority } });
  }

  // ---- timer --------------------------------------------------------------

  /** Opens due candidates, marks breached deadlines, clears the no-heat signal. Call with the injected clock. */
  tick(now: number = this.now()): TickResult {
    const result = this.processDue(now);
    this.commit(() => {
      for (const t of this.store.watched()) {
        for (const kind of this.breachesOf(t, now)) {
          t.breaches[kind] = now;
          t.escalation++;
          this.breachCounts[kind]++;
          this.change(t, SYSTEM_ACTOR, `breach_${kind}`, 'escalated', {
            note: `${kind.replace('_', '-')} deadline passed`,
            detail: { deadline: kind === 'respond' ? t.respondBy : kind === 'on_site' ? t.onSiteBy : t.resolveBy },
          });
          result.escalated.push({ id: t.id, kind });
        }
      }
      this.store.pruneRaises(now - Math.max(2 * this.s.storm.windowMs, this.s.chatter.windowMs, this.s.noHeat.windowMs));
    });
    this.clearNoHeat(now);
    return result;
  }

  protected breachesOf(t: Ticket, now: number): BreachKind[] {
    const out: BreachKind[] = [];
    if (t.respondedAt === null && now > t.respondBy && t.breaches.respond === undefined) out.push('respond');
    if (t.onSiteBy !== null && t.onSiteAt === null && now > t.onSiteBy && t.breaches.on_site === undefined) out.push('on_site');
    if (t.resolvedAt === null && now > t.resolveBy && t.breaches.resolve === undefined) out.push('resolve');
    return out;
  }

  protected processDue(now: number): TickResult {
    const result: TickResult = { opened: [], updated: [], escalated: [] };
    const due = this.store.duePending(now);
    if (!due.length) return result;
    this.commit(() => {
      for (const p of due) {
        this.store.deletePending(p.alarmId);
        const t = this.openCandidate(p, now);
        if (t?.created) result.opened.push(t.id);
        else if (t) result.updated.push(t.id);
      }
    });
    return result;
  }

  protected openCandidate(p: PendingCandidate, now: number): { id: number; created: boolean } | null {
    const open = this.store.openByKey(p.key);
    const closed = this.store.lastClosedByKey(p.key);
    const incident = this.store.openByKey(incidentKey(p.area));
    const w = this.s.storm.windowMs;
    const d = decideOpen({
      settings: this.s,
      now,
      alarmPriority: p.priority,
      view: this.view(p.alarmId),
      open: open ? { id: open.id } : null,
      lastClosed: closed && closed.closedAt !== null ? { id: closed.id, closedAt: closed.closedAt } : null,
      areaRaises: this.store.raisesInArea(p.area, p.raiseTs - w, Math.min(now, p.raiseTs + w)),
      openIncident: incident ? { id: incident.id } : null,
    });
    this.o.logger?.info({ alarm: p.alarmId, action: d.action, reason: d.reason }, 'ticket decision at due time');
    const priority = ticketPriorityOf(p.priority as 1 | 2 | 3 | 4);
    const occ = { alarmId: p.alarmId, ts: p.raiseTs, value: p.value, station: p.station };
    switch (d.action) {
      case 'drop':
        return null;
      case 'update':
      case 'join_incident': {
        const t = this.store.get(d.action === 'update' ? d.ticketId : d.incidentId) as Ticket;
        this.applyOccurrence(t, occ, maxPriority(t.priority, priority), p.raiseTs);
        return { id: t.id, created: false };
      }
      case 'reopen': {
        const t = this.store.get(d.ticketId) as Ticket;
        const from = t.status;
        this.resetForReopen(t, now, priority);
        t.repeat = true;
        t.occurrences++;
        t.lastSeen = p.raiseTs;
        if (!t.alarmIds.includes(p.alarmId)) t.alarmIds.push(p.alarmId);
        this.change(t, SYSTEM_ACTOR, 'reopened_repeat', 'updated', { from, to: 'reopened', note: '返修 repeat repair: re-raised within the reopen window', detail: { alarmId: p.alarmId } });
        return { id: t.id, created: false };
      }
      case 'open_incident': {
        const t = this.insert({
          ...this.blank(now),
          key: incidentKey(p.area),
          kind: 'incident',
          source: 'alarm',
          priority,
          title: `告警风暴 ${p.area}: 1 个站`,
          description: `More than ${this.s.storm.maxAlarms} alarms within ${this.s.storm.windowMs / 60_000} min in area ${p.area}; grouped into one incident.`,
          area: p.area,
          faultClass: p.faultClass,
          stations: [p.station],
          alarmIds: [p.alarmId],
          firstSeen: p.raiseTs,
          lastSeen: p.raiseTs,
          peakValue: p.value,
          ...deadlinesFor(priority, p.raiseTs, this.s.sla),
        });
        return { id: t.id, created: true };
      }
      case 'create': {
        const st = this.stations.get(p.station);
        const t = this.insert({
          ...this.blank(now),
          key: p.key,
          kind: 'single',
          source: 'alarm',
          priority,
          // the control room's language: the alarm's zh-CN text from the catalogue (src/alarms/messages.ts)
          title: `${st?.name ?? p.station}: ${this.view(p.alarmId)?.messages?.['zh-CN'] || p.message || p.faultClass}`,
          description: `${p.message} (alarm ${p.alarmId}, point ${p.point})`,
          station: p.station,
          area: p.area,
          faultClass: p.faultClass,
          equipment: p.equipment,
          stations: [p.station],
          alarmIds: [p.alarmId],
          firstSeen: p.raiseTs,
          lastSeen: p.raiseTs,
          peakValue: p.value,
          linkedTo: d.linkedTo,
          incidentId: this.store.openByKey(incidentKey(p.area))?.id ?? null,
          ...deadlinesFor(priority, p.raiseTs, this.s.sla),
        });
        return { id: t.id, created: true };
      }
    }
  }

  // ---- customers report no heat ---------------------------------------------

  protected noHeatCount(station: string, now: number): number {
    const r = this.o.db
      .prepare("SELECT COUNT(*) AS n FROM tk_tickets WHERE station = ? AND source = 'customer' AND json_extract(data, '$.category') = 'no_heat' AND created_at > ?")
      .get(station, now - this.s.noHeat.windowMs) as { n: number };
    return r.n;
  }

  /** Three no-heat complaints for one station within an hour raise a station alarm. */
  protected checkNoHeat(station: string, now: number): boolean {
    const n = this.noHeatCount(station, now);
    if (n < this.s.noHeat.count || this.noHeatRaised.has(station)) return false;
    this.noHeatRaised.add(station);
    this.o.logger?.warn({ station, complaints: n }, 'customers report no heat: raising a station alarm');
    this.o.source?.raiseExternal({
      key: 'customer_no_heat',
      station,
      class: 'no_heat',
      priority: 2,
      message: `customers report no heat (${n} complaints within ${this.s.noHeat.windowMs / 60_000} min)`,
      active: true,
      value: n,
      now,
    });
    return true;
  }

  protected clearNoHeat(now: number): void {
    for (const station of [...this.noHeatRaised]) {
      if (this.noHeatCount(station, now) >= this.s.noHeat.count) continue;
      this.noHeatRaised.delete(station);
      this.o.source?.raiseExternal({ key: 'customer_no_heat', station, class: 'no_heat', priority: 2, message: 'customers report no heat', active: false, now });
    }
  }
}
