/**
 * The service window's lookup (GET /api/customers/lookup): a caller's whole story from a phone,
 * account number (户号) or address. Registered by the ticket routes, whose station view it shares.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import Type from 'typebox';
import type { TicketService } from '../../tickets/service.ts';
import { TICKET_STATUSES, type Ticket } from '../../tickets/types.ts';
import type { AppDeps } from '../deps.ts';
import { badRequest } from '../errors.ts';

/** the utility's customer account number (户号) */
export const Account = Type.String({ pattern: '^[A-Za-z0-9-]{3,32}$' });
export const Phone = Type.String({ pattern: '^[0-9+\\- ()]{5,20}$' });

export const customerRoutes: FastifyPluginAsyncTypebox<{ deps: AppDeps & { tickets: TicketService }; stationView: (id: string | null) => Promise<unknown> }> = async (app, { deps, stationView }) => {
  const svc = deps.tickets;
  const stations = new Map(deps.config.stations.map((s) => [s.id, s]));
  const read = { onRequest: async (req: FastifyRequest) => void deps.auth.require(req, 'viewer') };

  app.get(
    '/api/customers/lookup',
    {
      ...read,
      schema: {
        summary:
          "A caller's story at the service window: past tickets and outage-linked calls by phone, account number or address, the serving station's live state and mode, its open alarm ticket or incident, the outage covering it now, and planned stops now or in the next 7 days",
        querystring: Type.Object(
          {
            phone: Type.Optional(Phone),
            account: Type.Optional(Account),
            address: Type.Optional(Type.String({ minLength: 2, maxLength: 300 })),
            station: Type.Optional(Type.String({ pattern: '^[a-z0-9_-]+$', maxLength: 64, description: 'the serving station, when the clerk chose it' })),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => {
      const { phone, account, address } = req.query;
      if (req.query.station !== undefined && !stations.has(req.query.station)) throw badRequest('querystring.station', `unknown station '${req.query.station}'`);
      if (!phone && !address && !account) throw badRequest('querystring', 'give phone, account or address');
      const seen = new Map<number, Ticket>();
      for (const q of [phone ? { phone } : null, account ? { account } : null, address ? { address } : null]) {
        if (q) for (const t of await svc.list({ ...q, statuses: TICKET_STATUSES, sort: 'newest', limit: 50 })) seen.set(t.id, t);
      }
      const tickets = [...seen.values()].sort((a, b) => b.createdAt - a.createdAt || b.id - a.id);
      const calls = await svc.calls.forCustomer({ ...(phone ? { phone } : {}), ...(account ? { account } : {}), ...(address ? { address } : {}) });
      // the address map first, else the station of the caller's latest ticket or call
      const latestAddress = address ?? tickets.find((t) => t.customer)?.customer?.address;
      const station = req.query.station ?? (latestAddress ? await svc.stationForAddress(latestAddress) : undefined) ?? tickets.find((t) => t.station)?.station ?? calls[0]?.station ?? null;
      const now = deps.now?.() ?? Date.now();
      const area = station ? (stations.get(station)?.area ?? null) : null;
      const stops = (deps.modes?.plannedStops() ?? [])
        .filter((p) => p.to > now && p.from < now + 7 * 86_400_000 && station !== null && (p.stations?.includes(station) || (p.area !== null && p.area === area)))
        .sort((a, b) => a.from - b.from);
      const mode = station ? deps.modes?.modeOf(station, now) : undefined;
      return {
        tickets,
        calls,
        station: await stationView(station),
        mode: mode ? { mode: mode.mode, source: mode.source } : null,
        outage: station ? await svc.outageAt(station) : null,
        plannedStops: stops,
      };
    },
  );
};
