import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { splitPointId } from '../../model.ts';
import { answersJson, type SeriesJson, type SeriesResult } from '../../store/port.ts';
import type { AppDeps } from '../deps.ts';
import { badRequest, notFound } from '../errors.ts';
import { autoStep, parseDuration, parseTime } from '../query/time.ts';
import { PointDirectory } from '../../config/point-directory.ts';
import { counterPoints } from '../../analytics/counters.ts';
import { increaseSeries } from '../../analytics/increase-query.ts';
import { planQuery, QueryPlanError, type QueryPlan } from '../../store/query-plan.ts';
import { MAX_BUCKETS } from '../../store/buckets.ts';

const Query = Type.Object({
  points: Type.String({ minLength: 1, description: 'comma-separated full point ids, e.g. hs-001.plc.t_sec_supply' }),
  from: Type.Optional(Type.String({ description: 'ISO 8601, ms epoch or now-1h; default to − 1 h' })),
  to: Type.Optional(Type.String({ description: 'ISO 8601, ms epoch or now; default now' })),
  step: Type.Optional(Type.String({ description: 'bucket width: 10s, 1m, 1h, or ms; default chosen for the range' })),
  agg: Type.Optional(
    Type.Union(['mean', 'min', 'max', 'last', 'count', 'increase'].map((a) => Type.Literal(a)), {
      default: 'mean',
      description: 'increase: how much a counter (heat_energy, v_makeup, counter: true) went up per step (docs/analytics.md)',
    }),
  ),
  format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')])),
  token: Type.Optional(Type.String()),
});

const MAX_POINTS = 50;

/** Wide CSV: one row per bucket, one column per point; empty cell = no data. */
export function toCsv(series: SeriesResult[]): string {
  const header = ['time', ...series.map((s) => s.point)].join(',');
  const rows: string[] = [header];
  const n = series[0]?.points.length ?? 0;
  for (let i = 0; i < n; i++) {
    const ts = series[0].points[i][0];
    rows.push([new Date(ts).toISOString(), ...series.map((s) => s.points[i]?.[1] ?? '')].join(','));
  }
  return rows.join('\n') + '\n';
}

/** bytes per socket write of a series' JSON */
const PIECE = 128 * 1024;

/**
 * `{ ...head, series: [...] }` as JSON, one series at a time with the event loop free between
 * them: a month of minutes for 10 points is 432,000 buckets, ~140 ms of JSON in one go, which
 * would hold every poll of the process that long. `series` are the series' JSON (text or
 * bytes, in parts), made when their turn comes.
 */
export function jsonSeriesBody(head: Record<string, unknown>, series: Array<() => string | Array<string | Uint8Array>>): Readable {
  return Readable.from(
    (async function* () {
      yield `${JSON.stringify(head).slice(0, -1)},"series":[`;
      for (let i = 0; i < series.length; i++) {
        if (i > 0) await new Promise((resolve) => setImmediate(resolve));
        if (i > 0) yield ',';
        const s = series[i]();
        if (typeof s === 'string') yield s;
        else {
          for (const part of s) {
            if (typeof part === 'string') yield part;
            // the store's bytes as views (no copy), a piece at a time: one socket write of a
            // whole series (~1.3 MB) held the loop for the kernel's loopback copy of all of it
            else for (let o = 0; o < part.byteLength; o += PIECE) yield Buffer.from(part.buffer, part.byteOffset + o, Math.min(PIECE, part.byteLength - o));
          }
        }
      }
      yield ']}';
    })(),
    { objectMode: false },
  );
}

/** One series of the answer around the store's JSON of its points: what JSON.stringify gives for the series. */
export function seriesJsonParts(s: SeriesJson, unit: string | null): Array<string | Uint8Array> {
  return [`{"point":${JSON.stringify(s.point)},"unit":${JSON.stringify(unit)},"source":${JSON.stringify(s.source)},"points":`, s.points, '}'];
}

export const seriesRoutes: FastifyPluginAsyncTypebox<{ deps: AppDeps }> = async (app, { deps }) => {
  // each point's unit, and its device's poll period for the raw-read cap (src/store/query-plan.ts)
  const configured = new PointDirectory<{ id: string; unit?: string }>(deps.config.stations);
  const counters = counterPoints(deps.config.stations);
  app.addHook('onRequest', async (req) => {
    deps.auth.require(req, 'viewer');
  });

  app.get(
    '/api/series',
    { schema: { summary: 'Aggregated series per step (JSON, or CSV with Accept: text/csv or format=csv)', querystring: Query } },
    async (req, reply) => {
      const q = req.query;
      const now = deps.now?.() ?? Date.now();
      const points = q.points.split(',').map((p) => p.trim()).filter(Boolean);
      if (points.length === 0) throw badRequest('points', 'at least one point id');
      if (points.length > MAX_POINTS) throw badRequest('points', `at most ${MAX_POINTS} points per query`);
      for (const p of points) {
        if (!splitPointId(p)) throw badRequest('points', `'${p}' is not a point id of the form station.device.point`);
        if (!configured.get(p)) throw notFound(`point ${p}`);
      }
      const to = q.to === undefined ? now : parseTime(q.to, now);
      if (to === null) throw badRequest('to', `cannot read '${q.to}' as ISO time, ms epoch or now-<duration>`);
      const from = q.from === undefined ? to - 3_600_000 : parseTime(q.from, now);
      if (from === null) throw badRequest('from', `cannot read '${q.from}' as ISO time, ms epoch or now-<duration>`);
      if (from >= to) throw badRequest('from', 'must be before to');
      let stepMs: number;
      if (q.step === undefined) stepMs = autoStep(to - from);
      else {
        const s = parseDuration(q.step);
        if (s === null) throw badRequest('step', `cannot read '${q.step}' as a duration like 10s, 1m, 1h`);
        stepMs = s;
      }
      let plan: QueryPlan;
      try {
        plan = planQuery({ from, to, stepMs }, points.map((p) => configured.get(p)?.pollMs ?? 1000));
      } catch (err) {
        if (err instanceof QueryPlanError) throw badRequest(err.field, err.message);
        throw err;
      }
      stepMs = plan.stepMs;
      reply.header('x-heatwatch-step-ms', String(stepMs));
      if ((to - from) / stepMs > MAX_BUCKETS) {
        const snapped = plan.requestedStepMs !== undefined ? ` of ${stepMs / 60_000} min (${q.step} rounded up to whole minutes)` : '';
        throw badRequest('step', `gives ${Math.ceil((to - from) / stepMs)} buckets${snapped}; at most ${MAX_BUCKETS}`);
      }
      const wantsCsv = q.format === 'csv' || (q.format === undefined && (req.headers.accept ?? '').includes('text/csv'));
      const head = {
        from,
        to,
        stepMs,
        // present when the step asked for was snapped to whole minutes (query-plan.ts rule 2)
        ...(plan.requestedStepMs !== undefined ? { requestedStepMs: plan.requestedStepMs } : {}),
        agg: q.agg ?? 'mean',
      };
      const unitOf = (p: string) => configured.get(p)?.point.unit ?? null;
      if (q.agg !== 'increase' && !wantsCsv && answersJson(deps.series)) {
        // the store writes the points' JSON (in its worker thread): this thread only sends the bytes
        const answer = await deps.series.queryJson({ points, from, to, stepMs, agg: q.agg ?? 'mean' });
        reply.header('content-type', 'application/json; charset=utf-8');
        return reply.send(jsonSeriesBody(head, answer.map((s) => () => seriesJsonParts(s, unitOf(s.point)))));
      }
      let result: SeriesResult[];
      if (q.agg === 'increase') {
        const other = points.find((p) => !counters.has(p));
        if (other) throw badRequest('querystring.agg', `increase applies to counters (heat_energy, v_makeup, points marked counter: true); ${other} is not one`);
        if (stepMs % 60_000 !== 0) throw badRequest('step', `increase needs a step of whole minutes, got ${stepMs} ms`);
        result = await increaseSeries(deps.series, counters, { points, from, to, stepMs, now });
      } else result = await deps.series.query({ points, from, to, stepMs, agg: q.agg ?? 'mean' });
      if (wantsCsv) {
        reply.header('content-type', 'text/csv; charset=utf-8');
        reply.header('content-disposition', 'attachment; filename="series.csv"');
        return toCsv(result);
      }
      const series = result.map((r) => () => JSON.stringify({ point: r.point, unit: unitOf(r.point), source: r.source, points: r.points }));
      reply.header('content-type', 'application/json; charset=utf-8');
      return reply.send(jsonSeriesBody(head, series));
    },
  );
};
