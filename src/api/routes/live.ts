import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Sample } from '../../model.ts';
import { pollSamples } from '../../poll-columns.ts';
import type { AppDeps } from '../deps.ts';
import { ApiError } from '../errors.ts';
import { LiveHub } from '../live-hub.ts';

export { LiveHub };

/** How often buffered samples go out; batching keeps thousands of stations cheap for the browser. */
const FLUSH_MS = 500;

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

/** `/ws`: live samples (batched every 500 ms), and alarm/ticket events as they happen. */
export const liveRoutes: FastifyPluginAsyncTypebox<{ deps: AppDeps; hub: LiveHub }> = async (app, { deps, hub }) => {
  let pending: Sample[] = [];

  const unsubscribe = deps.live.onSamples({
    samples: (batch) => {
      if (hub.clients.size === 0) return;
      // a batch is one or a few device polls: look at the station once per run of its samples
      let station = '';
      let wanted = false;
      for (const s of batch) {
        const dot = s.point.indexOf('.');
        if (dot !== station.length || !s.point.startsWith(station)) {
          station = s.point.slice(0, dot);
          wanted = hub.wantsStation(station);
        }
        if (wanted) pending.push(s);
      }
    },
    // samples are made only for a station some client watches
    poll: (p) => {
      if (hub.clients.size === 0 || !hub.wantsStation(p.station)) return;
      for (const s of pollSamples(p)) pending.push(s);
    },
  });
  const timer = setInterval(() => {
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    hub.sendSamples(batch);
  }, FLUSH_MS);
  timer.unref();
  const heartbeat = setInterval(() => hub.heartbeat(), hub.limits.pingMs);
  heartbeat.unref();
  app.addHook('onClose', async () => {
    clearInterval(timer);
    clearInterval(heartbeat);
    unsubscribe();
    for (const c of hub.clients) c.ws.close(1001, 'server shutting down');
  });

  app.get(
    '/ws',
    {
      websocket: true,
      schema: { summary: 'Live feed: {type: sample|alarm|ticket}; send {subscribe:{stations,points}} to filter samples', hide: true },
      onRequest: async (req) => {
        const p = deps.auth.require(req, 'viewer');
        // refused before the upgrade when already full; add() decides for connections racing past this
        const over = hub.full(p.key ?? p.name);
        if (over) {
          hub.counts.rejected[over]++;
          throw over === 'max_clients'
            ? new ApiError(503, 'too_many_connections', `this instance serves at most ${hub.limits.maxClients} /ws connections`, undefined, { 'retry-after': '30' })
            : new ApiError(429, 'too_many_connections', `at most ${hub.limits.maxPerToken} /ws connections per token`, undefined, { 'retry-after': '30' });
        }
      },
    },
    (socket, req) => {
      const client = hub.add(socket, req.principal?.key ?? req.principal?.name ?? '');
      if (!client) return;
      hub.reply(client, { type: 'hello', flushMs: FLUSH_MS });
      socket.on('message', (data) => {
        const parsed = parseSubscribe(String(data));
        if (typeof parsed === 'string') return hub.reply(client, { type: 'error', message: parsed });
        hub.subscribe(client, parsed.stations, parsed.points);
        hub.reply(client, { type: 'subscribed', stations: parsed.stations ? [...parsed.stations] : null, points: parsed.points ? [...parsed.points] : null });
      });
      socket.on('close', () => hub.remove(client));
      socket.on('error', () => hub.remove(client));
    },
  );
};

declare module 'fastify' {
  interface FastifyInstance {
    broadcast?: (msg: { type: 'alarm' | 'ticket'; [k: string]: unknown }) => void;
  }
}
