import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { AppDeps } from '../deps.ts';

/** Health and metrics are open (no token) so that monitoring can scrape them. */
export const healthRoutes: FastifyPluginAsyncTypebox<{ deps: AppDeps }> = async (app, { deps }) => {
  app.get(
    '/api/health',
    {
      schema: {
        summary: 'Service health',
        response: {
          200: Type.Object(
            {
              status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]),
              ingest: Type.Optional(
                Type.Object(
                  {
                    queueDepth: Type.Number({ description: 'samples waiting to be written' }),
                    queueAgeMs: Type.Number({ description: 'how long the oldest of them has waited' }),
                    queueGrowthPerSecond: Type.Number({ description: 'queue change per second over 10 s; > 0: the store falls behind' }),
                    writesInFlight: Type.Number({ description: 'series store writes in progress' }),
                  },
                  { additionalProperties: true },
                ),
              ),
              polls: Type.Optional(
                Type.Object(
                  {
                    devices: Type.Number(),
                    polls: Type.Number(),
                    errors: Type.Number(),
                    late: Type.Number({ description: 'polls started over a quarter period (50 ms..1 s) after their slot: the process was busy' }),
                    skipped: Type.Number({ description: 'periods without a poll: previous poll still running, or the process too busy' }),
                  },
                  { additionalProperties: true },
                ),
              ),
            },
            { additionalProperties: true },
          ),
        },
      },
    },
    async () => deps.live.health(),
  );
  app.get('/metrics', { schema: { summary: 'Prometheus metrics', hide: false } }, async (_req, reply) => {
    reply.header('content-type', deps.metrics.contentType);
    return deps.metrics.metrics();
  });
};
