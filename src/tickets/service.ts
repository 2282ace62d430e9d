/**
 * The ticket service: turns alarm events and service-window calls into
 * tickets, owns the SLA clocks (`tick(now)` with an injected clock), the
 * lifecycle with its timeline, and the webhook outbox. Every change is one
 * SQLite transaction: ticket, timeline, audit and outbox rows together.
 *
 * @example
 *   const svc = new TicketService({ db: state.db, settings, stations, source: runner });
 *   svc.start();                 // subscribes to alarm events, starts the timer and webhooks
 *   svc.createTicket({ source: 'customer', category: 'no_heat', ... }, { name: 'desk-1', role: 'operator' });
 */
import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import type { AlarmEvent } from '../alarms/types.ts';
import type { AuditEntry } from '../state/sqlite-state.ts';
import { matchStation, parseAddressCsv, type AddressEntry } from './address.ts';
import type { TicketSettings } from './config.ts';
import { decideOpen, screenAlarmEvent, type AlarmView } from './dedup.ts';
import { TicketError } from './errors.ts';
import { checkTransition } from './lifecycle.ts';
import { Outbox, WebhookDispatcher } from './outbox.ts';
import { customerPolicy, deadlinesFor, dedupKey, equipmentOf, incidentKey, maxPriority, ticketPriorityOf } from './policy.ts';
import { replyText, type ReplyLang } from './replies.ts';
import { TicketStore, type Attachment, type Callback, type PendingCandidate, type TicketFilter } from './store.ts';
import {
  SYSTEM_ACTOR,
  type Actor,
  type BreachKind,
  type Customer,
  type CustomerCategory,
  type Ticket,
  type TicketAlarmSource,
  type TicketEvent,
  type TicketEventType,
  type TicketPriority,
  type TicketStatus,
  type TimelineEntry,
} from './types.ts';

export interface StationInfo {
  id: string;
  name?: string;
  area?: string;
}

export interface TicketServiceOptions {
  db: Database.Database;
  settings: TicketSettings;
  stations: readonly StationInfo[];
  /** site time zone for reply texts */
  timezone?: string;
  source?: TicketAlarmSource;
  now?: () => number;
  logger?: Logger;
  /** folder for attachments (default `tickets.attachments.dir`, else `data/attachments`) */
  attachmentsDir?: string;
  /** audit trail writer (SqliteStateStore.audit); called inside the change's transaction */
  audit?: (e: AuditEntry) => unknown;
}

export interface NewTicketInput {
  source: 'customer' | 'manual';
  /** required for customer tickets */
  category?: CustomerCategory;
  customer?: Customer;
  title?: string;
  description: string;
  /** explicit station; otherwise mapped from the customer's address */
  station?: string;
  /** manual tickets only (customer tickets take it from the category) */
  priority?: TicketPriority;
}

export interface TransitionInput {
  to: TicketStatus;
  note?: string;
  assignee?: string;
  team?: string;
}

export interface CreatedTicket {
  ticket: Ticket;
  replies: Record<ReplyLang, string>;
  /** a station alarm "customers report no heat" was raised by this complaint */
  noHeatAlarm: boolean;
}

export interface TickResult {
  opened: number[];
  updated: number[];
  escalated: Array<{ id: number; kind: BreachKind }>;
}

const AREA_DEFAULT = 'default';

export class TicketService {
  readonly store: TicketStore;
  readonly outbox: Outbox;
  readonly dispatcher: WebhookDispatcher;
  readonly settings: TicketSettings;
  readonly attachmentsDir: string;
  private readonly s: TicketSettings;
  private readonly now: () => number;
  private readonly stations: Map<string, StationInfo>;
  private readonly listeners = new Set<(e: TicketEvent) => void>();
  private emitQueue: TicketEvent[] = [];
  private unsubscribe: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly noHeatRaised = new Set<string>();
  private breachCounts: Record<BreachKind, number> = { respond: 0, on_site: 0, resolve: 0 };

  constructor(private readonly o: TicketServiceOptions) {
    this.s = o.settings;
    this.settings = o.settings;
    this.attachmentsDir = o.attachmentsDir ?? o.settings.attachments.dir ?? 'data/attachments';
    this.now = o.now ?? Date.now;
    this.stations = new Map(o.stations.map((st) => [st.id, st]));
    this.store = new TicketStore(o.db);
    this.outbox = new Outbox(o.db, o.settings.webhooks);
    this.dispatcher = new WebhookDispatcher({ db: o.db, targets: o.settings.webhooks, retry: o.settings.retry, ...(o.logger ? { logger: o.logger.child({ module: 'webhooks' }) } : {}) });
    if (o.settings.addresses.length) this.store.putAddresses(o.settings.addresses);
  }

  /** Subscribes to alarm events, starts the SLA timer and webhook senders. */
  start(): void {
    if (this.o.source && !this.unsubscribe) this.unsubscribe = this.o.source.onEvents((ev) => this.handleAlarmEvents(ev));
    this.dispatcher.start();
    if (!this.timer) {
      this.timer = setInterval(() => {
        try {
          this.tick();
        } catch (err) {
          this.o.logger?.error({ err }, 'ticket tick failed');
        }
      }, this.s.tickMs);
      this.timer.unref();
    }
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.dispatcher.stop();
  }

  /** Ticket events after their transaction committed (live feed, MQTT). */
  onEvent(listener: (e: TicketEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

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

  private view(alarmId: string): AlarmView | undefined {
    return this.o.source?.get(alarmId);
  }

  private areaOf(station: string): string {
    return this.stations.get(station)?.area ?? AREA_DEFAULT;
  }

  private screen(e: AlarmEvent) {
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

  private applyOccurrence(t: Ticket, e: { alarmId: string; ts: number; value: number | null; station: string }, priority: TicketPriority, ts: number): void {
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

  private breachesOf(t: Ticket, now: number): BreachKind[] {
    const out: BreachKind[] = [];
    if (t.respondedAt === null && now > t.respondBy && t.breaches.respond === undefined) out.push('respond');
    if (t.onSiteBy !== null && t.onSiteAt === null && now > t.onSiteBy && t.breaches.on_site === undefined) out.push('on_site');
    if (t.resolvedAt === null && now > t.resolveBy && t.breaches.resolve === undefined) out.push('resolve');
    return out;
  }

  private processDue(now: number): TickResult {
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

  private openCandidate(p: PendingCandidate, now: number): { id: number; created: boolean } | null {
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

  // ---- service window and manual tickets --------------------------------

  stationForAddress(address: string): string | undefined {
    return matchStation(address, this.store.addresses());
  }

  /** Imports `address,station` CSV rows; all or nothing. */
  importAddresses(csv: string, actor: Actor): { imported: number } {
    const { entries, errors } = parseAddressCsv(csv, new Set(this.stations.keys()));
    if (errors.length) throw new TicketError('bad_request', errors.slice(0, 20).join('; '), 'body');
    this.commit(() => {
      this.store.putAddresses(entries);
      this.o.audit?.({ ts: this.now(), user: actor.name, role: actor.role, action: 'tickets.addresses.import', target: 'addresses', detail: { rows: entries.length } });
    });
    return { imported: entries.length };
  }

  addresses(): AddressEntry[] {
    return this.store.addresses();
  }

  createTicket(input: NewTicketInput, actor: Actor): CreatedTicket {
    const now = this.now();
    if (input.source === 'customer') {
      if (!input.category) throw new TicketError('bad_request', 'a customer ticket needs a category', 'body.category');
      if (!input.customer) throw new TicketError('bad_request', 'a customer ticket needs name, phone and address', 'body.customer');
    }
    if (input.source === 'manual' && !input.priority) throw new TicketError('bad_request', 'a manual ticket needs a priority', 'body.priority');
    let station = input.station;
    if (station !== undefined && !this.stations.has(station)) throw new TicketError('bad_request', `unknown station '${station}'`, 'body.station');
    if (station === undefined && input.customer) station = this.stationForAddress(input.customer.address);
    const policy = input.category
      ? customerPolicy(input.category, now, this.s)
      : { priority: input.priority as TicketPriority, deadlines: deadlinesFor(input.priority as TicketPriority, now, this.s.sla) };
    if (input.source === 'manual' && input.priority) policy.priority = input.priority;
    let noHeatAlarm = false;
    const t = this.commit(() => {
      const related = station ? this.store.openAlarmTickets(station) : [];
      const alarmTicket = related.find((r) => r.kind === 'single') ?? null;
      const incident = related.find((r) => r.kind === 'incident') ?? null;
      const created = this.insert(
        {
          ...this.blank(now),
          source: input.source,
          priority: policy.priority,
          title: input.title ?? (input.category ? `${input.category}: ${input.customer?.address ?? station ?? ''}`.trim() : 'manual ticket'),
          description: input.description,
          station: station ?? null,
          area: station ? this.areaOf(station) : null,
          category: input.category ?? null,
          customer: input.customer ?? null,
          stations: station ? [station] : [],
          linkedTo: alarmTicket?.id ?? incident?.id ?? null,
          incidentId: incident?.id ?? null,
          firstSeen: now,
          lastSeen: now,
          ...policy.deadlines,
        },
        actor,
      );
      return created;
    });
    // after the commit: the runner may call straight back with alarm events
    if (input.category === 'no_heat' && station) noHeatAlarm = this.checkNoHeat(station, now);
    return { ticket: t, replies: this.replies(t), noHeatAlarm };
  }

  private noHeatCount(station: string, now: number): number {
    const r = this.o.db
      .prepare("SELECT COUNT(*) AS n FROM tk_tickets WHERE station = ? AND source = 'customer' AND json_extract(data, '$.category') = 'no_heat' AND created_at > ?")
      .get(station, now - this.s.noHeat.windowMs) as { n: number };
    return r.n;
  }

  /** Three no-heat complaints for one station within an hour raise a station alarm. */
  private checkNoHeat(station: string, now: number): boolean {
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

  private clearNoHeat(now: number): void {
    for (const station of [...this.noHeatRaised]) {
      if (this.noHeatCount(station, now) >= this.s.noHeat.count) continue;
      this.noHeatRaised.delete(station);
      this.o.source?.raiseExternal({ key: 'customer_no_heat', station, class: 'no_heat', priority: 2, message: 'customers report no heat', active: false, now });
    }
  }

  // ---- lifecycle ------------------------------------------------------------

  transition(id: number, input: TransitionInput, actor: Actor): Ticket {
    return this.commit(() => {
      const t = this.require(id);
      const check = checkTransition({
        from: t.status,
        to: input.to,
        role: actor.role,
        source: t.source,
        callbackDone: t.callbackDone,
        hasAssignee: Boolean(input.assignee ?? input.team ?? t.assignee ?? t.team),
      });
      if (!check.ok) {
        const code = check.reason === 'forbidden' ? 'forbidden' : check.reason === 'assignee_required' ? 'bad_request' : 'conflict';
        throw new TicketError(code, check.message, check.reason === 'assignee_required' ? 'body.assignee' : check.reason === 'invalid_transition' ? 'body.to' : undefined);
      }
      const now = this.now();
      const from = t.status;
      if (input.assignee !== undefined) t.assignee = input.assignee;
      if (input.team !== undefined) t.team = input.team;
      if (input.to === 'dispatched' && t.respondedAt === null) t.respondedAt = now;
      if (input.to === 'in_progress' && t.onSiteAt === null) t.onSiteAt = now;
      if (input.to === 'resolved') t.resolvedAt = now;
      if (input.to === 'closed') t.closedAt = now;
      if (input.to === 'reopened') this.resetForReopen(t, now, t.priority);
      t.status = input.to;
      const type: TicketEventType = input.to === 'closed' ? 'closed' : 'updated';
      this.change(t, actor, 'transition', type, { from, to: input.to, note: input.note ?? null, detail: input.assignee || input.team ? { assignee: t.assignee, team: t.team } : null });
      return t;
    });
  }

  recordCallback(id: number, cb: { reached: boolean; satisfied?: boolean; note?: string }, actor: Actor): Callback {
    return this.commit(() => {
      const t = this.require(id);
      if (t.source !== 'customer' || !t.customer) throw new TicketError('conflict', `ticket ${id} has no customer to call back`);
      const now = this.now();
      const c: Omit<Callback, 'id'> = { ticketId: id, ts: now, actor: actor.name, reached: cb.reached, satisfied: cb.satisfied ?? null, note: cb.note ?? null };
      const cid = this.store.addCallback(c);
      if (cb.reached) t.callbackDone = true;
      this.change(t, actor, 'callback', 'updated', { note: cb.note ?? null, detail: { reached: cb.reached, satisfied: cb.satisfied ?? null } });
      return { ...c, id: cid };
    });
  }

  /** Records an attachment whose file is already in place; `unlink` undoes the file if the write fails. */
  recordAttachment(id: number, a: Omit<Attachment, 'id' | 'ticketId' | 'ts' | 'actor'>, actor: Actor): Attachment {
    return this.commit(() => {
      const t = this.require(id);
      const row = { ...a, ticketId: id, ts: this.now(), actor: actor.name };
      const aid = this.store.addAttachment(row);
      this.change(t, actor, 'attachment', 'updated', { note: a.filename, detail: { attachment: aid, mime: a.mime, size: a.size } });
      return { ...row, id: aid };
    });
  }

  // ---- reads ------------------------------------------------------------------

  get(id: number): Ticket | undefined {
    return this.store.get(id);
  }

  list(f: TicketFilter = {}): Ticket[] {
    return this.store.list(f);
  }

  detail(id: number): { ticket: Ticket; timeline: TimelineEntry[]; callbacks: Callback[]; attachments: Attachment[] } {
    const ticket = this.require(id);
    return { ticket, timeline: this.store.timeline(id), callbacks: this.store.callbacks(id), attachments: this.store.attachments(id) };
  }

  /** Open alarm ticket and open incident of a station (shown beside a complaint). */
  related(station: string): { alarmTicket: Ticket | null; incident: Ticket | null } {
    const open = this.store.openAlarmTickets(station);
    return { alarmTicket: open.find((t) => t.kind === 'single') ?? null, incident: open.find((t) => t.kind === 'incident') ?? null };
  }

  replies(t: Ticket): Record<ReplyLang, string> {
    const tz = this.o.timezone ?? 'Asia/Shanghai';
    const input = { id: t.id, category: t.category, createdAt: t.createdAt, respondBy: t.respondBy, resolveBy: t.resolveBy };
    return { 'zh-CN': replyText('zh-CN', input, tz), en: replyText('en', input, tz) };
  }

  metrics(): { openByPriority: Record<string, number>; breaches: Record<BreachKind, number>; pendingCandidates: number; outbox: ReturnType<Outbox['stats']> } {
    return { openByPriority: this.store.countOpenByPriority(), breaches: { ...this.breachCounts }, pendingCandidates: this.store.pendingCount(), outbox: this.outbox.stats() };
  }

  // ---- internals ------------------------------------------------------------

  private require(id: number): Ticket {
    const t = this.store.get(id);
    if (!t) throw new TicketError('not_found', `ticket ${id} not found`);
    return t;
  }

  private blank(now: number): Omit<Ticket, 'id' | 'source' | 'priority' | 'title' | 'description' | 'respondBy' | 'onSiteBy' | 'resolveBy'> {
    return {
      key: null,
      kind: 'single',
      status: 'open',
      station: null,
      area: null,
      faultClass: null,
      equipment: null,
      category: null,
      customer: null,
      stations: [],
      alarmIds: [],
      occurrences: 1,
      firstSeen: now,
      lastSeen: now,
      peakValue: null,
      repeat: false,
      linkedTo: null,
      incidentId: null,
      team: null,
      assignee: null,
      createdAt: now,
      updatedAt: now,
      respondedAt: null,
      onSiteAt: null,
      resolvedAt: null,
      closedAt: null,
      breaches: {},
      escalation: 0,
      callbackDone: false,
    };
  }

  private resetForReopen(t: Ticket, now: number, priority: TicketPriority): void {
    t.status = 'reopened';
    t.priority = maxPriority(t.priority, priority);
    Object.assign(t, deadlinesFor(t.priority, now, this.s.sla));
    t.respondedAt = null;
    t.onSiteAt = null;
    t.resolvedAt = null;
    t.closedAt = null;
    t.breaches = {};
    t.escalation = 0;
  }

  private insert(t: Omit<Ticket, 'id'>, actor: Actor = SYSTEM_ACTOR): Ticket {
    const created = this.store.insert(t);
    this.change(created, actor, 'created', 'created', { to: 'open', note: null, detail: null }, false);
    return created;
  }

  /** Saves the ticket, appends its timeline entry, audit row and outbox event (inside `commit`). */
  private change(
    t: Ticket,
    actor: Actor,
    kind: string,
    type: TicketEventType,
    e: { from?: TicketStatus | null; to?: TicketStatus | null; note: string | null; detail: Record<string, unknown> | null },
    touch = true,
  ): void {
    const now = this.now();
    if (touch) t.updatedAt = now;
    this.store.save(t);
    const tid = this.store.addTimeline({ ticketId: t.id, ts: now, actor: actor.name, role: actor.role, kind, from: e.from ?? null, to: e.to ?? null, note: e.note, detail: e.detail });
    if (actor !== SYSTEM_ACTOR) this.o.audit?.({ ts: now, user: actor.name, role: actor.role, action: `ticket.${kind}`, target: `ticket:${t.id}`, detail: { from: e.from ?? null, to: e.to ?? null } });
    const ev: TicketEvent = { id: `${t.id}:${tid}`, type, ts: now, change: kind, ticket: structuredClone(t) };
    this.outbox.enqueue(ev, now);
    this.emitQueue.push(ev);
  }

  /** Runs `fn` in one transaction; events go out only after it committed. Nested calls join the outer one. */
  private commit<T>(fn: () => T): T {
    if (this.o.db.inTransaction) return fn();
    let result: T;
    try {
      result = this.o.db.transaction(fn)();
    } catch (err) {
      this.emitQueue = [];
      throw err;
    }
    const events = this.emitQueue;
    this.emitQueue = [];
    if (events.length) {
      this.dispatcher.kick();
      for (const ev of events) {
        this.o.logger?.info({ ticket: ev.ticket.id, change: ev.change, status: ev.ticket.status, priority: ev.ticket.priority }, `ticket ${ev.type}`);
        for (const l of this.listeners) {
          try {
            l(ev);
          } catch (err) {
            this.o.logger?.error({ err }, 'ticket event listener failed');
          }
        }
      }
    }
    return result;
  }
}
