import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { DeviceSpec, StationSpec } from '../../config/resolve.ts';
import { pointId } from '../../model.ts';
import { roleAtLeast } from '../auth.ts';
import type { AppDeps } from '../deps.ts';
import { deviceErrorCategory } from '../device-error.ts';
import { notFound } from '../errors.ts';

/** Points shown on a station tile. */
export const KEY_POINTS = ['t_sec_supply', 't_sec_return', 'p_sec_return', 't_outdoor'] as const;

const Comm = Type.Union([Type.Literal('online'), Type.Literal('offline'), Type.Literal('partial'), Type.Literal('unknown')]);
const Value = Type.Union([Type.Number(), Type.Boolean(), Type.Null()]);
const Quality = Type.Union([Type.Literal('good'), Type.Literal('bad'), Type.Literal('uncertain')]);
const Latest = Type.Union([Type.Object({ ts: Type.Number(), value: Value, quality: Quality }), Type.Null()]);

const StationSummary = Type.Object({
  id: Type.String(),
  name: Type.String(),
  area: Type.Optional(Type.String()),
  comm: Comm,
  devices: Type.Array(Type.Object({ id: Type.String(), protocol: Type.String(), comm: Comm })),
  values: Type.Record(Type.String(), Latest),
  worstAlarm: Type.Union([Type.Integer(), Type.Null()]),
  openTickets: Type.Integer(),
});

const Params = Type.Object({ id: Type.String({ pattern: '^[a-z0-9_-]+$' }) });

export function deviceComm(deps: AppDeps, d: DeviceSpec): 'online' | 'offline' | 'unknown' {
  return deps.live.deviceStatus(d.station, d.id)?.comm ?? 'unknown';
}

/** A station's comm from its devices': the tiles' and the network map's. */
export function stationComm(list: Array<'online' | 'offline' | 'unknown'>): 'online' | 'offline' | 'partial' | 'unknown' {
  if (list.every((c) => c === 'online')) return 'online';
  if (list.every((c) => c === 'offline')) return 'offline';
  if (list.some((c) => c === 'offline')) return 'partial';
  return list.some((c) => c === 'online') ? 'partial' : 'unknown';
}

function latestOf(deps: AppDeps, id: string) {
  const s = deps.live.latest(id);
  return s ? { ts: s.ts, value: s.value, quality: s.quality } : null;
}

function summary(deps: AppDeps, s: StationSpec, worst?: Map<string, number>, tickets?: Map<string, number>) {
  const devices = s.devices.map((d) => ({ id: d.id, protocol: d.protocol, comm: deviceComm(deps, d) }));
  const values: Record<string, ReturnType<typeof latestOf>> = {};
  for (const key of KEY_POINTS) {
    const dev = s.devices.find((d) => d.points.some((p) => p.id === key));
    values[key] = dev ? latestOf(deps, pointId(s.id, dev.id, key)) : null;
  }
  return {
    id: s.id,
    name: s.name,
    ...(s.area !== undefined ? { area: s.area } : {}),
    comm: stationComm(devices.map((d) => d.comm)),
    devices,
    values,
    worstAlarm: worst?.get(s.id) ?? null,
    openTickets: tickets?.get(s.id) ?? 0,
  };
}

export const stationRoutes: FastifyPluginAsyncTypebox<{ deps: AppDeps }> = async (app, { deps }) => {
  const byId = new Map(deps.config.stations.map((s) => [s.id, s]));
  app.addHook('onRequest', async (req) => {
    deps.auth.require(req, 'viewer');
  });

  app.get(
    '/api/stations',
    { schema: { summary: 'All stations with communication status and key values', response: { 200: Type.Array(StationSummary) } } },
    async () => {
      const worst = deps.alarms?.worstByStation();
      const tickets = await deps.tickets?.openPerStation();
      return deps.config.stations.map((s) => summary(deps, s, worst, tickets));
    },
  );

  app.get(
    '/api/stations/:id',
    {
      schema: {
        summary: "One station: devices, points and the latest sample of each; a device's endpoint and error text for engineers and admins, its error category for all",
        params: Params,
      },
    },
    async (req) => {
      const s = byId.get(req.params.id);
      if (!s) throw notFound(`station ${req.params.id}`);
      // endpoints and error texts name hosts and OPC UA user names: not for wall displays and read-only tokens
      const details = req.principal !== undefined && roleAtLeast(req.principal.role, 'engineer');
      return {
        ...summary(deps, s, deps.alarms?.worstByStation(), await deps.tickets?.openPerStation()),
        curve: s.curve ?? null,
        devices: s.devices.map((d) => {
          const st = deps.live.deviceStatus(s.id, d.id);
          return {
            id: d.id,
            protocol: d.protocol,
            // user:password@ in an endpoint URL is a credential, not shown even to engineers
            ...(details ? { endpoint: d.endpoint.replace(/\/\/[^@/]*@/, '//') } : {}),
            pollMs: d.pollMs,
            comm: st?.comm ?? 'unknown',
            ...(st?.error ? { errorCategory: deviceErrorCategory(st.error), ...(details ? { error: st.error } : {}) } : {}),
            points: d.points.map((p) => {
              const full = pointId(s.id, d.id, p.id);
              return { id: full, name: p.name ?? p.id, unit: p.unit ?? null, latest: latestOf(deps, full) };
            }),
          };
        }),
      };
    },
  );
};
