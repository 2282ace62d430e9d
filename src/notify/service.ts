/**
 * The on-call service: the roster (edited at runtime, audited), who is on call now, and the
 * ticket-change hook that turns a change into notification rows of the ticket outbox, written
 * in the change's transaction (src/tickets/core.ts `onChange`). The ticket service's one
 * dispatcher sends them through {@link NotifyService.receivers}.
 *
 * @example
 *   const notify = new NotifyService({ db: stateDb, settings: cfg.notify, stations: cfg.stations, timeZone, audit });
 *   await notify.init();
 *   const tickets = new TicketService({ …, onChange: notify.onChange, receivers: notify.receivers });
 */
import type { Logger } from 'pino';
import type { StateDb } from '../state/db.ts';
import type { AuditEntry } from '../state/state-store.ts';
import type { OutboxReceiver, OutboxRowSpec, TicketChange } from '../tickets/outbox.ts';
import type { Actor } from '../tickets/types.ts';
import type { NotifySettings, Team } from './config.ts';
import { channelReceivers, NOTIFY_ROW_TYPE, type NotificationBody } from './deliver.ts';
import { escalationsFor, teamFor } from './escalation.ts';
import { buildMessage } from './message.ts';
import { checkRoster, onCallBoard, recipientsFor, type OnCallCell, type RosterEntry, type RosterEntryInput } from './roster.ts';
import { RosterStore, type NotificationRow } from './store.ts';

/** A roster change refused: `field` names the input (`body.entries.3.team`). */
export class NotifyError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'NotifyError';
  }
}

export interface NotifyServiceOptions {
  db: StateDb;
  settings: NotifySettings;
  stations: ReadonlyArray<{ id: string; name?: string; area?: string }>;
  timeZone: string;
  now?: () => number;
  /** audit trail writer (StateStore.audit); called in the roster change's transaction */
  audit?: (e: AuditEntry) => unknown;
  logger?: Logger;
  /** after `start()`, read the roster again this often (default 30 s): another instance may have changed it */
  rosterRefreshMs?: number;
}

export class NotifyService {
  readonly store: RosterStore;
  readonly settings: NotifySettings;
  /** one per channel, for the ticket service's dispatcher */
  readonly receivers: OutboxReceiver[];
  private readonly now: () => number;
  private readonly stationNames: Map<string, string>;
  private readonly areas: Set<string>;
  /** the roster as stored, for the hook, which runs inside a change's transaction and reads no table */
  private roster: RosterEntry[] = [];
  private refresher: NodeJS.Timeout | null = null;
  /** reads of the roster in the order they began, and the latest one kept: a read that began earlier never replaces a later one */
  private reads = 0;
  private kept = 0;

  constructor(private readonly o: NotifyServiceOptions) {
    this.settings = o.settings;
    this.now = o.now ?? Date.now;
    this.store = new RosterStore(o.db);
    this.receivers = channelReceivers(o.settings);
    this.stationNames = new Map(o.stations.map((s) => [s.id, s.name ?? s.id]));
    this.areas = new Set(o.stations.map((s) => s.area).filter((a): a is string => a !== undefined));
  }

  /** Creates or upgrades the tables and reads the roster; awaited before the ticket service's first change. */
  async init(): Promise<void> {
    await this.store.init();
    this.roster = await this.store.entries();
  }

  /** Reads the roster again, so a change made through another instance reaches this one's hook. */
  async refresh(): Promise<void> {
    const read = ++this.reads;
    this.keep(read, await this.store.entries());
  }

  private keep(read: number, roster: RosterEntry[]): void {
    if (read < this.kept) return;
    this.kept = read;
    this.roster = roster;
  }

  start(): void {
    if (this.refresher) return;
    this.refresher = setInterval(() => void this.refresh().catch((err: unknown) => this.o.logger?.error({ err }, 'reading the roster failed; keeping the last one read')), this.o.rosterRefreshMs ?? 30_000);
    this.refresher.unref();
  }

  stop(): void {
    if (this.refresher) clearInterval(this.refresher);
    this.refresher = null;
  }

  teams(): Team[] {
    return this.settings.teams;
  }

  entries(): RosterEntry[] {
    return this.roster;
  }

  /** Who is on call at `now`, per team, area and level. */
  board(now = this.now()): OnCallCell[] {
    return onCallBoard(this.roster, this.settings.teams, now);
  }

  notifications(q: { limit: number; ticket?: number }): Promise<NotificationRow[]> {
    return this.store.notifications(q);
  }

  /**
   * Replaces one team's roster (`team` given: every entry must be of it) or the whole roster,
   * all or nothing, audited in the same transaction. Throws {@link NotifyError} naming the field.
   */
  async putRoster(input: { team?: string; entries: readonly RosterEntryInput[] }, actor: Actor): Promise<RosterEntry[]> {
    const team = input.team ?? null;
    if (team !== null && !this.settings.teams.some((t) => t.id === team)) throw new NotifyError('body.team', `unknown team '${team}'`);
    const { entries, problems } = checkRoster(input.entries, this.settings.teams, this.areas);
    const other = team === null ? -1 : input.entries.findIndex((e) => e.team !== team);
    if (other >= 0) problems.unshift({ field: `body.entries.${other}.team`, message: `entry of team '${input.entries[other].team}' in a change of team '${team}'` });
    if (problems.length) throw new NotifyError(problems[0].field, problems[0].message);
    const now = this.now();
    const roster = await this.o.db.tx(async () => {
      const removed = await this.store.replace(team, entries);
      await this.o.audit?.({ ts: now, user: actor.name, role: actor.role, action: 'oncall.roster', target: team === null ? 'roster' : `team:${team}`, detail: { entries: entries.length, removed } });
      return this.store.entries();
    });
    // read in its transaction, so newer than any refresh that began before it committed
    this.keep(++this.reads, roster);
    for (const l of this.rosterListeners) l();
    return roster;
  }

  private readonly rosterListeners = new Set<() => void>();

  /** Called after this service changed the roster (another instance sharing the database then {@link refresh}es at once). */
  onRosterChange(listener: () => void): () => void {
    this.rosterListeners.add(listener);
    return () => this.rosterListeners.delete(listener);
  }

  /**
   * The ticket-change hook: the notification rows a change calls for. It runs inside the
   * change's transaction; a failure here is logged and sends nothing rather than undoing the
   * ticket change.
   */
  readonly onChange = (c: TicketChange): OutboxRowSpec[] => {
    const escalations = escalationsFor(c);
    if (!escalations.length) return [];
    try {
      return this.rowsFor(c, escalations);
    } catch (err) {
      this.o.logger?.error({ err, ticket: c.event.ticket.id, change: c.event.change }, 'building notifications failed; none sent for this change');
      return [];
    }
  };

  private rowsFor(c: TicketChange, escalations: ReturnType<typeof escalationsFor>): OutboxRowSpec[] {
    const t = c.event.ticket;
    const at = c.event.ts;
    const { team, reason: teamReason } = teamFor(t, this.settings.teams, this.settings.defaultTeam);
    const log = this.o.logger?.child({ ticket: t.id, change: c.event.change });
    if (!team) {
      log?.warn({ reason: teamReason, area: t.area }, 'no team for the ticket (notify.teams, notify.defaultTeam): nobody notified');
      return [];
    }
    const channels = new Map(this.settings.channels.map((ch) => [ch.name, ch]));
    const rows: OutboxRowSpec[] = [];
    for (const esc of escalations) {
      const r = recipientsFor(this.roster, { team: team.id, area: t.area, level: esc.level, now: at });
      const msg = buildMessage({
        rule: esc.rule,
        level: r.level,
        asked: esc.level,
        ticket: t,
        stationName: t.station ? (this.stationNames.get(t.station) ?? t.station) : null,
        teamName: team.name,
        people: r.people.map((p) => p.name),
        now: at,
        timeZone: this.o.timeZone,
      });
      const recipients = r.people.map((p) => ({ name: p.name, mobile: p.mobile, email: p.email }));
      for (const name of team.channels) {
        const ch = channels.get(name);
        if (!ch) continue;
        const id = `${c.event.id}:${esc.rule}:${ch.name}`;
        const body = (to: string | null, n: number | null): OutboxRowSpec => {
          const eventId = n === null ? id : `${id}:${n}`;
          const b: NotificationBody = {
            id: eventId,
            change: c.event.change,
            ticket: { id: t.id, priority: t.priority, station: t.station, title: t.title },
            notify: { rule: esc.rule, level: r.level, asked: esc.level, reason: r.reason, team: team.id, channel: ch.name, kind: ch.kind, recipients, to, subject: msg.subject, text: msg.text },
          };
          return { receiver: ch.name, eventId, type: NOTIFY_ROW_TYPE, body: JSON.stringify(b) };
        };
        // a group robot posts even when nobody is on call: the group still sees it; email needs a person
        if (ch.kind === 'email') r.people.forEach((p, i) => p.email && rows.push(body(p.email, i)));
        else rows.push(body(null, null));
      }
      log?.info({ rule: esc.rule, team: team.id, teamReason, level: r.level, asked: esc.level, reason: r.reason, people: recipients.map((p) => p.name) }, `notify ${esc.rule}`);
    }
    return rows;
  }
}
