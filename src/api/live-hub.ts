/**
 * The /ws fan-out. Every outgoing message is encoded once and appended to one shared log; each
 * client keeps a cursor into it. A pass (one per turn of the event loop while any client is
 * behind) hands each client at most SEND_BUDGET bytes, and none while its socket already has
 * that much queued. So a client costs a few numbers however far behind it is, 1,000 viewers
 * share each message's one buffer, a burst of events is spread over passes instead of queueing
 * millions of writes at once, and the log holds only what the slowest remaining client still
 * needs: a client more than `maxBufferedBytes` behind is dropped (counted), as is one that
 * misses a ping. The log is shared, so that bound is the hub's memory, not each client's.
 *
 * @example
 * const hub = new LiveHub({ maxClients: 2000, maxPerToken: 200, pingMs: 30_000, maxBufferedBytes: 16 * 2 ** 20 });
 * const c = hub.add(socket, 'auth.tokens[0].token'); // null when over a cap (the socket is closed)
 * hub.broadcast({ type: 'alarm', event, alarm });
 */
import type { Duplex } from 'node:stream';
import * as wsModule from 'ws';
import type { WebSocket } from 'ws';
import type { Sample } from '../model.ts';
import { WS_DEFAULTS, type WsSettings } from './config.ts';

/** Bytes a client is handed per pass, and queued in its socket above which it is handed none. */
const SEND_BUDGET = 64 * 1024;

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
  /** sends not yet written to the socket; the last one's callback asks for another pass */
  inflight: number;
  onSent: () => void;
}

interface Entry {
  /** the whole WebSocket frame, header included: the same bytes for every client */
  frame: Buffer;
  /** header bytes at the start of `frame` */
  header: number;
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

// ws exports its Sender at runtime; its type declarations leave it out
type FrameOptions = { fin: boolean; opcode: number; mask: boolean; readOnly: boolean; rsv1: boolean };
const { Sender } = wsModule as unknown as { Sender: { frame(data: Buffer, o: FrameOptions): Buffer[] } };

/**
 * `msg` as JSON in a final, unmasked server-to-client text frame, framed by ws's own Sender.
 * Built once and written as it is to every client's socket: sending through each client's ws
 * would build a header, a list and a write per client and message, most of the cost at 1,000 clients.
 */
export function textFrame(msg: unknown): { frame: Buffer; header: number } {
  const data = Buffer.from(JSON.stringify(msg));
  const parts = Sender.frame(data, { fin: true, opcode: 1, mask: false, readOnly: true, rsv1: false });
  return { frame: Buffer.concat(parts), header: parts[0].length };
}

export class LiveHub {
  readonly clients = new Set<Client>();
  readonly counts = { dropped: { slow: 0, ping_timeout: 0 }, rejected: { max_clients: 0, max_per_token: 0 } };
  private readonly perToken = new Map<string, number>();
  private entries: Entry[] = [];
  /** sequence number of entries[0] and the log bytes before it */
  private base = 0;
  private baseBytes = 0;
  private scheduled = false;
  /** the stations some client wants, null: some client takes every station; undefined: to be worked out */
  private interest: Set<string> | null | undefined = undefined;

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
      if (--c.inflight === 0 && c.cursor < this.head) this.schedule();
    };
    this.clients.add(c);
    this.interest = undefined;
    this.perToken.set(key, (this.perToken.get(key) ?? 0) + 1);
    ws.on('pong', () => (c.alive = true));
    return c;
  }

  remove(c: Client): void {
    if (!this.clients.delete(c)) return;
    this.interest = undefined;
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
    if (this.clients.size > 0) this.append(textFrame(msg), null);
  };

  /** Samples to every client, one encoding per distinct filter. */
  sendSamples(batch: Sample[]): void {
    const done = new Set<string>();
    for (const c of this.clients) {
      if (done.has(c.filter)) continue;
      done.add(c.filter);
      const mine = c.filter ? batch.filter((s) => wants(c, s)) : batch;
      if (mine.length) this.append(textFrame({ type: 'sample', samples: mine }), c.filter);
    }
  }

  subscribe(c: Client, stations: Set<string> | null, points: Set<string> | null): void {
    c.stations = stations;
    c.points = points;
    c.filter = stations || points ? JSON.stringify([stations ? [...stations].sort() : null, points ? [...points].sort() : null]) : '';
    this.interest = undefined;
  }

  /**
   * Whether any client takes samples of `station`: the feed keeps only those until its next
   * flush (the page subscribes to the stations in view, so most of a city's samples need not wait).
   */
  wantsStation(station: string): boolean {
    if (this.interest === undefined) {
      let all = false;
      const union = new Set<string>();
      for (const c of this.clients) {
        if (!c.stations) all = true;
        else for (const x of c.stations) union.add(x);
      }
      this.interest = all ? null : union;
    }
    return this.interest === null || this.interest.has(station);
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

  /** Bytes in the shared log: what the clients furthest behind still need. */
  get queuedBytes(): number {
    return this.endBytes() - this.baseBytes;
  }

  private get head(): number {
    return this.base + this.entries.length;
  }

  private endBytes(): number {
    return this.entries.length ? this.entries[this.entries.length - 1].end : this.baseBytes;
  }

  private append(f: { frame: Buffer; header: number }, filter: string | null): void {
    this.entries.push({ ...f, filter, end: this.endBytes() + f.frame.length });
    this.schedule();
  }

  /** One pass on the next turn of the event loop: a burst of events goes out together, I/O in between. */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.pass());
  }

  /** Hands a client up to SEND_BUDGET bytes of what it has not had. */
  private pump(c: Client): void {
    const ws = c.ws;
    if (ws.readyState !== 1 || !this.clients.has(c)) return;
    let budget = SEND_BUDGET - ws.bufferedAmount;
    // the frames go straight to ws's socket (no compression is negotiated, so they are final);
    // corked, a pass's frames leave in one write. ws's own frames (ping, close) go between whole frames.
    const socket = (ws as unknown as { _socket?: Duplex })._socket;
    socket?.cork();
    while (c.cursor < this.head && budget > 0) {
      const e = this.entries[c.cursor++ - this.base];
      if (e.filter !== null && e.filter !== c.filter) continue;
      budget -= e.frame.length;
      c.inflight++;
      if (socket) socket.write(e.frame, c.onSent);
      else ws.send(e.frame.subarray(e.header), { binary: false }, c.onSent);
    }
    socket?.uncork();
  }

  /** Pumps every client, drops those too far behind, and forgets entries every client has passed. */
  private pass(): void {
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
