/**
 * The /ws fan-out. Every outgoing message is encoded once and appended to one shared log; each
 * client keeps a cursor into it and is pumped while its socket has less than LOW_WATER bytes
 * queued. So a client costs a few numbers however far behind it is, 1,000 viewers share each
 * message's one buffer, and the log holds only what the slowest remaining client still needs:
 * a client more than `maxBufferedBytes` behind is dropped (counted), as is one that misses a ping.
 *
 * @example
 * const hub = new LiveHub({ maxClients: 2000, maxPerToken: 200, pingMs: 30_000, maxBufferedBytes: 2 ** 20 });
 * const c = hub.add(socket, 'auth.tokens[0].token'); // null when over a cap (the socket is closed)
 * hub.broadcast({ type: 'alarm', event, alarm });
 */
import type { WebSocket } from 'ws';
import type { Sample } from '../model.ts';
import { WS_DEFAULTS, type WsSettings } from './config.ts';

/** Bytes queued in a client's socket below which the hub hands it more. */
const LOW_WATER = 64 * 1024;

export type DropReason = 'slow' | 'ping_timeout';
export type RejectReason = 'max_clients' | 'max_per_token';

export interface Client {
  ws: WebSocket;
  /** the token's config key: the per-token cap counts by it */
  key: string;
  stations: Set<string> | null;
  points: Set<string> | null;
  /** '' without a filter; clients with the same filter share one encoded sample batch */
  filter: string;
  /** answered the last ping */
  alive: boolean;
  /** next log entry to send */
  cursor: number;
  /** sends not yet written to the socket; the last one's callback pumps again */
  inflight: number;
  onSent: () => void;
}

interface Entry {
  data: Buffer;
  /** null: for every client; else only for clients with this sample filter */
  filter: string | null;
  /** log bytes up to and including this entry */
  end: number;
}

function wants(c: Client, s: Sample): boolean {
  if (!c.stations && !c.points) return true;
  const dot = s.point.indexOf('.');
  if (c.stations && !c.stations.has(s.point.slice(0, dot))) return false;
  if (c.points && !c.points.has(s.point.slice(s.point.lastIndexOf('.') + 1))) return false;
  return true;
}

export const encode = (msg: unknown): Buffer => Buffer.from(JSON.stringify(msg));

export class LiveHub {
  readonly clients = new Set<Client>();
  readonly counts = { dropped: { slow: 0, ping_timeout: 0 }, rejected: { max_clients: 0, max_per_token: 0 } };
  private readonly perToken = new Map<string, number>();
  private entries: Entry[] = [];
  /** sequence number of entries[0] and the log bytes before it */
  private base = 0;
  private baseBytes = 0;
  private scheduled = false;

  constructor(readonly limits: WsSettings = WS_DEFAULTS) {}

  /** Why a new connection of token `key` would be over a cap, or null. */
  full(key: string): RejectReason | null {
    if (this.clients.size >= this.limits.maxClients) return 'max_clients';
    if ((this.perToken.get(key) ?? 0) >= this.limits.maxPerToken) return 'max_per_token';
    return null;
  }

  /** Adds a connected socket, or closes it (1013, try again later) and returns null when over a cap. */
  add(ws: WebSocket, key: string): Client | null {
    const over = this.full(key);
    if (over) {
      this.counts.rejected[over]++;
      ws.close(1013, over === 'max_clients' ? 'too many connections' : 'too many connections for this token');
      return null;
    }
    const c: Client = { ws, key, stations: null, points: null, filter: '', alive: true, cursor: this.head, inflight: 0, onSent: () => undefined };
    c.onSent = () => {
      if (--c.inflight === 0 && c.cursor < this.head) this.pump(c);
    };
    this.clients.add(c);
    this.perToken.set(key, (this.perToken.get(key) ?? 0) + 1);
    ws.on('pong', () => (c.alive = true));
    return c;
  }

  remove(c: Client): void {
    if (!this.clients.delete(c)) return;
    const n = (this.perToken.get(c.key) ?? 1) - 1;
    if (n > 0) this.perToken.set(c.key, n);
    else this.perToken.delete(c.key);
    if (this.clients.size === 0) {
      // nobody left to read the log
      this.baseBytes = this.endBytes();
      this.base = this.head;
      this.entries = [];
    }
  }

  /** Drops a client at once: terminate frees its socket's queue without a closing handshake. */
  drop(c: Client, why: DropReason): void {
    if (!this.clients.has(c)) return;
    this.counts.dropped[why]++;
    this.remove(c);
    c.ws.terminate();
  }

  /** A reply to one client (hello, subscribed, error): outside the log, under the same bound. */
  reply(c: Client, msg: unknown): void {
    if (c.ws.readyState !== 1) return;
    if (c.ws.bufferedAmount > this.limits.maxBufferedBytes) return this.drop(c, 'slow');
    c.ws.send(encode(msg), { binary: false });
  }

  readonly broadcast = (msg: { type: 'alarm' | 'ticket'; [k: string]: unknown }): void => {
    if (this.clients.size > 0) this.append(encode(msg), null);
  };

  /** Samples to every client, one encoding per distinct filter. */
  sendSamples(batch: Sample[]): void {
    const done = new Set<string>();
    for (const c of this.clients) {
      if (done.has(c.filter)) continue;
      done.add(c.filter);
      const mine = c.filter ? batch.filter((s) => wants(c, s)) : batch;
      if (mine.length) this.append(encode({ type: 'sample', samples: mine }), c.filter);
    }
  }

  subscribe(c: Client, stations: Set<string> | null, points: Set<string> | null): void {
    c.stations = stations;
    c.points = points;
    c.filter = stations || points ? JSON.stringify([stations ? [...stations].sort() : null, points ? [...points].sort() : null]) : '';
  }

  /** One heartbeat: drops clients that did not answer the previous ping, pings the rest. */
  heartbeat(): void {
    for (const c of this.clients) {
      if (!c.alive) {
        this.drop(c, 'ping_timeout');
        continue;
      }
      c.alive = false;
      if (c.ws.readyState === 1) c.ws.ping();
    }
  }

  /** Entries in the log (for tests and metrics). */
  get logLength(): number {
    return this.entries.length;
  }

  private get head(): number {
    return this.base + this.entries.length;
  }

  private endBytes(): number {
    return this.entries.length ? this.entries[this.entries.length - 1].end : this.baseBytes;
  }

  private append(data: Buffer, filter: string | null): void {
    this.entries.push({ data, filter, end: this.endBytes() + data.length });
    if (!this.scheduled) {
      this.scheduled = true;
      // one pass per turn of the event loop, so a burst of events goes out together
      setImmediate(() => this.pumpAll());
    }
  }

  /** Sends a client what its socket has room for. */
  private pump(c: Client): void {
    const ws = c.ws;
    if (ws.readyState !== 1 || !this.clients.has(c)) return;
    while (c.cursor < this.head && ws.bufferedAmount < LOW_WATER) {
      const e = this.entries[c.cursor++ - this.base];
      if (e.filter !== null && e.filter !== c.filter) continue;
      c.inflight++;
      ws.send(e.data, { binary: false }, c.onSent);
    }
  }

  /** Pumps every client, drops those too far behind, and forgets entries every client has passed. */
  private pumpAll(): void {
    this.scheduled = false;
    const end = this.endBytes();
    let min = this.head;
    for (const c of this.clients) {
      if (c.inflight === 0) this.pump(c);
      const before = c.cursor === this.base ? this.baseBytes : this.entries[c.cursor - this.base - 1].end;
      if (end - before + c.ws.bufferedAmount > this.limits.maxBufferedBytes) this.drop(c, 'slow');
      else if (c.cursor < min) min = c.cursor;
    }
    if (min > this.base) {
      this.baseBytes = this.entries[min - this.base - 1].end;
      this.entries = this.entries.slice(min - this.base);
      this.base = min;
    }
  }
}
