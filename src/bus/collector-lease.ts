/**
 * The MQTT side of a shard's collector lease (./lease.ts): one small client per `collect`
 * process on `{prefix}/collectors/{name}/lease`, its last will a `released` from this instance.
 * It feeds the lease machine and carries out its actions one at a time, so starting and
 * stopping the pollers never overlap.
 */
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { credentials } from './mqtt-bus.ts';
import { LeaseMachine, parseLease, type LeaseAction, type LeaseRole, type LeaseTiming } from './lease.ts';
import { redactUrl, type MqttSettings } from './settings.ts';
import { topics } from './topics.ts';

export interface CollectorLeaseOptions {
  settings: MqttSettings;
  /** the shard's presence name, `shard-K-of-N` */
  name: string;
  /** this instance, unique among the shard's collectors */
  self: string;
  timing: LeaseTiming;
  logger: Logger;
  /** start polling and publishing (this instance holds the lease) */
  poll: () => Promise<void>;
  /** stop polling; `quiet`: another instance holds the lease and speaks for the shard */
  stopPolling: (reason: string) => Promise<void>;
  now?: () => number;
}

const TICK_MS = 250;

export class CollectorLease {
  private readonly machine: LeaseMachine;
  private client: MqttClient | null = null;
  private timer: NodeJS.Timeout | null = null;
  private chain: Promise<void> = Promise.resolve();
  private readonly topic: string;
  private readonly now: () => number;
  private takeovers = 0;

  constructor(private readonly o: CollectorLeaseOptions) {
    this.now = o.now ?? Date.now;
    this.machine = new LeaseMachine(o.self, o.timing, this.now());
    this.topic = `${topics.collector(o.settings.prefix, o.name)}/lease`;
  }

  get role(): LeaseRole {
    return this.machine.role;
  }

  stats(): { role: LeaseRole; holder: string | null; takeovers: number } {
    return { role: this.machine.role, holder: this.machine.holder, takeovers: this.takeovers };
  }

  start(): void {
    const s = this.o.settings;
    const will = JSON.stringify({ holder: this.o.self, state: 'released', ts: 0 });
    const opts: IClientOptions = {
      clientId: `${s.clientId ?? 'heatwatch'}-lease-${this.o.self}`.slice(0, 128),
      clean: true,
      reconnectPeriod: s.reconnectMinMs,
      connectTimeout: 10_000,
      // the broker sends the will after 1.5 × keepalive of silence: well inside lostAfterMs
      keepalive: Math.max(1, Math.round(this.o.timing.lostAfterMs / 3000)),
      will: { topic: this.topic, payload: Buffer.from(will), qos: 1, retain: false },
      ...credentials(s),
    };
    const client = connect(redactUrl(s.url), opts);
    this.client = client;
    client.on('connect', () => {
      client.subscribe(this.topic, { qos: 1 }, (err) => {
        if (err) this.o.logger.error({ err }, 'lease: subscribe failed');
        else this.apply(this.machine.connection(true, this.now()));
      });
    });
    client.on('close', () => this.apply(this.machine.connection(false, this.now())));
    client.on('error', (err) => this.o.logger.warn({ err: err.message }, 'lease: mqtt error'));
    client.on('message', (_topic, payload) => {
      const m = parseLease(payload);
      if (m) this.apply(this.machine.message(m, this.now()));
    });
    this.timer = setInterval(() => this.apply(this.machine.tick(this.now())), TICK_MS);
  }

  /** Gives the lease back (a standby takes over at once), stops polling and disconnects. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.apply(this.machine.release(this.now()));
    await this.chain;
    await this.client?.endAsync();
  }

  /** Drops the connection as a crash would (the broker sends the will). For tests. */
  kill(): void {
    if (this.timer) clearInterval(this.timer);
    this.client?.stream.destroy();
    this.client?.end(true);
  }

  private apply(actions: LeaseAction[]): void {
    for (const a of actions) {
      if (a.kind === 'publish') {
        const c = this.client;
        const payload = JSON.stringify(a.message);
        this.chain = this.chain.then(
          () => new Promise<void>((resolve) => (c?.connected ? c.publish(this.topic, payload, { qos: 1, retain: a.retain }, () => resolve()) : resolve())),
        );
      } else if (a.kind === 'poll') {
        this.takeovers++;
        this.o.logger.info({ self: this.o.self, shard: this.o.name }, 'lease: this collector holds the shard; polling');
        this.chain = this.chain.then(() => this.o.poll()).catch((err) => this.o.logger.error({ err }, 'lease: starting to poll failed'));
      } else {
        this.o.logger.warn({ self: this.o.self, shard: this.o.name, reason: a.reason }, 'lease: polling stopped');
        this.chain = this.chain.then(() => this.o.stopPolling(a.reason)).catch((err) => this.o.logger.error({ err }, 'lease: stopping failed'));
      }
    }
  }
}
