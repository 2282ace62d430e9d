/**
 * On-call routes: the teams, the roster and who is on call now (any token), replacing a team's
 * roster (supervisor or admin, audited), and the recent notifications with their delivery state.
 * Handlers are thin: src/notify/service.ts decides; a refused roster is a 400 naming the field
 * (`body.entries.3.team`).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import Type from 'typebox';
import { MAX_TIME_MS } from '../../model.ts';
import { NotifyError, type NotifyService } from '../../notify/service.ts';
import type { RosterEntryInput } from '../../notify/roster.ts';
import { ROSTER_EDITORS } from '../../roles.ts';
import type { AppDeps } from '../deps.ts';
import { ApiError, badRequest } from '../errors.ts';

const strict = { additionalProperties: false } as const;
// the number first: with type coercion a string-first union would turn ms epoch into text
const Instant = Type.Union([Type.Integer({ minimum: 0, maximum: MAX_TIME_MS }), Type.String({ maxLength: 40 }), Type.Null()]);
const Level = Type.Union([Type.Literal(1), Type.Literal(2), Type.Literal(3), Type.Literal('qa')]);
const Entry = Type.Object(
  {
    team: Type.String({ minLength: 1, maxLength: 64 }),
    /** an area the team serves, or `*` (default) for all of them */
    area: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    level: Level,
    name: Type.String({ minLength: 1, maxLength: 100 }),
    mobile: Type.Optional(Type.Union([Type.String({ maxLength: 20 }), Type.Null()])),
    email: Type.Optional(Type.Union([Type.String({ maxLength: 254 }), Type.Null()])),
    from: Type.Optional(Instant),
    to: Type.Optional(Instant),
  },
  strict,
);
const RosterBody = Type.Object(
  {
    /** replace only this team's entries (each entry must be of it); without it, the whole roster */
    team: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    entries: Type.Array(Entry, { maxItems: 5000 }),
  },
  strict,
);
const NotificationsQuery = Type.Object(
  { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })), ticket: Type.Optional(Type.Integer({ minimum: 1 })) },
  strict,
);

export const oncallRoutes: FastifyPluginAsyncTypebox<{ deps: AppDeps & { notify: NotifyService } }> = async (app, { deps }) => {
  const svc = deps.notify;
  const now = () => deps.now?.() ?? Date.now();
  const canEdit = (role: string) => (ROSTER_EDITORS as readonly string[]).includes(role);
  app.addHook('onRequest', async (req) => void deps.auth.require(req, 'viewer'));

  const view = (req: FastifyRequest) => {
    const at = now();
    const kinds = new Map(svc.settings.channels.map((c) => [c.name, c.kind]));
    return {
      now: at,
      teams: svc.teams().map((t) => ({ id: t.id, name: t.name, areas: t.areas, channels: t.channels.map((name) => ({ name, kind: kinds.get(name) ?? null })) })),
      roster: svc.entries(),
      onCall: svc.board(at).map((c) => ({ team: c.team, area: c.area, level: c.level, people: c.people.map((p) => ({ name: p.name, mobile: p.mobile, email: p.email, from: p.from, to: p.to })) })),
      canEdit: canEdit(req.principal?.role ?? ''),
    };
  };

  app.get('/api/oncall', { schema: { summary: 'Teams, the on-call roster and who is on call now at each level; whether this token may edit the roster' } }, async (req) => view(req));

  app.put(
    '/api/oncall/roster',
    {
      schema: {
        summary: "Replace a team's on-call roster (with `team`) or the whole roster (supervisor or admin; audited)",
        description: 'Entries: team, area (`*` = all its areas), level 1 (on-call) | 2 (shift lead) | 3 (manager) | qa (QA lead), name, mobile, email, from/to (ISO 8601 validity window). A bad entry is a 400 naming its field, e.g. `body.entries.3.team`.',
        body: RosterBody,
      },
    },
    async (req) => {
      const who = deps.auth.require(req, 'viewer');
      if (!canEdit(who.role)) throw new ApiError(403, 'forbidden', `role ${ROSTER_EDITORS.join(' or ')} required`);
      try {
        await svc.putRoster(req.body as { team?: string; entries: RosterEntryInput[] }, { name: who.name, role: who.role });
      } catch (err) {
        if (err instanceof NotifyError) throw badRequest(err.field, err.message);
        throw err;
      }
      return view(req);
    },
  );

  app.get(
    '/api/oncall/notifications',
    { schema: { summary: 'Recent notifications, newest first, with their delivery state (queued, retrying, delivered, dead)', querystring: NotificationsQuery } },
    async (req) => ({ items: await svc.notifications({ limit: req.query.limit ?? 100, ...(req.query.ticket ? { ticket: req.query.ticket } : {}) }) }),
  );
};
