/**
 * The ticket service: turns alarm events and service-window calls into
 * tickets, owns the SLA clocks (`tick(now)` with an injected clock), the
 * lifecycle with its timeline, and the webhook outbox. Every change is one
 * state-database transaction: ticket, timeline, audit and outbox rows together.
 *
 * @example
 *   const svc = new TicketService({ db: stateDb, settings, stations, source: runner });
 *   await svc.init();            // creates or upgrades the ticket tables
 *   svc.start();                 // subscribes to alarm events, starts the timer and webhooks
 *   await svc.createTicket({ source: 'customer', category: 'no_heat', ... }, { name: 'desk-1', role: 'operator' });
 */
import { matchStation, parseAddressCsv, type AddressEntry } from './address.ts';
import { quotaProblem } from './attachments.ts';
import type { LinkedCall } from './calls.ts';
import { TicketError } from './errors.ts';
import { TicketIntake } from './intake.ts';
import type { CallInput, CreatedTicket, LinkedCallResult, NewTicketInput, TransitionInput } from './inputs.ts';
import { checkTransition } from './lifecycle.ts';
import type { Outbox } from './outbox.ts';
import { coveringOutage, outageReplyText, type Outage } from './outage.ts';
import { customerPolicy, deadlinesFor } from './policy.ts';
import { CATEGORY, replyText, type ReplyLang } from './replies.ts';
import type { TicketQuery } from './query.ts';
import type { Attachment, Callback, CallbackChannel, TicketStore } from './store.ts';
import type { Actor, BreachKind, Ticket, TicketEventType, TicketPriority, TimelineEntry } from './types.ts';

export type { StationInfo, TicketServiceOptions } from './core.ts';
export type { TickResult } from './intake.ts';

export type { CallInput, CreatedTicket, LinkedCallResult, NewTicketInput, TransitionInput } from './inputs.ts';

export class TicketService extends TicketIntake {
  private unsubscribe: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;

  private ticking = false;

  /** Subscribes to alarm events, starts the SLA timer and webhook senders (after {@link init}). */
  start(): void {
    this.subscribe();
    this.startTimers();
  }

  /** Takes the alarm events of the runner (`source`). */
  subscribe(): void {
    // queued, not awaited: the alarm runner calls from its polling path; a failure is logged where it is applied
    if (this.o.source && !this.unsubscribe) this.unsubscribe = this.o.source.onEvents((ev) => void this.handleAlarmEvents(ev).catch(() => {}));
  }

  /**
   * The SLA clock (breaches, escalation, candidates falling due) and the outbox senders: the
   * work one instance of a cluster does for all (src/cluster).
   */
  startTimers(): void {
    this.dispatcher.start();
    if (!this.timer) {
      this.timer = setInterval(() => {
        // a slow database must not pile up ticks behind each other
        if (this.ticking) return;
        this.ticking = true;
        void this.tick()
          .catch(() => {})
          .finally(() => (this.ticking = false));
      }, this.s.tickMs);
      this.timer.unref();
    }
  }

  /** Stops taking alarm events and ticks, lets the queued ones finish, stops the senders. */
  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.stopping = true;
    await this.stopTimers();
  }

  /** Stops the SLA clock and the senders, after the work queued so far. */
  async stopTimers(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.drained();
    await this.dispatcher.stop();
  }

  // ---- service window and manual tickets --------------------------------

  async stationForAddress(address: string): Promise<string | undefined> {
    return matchStation(address, await this.store.addresses());
  }

  /** Imports `address,station` CSV rows; all or nothing. */
  async importAddresses(csv: string, actor: Actor): Promise<{ imported: number }> {
    const { entries, errors } = parseAddressCsv(csv, new Set(this.stations.keys()));
    if (errors.length) throw new TicketError('bad_request', errors.slice(0, 20).join('; '), 'body');
    await this.commit(async () => {
      await this.store.putAddresses(entries);
      await this.o.audit?.({ ts: this.now(), user: actor.name, role: actor.role, action: 'tickets.addresses.import', target: 'addresses', detail: { rows: entries.length } });
    });
    return { imported: entries.length };
  }

  addresses(): Promise<AddressEntry[]> {
    return this.store.addresses();
  }

  async createTicket(input: NewTicketInput, actor: Actor): Promise<CreatedTicket> {
    const now = this.now();
    if (input.source === 'customer') {
      if (!input.category) throw new TicketError('bad_request', 'a customer ticket needs a category', 'body.category');
      if (!input.customer) throw new TicketError('bad_request', 'a customer ticket needs name, phone and address', 'body.customer');
    }
    if (input.source === 'manual' && !input.priority) throw new TicketError('bad_request', 'a manual ticket needs a priority', 'body.priority');
    let station = input.station;
    if (station !== undefined && !this.stations.has(station)) throw new TicketError('bad_request', `unknown station '${station}'`, 'body.station');
    if (input.relatedTo !== undefined && !(await this.store.get(input.relatedTo))) throw new TicketError('bad_request', `no ticket ${input.relatedTo}`, 'body.relatedTo');
    if (station === undefined && input.customer) station = await this.stationForAddress(input.customer.address);
    const policy = input.category
      ? customerPolicy(input.category, now, this.s)
      : { priority: input.priority as TicketPriority, deadlines: deadlinesFor(input.priority as TicketPriority, now, this.s.sla) };
    if (input.source === 'manual' && input.priority) policy.priority = input.priority;
    let noHeatAlarm = false;
    const t = await this.commit(async () => {
      const related = station ? await this.store.openAlarmTickets(station) : [];
      const alarmTicket = related.find((r) => r.kind === 'single') ?? null;
      const incident = related.find((r) => r.kind === 'incident') ?? null;
      const created = await this.insert(
        {
          ...this.blank(now),
          source: input.source,
          priority: policy.priority,
          // titles are in the utility's language, as alarm tickets' are
          title: input.title ?? (input.category ? `${CATEGORY['zh-CN'][input.category]}：${input.customer?.address ?? station ?? ''}` : '人工工单'),
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
      if (input.relatedTo !== undefined) await this.linkPair(created, await this.require(input.relatedTo), actor, null);
      return created;
    });
    // after the commit: the runner may call straight back with alarm events
    if (input.category === 'no_heat' && station) noHeatAlarm = await this.checkNoHeat(station, now);
    return { ticket: t, replies: this.replies(t), noHeatAlarm };
  }

  /**
   * A service-window call: a no-heat call while a planned stop or an incident covers the caller's
   * station joins that outage (recorded, counted on the ticket, the reply names the restoration
   * time) instead of opening a ticket; anything else is {@link createTicket}.
   */
  async fileCall(input: CallInput, actor: Actor): Promise<CreatedTicket | LinkedCallResult> {
    const station = input.station ?? (input.customer ? await this.stationForAddress(input.customer.address) : undefined);
    if (input.source !== 'customer' || input.category !== 'no_heat' || !input.customer || !station || !this.stations.has(station) || input.linkToOutage === false || input.relatedTo !== undefined) {
      return this.createTicket(input, actor);
    }
    const now = this.now();
    const customer = input.customer;
    const linked = await this.commit(async () => {
      const outage = await this.outageAt(station);
      if (!outage) return null;
      const call = await this.calls.add({ ts: now, actor: actor.name, category: 'no_heat', customer, description: input.description, station, outage });
      if (outage.kind !== 'planned_stop') {
        const t = await this.require(outage.id as number);
        t.linkedCalls = (t.linkedCalls ?? 0) + 1;
        await this.change(t, actor, 'call_linked', 'updated', { note: `${customer.name} ${customer.phone} ${customer.address}`, detail: { call: call.id } });
      } else {
        await this.o.audit?.({ ts: now, user: actor.name, role: actor.role, action: 'tickets.call.linked', target: `planned_stop:${outage.id}`, detail: { call: call.id, station } });
      }
      return { call, outage };
    });
    if (!linked) return this.createTicket(input, actor);
    const tz = this.o.timezone ?? 'Asia/Shanghai';
    const reply = { callId: linked.call.id, outage: linked.outage, now };
    return { ...linked, replies: { 'zh-CN': outageReplyText('zh-CN', reply, tz), en: outageReplyText('en', reply, tz) } };
  }

  /** The planned stop or incident covering the station now (what a no-heat call there would join). */
  async outageAt(station: string): Promise<Outage | null> {
    const openAlarmTickets = await this.store.openAlarmTickets(station);
    return coveringOutage({ station, area: this.stations.get(station)?.area ?? null, now: this.now(), stops: this.o.plannedStops?.() ?? [], openAlarmTickets });
  }

  /** Links two tickets both ways (a dispatcher found they belong together). */
  link(id: number, other: number, note: string | null, actor: Actor): Promise<Ticket> {
    return this.commit(async () => {
      if (id === other) throw new TicketError('bad_request', 'a ticket cannot be linked to itself', 'body.ticket');
      const t = await this.require(id);
      const o = await this.store.get(other);
      if (!o) throw new TicketError('bad_request', `no ticket ${other}`, 'body.ticket');
      if (t.related?.includes(other)) throw new TicketError('conflict', `ticket ${id} is already linked to ${other}`, 'body.ticket');
      await this.linkPair(t, o, actor, note);
      return t;
    });
  }

  private async linkPair(a: Ticket, b: Ticket, actor: Actor, note: string | null): Promise<void> {
    for (const [x, y] of [[a, b], [b, a]] as const) {
      x.related = [...(x.related ?? []), y.id];
      await this.change(x, actor, 'link', 'updated', { note, detail: { ticket: y.id } });
    }
  }

  // ---- lifecycle ------------------------------------------------------------

  transition(id: number, input: TransitionInput, actor: Actor): Promise<Ticket> {
    return this.commit(async () => {
      const t = await this.require(id);
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
      if (input.resolution !== undefined) {
        if (input.to !== 'resolved') throw new TicketError('bad_request', 'a resolution code goes with to: resolved', 'body.resolution');
        if (!this.s.resolutionCodes.includes(input.resolution)) throw new TicketError('bad_request', `'${input.resolution}' is not one of ${this.s.resolutionCodes.join(', ')}`, 'body.resolution');
      }
      const now = this.now();
      const from = t.status;
      if (input.resolution !== undefined) t.resolutionCode = input.resolution;
      // the case library shows how it was put right beside the code
      if (input.to === 'resolved') t.resolutionNote = input.note ?? null;
      if (input.assignee !== undefined) t.assignee = input.assignee;
      if (input.team !== undefined) t.team = input.team;
      if (input.to === 'dispatched' && t.respondedAt === null) t.respondedAt = now;
      if (input.to === 'in_progress' && t.onSiteAt === null) t.onSiteAt = now;
      if (input.to === 'resolved') t.resolvedAt = now;
      if (input.to === 'closed') t.closedAt = now;
      if (input.to === 'reopened') this.resetForReopen(t, now, t.priority);
      t.status = input.to;
      const type: TicketEventType = input.to === 'closed' ? 'closed' : 'updated';
      const detail = { ...(input.assignee || input.team ? { assignee: t.assignee, team: t.team } : {}), ...(input.resolution ? { resolution: input.resolution } : {}) };
      await this.change(t, actor, 'transition', type, { from, to: input.to, note: input.note ?? null, detail: Object.keys(detail).length ? detail : null });
      return t;
    });
  }

  /**
   * A callback to the customer. Only customer tickets have one to call (an alarm ticket gets a 400).
   * Reached and not satisfied on a resolved, verified or closed ticket reopens it: the fix did
   * not hold for the customer, and closing needs a new satisfied callback.
   */
  recordCallback(id: number, cb: { reached: boolean; satisfied?: boolean; channel?: CallbackChannel; note?: string }, actor: Actor): Promise<Callback> {
    return this.commit(async () => {
      const t = await this.require(id);
      if (t.source !== 'customer' || !t.customer) throw new TicketError('bad_request', `ticket ${id} is ${t.source === 'alarm' ? 'an alarm' : 'a manual'} ticket: callbacks are for customer tickets`, 'params.id');
      const now = this.now();
      const channel = cb.channel ?? 'phone';
      const c: Omit<Callback, 'id'> = { ticketId: id, ts: now, actor: actor.name, reached: cb.reached, satisfied: cb.satisfied ?? null, channel, note: cb.note ?? null };
      const cid = await this.store.addCallback(c);
      const unhappy = cb.reached && cb.satisfied === false;
      if (cb.reached) t.callbackDone = !unhappy;
      await this.change(t, actor, 'callback', 'updated', { note: cb.note ?? null, detail: { reached: cb.reached, satisfied: cb.satisfied ?? null, channel } });
      if (unhappy && (t.status === 'resolved' || t.status === 'verified' || t.status === 'closed')) {
        const from = t.status;
        this.resetForReopen(t, now, t.priority);
        await this.change(t, actor, 'transition', 'updated', { from, to: 'reopened', note: 'customer not satisfied on callback', detail: { callback: cid } });
      }
      return { ...c, id: cid };
    });
  }

  /**
   * A dispatcher's priority change, with its reason: deadlines follow the new priority from the
   * ticket's first raise (raising never gives a later deadline than it had). Audited; an alarm
   * re-raise afterwards only ever raises it again.
   */
  changePriority(id: number, input: { priority: TicketPriority; reason: string }, actor: Actor): Promise<Ticket> {
    return this.commit(async () => {
      const t = await this.require(id);
      const reason = input.reason.trim();
      if (reason.length < 2) throw new TicketError('bad_request', 'a priority change needs a reason', 'body.reason');
      if (t.status === 'closed') throw new TicketError('conflict', `ticket ${id} is closed`);
      if (input.priority === t.priority) throw new TicketError('bad_request', `ticket ${id} is already ${t.priority}`, 'body.priority');
      const from = t.priority;
      const next = deadlinesFor(input.priority, t.firstSeen, this.s.sla);
      if (input.priority < from) {
        next.respondBy = Math.min(next.respondBy, t.respondBy);
        next.resolveBy = Math.min(next.resolveBy, t.resolveBy);
        next.onSiteBy = next.onSiteBy === null ? t.onSiteBy : t.onSiteBy === null ? next.onSiteBy : Math.min(next.onSiteBy, t.onSiteBy);
      }
      t.priority = input.priority;
      Object.assign(t, next);
      await this.change(t, actor, 'priority', 'updated', { note: reason, detail: { from, to: input.priority }, audit: { priority: { from, to: input.priority }, reason } });
      return t;
    });
  }

  /** Records an attachment whose file is already in place; refused (the caller removes the file) past the ticket's quota. */
  recordAttachment(id: number, a: Omit<Attachment, 'id' | 'ticketId' | 'ts' | 'actor'>, actor: Actor): Promise<Attachment> {
    return this.commit(async () => {
      const t = await this.require(id);
      const over = quotaProblem(await this.store.attachmentUsage(id), a.size, this.s.attachments, id);
      if (over) throw new TicketError(over.code, over.message, 'file');
      const row = { ...a, ticketId: id, ts: this.now(), actor: actor.name };
      const aid = await this.store.addAttachment(row);
      await this.change(t, actor, 'attachment', 'updated', { note: a.filename, detail: { attachment: aid, mime: a.mime, size: a.size } });
      return { ...row, id: aid };
    });
  }

  // ---- reads ------------------------------------------------------------------

  get(id: number): Promise<Ticket | undefined> {
    return this.store.get(id);
  }

  /** One page of the queue; `next` continues it. */
  page(q: TicketQuery = {}): Promise<{ tickets: Ticket[]; next: string | null }> {
    return this.store.list(q);
  }

  /** The first page's tickets (by default: not closed, up to 500). */
  async list(q: TicketQuery = {}): Promise<Ticket[]> {
    return (await this.store.list(q)).tickets;
  }

  counts(q: TicketQuery = {}): ReturnType<TicketStore['counts']> {
    return this.store.counts(q);
  }

  openPerStation(): Promise<Map<string, number>> {
    return this.store.openPerStation();
  }

  async detail(id: number): Promise<{ ticket: Ticket; timeline: TimelineEntry[]; callbacks: Callback[]; attachments: Attachment[]; linkedCalls: LinkedCall[] }> {
    const ticket = await this.store.get(id);
    if (!ticket) throw new TicketError('not_found', `ticket ${id} not found`);
    const linkedCalls = ticket.linkedCalls ? await this.calls.forOutage(ticket.kind === 'incident' ? 'incident' : 'alarm_ticket', id) : [];
    return { ticket, timeline: await this.store.timeline(id), callbacks: await this.store.callbacks(id), attachments: await this.store.attachments(id), linkedCalls };
  }

  /** Open alarm ticket and open incident of a station (shown beside a complaint). */
  async related(station: string): Promise<{ alarmTicket: Ticket | null; incident: Ticket | null }> {
    const open = await this.store.openAlarmTickets(station);
    return { alarmTicket: open.find((t) => t.kind === 'single') ?? null, incident: open.find((t) => t.kind === 'incident') ?? null };
  }

  replies(t: Ticket): Record<ReplyLang, string> {
    const tz = this.o.timezone ?? 'Asia/Shanghai';
    const input = { id: t.id, category: t.category, createdAt: t.createdAt, respondBy: t.respondBy, resolveBy: t.resolveBy };
    return { 'zh-CN': replyText('zh-CN', input, tz), en: replyText('en', input, tz) };
  }

  async metrics(): Promise<{ openByPriority: Record<string, number>; breaches: Record<BreachKind, number>; pendingCandidates: number; outbox: Awaited<ReturnType<Outbox['stats']>> }> {
    return { openByPriority: await this.store.countOpenByPriority(), breaches: { ...this.breachCounts }, pendingCandidates: await this.store.pendingCount(), outbox: await this.outbox.stats() };
  }
}
