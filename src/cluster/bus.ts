/**
 * Messages between `serve` instances over PostgreSQL LISTEN/NOTIFY: alarm and ticket events for
 * every instance's /ws clients, and operator commands (an ack on instance A for an alarm that
 * instance B evaluates). NOTIFY is delivered only to sessions listening at commit time and holds
 * at most 8,000 bytes, so messages are small, and what must not be lost (commands) is also a row
 * that the receiver reads; the notification only says "look now".
 *
 * One dedicated connection listens and reconnects with backoff; sends go through the pool.
 *
 * @example
 * const bus = new ClusterBus({ url, instance: 'serve-a' });
 * bus.on('alarm', (m) => live.push(m.body)); await bus.start(); await bus.send('alarm', event);
 */
import { EventEmitter } from 'node:events';
import pg from 'pg';
import type { Logger } from 'pino';
import { backoffDelay, type Backoff } from '../backoff.ts';
import type { PgStateDb } from '../state/pg-db.ts';

export const CLUSTER_CHANNEL = 'heatwatch_cluster';
/** PostgreSQL refuses a NOTIFY payload of 8,000 bytes or more */
export const NOTIFY_MAX_BYTES = 7900;

export interface ClusterMessage<T = unknown> {
  /** the sending instance */
  from: string;
  topic: string;
  body: T;
}

export interface ClusterBusOptions {
  db: PgStateDb;
  url: string;
  instance: string;
  logger?: Logger;
  backoff?: Backoff;
}

export class ClusterBus {
  private client: pg.Client | null = null;
  private readonly events = new EventEmitter();
  private stopped = false;
  private retry: NodeJS.Timeout | null = null;
  private attempt = 0;
  /** messages too big for NOTIFY, dropped and counted (the body should have been a reference) */
  oversize = 0;
  connected = false;

  constructor(private readonly o: ClusterBusOptions) {
    this.events.setMaxListeners(0);
  }

  on<T>(topic: string, fn: (m: ClusterMessage<T>) => void): () => void {
    const h = (m: ClusterMessage<T>) => fn(m);
    this.events.on(topic, h);
    return () => this.events.off(topic, h);
  }

  /** Connect and listen; resolves once listening (or throws the first connection's error). */
  async start(): Promise<void> {
    this.stopped = false;
    await this.connect();
  }

  private async connect(): Promise<void> {
    const c = new pg.Client({ connectionString: this.o.url, connectionTimeoutMillis: 5000, application_name: `heatwatch-bus-${this.o.instance}` });
    c.on('notification', (n) => this.receive(n.payload));
    c.on('error', (err) => this.lost(c, err));
    c.on('end', () => this.lost(c, new Error('connection ended')));
    await c.connect();
    await c.query(`LISTEN ${CLUSTER_CHANNEL}`);
    this.client = c;
    this.connected = true;
    this.attempt = 0;
    this.events.emit('$connected', { from: this.o.instance, topic: '$connected', body: null });
  }

  private lost(c: pg.Client, err: Error): void {
    if (this.client !== c) return;
    this.client = null;
    this.connected = false;
    c.end().catch(() => {});
    if (this.stopped) return;
    this.o.logger?.warn({ err }, 'cluster bus connection lost; reconnecting');
    this.reconnectLater();
  }

  private reconnectLater(): void {
    const delay = backoffDelay(this.attempt++, this.o.backoff ?? { baseMs: 500, maxMs: 10_000, jitter: 0.5 });
    this.retry = setTimeout(() => {
      this.retry = null;
      this.connect().catch((err) => {
        this.o.logger?.warn({ err }, 'cluster bus reconnect failed');
        if (!this.stopped) this.reconnectLater();
      });
    }, delay);
    this.retry.unref?.();
  }

  private receive(payload: string | undefined): void {
    if (!payload) return;
    let m: ClusterMessage;
    try {
      m = JSON.parse(payload) as ClusterMessage;
    } catch {
      return;
    }
    if (typeof m?.topic !== 'string' || m.from === this.o.instance || m.topic.startsWith('$')) return;
    this.events.emit(m.topic, m);
  }

  /** Tell every other instance (those listening now). False when the message is too big to send. */
  async send(topic: string, body: unknown): Promise<boolean> {
    const payload = JSON.stringify({ from: this.o.instance, topic, body } satisfies ClusterMessage);
    if (Buffer.byteLength(payload) > NOTIFY_MAX_BYTES) {
      this.oversize++;
      return false;
    }
    await this.o.db.run('SELECT pg_notify(?, ?)', [CLUSTER_CHANNEL, payload]);
    return true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    const c = this.client;
    this.client = null;
    this.connected = false;
    await c?.end().catch(() => {});
  }
}
