/**
 * One Modbus TCP connection (host:port) shared by every device (unit id) behind it, e.g. a
 * gateway serving up to 247 stations on one port. Requests are serialised: a FIFO of device
 * polls, each poll running its whole read plan before the next device's poll starts.
 *
 * Failure policy:
 * - connect failure or connection loss → state `down`, every queued poll fails at once, and a
 *   reconnect is tried after an exponential backoff (500 ms doubling to 30 s, "equal jitter":
 *   a random delay in [backoff/2, backoff]); polls while down fail immediately without any
 *   connect attempt. The backoff resets only when a device answers (a reply or a Modbus
 *   exception), so a peer that accepts TCP but never answers is retried ever more slowly.
 * - timeout → the poll fails. The connection is dropped when as many consecutive timeouts as
 *   there are units on it happened with no reply in between (one for a single device); so on a
 *   gateway one silent unit costs its neighbours at most one timeout per poll of that unit,
 *   and its late replies are ignored by transaction id (see client.ts).
 * - malformed reply → the poll fails and the connection is dropped (framing lost).
 * - Modbus exception → the poll fails; the connection stays.
 *
 * Each failure tells the job its {@link FailureCause}, so the adapter can back off a unit that
 * stopped answering (see probe.ts); {@link Endpoint.probes} paces those probes per connection.
 */
import { ModbusTcpClient, type ModbusError } from './client.ts';
import type { ReadRequest } from './plan.ts';
import { ProbeGate } from './probe.ts';
import { backoffDelay } from '../../backoff.ts';

/**
 * Why a poll failed:
 * - `silent`: the unit did not answer (timeout, or exception 0x0A/0x0B: the gateway has no path
 *   to it / it did not respond behind the gateway);
 * - `answered`: something answered, but not usable data (other exceptions, malformed reply);
 * - `link`: the connection is down, was lost, or could not be opened: says nothing of the unit.
 */
export type FailureCause = 'silent' | 'answered' | 'link';

/** What the endpoint needs from a device poll. */
export interface EndpointJob {
  unit: number;
  timeoutMs: number;
  plan: ReadRequest[];
  /** requests of the plan the server may have in flight at once (1: one at a time) */
  inFlight: number;
  /** index of the next request to send */
  reqIdx: number;
  /** requests of the plan answered so far */
  answered: number;
  /** the poll starts: first request is about to be sent (or fails at once when down) */
  started(now: number): void;
  /** request `reqIdx` of the plan answered with these data bytes (valid only during the call); any order */
  got(bytes: Buffer, reqIdx: number): void;
  /** whole plan answered */
  succeeded(): void;
  /** the poll failed: `where` is the request label or null when the connection is down */
  failed(where: string | null, message: string, cause: FailureCause): void;
}

export const BACKOFF_MIN_MS = 500;
export const BACKOFF_MAX_MS = 30_000;
const RECONNECT = { baseMs: BACKOFF_MIN_MS, maxMs: BACKOFF_MAX_MS };

export class Endpoint {
  readonly key: string;
  state: 'idle' | 'connecting' | 'up' | 'down' = 'idle';
  /** why the connection is down, e.g. `connect 127.0.0.1:5020: connection refused` */
  lastError = '';
  units = 0;
  connectTimeoutMs = 2000;
  connects = 0;
  /** the next reconnect's backoff before jitter (stats) */
  get backoffMs(): number {
    return backoffDelay(this.downs, RECONNECT);
  }
  /** paces probes of units in backoff on this connection (used by the adapter) */
  readonly probes = new ProbeGate();
  private readonly client = new ModbusTcpClient();
  private queue: EndpointJob[] = [];
  private qHead = 0;
  private current: EndpointJob | null = null;
  private timeoutsInARow = 0;
  /** times the connection went down since a device last answered: the reconnect backoff's attempt */
  private downs = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly onReply = (err: ModbusError | null, bytes: Buffer | null, reqIdx: number): void => this.handleReply(err, bytes, reqIdx);
  private readonly retry = (): void => {
    this.retryTimer = null;
    this.connect();
  };

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly now: () => number,
  ) {
    this.key = `${host}:${port}`;
    this.client.onClose((err) => this.goDown(`connection ${this.key} lost: ${err.message}`));
  }

  connect(): void {
    if (this.stopped || this.state === 'connecting' || this.state === 'up') return;
    this.state = 'connecting';
    this.connects++;
    this.client.connect(this.host, this.port, this.connectTimeoutMs).then(
      () => {
        if (this.stopped) return void this.client.close();
        this.state = 'up';
        this.timeoutsInARow = 0;
        this.pump();
      },
      (err: ModbusError) => {
        if (this.stopped) return;
        this.goDown(`connect ${this.key}: ${err.message}`);
      },
    );
  }

  /** Queues a poll; fails it at once while the connection is down (no connect attempt). */
  submit(job: EndpointJob): void {
    if (this.state === 'down' || this.stopped) {
      job.started(this.now());
      job.failed(null, this.lastError || 'not connected', 'link');
      return;
    }
    this.queue.push(job);
    if (this.state === 'idle') this.connect();
    else if (this.state === 'up') this.pump();
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.queue = [];
    this.qHead = 0;
    this.current = null;
    void this.client.close();
  }

  private pump(): void {
    while (!this.current && this.state === 'up' && this.qHead < this.queue.length) {
      const job = this.queue[this.qHead++];
      if (this.qHead > 1024 && this.qHead * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.qHead);
        this.qHead = 0;
      }
      this.current = job;
      job.reqIdx = 0;
      job.answered = 0;
      job.started(this.now());
      this.send(job);
    }
  }

  /** Sends as many of the job's requests as its `inFlight` allows, in one write. */
  private send(job: EndpointJob): void {
    const n = Math.min(job.inFlight - this.client.pendingCount, job.plan.length - job.reqIdx);
    if (n <= 0) return;
    const from = job.reqIdx;
    job.reqIdx += n;
    this.client.readMany(job.unit, job.plan, from, n, job.timeoutMs, this.onReply);
  }

  private handleReply(err: ModbusError | null, bytes: Buffer | null, reqIdx: number): void {
    const job = this.current;
    if (!job || this.stopped) return;
    if (!err) {
      this.timeoutsInARow = 0;
      this.downs = 0;
      job.got(bytes!, reqIdx);
      if (++job.answered < job.plan.length) return this.send(job);
      this.current = null;
      job.succeeded();
      return this.pump();
    }
    // the poll fails as a whole: replies still owed to it are dropped when they come
    this.client.abandon();
    this.current = null;
    job.failed(job.plan[reqIdx].label, err.message, causeOf(err));
    if (err.kind === 'exception') {
      this.timeoutsInARow = 0;
      this.downs = 0;
      return this.pump();
    }
    if (err.kind === 'timeout' && ++this.timeoutsInARow < Math.max(1, this.units)) return this.pump();
    this.goDown(
      err.kind === 'closed' || err.kind === 'not_connected'
        ? `connection ${this.key} lost: ${err.message}`
        : `connection ${this.key} dropped after ${err.message}`,
    );
  }

  /** Marks the connection down, fails everything queued, and schedules one reconnect. */
  private goDown(reason: string): void {
    if (this.stopped || this.state === 'down') return;
    this.state = 'down';
    this.lastError = reason;
    const cur = this.current;
    this.current = null;
    const oldest = this.client.oldestTag;
    this.client.abandon();
    void this.client.close();
    if (cur) cur.failed(cur.plan[oldest]?.label ?? null, reason, 'link');
    const q = this.queue;
    const head = this.qHead;
    this.queue = [];
    this.qHead = 0;
    const now = this.now();
    for (let i = head; i < q.length; i++) {
      q[i].started(now);
      q[i].failed(null, reason, 'link');
    }
    this.retryTimer = setTimeout(this.retry, backoffDelay(this.downs++, { ...RECONNECT, jitter: 0.5 }));
  }
}

/** Exceptions 0x0A (gateway path unavailable) and 0x0B (target failed to respond): the unit is silent. */
const SILENT_EXCEPTIONS = new Set([10, 11]);

function causeOf(err: ModbusError): FailureCause {
  if (err.kind === 'timeout') return 'silent';
  if (err.kind === 'exception') return SILENT_EXCEPTIONS.has(err.code ?? 0) ? 'silent' : 'answered';
  if (err.kind === 'protocol') return 'answered';
  return 'link';
}
