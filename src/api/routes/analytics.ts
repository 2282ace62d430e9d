/**
 * The daily table and the network ranking (read role): `GET /api/analytics/daily` and
 * `GET /api/analytics/ranking`. Days are `YYYY-MM-DD` (or `YYYY-MM` for a whole month) in the
 * site time zone; a malformed day, one in the future, `from` after `to` or more than 400 days is
 * a 400 naming the field. Definitions: docs/analytics.md.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { DayError, daysBetween, type RangeQuery } from '../../analytics/days.ts';
import { RANK_METRICS } from '../../analytics/ranking.ts';
import type { AnalyticsService } from '../../analytics/service.ts';
import type { AppDeps } from '../deps.ts';
import { badRequest, notFound } from '../errors.ts';

/** rows one daily request may return (all stations × days) */
const MAX_ROWS = 200_000;

const Day = Type.String({ maxLength: 10, description: 'YYYY-MM-DD (or YYYY-MM: the month) in the site time zone' });
const Period = Type.Union([Type.Literal('month'), Type.Literal('season')], { description: 'the current month or the season so far (from operations.season) when from is not given' });
const Range = {
  from: Type.Optional(Day),
  to: Type.Optional(Type.String({ maxLength: 10, description: 'YYYY-MM-DD (or YYYY-MM), default today' })),
  period: Type.Optional(Period),
};

const DailyQuery = Type.Object(
  { station: Type.Optional(Type.String({ pattern: '^[a-z0-9_-]+$', maxLength: 64, description: 'one station; default all' })), ...Range },
  { additionalProperties: false },
);
const RankingQuery = Type.Object(
  { ...Range, sort: Type.Optional(Type.Union(RANK_METRICS.map((m) => Type.Literal(m)), { description: 'default intensity; descending' })) },
  { additionalProperties: false },
);

export const analyticsRoutes: FastifyPluginAsyncTypebox<{ deps: AppDeps & { analytics: AnalyticsService } }> = async (app, { deps }) => {
  const svc = deps.analytics;
  const stationIds = new Set(deps.config.stations.map((s) => s.id));
  app.addHook('onRequest', async (req) => void deps.auth.require(req, 'viewer'));

  const rangeOf = (q: RangeQuery) => {
    try {
      return svc.range(q);
    } catch (err) {
      if (err instanceof DayError) throw badRequest(err.field, err.message);
      throw err;
    }
  };

  app.get(
    '/api/analytics/daily',
    {
      schema: {
        summary: 'Daily figures per station: heat (GJ), make-up (m³), degree-days, mean temperatures and flow, minutes off the curve, GJ/(m²·HDD), flow per 1000 m², make-up % of system volume, coverage',
        querystring: DailyQuery,
      },
    },
    async (req) => {
      const q = req.query;
      if (q.station !== undefined && !stationIds.has(q.station)) throw notFound(`station ${q.station}`);
      const { from, to } = rangeOf(q);
      const rows = (daysBetween(from, to) + 1) * (q.station === undefined ? stationIds.size : 1);
      if (rows > MAX_ROWS) throw badRequest('querystring.station', `${rows} rows (every station × ${daysBetween(from, to) + 1} days); at most ${MAX_ROWS}: give a station or a shorter range`);
      return svc.dailyRows(from, to, q.station);
    },
  );

  app.get(
    '/api/analytics/ranking',
    {
      schema: {
        summary: 'Network ranking of a period: per station heat, GJ/(m²·HDD), primary return, flow per 1000 m², make-up, minutes off the curve, outliers against the network median; sorted descending',
        querystring: RankingQuery,
      },
    },
    async (req) => {
      const { from, to } = rangeOf(req.query);
      return svc.ranking(from, to, req.query.sort ? { sort: req.query.sort } : {});
    },
  );
};
