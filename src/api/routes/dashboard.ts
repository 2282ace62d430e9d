import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { AppDeps } from '../deps.ts';
import { roleAtLeast } from '../../roles.ts';
import { transitionsFor } from '../../tickets/lifecycle.ts';

/** The control-room page's source: plain browser ES modules, served as they are (no build step). */
export const DEFAULT_DASHBOARD_DIR = fileURLToPath(new URL('../../../dashboards/web/', import.meta.url));

/** The read token the page may prefill: only the simulator/demo config's well-known viewer token. */
const DEMO_READ_TOKEN = 'demo-read';

function uplotDist(): string | null {
  try {
    const require = createRequire(import.meta.url);
    return dirname(require.resolve('uplot/dist/uPlot.esm.js'));
  } catch {
    return null;
  }
}

const UiConfig = Type.Object({
  site: Type.String(),
  timezone: Type.String(),
  /** the open read token of `heatwatch demo`, else null (the page then asks for a token) */
  demoToken: Type.Union([Type.String(), Type.Null()]),
});
const Session = Type.Object({
  name: Type.String(),
  role: Type.String(),
  /** the role may write (acknowledge, file and move tickets…): operator rank or above, qa included */
  write: Type.Boolean(),
  /** ticket transitions the role may make, by status (the page's buttons follow the API's rules) */
  transitions: Type.Record(Type.String(), Type.Array(Type.String())),
});

/**
 * Serves the control-room page at `/` (public static files; its data needs a token),
 * uPlot's dist files at `/vendor/uplot/`, and two small routes the page starts with:
 * `GET /api/ui-config` (open) and `GET /api/session` (who the token is).
 */
export const dashboardRoutes: FastifyPluginAsyncTypebox<{ deps: AppDeps }> = async (app, { deps }) => {
  const root = deps.dashboardDir ?? DEFAULT_DASHBOARD_DIR;
  const demo = deps.config.tokens.find((t) => t.token === DEMO_READ_TOKEN && t.role === 'viewer');

  app.get(
    '/api/ui-config',
    { schema: { summary: 'Page start-up settings (open: no token needed)', response: { 200: UiConfig } } },
    async () => ({
      site: deps.config.site.name,
      timezone: deps.config.site.timezone,
      demoToken: demo?.token ?? null,
    }),
  );
  app.get(
    '/api/session',
    { schema: { summary: 'Name and role of the presented token, whether it may write, and the ticket transitions it may make', response: { 200: Session } } },
    async (req) => {
      const p = deps.auth.require(req, 'viewer');
      return { name: p.name, role: p.role, write: roleAtLeast(p.role, 'operator'), transitions: transitionsFor(p.role) };
    },
  );

  if (!existsSync(root)) {
    app.log.warn({ root }, 'control-room page folder missing; / is not served');
    return;
  }
  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    index: ['index.html'],
    wildcard: true,
    // the page is small and changes with deployments; revalidate rather than cache for days
    cacheControl: true,
    maxAge: 0,
    schemaHide: true,
  });
  const vendor = uplotDist();
  if (vendor && existsSync(vendor)) {
    await app.register(fastifyStatic, {
      root: vendor,
      prefix: '/vendor/uplot/',
      decorateReply: false,
      maxAge: 86_400_000,
      schemaHide: true,
    });
  }
};
