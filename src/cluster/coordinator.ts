/**
 * One `serve` instance's part in a cluster sharing its state in PostgreSQL: it holds leases
 * (src/cluster/leases.ts) on a share of the stations and on the cluster-wide jobs, tells the
 * other instances its alarm and ticket events (src/cluster/bus.ts), and carries operator actions
 * on alarms it does not own to the instance that does.
 *
 * - Stations: the runner owns the alarm state of held stations only (src/alarms/runner-cluster.ts);
 *   a gained station's records are taken from the database before its events count.
 * - Jobs (`job:<name>`): started on the instance that gains the lease, stopped where it is lost.
 * - Actions: an ack (shelve, ...) on another instance's alarm is sent to it and answered with
 *   its outcome; the request is repeated until answered (the owner may be reconnecting, or the
 *   station moving after a crash), each command run once (by its id).
 *
 * @example
 * const c = new ClusterCoordinator({ db, url, instance: 'serve-a', stations: ['hs-001'], logger });
 * c.job('tickets', { start: () => tickets.startTimers(), stop: () => tickets.stopTimers() });
 * const alarms = await AlarmRunner.open({ ..., cluster: c.alarmRole() }); c.attach(alarms); await c.start();
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { AlarmRow } from '../alarms/persist.ts';
import type { AlarmRunner } from '../alarms/runner.ts';
import type { AlarmClusterRole } from '../alarms/runner-cluster.ts';
import type { AlarmEvent } from '../alarms/types.ts';
import type { PgStateDb } from '../state/pg-db.ts';
import { ClusterBus } from './bus.ts';
import { Leases, ownedStations, type ClusterMember, type LeaseChange } from './leases.ts';

export interface ClusterJob {
  start(): void;
  stop(): Promise<void> | void;
}

/** An operator action as the route runs it, to be run by the station's owner. */
export interface AlarmActionCommand {
  name: string;
  id: string;
  who: { name: string; role: string };
  body: unknown;
  ts: number;
}

/** What the route answers: the alarm, or an error with its status. */
export type AlarmActionResult = { status: 200; alarm: unknown } | { status: number; error: string; field?: string };

export interface ClusterCoordinatorOptions {
  db: PgStateDb;
  url: string;
  instance: string;
  stations: readonly string[];
  logger: Logger;
  /** lease timings (leases.ts defaults: 20 s, renewed every 5 s) */
  ttlMs?: number;
  renewMs?: number;
  /** this instance's API, shown to the others in /api/health */
  apiUrl?: string;
  /** how long a forwarded action waits for its owner's answer (default 10 s) */
  actionTimeoutMs?: number;
}

const STATION = 'station:';
const JOB = 'job:';

export class ClusterCoordinator {
  readonly leases: Leases;
  readonly bus: ClusterBus;
  private readonly jobs = new Map<string, ClusterJob>();
  private runner: AlarmRunner | null = null;
  private actionHandler: ((c: AlarmActionCommand) => Promise<AlarmActionResult>) | null = null;
  private readonly waiting = new Map<string, (r: AlarmActionResult) => void>();
  /** answers of commands run here, by id, so a repeated request is not run twice */
  private readonly answered = new Map<string, AlarmActionResult>();
  private readonly running = new Map<string, Promise<AlarmActionResult>>();
  private changes: Promise<void> = Promise.resolve();
  /** alarm events other instances told (in /api/health) */
  relayed = 0;
  /**
   * Stations whose alarm state is this instance's: a gained station counts from when its records
   * are restored (its lease is held a little earlier), a lost one stops at once.
   */
  private readonly owned = new Set<string>();

  constructor(private readonly o: ClusterCoordinatorOptions) {
    const names = [...o.stations.map((s) => STATION + s)];
    this.leases = new Leases({
      db: o.db,
      instance: o.instance,
      names: () => [...names, ...[...this.jobs.keys()].map((j) => JOB + j)],
      ttlMs: o.ttlMs,
      renewMs: o.renewMs,
      url: o.apiUrl,
      logger: o.logger.child({ module: 'leases' }),
      // in order: a station's adoption finishes before its loss is handled, and the reverse
      onChange: (c) => void (this.changes = this.changes.then(() => this.changed(c))),
    });
    this.bus = new ClusterBus({ db: o.db, url: o.url, instance: o.instance, logger: o.logger.child({ module: 'cluster-bus' }) });
    this.bus.on<{ cmd: string; station: string; action: AlarmActionCommand }>('alarm-action', (m) => void this.runForOther(m.from, m.body));
    this.bus.on<{ cmd: string; to: string; result: AlarmActionResult }>('alarm-action-result', (m) => {
      if (m.body.to === this.o.instance) this.waiting.get(m.body.cmd)?.(m.body.result);
    });
  }

  get instance(): string {
    return this.o.instance;
  }

  /** A job one instance runs for the cluster; register before {@link start}. */
  job(name: string, job: ClusterJob): void {
    this.jobs.set(name, job);
  }

  /** Of `stations`, those whose lease names this instance, held until the calling transaction ends. */
  ownsNow(stations: string[]): Promise<Set<string>> {
    return ownedStations(this.o.db, this.o.instance, stations);
  }

  /** Does this instance run the cluster-wide job `name` now. */
  holdsJob(name: string): boolean {
    return this.leases.holds(JOB + name);
  }

  holdsStation(station: string): boolean {
    return this.owned.has(station);
  }

  /** The runner's part: which stations count here, and telling the others what changed. */
  alarmRole(): AlarmClusterRole & { instance: string } {
    return {
      instance: this.o.instance,
      holds: (station) => this.holdsStation(station),
      publish: (events, rows) => this.publishAlarms(events, rows),
      fence: (stations) => this.ownsNow(stations),
    };
  }

  /** The runner, once opened (its role was made before it). */
  attach(runner: AlarmRunner): void {
    this.runner = runner;
  }

  /** How actions are run here when another instance sends one (the alarm routes register it). */
  serveAlarmActions(handler: (c: AlarmActionCommand) => Promise<AlarmActionResult>): void {
    this.actionHandler = handler;
  }

  async start(): Promise<void> {
    await this.bus.start();
    await this.leases.start();
    await this.changes;
  }

  async stop(): Promise<void> {
    await this.leases.stop(true);
    await this.changes;
    await this.bus.stop();
  }

  status(): { instance: string; stations: number; jobs: string[]; members: ClusterMember[]; bus: boolean; relayedAlarmEvents: number; error: string | null } {
    const s = this.leases.status();
    return {
      instance: s.instance,
      stations: this.owned.size,
      jobs: s.held.filter((n) => n.startsWith(JOB)).map((n) => n.slice(JOB.length)),
      members: s.members,
      bus: this.bus.connected,
      relayedAlarmEvents: this.relayed,
      error: s.error,
    };
  }

  private async changed(c: LeaseChange): Promise<void> {
    const log = this.o.logger;
    for (const n of c.lost) if (n.startsWith(STATION)) this.owned.delete(n.slice(STATION.length));
    for (const n of c.lost) {
      if (n.startsWith(JOB)) await Promise.resolve(this.jobs.get(n.slice(JOB.length))?.stop()).catch((err: unknown) => log.error({ err, job: n }, 'stopping a cluster job failed'));
    }
    const gained = c.gained.filter((n) => n.startsWith(STATION)).map((n) => n.slice(STATION.length));
    const own = () => {
      for (const st of gained) this.owned.add(st);
    };
    if (gained.length && this.runner?.cluster) {
      try {
        const rows = await this.runner.cluster.adopt(gained, own);
        log.info({ stations: gained.length, records: rows }, 'took over stations: alarm records restored from the state database');
      } catch (err) {
        // owned all the same: its evaluation goes on from what this engine has, rather than nobody's
        own();
        log.error({ err, stations: gained.length }, 'could not restore the alarm records of stations taken over');
      }
    } else own();
    for (const n of c.gained) if (n.startsWith(JOB)) this.jobs.get(n.slice(JOB.length))?.start();
  }

  /** One message per alarm event: NOTIFY holds 8,000 bytes; rate windows stay out (rebuilt everywhere). */
  private publishAlarms(events: readonly AlarmEvent[], rows: readonly AlarmRow[]): void {
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const e of events) {
      const row = byId.get(e.alarmId);
      const slim = row && row.kind === 'rule' ? { ...row, record: JSON.stringify({ ...(JSON.parse(row.record) as object), x: null }) } : row;
      void this.bus.send('alarm', { event: e, row: slim ?? null }).catch((err: unknown) => this.o.logger.warn({ err }, 'could not tell the other instances an alarm event'));
    }
  }

  /** An alarm event another instance owns: follow its record; the caller pushes it to /ws. */
  mirror(body: { event: AlarmEvent; row: AlarmRow | null }): void {
    this.relayed++;
    if (body.row) this.runner?.cluster?.mirror([body.row]);
  }

  /** Runs an action on the alarm's owner, here or through the bus. `local` runs it here. */
  async alarmAction(cmd: AlarmActionCommand, local: () => Promise<AlarmActionResult>): Promise<AlarmActionResult> {
    const station = this.runner?.cluster?.stationOf(cmd.id);
    if (station === undefined || this.holdsStation(station)) return local();
    const id = randomUUID();
    const timeout = this.o.actionTimeoutMs ?? 10_000;
    const answer = new Promise<AlarmActionResult | null>((resolve) => {
      const t = setTimeout(() => resolve(null), timeout);
      this.waiting.set(id, (r) => {
        clearTimeout(t);
        resolve(r);
      });
    });
    // asked again until answered: the owner may be reconnecting, or the station moving to another instance
    const ask = () => void this.bus.send('alarm-action', { cmd: id, station, action: cmd }).catch(() => {});
    ask();
    const again = setInterval(ask, 1000);
    try {
      const r = await answer;
      return r ?? { status: 503, error: `station ${station} is owned by another instance that did not answer within ${timeout / 1000} s; try again` };
    } finally {
      clearInterval(again);
      this.waiting.delete(id);
    }
  }

  private async runForOther(from: string, m: { cmd: string; station: string; action: AlarmActionCommand }): Promise<void> {
    if (!this.holdsStation(m.station) || !this.actionHandler) return;
    let result = this.answered.get(m.cmd);
    if (!result) {
      let run = this.running.get(m.cmd);
      if (!run) {
        run = this.actionHandler(m.action).catch((err: unknown) => ({ status: 500, error: (err as Error).message }));
        this.running.set(m.cmd, run);
      }
      result = await run;
      this.running.delete(m.cmd);
      this.answered.set(m.cmd, result);
      // keep the last answers only: a request is repeated for seconds, not hours
      if (this.answered.size > 1000) this.answered.delete(this.answered.keys().next().value!);
    }
    await this.bus.send('alarm-action-result', { cmd: m.cmd, to: from, result }).catch(() => {});
  }
}
