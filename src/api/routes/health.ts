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
        response: { 200: Type.Object({ status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]) }, { additionalProperties: true }) },
      },
    },
    async () => deps.live.health(),
  );
  app.get('/metrics', { schema: { summary: 'Prometheus metrics', hide: false } }, async (_req, reply) => {
    reply.header('content-type', deps.metrics.contentType);
    return deps.metrics.metrics();
  });
};
