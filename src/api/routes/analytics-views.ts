import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { pickLang } from '../../alarms/messages.ts';
import { dayBounds, DayError, dayRange, MAX_DAYS } from '../../analytics/days.ts';
import { stationInputs } from '../../analytics/inputs.ts';
import { mapState } from '../../analytics/views/map-state.ts';
import { alarmMarkers, mergeMarkers, MAX_MARKERS, ticketMarkers } from '../../analytics/views/markers.ts';
import { scatterPairs, sortedCurve } from '../../analytics/views/scatter.ts';
import { alignSeasons, seasonSpans } from '../../analytics/views/season.ts';
import { ticketEvents } from '../../analytics/views/ticket-events.ts';
import type { StationSpec } from '../../config/resolve.ts';
import { localDate } from '../../reports/period.ts';
import type { AppDeps } from '../deps.ts';
import { badRequest } from '../errors.ts';
import { parseTime } from '../query/time.ts';
import { deviceComm, stationComm } from './stations.ts';

const HOUR_MS = 3_600_000;
const SEASON_METRICS = ['heatGJ', 'intensity', 'meanSupplyC'] as const;
type SeasonMetric = (typeof SEASON_METRICS)[number];

const Station = Type.String({ pattern: '^[a-z0-9_-]+$', maxLength: 64, description: 'station id' });
const Day = Type.String({ maxLength: 10, description: 'YYYY-MM-DD in the site time zone' });
const Lang = Type.Optional(Type.Union([Type.Literal('zh-CN'), Type.Literal('en')]));

const ScatterQuery = Type.Object({ station: Station, from: Type.Optional(Day), to: Type.Optional(Day) }, { additionalProperties: false });
const SeasonQuery = Type.Object(
  { station: Station, metric: Type.Optional(Type.Union(SEASON_METRICS.map((m) => Type.Literal(m)), { default: 'heatGJ' })) },
  { additionalProperties: false },
);
const MarkersQuery = Type.Object(
  {
    station: Station,
    from: Type.String({ maxLength: 40, description: 'ISO 8601, ms epoch or now-7d' }),
    to: Type.Optional(Type.String({ maxLength: 40, description: 'ISO 8601, ms epoch or now; default now' })),
    lang: Lang,
  },
  { additionalProperties: false },
);

/**
 * The engineers' views of the page beside the ranking: the network map (state of every station
 * now), a station's supply-vs-outdoor scatter, its season-over-season overlay and the markers on
 * its trends. Reads only; any valid token.
 */
export const analyticsViewRoutes: FastifyPluginAsyncTypebox<{ deps: AppDeps }> = async (app, { deps }) => {
  const tz = deps.config.site.timezone;
  const now = () => deps.now?.() ?? Date.now();
  const byId = new Map(deps.config.stations.map((s) => [s.id, s]));
  app.addHook('onRequest', async (req) => {
    deps.auth.require(req, 'viewer');
  });

  const station = (id: string): StationSpec => {
    const s = byId.get(id);
    if (!s) throw badRequest('querystring.station', `unknown station '${id}'`);
    return s;
  };

  app.get(
    '/api/analytics/map',
    {
      schema: {
        summary: 'Every station with its location, area and state now (alarm, comm_loss, stopped, maintenance, ok), and the district outlines',
      },
    },
    async () => {
      const worst = deps.alarms?.worstByStation();
      const at = now();
      const stations = deps.config.stations.map((s) => {
        const comm = stationComm(s.devices.map((d) => deviceComm(deps, d)));
        const mode = deps.modes?.modeOf(s.id, at)?.mode ?? null;
        const worstAlarm = worst?.get(s.id) ?? null;
        return { station: s.id, name: s.name, area: s.area ?? null, location: s.location ?? null, state: mapState({ comm, worstAlarm, mode }), comm, mode, worstAlarm };
      });
      // one kind of location for all stations (the config checks it)
      const first = stations.find((s) => s.location !== null)?.location;
      return { kind: first ? ('lat' in first ? 'geo' : 'plan') : null, stations, districts: deps.config.analytics.districts };
    },
  );

  app.get(
    '/api/analytics/scatter',
    { schema: { summary: "A station's hourly mean secondary supply against outdoor temperature over local days [from, to] (default the last 30), and its curve", querystring: ScatterQuery } },
    async (req) => {
      const s = station(req.query.station);
      const t = now();
      let range: { from: string; to: string };
      try {
        range = dayRange(req.query, tz, t, deps.config.operations.season);
      } catch (e) {
        throw e instanceof DayError ? badRequest(e.field, e.message) : e;
      }
      const { from, to } = range;
      // the points the daily table reads: its curve deviation and this scatter show the same thing
      const { outdoor, supply } = stationInputs(s);
      const curve = sortedCurve(s.curve);
      // the band around the curve that the daily table's curve deviation counts outside of
      const bandK = deps.config.analytics.curveDeviationK;
      if (!outdoor || !supply) return { station: s.id, from, to, points: { outdoor, supply }, pairs: [], curve, bandK };
      const [o, y] = await deps.series.query({ points: [outdoor, supply], from: dayBounds(from, tz).from, to: Math.min(dayBounds(to, tz).to, t), stepMs: HOUR_MS, agg: 'mean' });
      return { station: s.id, from, to, points: { outdoor, supply }, pairs: scatterPairs(o.points, y.points), curve, bandK };
    },
  );

  app.get(
    '/api/analytics/season',
    { schema: { summary: "A station's daily value this heating season and last, aligned by day of season (metric heatGJ, intensity or meanSupplyC)", querystring: SeasonQuery } },
    async (req) => {
      const s = station(req.query.station);
      const metric: SeasonMetric = req.query.metric ?? 'heatGJ';
      const spans = seasonSpans(localDate(now(), tz), deps.config.operations.season);
      // without the analytics service (an app built for other tests) the seasons are empty
      const read = (from: string, to: string) => deps.analytics?.dailyRows(from, to, s.id).map((r) => ({ day: r.day, value: r[metric] })) ?? [];
      const current = read(spans.current.from, spans.current.to);
      const last = read(spans.last.from, spans.last.to);
      return { station: s.id, metric, current: spans.current, last: spans.last, days: alignSeasons(spans, current, last) };
    },
  );

  app.get(
    '/api/analytics/markers',
    {
      schema: {
        summary: "Alarm raises and ticket events (created, status changes, missed deadlines) of a station in [from, to), in time order, for trend markers",
        querystring: MarkersQuery,
      },
    },
    async (req) => {
      const s = station(req.query.station);
      const t = now();
      const to = req.query.to === undefined ? t : parseTime(req.query.to, t);
      if (to === null) throw badRequest('querystring.to', `cannot read '${req.query.to}' as ISO time, ms epoch or now-<duration>`);
      const from = parseTime(req.query.from, t);
      if (from === null) throw badRequest('querystring.from', `cannot read '${req.query.from}' as ISO time, ms epoch or now-<duration>`);
      if (from >= to) throw badRequest('querystring.from', 'must be before to');
      if (to - from > MAX_DAYS * 86_400_000) throw badRequest('querystring.from', `the range is longer than ${MAX_DAYS} days`);
      const lang = pickLang(req.query.lang, req.headers['accept-language']);
      const alarms = deps.alarms ? alarmMarkers(deps.alarms.history({ from, to, station: s.id, limit: 10 * MAX_MARKERS, lang })) : [];
      const tickets = deps.tickets ? ticketMarkers(ticketEvents(deps.state.db, { station: s.id, from, to, limit: MAX_MARKERS }), lang) : [];
      return { station: s.id, from, to, markers: mergeMarkers(alarms, tickets) };
    },
  );
};
