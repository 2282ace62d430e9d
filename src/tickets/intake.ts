/**
 * Alarm intake of the ticket service: alarm events become ticket candidates (dedup.ts decides,
 * with a named reason), due candidates open or join tickets, the SLA timer marks breaches, and
 * repeated no-heat complaints raise a station alarm. Time comes from the injected clock.
 */
import type { AlarmEvent } from '../alarms/types.ts';
import { backoffDelay } from '../backoff.ts';
import { isStateUnavailable } from '../state/errors.ts';
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

  /** Alarm batches and timer ticks, applied one after another in the order they came. */
  private queue: Promise<unknown> = Promise.resolve();
  /** set by stop: work waiting for the state database gives up instead */
  protected stopping = false;

  /**
   * Queues `fn` behind the work already queued. The alarm runner's polling path calls in here and
   * must not wait for the database; a failure is logged and the next piece of work still runs.
   */
  protected inOrder<T>(what: string, fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch((err) => this.o.logger?.error({ err }, `tickets: ${what} failed`));
    return run;
  }

  /** Resolves when the queued alarm batches and ticks are done (stop, tests). */
  protected async drained(): Promise<void> {
    for (let q = this.queue; ; q = this.queue) {
      await q;
      if (q === this.queue) return;
    }
  }

  /**
   * Applies alarm events in order, behind the batches before them; resolves to the named decision
   * for each (for logs and tests). Returns at once: the caller need not wait.
   */
  handleAlarmEvents(events: readonly AlarmEvent[]): Promise<Array<{ event: number; action: string; reason: string }>> {
    return this.inOrder('applying alarm events', () => this.untilStateAnswers(() => this.applyAlarmEvents(events)));
  }

  /**
   * Runs `fn` again while the state database cannot be reached, so the alarm events of an outage
   * become tickets when it ends, in order (later batches wait behind); other errors, and every
   * error once stopping, go to the caller.
   */
  private async untilStateAnswers<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (this.stopping || !isStateUnavailable(err)) throw err;
        if (attempt === 0) this.o.logger?.warn({ err }, 'tickets: the state database is away; alarm events wait and are applied when it answers');
        await new Promise((r) => setTimeout(r, backoffDelay(attempt, { baseMs: 500, maxMs: 5000 })));
      }
    }
  }

  private async applyAlarmEvents(all: readonly AlarmEvent[]): Promise<Array<{ event: number; action: string; reason: string }>> {
    const out: Array<{ event: number; action: string; reason: string }> = [];
    await this.commit(async () => {
      // in a cluster, the events of stations this instance lost meanwhile are the new owner's to apply
      const mine = this.o.owns ? await this.o.owns([...new Set(all.map((e) => e.station))]) : null;
      const events = mine ? all.filter((e) => mine.has(e.station)) : all;
      // every dedup key of the batch, in one order: another instance screening the same keys waits, and never deadlocks
      await this.lockKeys(events.filter((e) => e.type === 'raise' && e.to === 'unacked').map((e) => dedupKey(e.station, e.class ?? e.ruleId, equipmentOf(e))));
      for (const e of events) {
        const d = await this.screen(e);
        out.push({ event: e.id, action: d.action, reason: d.reason });
      }
    });
    // candidates due at once (P1 green channel) open now, not at the next timer tick
    if (out.some((d) => d.action === 'defer')) await this.processDue(this.now());
    return out;
  }

  /** Inside a unit of work: holds the dedup keys until it ends (two serve instances never both open a ticket for one key). */
  protected async lockKeys(keys: readonly string[]): Promise<void> {
    for (const k of [...new Set(keys)].sort()) await this.o.db.lock(`tickets:${k}`);
  }

  protected view(alarmId: string): AlarmView | undefined {
    return this.o.source?.get(alarmId);
  }

  protected areaOf(station: string): string {
    return this.stations.get(station)?.area ?? AREA_DEFAULT;
  }

  protected async screen(e: AlarmEvent) {
    const faultClass = e.class ?? e.ruleId;
    const equipment = equipmentOf(e);
    const key = dedupKey(e.station, faultClass, equipment);
    const area = this.areaOf(e.station);
    const view = this.view(e.alarmId);
    const isRaise = e.type === 'raise' && e.to === 'unacked';
    if (isRaise) await this.store.addRaise(e.alarmId, area, e.station, e.ts);
    const open = isRaise ? await this.store.openByKey(key) : undefined;
    const d = screenAlarmEvent(e, {
      settings: this.s,
      view,
      open: open ? { id: open.id, priority: open.priority } : null,
      recentRaises: isRaise ? await this.store.raisesOfAlarm(e.alarmId, e.ts - this.s.chatter.windowMs) : 0,
    });
    this.o.logger?.debug({ alarm: e.alarmId, action: d.action, reason: d.reason }, 'ticket decision');
    if (d.action === 'cancel') await this.store.deletePending(e.alarmId);
    else if (d.action === 'update' && open) await this.applyOccurrence((await this.store.getForChange(open.id)) ?? open, { ...e, value: typeof e.value === 'number' ? e.value : null }, d.priority, e.ts);
    else if (d.action === 'defer' && !(await this.store.getPending(e.alarmId))) {
      await this.store.putPending({
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

  protected async applyOccurrence(t: Ticket, e: { alarmId: string; ts: number; value: number | null; station: string }, priority: TicketPriority, ts: number): Promise<void> {
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
    await this.change(t, SYSTEM_ACTOR, raised ? 'priority_raised' : 'occurrence', 'updated', { note: null, detail: { alarmId: e.alarmId, occurrences: t.occurrences, priority } });
  }

  // ---- timer --------------------------------------------------------------

  /**
   * Opens due candidates, marks breached deadlines, clears the no-heat signal; behind the alarm
   * batches queued before it. Call with the injected clock.
   */
  tick(now: number = this.now()): Promise<TickResult> {
    return this.inOrder('ticket tick', () => this.runTick(now));
  }

  private async runTick(now: number): Promise<TickResult> {
    const result = await this.processDue(now);
    await this.commit(async () => {
      // one instance at a time marks breaches, and the next one reads what it marked
      await this.o.db.lock('tickets:sla');
      for (const seen of await this.store.watched()) {
        if (this.breachesOf(seen, now).length === 0) continue;
        // read again, locked: an instance serving the API may have changed it since (responded, resolved)
        const t = await this.store.getForChange(seen.id);
        if (!t) continue;
        for (const kind of this.breachesOf(t, now)) {
          t.breaches[kind] = now;
          t.escalation++;
          this.breachCounts[kind]++;
          await this.change(t, SYSTEM_ACTOR, `breach_${kind}`, 'escalated', {
            note: `${kind.replace('_', '-')} deadline passed`,
            detail: { deadline: kind === 'respond' ? t.respondBy : kind === 'on_site' ? t.onSiteBy : t.resolveBy },
          });
          result.escalated.push({ id: t.id, kind });
        }
      }
      await this.store.pruneRaises(now - Math.max(2 * this.s.storm.windowMs, this.s.chatter.windowMs, this.s.noHeat.windowMs));
    });
    await this.clearNoHeat(now);
    return result;
  }

  protected breachesOf(t: Ticket, now: number): BreachKind[] {
    const out: BreachKind[] = [];
    if (t.respondedAt === null && now > t.respondBy && t.breaches.respond === undefined) out.push('respond');
    if (t.onSiteBy !== null && t.onSiteAt === null && now > t.onSiteBy && t.breaches.on_site === undefined) out.push('on_site');
    if (t.resolvedAt === null && now > t.resolveBy && t.breaches.resolve === undefined) out.push('resolve');
    return out;
  }

  protected async processDue(now: number): Promise<TickResult> {
    const result: TickResult = { opened: [], updated: [], escalated: [] };
    for (const p of await this.store.duePending(now)) {
      // one unit of work per candidate, under its key and its area's incident key
      await this.commit(async () => {
        await this.lockKeys([p.key, incidentKey(p.area)]);
        // gone: cancelled meanwhile, or another instance opened it
        if (!(await this.store.deletePending(p.alarmId))) return;
        const t = await this.openCandidate(p, now);
        if (t?.created) result.opened.push(t.id);
        else if (t) result.updated.push(t.id);
      });
    }
    return result;
  }

  protected async openCandidate(p: PendingCandidate, now: number): Promise<{ id: number; created: boolean } | null> {
    const open = await this.store.openByKey(p.key);
    const closed = await this.store.lastClosedByKey(p.key);
    const incident = await this.store.openByKey(incidentKey(p.area));
    const w = this.s.storm.windowMs;
    const d = decideOpen({
      settings: this.s,
      now,
      alarmPriority: p.priority,
      view: this.view(p.alarmId),
      open: open ? { id: open.id } : null,
      lastClosed: closed && closed.closedAt !== null ? { id: closed.id, closedAt: closed.closedAt } : null,
      areaRaises: await this.store.raisesInArea(p.area, p.raiseTs - w, Math.min(now, p.raiseTs + w)),
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
        const t = (await this.store.getForChange(d.action === 'update' ? d.ticketId : d.incidentId)) as Ticket;
        await this.applyOccurrence(t, occ, maxPriority(t.priority, priority), p.raiseTs);
        return { id: t.id, created: false };
      }
      case 'reopen': {
        const t = (await this.store.getForChange(d.ticketId)) as Ticket;
        const from = t.status;
        this.resetForReopen(t, now, priority);
        t.repeat = true;
        t.occurrences++;
        t.lastSeen = p.raiseTs;
        if (!t.alarmIds.includes(p.alarmId)) t.alarmIds.push(p.alarmId);
        await this.change(t, SYSTEM_ACTOR, 'reopened_repeat', 'updated', { from, to: 'reopened', note: '返修 repeat repair: re-raised within the reopen window', detail: { alarmId: p.alarmId } });
        return { id: t.id, created: false };
      }
      case 'open_incident': {
        const t = await this.insert({
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
        const t = await this.insert({
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
          incidentId: incident?.id ?? null,
          ...deadlinesFor(priority, p.raiseTs, this.s.sla),
        });
        return { id: t.id, created: true };
      }
    }
  }

  // ---- customers report no heat ---------------------------------------------

  protected noHeatCount(station: string, now: number): Promise<number> {
    return this.store.customerTicketsSince(station, 'no_heat', now - this.s.noHeat.windowMs);
  }

  /** Three no-heat complaints for one station within an hour raise a station alarm. */
  protected async checkNoHeat(station: string, now: number): Promise<boolean> {
    const n = await this.noHeatCount(station, now);
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

  protected async clearNoHeat(now: number): Promise<void> {
    for (const station of [...this.noHeatRaised]) {
      if ((await this.noHeatCount(station, now)) >= this.s.noHeat.count) continue;
      this.noHeatRaised.delete(station);
      this.o.source?.raiseExternal({ key: 'customer_no_heat', station, class: 'no_heat', priority: 2, message: 'customers report no heat', active: false, now });
    }
  }
}
