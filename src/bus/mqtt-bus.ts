/**
 * MQTT publisher (DESIGN §6): telemetry per device poll, retained device status, alarm and
 * ticket events, and this process's retained presence with a last will (see ./topics.ts).
 *
 * - QoS from config for telemetry and events; status and presence are retained.
 * - Reconnects with exponential backoff (reconnectMinMs doubling to reconnectMaxMs).
 * - Credentials come from `mqtt.username` / `mqtt.password` (or the URL), TLS files from
 *   `mqtt.tls`; the URL is logged only with credentials stripped.
 * - While disconnected, telemetry and events wait in a bounded FIFO (`bufferMessages`); past
 *   it the oldest are dropped and counted. Device status is not buffered: the newest status of
 *   every device and the presence are republished on each (re)connect.
 *
 * @example
 * const bus = new MqttBus({ settings: cfg.mqtt, logger, name: 'run', stations: ['hs-001'] });
 * await bus.start();
 * bus.publishSamples(batch); bus.publishStatus(status); bus.publishEvent('alarms', 'hs-001', event);
 */
import { readFileSync } from 'node:fs';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { DeviceStatus, Sample } from '../model.ts';
import { redactUrl, type MqttSettings } from './settings.ts';
import { telemetryMessages, topics, type EventKind, type PresenceMessage } from './topics.ts';
import { backoffDelay } from '../backoff.ts';

export interface MqttBusOptions {
  settings: MqttSettings;
  logger: Logger;
  /** presence name, `{prefix}/collectors/{name}` ([a-z0-9_-]) */
  name: string;
  /** the stations this process acquires (named in its presence and last will) */
  stations: string[];
  shard?: string;
  /** this instance among the shard's collectors, named in its presence */
  instance?: string;
  /** also subscribe through this client (serve); called for every message */
  onMessage?: (topic: string, payload: Buffer) => void;
  subscriptions?: string[];
  /** MQTT persistent session (serve, so nothing is lost across its reconnects) */
  persistentSession?: boolean;
  now?: () => number;
}

export interface BusStats {
  connected: boolean;
  published: number;
  buffered: number;
  dropped: number;
  reconnects: number;
}

interface Pending {
  topic: string;
  payload: string;
}

export class MqttBus {
  private client: MqttClient | null = null;
  private readonly o: MqttBusOptions;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly status = new Map<string, DeviceStatus>();
  private buffer: Pending[] = [];
  private head = 0;
  private published = 0;
  private dropped = 0;
  private reconnects = 0;
  private lastDropLog = 0;
  private stopped = false;

  constructor(o: MqttBusOptions) {
    this.o = o;
    this.log = o.logger;
    this.now = o.now ?? Date.now;
    if (!/^[a-z0-9_-]+$/.test(o.name)) throw new Error(`mqtt presence name must be [a-z0-9_-]+, got '${o.name}'`);
  }

  private presence(status: 'online' | 'offline'): string {
    const p: PresenceMessage = {
      status,
      name: this.o.name,
      ...(this.o.shard ? { shard: this.o.shard } : {}),
      stations: this.o.stations,
      ...(this.o.instance ? { instance: this.o.instance } : {}),
    };
    if (status === 'online') p.ts = this.now();
    return JSON.stringify(p);
  }

  /** Connects; resolves on the first connection or after `waitMs` (then keeps trying in the background). */
  async start(waitMs = 5_000): Promise<void> {
    const s = this.o.settings;
    const presenceTopic = topics.collector(s.prefix, this.o.name);
    const opts: IClientOptions = {
      clientId: s.clientId ?? `heatwatch-${this.o.name}-${process.pid}`,
      clean: !this.o.persistentSession,
      reconnectPeriod: s.reconnectMinMs,
      connectTimeout: 10_000,
      keepalive: 15,
      queueQoSZero: false,
      will: { topic: presenceTopic, payload: Buffer.from(this.presence('offline')), qos: 1, retain: true },
      ...credentials(s),
    };
    // the client gets the URL without credentials (they travel as options), logs get the same
    const url = redactUrl(s.url);
    const client = connect(url, opts);
    this.client = client;
    let attempts = 0;
    client.on('connect', () => {
      attempts = 0;
      client.options.reconnectPeriod = s.reconnectMinMs;
      this.log.info({ url, name: this.o.name }, 'mqtt connected');
      if (this.o.subscriptions?.length) {
        client.subscribe(this.o.subscriptions, { qos: s.qos }, (err) => err && this.log.error({ err }, 'mqtt subscribe failed'));
      }
      client.publish(presenceTopic, this.presence('online'), { qos: 1, retain: true });
      for (const st of this.status.values()) this.sendStatus(st);
      this.flush();
    });
    client.on('close', () => {
      if (this.stopped) return;
      // exponential backoff: min, 2×min, 4×min … up to max
      client.options.reconnectPeriod = backoffDelay(attempts, { baseMs: s.reconnectMinMs, maxMs: s.reconnectMaxMs });
      attempts++;
    });
    client.on('reconnect', () => this.reconnects++);
    client.on('offline', () => this.log.warn({ url, buffered: this.depth() }, 'mqtt disconnected; buffering'));
    client.on('error', (err) => this.log.warn({ url, err: err.message }, 'mqtt error'));
    if (this.o.onMessage) client.on('message', (topic, payload) => this.o.onMessage!(topic, payload));
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, waitMs);
      client.once('connect', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  /** One telemetry message per (station, device, poll ts). */
  publishSamples(batch: Sample[]): void {
    const p = this.o.settings.prefix;
    for (const { station, device, msg } of telemetryMessages(batch)) this.send(topics.telemetry(p, station, device), JSON.stringify(msg));
  }

  /** Retained `online` / `offline`; remembered and republished on every reconnect. */
  publishStatus(st: DeviceStatus): void {
    if (st.comm === 'unknown') return;
    this.status.set(`${st.station}/${st.device}`, st);
    if (this.client?.connected) this.sendStatus(st);
  }

  /** `{prefix}/alarms/{station}` or `{prefix}/tickets/{station}`, JSON payload. */
  publishEvent(kind: EventKind, station: string, payload: unknown): void {
    this.send(topics.event(this.o.settings.prefix, kind, station), JSON.stringify(payload));
  }

  stats(): BusStats {
    return { connected: this.client?.connected ?? false, published: this.published, buffered: this.depth(), dropped: this.dropped, reconnects: this.reconnects };
  }

  /** Graceful stop: presence `offline` (as the will would), then disconnect. */
  async stop(): Promise<void> {
    if (this.stopped || !this.client) return;
    this.stopped = true;
    const c = this.client;
    if (c.connected) {
      await new Promise<void>((resolve) =>
        c.publish(topics.collector(this.o.settings.prefix, this.o.name), this.presence('offline'), { qos: 1, retain: true }, () => resolve()),
      );
    }
    await c.endAsync(!c.connected);
  }

  /**
   * Disconnects cleanly without saying `offline`: the shard's other collector has taken over
   * and published its own presence (no last will is sent on a clean disconnect).
   */
  async leave(): Promise<void> {
    if (this.stopped || !this.client) return;
    this.stopped = true;
    await this.client.endAsync(!this.client.connected);
  }

  /** Drops the connection without a clean disconnect (the broker sends the will). For tests. */
  kill(): void {
    this.stopped = true;
    this.client?.stream.destroy();
    this.client?.end(true);
  }

  private sendStatus(st: DeviceStatus): void {
    this.client!.publish(topics.status(this.o.settings.prefix, st.station, st.device), st.comm, { qos: 1, retain: true });
    this.published++;
  }

  private send(topic: string, payload: string): void {
    if (this.client?.connected && this.depth() === 0) {
      this.client.publish(topic, payload, { qos: this.o.settings.qos });
      this.published++;
      return;
    }
    this.buffer.push({ topic, payload });
    const over = this.depth() - this.o.settings.bufferMessages;
    if (over > 0) {
      this.head += over;
      this.dropped += over;
      const now = this.now();
      if (now - this.lastDropLog > 10_000) {
        this.lastDropLog = now;
        this.log.warn({ dropped: this.dropped, bound: this.o.settings.bufferMessages }, 'mqtt buffer full: oldest messages dropped');
      }
    }
    if (this.head > 4096 && this.head * 2 > this.buffer.length) {
      this.buffer = this.buffer.slice(this.head);
      this.head = 0;
    }
    if (this.client?.connected) this.flush();
  }

  private depth(): number {
    return this.buffer.length - this.head;
  }

  private flush(): void {
    const c = this.client;
    while (c?.connected && this.head < this.buffer.length) {
      const m = this.buffer[this.head++];
      c.publish(m.topic, m.payload, { qos: this.o.settings.qos });
      this.published++;
    }
    if (this.head >= this.buffer.length) {
      this.buffer = [];
      this.head = 0;
    }
  }
}

/**
 * Broker user name, password and TLS files as client options: `mqtt.username` / `mqtt.password`,
 * else those embedded in the URL. A TLS file that cannot be read names its key.
 */
export function credentials(s: MqttSettings): Partial<IClientOptions> {
  const o: Partial<IClientOptions> = {};
  let inUrl: URL | undefined;
  try {
    inUrl = new URL(s.url);
  } catch {
    // resolveMqtt reported it; connect() will fail on it with its own message
  }
  const user = s.username ?? (inUrl?.username ? decodeURIComponent(inUrl.username) : undefined);
  const password = s.username !== undefined ? s.password : inUrl?.password ? decodeURIComponent(inUrl.password) : undefined;
  if (user !== undefined) o.username = user;
  if (password !== undefined) o.password = password;
  if (s.tls) {
    const read = (key: 'ca' | 'cert' | 'key') => {
      const f = s.tls![key];
      if (f === undefined) return undefined;
      try {
        return readFileSync(f);
      } catch (err) {
        throw new Error(`mqtt.tls.${key}: cannot read '${f}': ${(err as Error).message}`);
      }
    };
    const [ca, cert, key] = [read('ca'), read('cert'), read('key')];
    if (ca) o.ca = ca;
    if (cert) o.cert = cert;
    if (key) o.key = key;
    o.rejectUnauthorized = s.tls.rejectUnauthorized;
  }
  return o;
}
