/**
 * The unit of work of the ticket service (service.ts): every change saves the ticket, appends
 * its timeline entry, the audit row and the outbox rows (webhooks, and what the `onChange` hook
 * adds: notifications) in one state-database transaction, and its events go to listeners only
 * after that transaction committed. The alarm intake (intake.ts) and the service's operations
 * (service.ts) build on it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from 'pino';
import type { PlannedStop } from '../modes/config.ts';
import type { StateDb } from '../state/db.ts';
import type { AuditEntry } from '../state/state-store.ts';
import { CallStore } from './calls.ts';
import type { TicketSettings } from './config.ts';
import { TicketError } from './errors.ts';
import { Outbox, WebhookDispatcher, type OutboxReceiver, type TicketChangeHook } from './outbox.ts';
import { deadlinesFor, maxPriority } from './policy.ts';
import { TicketStore } from './store.ts';
import { SYSTEM_ACTOR, type Actor, type Ticket, type TicketAlarmSource, type TicketEvent, type TicketEventType, type TicketPriority, type TicketStatus } from './types.ts';

export interface StationInfo {
  id: string;
  name?: string;
  area?: string;
}

export interface TicketServiceOptions {
  db: StateDb;
  settings: TicketSettings;
  stations: readonly StationInfo[];
  /** site time zone for reply texts */
  timezone?: string;
  source?: TicketAlarmSource;
  now?: () => number;
  logger?: Logger;
  /** folder for attachments (default `tickets.attachments.dir`, else `data/attachments`) */
  attachmentsDir?: string;
  /** audit trail writer (StateStore.audit); called and awaited inside the change's transaction */
  audit?: (e: AuditEntry) => unknown;
  /** planned stops (the mode service's): a no-heat call under one is linked to it, not opened as a ticket */
  plannedStops?: () => readonly PlannedStop[];
  /** more outbox rows for each change, in its transaction (notifications: src/notify); it knows the channels, the core does not */
  onChange?: TicketChangeHook;
  /** in a cluster: of these stations, those this instance still owns, checked in the change's transaction (src/cluster) */
  owns?: (stations: string[]) => Promise<Set<string>>;
  /** the senders of those rows, beside the webhooks' */
  receivers?: readonly OutboxReceiver[];
}

export abstract class TicketCore {
  readonly store: TicketStore;
  /** service-window calls linked to a known outage instead of opening tickets */
  readonly calls: CallStore;
  readonly outbox: Outbox;
  readonly dispatcher: WebhookDispatcher;
  readonly settings: TicketSettings;
  readonly attachmentsDir: string;
  protected readonly s: TicketSettings;
  protected readonly now: () => number;
  protected readonly stations: Map<string, StationInfo>;
  private readonly listeners = new Set<(e: TicketEvent) => void>();
  /** the events of the unit of work in progress, emitted once it committed */
  private readonly unit = new AsyncLocalStorage<TicketEvent[]>();
  private ready: Promise<void> | null = null;

  constructor(protected readonly o: TicketServiceOptions) {
    this.s = o.settings;
    this.settings = o.settings;
    this.attachmentsDir = o.attachmentsDir ?? o.settings.attachments.dir ?? 'data/attachments';
    this.now = o.now ?? Date.now;
    this.stations = new Map(o.stations.map((st) => [st.id, st]));
    this.store = new TicketStore(o.db);
    this.calls = new CallStore(o.db);
    this.outbox = new Outbox(o.db, o.settings.webhooks);
    this.dispatcher = new WebhookDispatcher({ db: o.db, targets: o.settings.webhooks, retry: o.settings.retry, receivers: o.receivers ?? [], ...(o.logger ? { logger: o.logger.child({ module: 'webhooks' }) } : {}) });
  }

  /** Creates or upgrades the ticket and outbox tables and loads the configured addresses; once, before anything else. */
  init(): Promise<void> {
    this.ready ??= (async () => {
      await this.store.init();
      await this.outbox.init();
      const addresses = this.o.settings.addresses;
      if (addresses.length) await this.o.db.tx(() => this.store.putAddresses(addresses));
    })();
    return this.ready;
  }

  /** Ticket events after their transaction committed (live feed, MQTT). */
  onEvent(listener: (e: TicketEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ---- internals ------------------------------------------------------------

  /** The ticket to change (locked for the change's transaction: store.ts getForChange). */
  protected async require(id: number): Promise<Ticket> {
    const t = await this.store.getForChange(id);
    if (!t) throw new TicketError('not_found', `ticket ${id} not found`);
    return t;
  }

  protected blank(now: number): Omit<Ticket, 'id' | 'source' | 'priority' | 'title' | 'description' | 'respondBy' | 'onSiteBy' | 'resolveBy'> {
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

  protected resetForReopen(t: Ticket, now: number, priority: TicketPriority): void {
    t.status = 'reopened';
    t.priority = maxPriority(t.priority, priority);
    Object.assign(t, deadlinesFor(t.priority, now, this.s.sla));
    t.respondedAt = null;
    t.onSiteAt = null;
    t.resolvedAt = null;
    t.resolutionCode = null;
    t.resolutionNote = null;
    t.closedAt = null;
    t.breaches = {};
    t.escalation = 0;
  }

  protected async insert(t: Omit<Ticket, 'id'>, actor: Actor = SYSTEM_ACTOR): Promise<Ticket> {
    const created = await this.store.insert(t);
    await this.change(created, actor, 'created', 'created', { to: 'open', note: null, detail: null }, false);
    return created;
  }

  /** Saves the ticket, appends its timeline entry, audit row and outbox event (inside `commit`). */
  protected async change(
    t: Ticket,
    actor: Actor,
    kind: string,
    type: TicketEventType,
    e: { from?: TicketStatus | null; to?: TicketStatus | null; note: string | null; detail: Record<string, unknown> | null; audit?: Record<string, unknown> },
    touch = true,
  ): Promise<void> {
    const events = this.unit.getStore();
    if (!events) throw new Error(`ticket ${t.id}: a change outside a unit of work (commit)`);
    const now = this.now();
    if (touch) t.updatedAt = now;
    await this.store.save(t);
    const tid = await this.store.addTimeline({ ticketId: t.id, ts: now, actor: actor.name, role: actor.role, kind, from: e.from ?? null, to: e.to ?? null, note: e.note, detail: e.detail });
    if (actor !== SYSTEM_ACTOR) await this.o.audit?.({ ts: now, user: actor.name, role: actor.role, action: `ticket.${kind}`, target: `ticket:${t.id}`, detail: { from: e.from ?? null, to: e.to ?? null, ...e.audit } });
    const ev: TicketEvent = { id: `${t.id}:${tid}`, type, ts: now, change: kind, ticket: structuredClone(t) };
    await this.outbox.enqueue(ev, now);
    const rows = this.o.onChange?.({ event: ev, from: e.from ?? null, to: e.to ?? null, detail: e.detail });
    if (rows?.length) await this.outbox.enqueueRows(rows, now);
    events.push(ev);
  }

  /** Runs `fn` in one transaction; events go out only after it committed. Nested calls join the outer one. */
  protected async commit<T>(fn: () => Promise<T>): Promise<T> {
    if (this.unit.getStore()) return fn();
    // per unit of work, not per service: on PostgreSQL two of them may run at once
    const events: TicketEvent[] = [];
    const result = await this.o.db.tx(() => this.unit.run(events, fn));
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
