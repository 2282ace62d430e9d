import { readFileSync } from 'node:fs';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import websocket from '@fastify/websocket';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { isStateUnavailable } from '../state/errors.ts';
import { ApiError } from './errors.ts';
import type { AppDeps } from './deps.ts';
import { healthRoutes } from './routes/health.ts';
import { stationRoutes } from './routes/stations.ts';
import { seriesRoutes } from './routes/series.ts';
import { LiveHub, liveRoutes } from './routes/live.ts';
import { ticketRoutes } from './routes/tickets.ts';
import { reportRoutes } from './routes/reports.ts';
import { alarmRoutes } from './routes/alarms.ts';
import { modeRoutes } from './routes/modes.ts';
import { oncallRoutes } from './routes/oncall.ts';
import { shiftRoutes } from './routes/shifts.ts';
import { dashboardRoutes } from './routes/dashboard.ts';
import { analyticsViewRoutes } from './routes/analytics-views.ts';
import { analyticsRoutes } from './routes/analytics.ts';
import { analyticsReportRoutes } from './routes/analytics-reports.ts';
import { registerApiMetrics } from './metrics.ts';

/** Field named by a fastify/ajv validation error, e.g. `querystring.agg`. */
function validationField(err: FastifyError): string {
  const v = err.validation?.[0];
  if (!v) return 'request';
  const ctx = err.validationContext ?? 'request';
  const missing = (v.params as { missingProperty?: string } | undefined)?.missingProperty;
  const extra = (v.params as { additionalProperty?: string } | undefined)?.additionalProperty;
  const path = v.instancePath.replace(/^\//, '').replace(/\//g, '.');
  const leaf = missing ?? extra;
  return [ctx, path, leaf].filter(Boolean).join('.');
}

/** Builds the HTTP app; never listens (the entry point does). */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const tls = deps.config.api.tls;
  const app = Fastify({
    // api.tls: HTTPS and wss on the same port; the files were checked readable by the config
    ...(tls ? { https: { cert: readFileSync(tls.cert), key: readFileSync(tls.key) } } : {}),
    loggerInstance: deps.logger.child({ module: 'api' }) as FastifyBaseLogger,
    // per-request lines would flood the log of a control room polling every few seconds
    logController: new LogController({ disableRequestLogging: true }),
    // on stop, every connection is closed, not only idle ones: a client that stopped reading a
    // large response (a hung browser tab) would otherwise hold the shutdown forever
    forceCloseConnections: true,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: true, allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof ApiError) {
      if (err.headers) reply.headers(err.headers);
      return reply.status(err.statusCode).send({ error: err.code, message: err.message, ...(err.field ? { field: err.field } : {}) });
    }
    if (err.validation) {
      const field = validationField(err);
      return reply.status(400).send({ error: 'bad_request', field, message: `${field}: ${err.validation[0]?.message ?? err.message}` });
    }
    if (err.statusCode && err.statusCode < 500) {
      return reply.status(err.statusCode).send({ error: err.code ?? 'bad_request', message: err.message });
    }
    if (isStateUnavailable(err)) {
      req.log.warn({ err }, 'state database unavailable');
      return reply.status(503).header('retry-after', '5').send({ error: 'state_unavailable', message: 'the state database cannot be reached: nothing was changed; try again shortly' });
    }
    req.log.error({ err }, 'request failed');
    return reply.status(500).send({ error: 'internal', message: 'internal error; see the service log' });
  });
  app.setNotFoundHandler((req, reply) => reply.status(404).send({ error: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0]}` }));

  await app.register(swagger, {
    openapi: {
      info: { title: 'heatwatch API', version: '0.1.0', description: 'Substation telemetry, alarms and tickets' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  // no compression: the live hub writes pre-built frames, the same bytes to every client (live-hub.ts)
  await app.register(websocket, { options: { maxPayload: 64 * 1024, perMessageDeflate: false } });

  await app.register(healthRoutes, { deps });
  await app.register(stationRoutes, { deps });
  await app.register(seriesRoutes, { deps });
  const hub = new LiveHub(deps.config.api.ws);
  registerApiMetrics(deps.metrics, { hub, auth: deps.auth });
  app.decorate('broadcast', hub.broadcast);
  await app.register(liveRoutes, { deps, hub });
  if (deps.tickets) await app.register(ticketRoutes, { deps: { ...deps, tickets: deps.tickets } });
  if (deps.tickets) await app.register(reportRoutes, { deps: { ...deps, tickets: deps.tickets } });
  if (deps.alarms) await app.register(alarmRoutes, { deps: { ...deps, alarms: deps.alarms } });
  if (deps.modes) await app.register(modeRoutes, { deps: { ...deps, modes: deps.modes } });
  if (deps.notify) await app.register(oncallRoutes, { deps: { ...deps, notify: deps.notify } });
  await app.register(shiftRoutes, { deps });
  await app.register(analyticsViewRoutes, { deps });
  if (deps.analytics) await app.register(analyticsRoutes, { deps: { ...deps, analytics: deps.analytics } });
  if (deps.analytics) await app.register(analyticsReportRoutes, { deps: { ...deps, analytics: deps.analytics } });
  await app.register(dashboardRoutes, { deps });
  return app as unknown as FastifyInstance;
}
