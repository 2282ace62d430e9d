import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { PlannedStopInput } from '../../modes/config.ts';
import { MAX_TIME_MS } from '../../model.ts';
import { ModeError, type ModeService } from '../../modes/service.ts';
import type { AppDeps } from '../deps.ts';
import { ApiError } from '../errors.ts';

const StationParams = Type.Object({ id: Type.String({ pattern: '^[a-z0-9_-]+$', maxLength: 64 }) });
const StopParams = Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9_-]+$', maxLength: 64 }) });
// the number first: with type coercion a string-first union would turn ms epoch into text
const Instant = Type.Union([Type.Integer({ minimum: 0, maximum: MAX_TIME_MS }), Type.String({ maxLength: 40 }), Type.Null()]);
const ModeBody = Type.Object(
  {
    mode: Type.String({ maxLength: 20 }),
    comment: Type.String({ maxLength: 500 }),
    from: Type.Optional(Instant),
    until: Type.Optional(Instant),
  },
  { additionalProperties: false },
);
const BulkModeBody = Type.Object(
  {
    stations: Type.Optional(Type.Array(Type.String({ pattern: '^[a-z0-9_-]+$' }), { minItems: 1, maxItems: 10_000 })),
    area: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    mode: Type.String({ maxLength: 20 }),
    comment: Type.String({ maxLength: 500 }),
    from: Type.Optional(Instant),
    until: Type.Optional(Instant),
  },
  { additionalProperties: false },
);

const apiError = (e: unknown): unknown => (e instanceof ModeError ? new ApiError(e.status, e.status === 404 ? 'not_found' : e.status === 409 ? 'conflict' : 'bad_request', e.message, e.field) : e);

/**
 * Station modes and planned stops (停热计划): read by anyone, changed by operators, every change
 * audited. A mode or stop is validated whole before anything is written.
 */
export const modeRoutes: FastifyPluginAsyncTypebox<{ deps: AppDeps & { modes: ModeService } }> = async (app, { deps }) => {
  const modes = deps.modes;
  const stations = deps.config.stations;
  app.addHook('onRequest', async (req) => {
    deps.auth.require(req, 'viewer');
  });

  app.get('/api/modes', { schema: { summary: "Every station's effective mode now (in_service, commissioning, stopped, maintenance), its source and end" } }, async () =>
    stations.map((s) => ({ station: s.id, area: s.area ?? null, ...modes.modeOf(s.id)! })),
  );

  app.get('/api/stations/:id/mode', { schema: { summary: "A station's effective mode", params: StationParams } }, async (req) => {
    const m = modes.modeOf(req.params.id);
    if (!m) throw new ApiError(404, 'not_found', `station ${req.params.id} not found`);
    return { station: req.params.id, ...m };
  });

  app.put('/api/stations/:id/mode', { schema: { summary: 'Set a station mode with a comment and an optional window (operator)', params: StationParams, body: ModeBody } }, async (req) => {
    const who = deps.auth.require(req, 'operator');
    try {
      await modes.setMode([req.params.id], req.body, who);
    } catch (e) {
      throw apiError(e);
    }
    deps.alarms?.applyContexts();
    return { station: req.params.id, ...modes.modeOf(req.params.id)! };
  });

  app.post('/api/modes', { schema: { summary: 'Set the mode of several stations, or of an area (operator)', body: BulkModeBody } }, async (req) => {
    const who = deps.auth.require(req, 'operator');
    const b = req.body;
    if ((b.stations === undefined) === (b.area === undefined)) throw new ApiError(400, 'bad_request', 'stations: give stations or an area', 'stations');
    const ids = b.stations ?? stations.filter((s) => s.area === b.area).map((s) => s.id);
    if (b.area !== undefined && ids.length === 0) throw new ApiError(400, 'bad_request', `area: unknown area '${b.area}'`, 'area');
    try {
      await modes.setMode(ids, b, who);
    } catch (e) {
      throw apiError(e);
    }
    deps.alarms?.applyContexts();
    return ids.map((id) => ({ station: id, ...modes.modeOf(id)! }));
  });

  app.get('/api/planned-stops', { schema: { summary: 'Planned stops (停热计划), from the config and entered here' } }, async () => modes.plannedStops());

  app.post('/api/planned-stops', { schema: { summary: 'Enter a planned stop for stations or an area (operator)', body: PlannedStopInput } }, async (req, reply) => {
    const who = deps.auth.require(req, 'operator');
    try {
      const stop = await modes.addStop(req.body, who);
      deps.alarms?.applyContexts();
      reply.code(201);
      return stop;
    } catch (e) {
      throw apiError(e);
    }
  });

  app.delete('/api/planned-stops/:id', { schema: { summary: 'Cancel a planned stop entered here (operator)', params: StopParams } }, async (req, reply) => {
    const who = deps.auth.require(req, 'operator');
    try {
      await modes.cancelStop(req.params.id, who);
    } catch (e) {
      throw apiError(e);
    }
    deps.alarms?.applyContexts();
    reply.code(204);
    return null;
  });
};
