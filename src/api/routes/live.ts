import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { WebSocket } from 'ws';
import type { Sample } from '../../model.ts';
import type { AppDeps } from '../deps.ts';

/** How often buffered samples go out; batching keeps thousands of stations cheap for the browser. */
const FLUSH_MS = 500;
/** A client this far behind in bytes gets batches dropped rather than growing our memory. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

interface Client {
  ws: WebSocket;
  stations: Set<string> | null;
  points: Set<string> | null;
  dropped: number;
}

function wants(c: Client, s: Sample): boolean {
  if (!c.stations && !c.points) return true;
  const dot = s.point.indexOf('.');
  if (c.stations && !c.stations.has(s.point.slice(0, dot))) return false;
  if (c.points && !c.points.has(s.point.slice(s.point.lastIndexOf('.') + 1))) return false;
  return true;
}

function parseSubscribe(raw: string): { stations: Set<string> | null; points: Set<string> | null } | string {
  let msg: unknown;
  try {
    msg = JSON.parse(raw);
  } catch {
    return 'message is not JSON';
  }
  const sub = (msg as { subscribe?: { stations?: unknown; points?: unknown } })?.subscribe;
  if (!sub || typeof sub !== 'object') return 'expected { subscribe: { stations?: [...], points?: [...] } }';
  const list = (v: unknown, name: string): Set<string> | null | string => {
    if (v === undefined || v === null) return null;
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) return `subscribe.${name} must be an array of strings`;
    return new Set(v as string[]);
  };
  const stations = list(sub.stations, 'stations');
  if (typeof stations === 'string') return stations;
  const points = list(sub.points, 'points');
  if (typeof points === 'string') return points;
  return { stations, points };
}

/** The set of connected /ws clients; `broadcast` is decorated on the root app so services can push events. */
export class LiveHub {
  readonly clients = new Set<Client>();
  readonly broadcast = (msg: { type: 'alarm' | 'ticket'; [k: string]: unknown }): void => {
    const text = JSON.stringify(msg);
    for (const c of this.clients) if (c.ws.readyState === 1) c.ws.send(text);
  };
}

/** `/ws`: live samples (batched every 500 ms), and alarm/ticket events as they happen. */
export const liveRoutes: FastifyPluginAsyncTypebox<{ deps: AppDeps; hub: LiveHub }> = async (app, { deps, hub }) => {
  const clients = hub.clients;
  let pending: Sample[] = [];

  const unsubscribe = deps.live.onSamples((batch) => {
    if (clients.size === 0) return;
    for (const s of batch) pending.push(s);
  });
  const timer = setInterval(() => {
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    for (const c of clients) {
      if (c.ws.readyState !== 1) continue;
      if (c.ws.bufferedAmount > MAX_BUFFERED_BYTES) {
        c.dropped += batch.length;
        continue;
      }
      const mine = c.stations || c.points ? batch.filter((s) => wants(c, s)) : batch;
      if (mine.length) c.ws.send(JSON.stringify({ type: 'sample', samples: mine }));
    }
  }, FLUSH_MS);
  timer.unref();
  app.addHook('onClose', async () => {
    clearInterval(timer);
    unsubscribe();
    for (const c of clients) c.ws.close(1001, 'server shutting down');
  });

  app.get(
    '/ws',
    {
      websocket: true,
      schema: { summary: 'Live feed: {type: sample|alarm|ticket}; send {subscribe:{stations,points}} to filter samples', hide: true },
      onRequest: async (req) => {
        deps.auth.require(req, 'viewer');
      },
    },
    (socket) => {
      const client: Client = { ws: socket, stations: null, points: null, dropped: 0 };
      clients.add(client);
      socket.send(JSON.stringify({ type: 'hello', flushMs: FLUSH_MS }));
      socket.on('message', (data) => {
        const parsed = parseSubscribe(String(data));
        if (typeof parsed === 'string') {
          socket.send(JSON.stringify({ type: 'error', message: parsed }));
          return;
        }
        client.stations = parsed.stations;
        client.points = parsed.points;
        socket.send(JSON.stringify({ type: 'subscribed', stations: parsed.stations ? [...parsed.stations] : null, points: parsed.points ? [...parsed.points] : null }));
      });
      socket.on('close', () => clients.delete(client));
      socket.on('error', () => clients.delete(client));
    },
  );
};

declare module 'fastify' {
  interface FastifyInstance {
    broadcast?: (msg: { type: 'alarm' | 'ticket'; [k: string]: unknown }) => void;
  }
}
