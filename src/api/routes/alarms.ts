import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { AlarmRunner } from '../../alarms/runner.ts';
import type { RoleName } from '../../config/schema.ts';
import type { AlarmActionCommand, AlarmActionResult } from '../../cluster/coordinator.ts';
import type { AppDeps } from '../deps.ts';
import { ApiError, badRequest, notFound } from '../errors.ts';
import { parseTime } from '../query/time.ts';
import { pickLang } from '../../alarms/messages.ts';

const StateFilter = Type.Union(
  ['active', 'all', 'not_normal', 'normal', 'unacked', 'acked', 'rtn_unacked', 'shelved', 'suppressed', 'out_of_service'].map((s) => Type.Literal(s)),
);
const ListQuery = Type.Object({
  state: Type.Optional(StateFilter),
  station: Type.Optional(Type.String({ pattern: '^[a-z0-9_-]+$' })),
  priority: Type.Optional(Type.Integer({ minimum: 1, maximum: 4 })),
  area: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  class: Type.Optional(Type.String({ pattern: '^[a-z0-9_]+$', maxLength: 40 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
  lang: Type.Optional(Type.Union([Type.Literal('zh-CN'), Type.Literal('en')])),
  token: Type.Optional(Type.String()),
});
const BulkAckBody = Type.Object(
  {
    station: Type.Optional(Type.String({ pattern: '^[a-z0-9_-]+$' })),
    area: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    class: Type.Optional(Type.String({ pattern: '^[a-z0-9_]+$', maxLength: 40 })),
    priority: Type.Optional(Type.Integer({ minimum: 1, maximum: 4 })),
    comment: Type.String({ minLength: 1, maxLength: 2000 }),
  },
  { additionalProperties: false },
);
type BulkFilter = { station?: string; area?: string; class?: string; priority?: number };
const FloodQuery = Type.Object({ minutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 1440 })), token: Type.Optional(Type.String()) });
const RangeQuery = Type.Object({
  from: Type.Optional(Type.String()),
  to: Type.Optional(Type.String()),
  station: Type.Optional(Type.String({ pattern: '^[a-z0-9_-]+$' })),
  alarm: Type.Optional(Type.String()),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
  lang: Type.Optional(Type.Union([Type.Literal('zh-CN'), Type.Literal('en')])),
  token: Type.Optional(Type.String()),
});
const Params = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) });
const Comment = Type.String({ maxLength: 2000 });
const AckBody = Type.Object({ comment: Type.Optional(Comment) }, { additionalProperties: false });
const ShelveBody = Type.Object(
  { comment: Type.String({ minLength: 1, maxLength: 2000 }), minutes: Type.Number({ exclusiveMinimum: 0 }) },
  { additionalProperties: false },
);
/** taking out of service needs its end: `until` (ISO time or ms epoch) or `minutes` from now */
const OosBody = Type.Object(
  {
    comment: Type.String({ minLength: 1, maxLength: 2000 }),
    on: Type.Boolean(),
    until: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
    minutes: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
  },
  { additionalProperties: false },
);

/**
 * What one read may cover, so no request loads years of events into memory: history is paged by
 * `limit` within at most 31 days; KPIs read every event of their window (400 days at most, and
 * no more than 500,000 events).
 */
export const ALARM_READ_LIMITS = { historyMaxDays: 31, kpiMaxDays: 400, kpiMaxEvents: 500_000 } as const;

export function range(q: { from?: string; to?: string }, now: number, defaultSpanMs: number, maxDays: number, route: string): { from: number; to: number } {
  const to = q.to === undefined ? now : parseTime(q.to, now);
  if (to === null) throw badRequest('to', `cannot read '${q.to}' as ISO time, ms epoch or now-<duration>`);
  const from = q.from === undefined ? to - defaultSpanMs : parseTime(q.from, now);
  if (from === null) throw badRequest('from', `cannot read '${q.from}' as ISO time, ms epoch or now-<duration>`);
  if (from >= to) throw badRequest('from', 'must be before to');
  if (to - from > maxDays * 86_400_000) throw badRequest('from', `the range is longer than ${maxDays} days, the most ${route} serves; ask for a shorter range`);
  return { from, to };
}

/** Alarm list, operator actions, history and KPIs (DESIGN §5). */
export const alarmRoutes: FastifyPluginAsyncTypebox<{ deps: AppDeps & { alarms: AlarmRunner } }> = async (app, { deps }) => {
  const alarms = deps.alarms;
  const now = () => deps.now?.() ?? Date.now();
  app.addHook('onRequest', async (req) => {
    deps.auth.require(req, 'viewer');
  });

  app.get(
    '/api/alarms',
    {
      schema: {
        summary:
          'Alarms by priority then time; state=active (default) lists the annunciated ones (unacked, acked, rtn_unacked); suppressed, shelved and out_of_service have their own views; not_normal lists all of them',
        querystring: ListQuery,
      },
    },
    async (req) =>
      alarms.list({
        state: req.query.state as never,
        station: req.query.station,
        priority: req.query.priority,
        area: req.query.area,
        class: req.query.class,
        limit: req.query.limit ?? 5000,
        lang: pickLang(req.query.lang, req.headers['accept-language']),
      }),
  );

  app.get('/api/alarms/counts', { schema: { summary: 'How many alarms are annunciated, suppressed, shelved and out of service' } }, async () => alarms.counts());

  app.get('/api/alarms/flood', { schema: { summary: 'Raises of the last minutes (default 10) grouped by area and cause, largest first', querystring: FloodQuery } }, async (req) => {
    const to = now();
    const minutes = req.query.minutes ?? 10;
    const raises = (await alarms.history({ from: to - minutes * 60_000, to: to + 1, limit: 100_000 })).filter((e) => e.type === 'raise');
    const groups = new Map<string, { area: string | null; class: string | null; count: number; stations: Set<string>; priority: number; last: number }>();
    for (const e of raises) {
      const area = alarms.areaOf(e.station);
      const k = `${area}\u0000${e.class}`;
      const g = groups.get(k) ?? { area, class: e.class, count: 0, stations: new Set<string>(), priority: e.priority, last: 0 };
      g.count++;
      g.stations.add(e.station);
      g.priority = Math.min(g.priority, e.priority);
      g.last = Math.max(g.last, e.ts);
      groups.set(k, g);
    }
    return {
      from: to - minutes * 60_000,
      to,
      raises: raises.length,
      groups: [...groups.values()].sort((a, b) => b.count - a.count || a.priority - b.priority).map((g) => ({ ...g, stations: [...g.stations].sort() })),
    };
  });

  app.post('/api/alarms/ack', { schema: { summary: 'Acknowledge every unacknowledged alarm matching station, area, class or priority, with one comment (operator)', body: BulkAckBody } }, async (req) => {
    const who = deps.auth.require(req, 'operator');
    const { comment, ...filter } = req.body;
    const ts = now();
    if (deps.cluster) return bulkAckInCluster(deps.cluster, filter, comment, { name: who.name, role: who.role }, ts);
    // one audit row per alarm, as for single acknowledgements, each in its acknowledgement's transaction
    const r = await alarms.actions.ackMatching(filter, who.name, comment, (id) => deps.state.audit({ ts, user: who.name, role: who.role, action: 'alarm.ack', target: id, detail: { comment, bulk: filter } }));
    if (!r.ok) throw new ApiError(400, 'bad_request', `${r.field}: ${r.error}`, r.field);
    return { acknowledged: r.alarms.length, alarms: r.alarms };
  });

  app.get('/api/alarms/history', { schema: { summary: 'Alarm events (every transition, newest first)', querystring: RangeQuery } }, async (req) => {
    const { from, to } = range(req.query, now(), 86_400_000, ALARM_READ_LIMITS.historyMaxDays, '/api/alarms/history');
    return alarms.history({ from, to, station: req.query.station, alarmId: req.query.alarm, limit: req.query.limit ?? 1000, lang: pickLang(req.query.lang, req.headers['accept-language']) });
  });

  app.get('/api/alarms/kpis', { schema: { summary: 'EEMUA 191 alarm-system figures for a window (default the last 24 h)', querystring: RangeQuery } }, async (req) => {
    const { from, to } = range(req.query, now(), 86_400_000, ALARM_READ_LIMITS.kpiMaxDays, '/api/alarms/kpis');
    const max = alarms.opts.maxKpiEvents ?? ALARM_READ_LIMITS.kpiMaxEvents;
    const k = await alarms.kpis(from, to, max);
    if (!k) throw badRequest('from', `the window holds more than ${max} alarm events, the most /api/alarms/kpis reads; ask for a shorter range`);
    return k;
  });

  app.get('/api/alarms/:id', { schema: { summary: 'One alarm', params: Params, querystring: Type.Object({ lang: Type.Optional(Type.Union([Type.Literal('zh-CN'), Type.Literal('en')])), token: Type.Optional(Type.String()) }) } }, async (req) => {
    const a = alarms.get(req.params.id, pickLang(req.query.lang, req.headers['accept-language']));
    if (!a) throw notFound(`alarm ${req.params.id}`);
    return a;
  });

  // the engine refuses a shelve or out-of-service time beyond its bounds: bad input, not a conflict
  const badTime = (r: Awaited<ReturnType<AlarmRunner['ack']>>) => (!r.ok && /^(minutes|until):/.test(r.error) ? { ...r, status: 400 as const } : r);
  type Oos = { comment: string; on: boolean; until?: string; minutes?: number };
  type Run = (id: string, user: string, body: never, audit: () => Promise<unknown>, ts: number) => ReturnType<AlarmRunner['ack']>;
  /** each action: who may, and what it does (`audit` writes the audit row in the transaction that records it) */
  const ACTIONS: Record<string, { need: RoleName | ((body: never) => RoleName); run: Run }> = {
    ack: { need: 'operator', run: (id, user, body: { comment?: string } | undefined, audit) => alarms.ack(id, user, body?.comment, false, audit) },
    shelve: { need: 'operator', run: async (id, user, body: { comment: string; minutes: number }, audit) => badTime(await alarms.shelve(id, user, body.comment, body.minutes, audit)) },
    unshelve: { need: 'operator', run: (id, user, body: { comment?: string } | undefined, audit) => alarms.unshelve(id, user, body?.comment, audit) },
    // ISA-18.2: out of service is a maintenance authorisation (engineer), always with an end;
    // returning to service only restores annunciation, so an operator may
    oos: {
      need: (body: Oos) => (body.on ? 'engineer' : 'operator'),
      run: async (id, user, body: Oos, audit, at) => {
        if (!body.on) return alarms.setOutOfService(id, user, body.comment, false, null, audit);
        if ((body.until === undefined) === (body.minutes === undefined)) throw badRequest('until', 'give the end of out of service as until (ISO time or ms epoch) or minutes, one of them');
        const until = body.minutes !== undefined ? at + body.minutes * 60_000 : parseTime(body.until!, at);
        if (until === null) throw badRequest('until', `cannot read '${body.until}' as ISO time or ms epoch`);
        return badTime(await alarms.setOutOfService(id, user, body.comment, true, until, audit));
      },
    },
  };
  /** Runs an action here (on this instance's alarm, or for the instance that asked: src/cluster). */
  const perform = async (c: AlarmActionCommand): Promise<AlarmActionResult> => {
    const audit = () => deps.state.audit({ ts: c.ts, user: c.who.name, role: c.who.role, action: `alarm.${c.name}`, target: c.id, detail: c.body ?? undefined });
    try {
      const outcome = await ACTIONS[c.name].run(c.id, c.who.name, c.body as never, audit, c.ts);
      return outcome.ok ? { status: 200, alarm: outcome.alarm } : { status: outcome.status, error: outcome.error, ...(outcome.status === 400 ? { field: outcome.error.split(':')[0] } : {}) };
    } catch (err) {
      if (err instanceof ApiError && err.statusCode < 500) return { status: err.statusCode, error: err.message, ...(err.field ? { field: err.field } : {}) };
      throw err;
    }
  };
  deps.cluster?.serveAlarmActions(perform);
  /**
   * In a cluster each alarm is acknowledged by its station's owner: the matching alarms (this
   * instance follows every station's records) go one by one through the owner, as single acks.
   */
  async function bulkAckInCluster(cluster: NonNullable<AppDeps['cluster']>, filter: BulkFilter, comment: string, who: { name: string; role: string }, ts: number) {
    if (filter.station === undefined && filter.area === undefined && filter.class === undefined && filter.priority === undefined) {
      throw new ApiError(400, 'bad_request', 'station: give at least one of station, area, class, priority', 'station');
    }
    const targets = alarms.list({ ...filter, state: 'active' }).filter((a) => a.state === 'unacked' || a.state === 'rtn_unacked');
    if (targets.length === 0) {
      const field = filter.station !== undefined ? 'station' : filter.area !== undefined ? 'area' : filter.class !== undefined ? 'class' : 'priority';
      throw new ApiError(400, 'bad_request', `${field}: matches no unacknowledged alarm`, field);
    }
    const results = await Promise.all(
      targets.map((a) => {
        const cmd: AlarmActionCommand = { name: 'ack', id: a.id, who, body: { comment, bulk: filter }, ts };
        return cluster.alarmAction(cmd, () => perform(cmd));
      }),
    );
    const acked = results.flatMap((r) => (r.status === 200 ? [(r as { alarm: unknown }).alarm] : []));
    return { acknowledged: acked.length, alarms: acked };
  }
  const action = (name: string) => async (req: { params: { id: string }; body: unknown } & Parameters<typeof deps.auth.require>[0]) => {
    const need = ACTIONS[name].need;
    const who = deps.auth.require(req, typeof need === 'function' ? need(req.body as never) : need);
    const cmd: AlarmActionCommand = { name, id: req.params.id, who: { name: who.name, role: who.role }, body: req.body ?? undefined, ts: now() };
    // the alarm's owner runs it: this instance, or another of the cluster
    const r = deps.cluster ? await deps.cluster.alarmAction(cmd, () => perform(cmd)) : await perform(cmd);
    if (r.status !== 200) {
      const error = 'error' in r ? r.error : '';
      if (r.status === 503) throw new ApiError(503, error.startsWith('the state database') ? 'state_unavailable' : 'unavailable', error, undefined, { 'retry-after': '5' });
      const code = r.status === 404 ? 'not_found' : r.status === 400 ? 'bad_request' : 'conflict';
      throw new ApiError(r.status, code, error, 'field' in r ? r.field : undefined);
    }
    return (r as { alarm: unknown }).alarm;
  };

  app.post('/api/alarms/:id/ack', { schema: { summary: 'Acknowledge (operator)', params: Params, body: Type.Optional(AckBody) } }, action('ack') as never);
  app.post('/api/alarms/:id/shelve', { schema: { summary: 'Shelve for some minutes; comment required (operator)', params: Params, body: ShelveBody } }, action('shelve') as never);
  app.post('/api/alarms/:id/unshelve', { schema: { summary: 'Unshelve (operator)', params: Params, body: Type.Optional(AckBody) } }, action('unshelve') as never);
  app.post(
    '/api/alarms/:id/out-of-service',
    { schema: { summary: 'Take out of service until a time (engineer; `until` or `minutes`, at most 30 days) or return to service (operator); comment required', params: Params, body: OosBody } },
    action('oos') as never,
  );
};
