/**
 * Ticket routes (DESIGN §5): list, detail with timeline, create (service
 * window / manual), transition; plus callback, attachments, reply text and
 * the address → station mapping. Handlers are thin: the ticket service
 * decides; auth runs in `onRequest` so a viewer gets 403 before any body check.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import Type from 'typebox';
import { pointId } from '../../model.ts';
import { downloadHeaders, quotaProblem } from '../../tickets/attachments.ts';
import { TicketError } from '../../tickets/errors.ts';
import type { TicketService } from '../../tickets/service.ts';
import { TicketQueryError, type TicketQuery } from '../../tickets/query.ts';
import { TICKET_PRIORITIES, TICKET_STATUSES, type Actor, type Ticket } from '../../tickets/types.ts';
import type { AppDeps } from '../deps.ts';
import { ApiError, badRequest, notFound } from '../errors.ts';
import { Account, customerRoutes, Phone } from './customers.ts';
import { outboxRoutes } from './outbox.ts';
import { KEY_POINTS } from './stations.ts';

const Status = Type.Union(['open', 'dispatched', 'in_progress', 'resolved', 'verified', 'closed', 'reopened'].map((s) => Type.Literal(s)));
const PriorityT = Type.Union(['P1', 'P2', 'P3', 'P4'].map((s) => Type.Literal(s)));
const Category = Type.Union(['no_heat', 'repair', 'leak', 'complaint', 'consult', 'fee_dispute'].map((s) => Type.Literal(s)));
const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });
const Name = Type.String({ minLength: 1, maxLength: 100 });
export const ListQuery = Type.Object(
  {
    status: Type.Optional(Type.String({ maxLength: 100, description: 'one status, a comma-separated set, or all (default: every status but closed)' })),
    priority: Type.Optional(Type.String({ maxLength: 20, description: 'one priority or a comma-separated set' })),
    station: Type.Optional(Type.String({ pattern: '^[a-z0-9_-]+$', maxLength: 64 })),
    area: Type.Optional(Name),
    category: Type.Optional(Category),
    team: Type.Optional(Name),
    assignee: Type.Optional(Name),
    escalated: Type.Optional(Type.Boolean()),
    resolution: Type.Optional(Type.String({ pattern: '^[a-z0-9_]+$', maxLength: 40 })),
    q: Type.Optional(Type.String({ maxLength: 100 })),
    account: Type.Optional(Account),
    sort: Type.Optional(Type.Union([Type.Literal('priority'), Type.Literal('deadline'), Type.Literal('newest')])),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000 })),
    cursor: Type.Optional(Type.String({ maxLength: 1000 })),
  },
  { additionalProperties: false },
);
export type ListQueryT = {
  status?: string;
  priority?: string;
  station?: string;
  area?: string;
  category?: string;
  team?: string;
  assignee?: string;
  escalated?: boolean;
  resolution?: string;
  q?: string;
  account?: string;
  sort?: 'priority' | 'deadline' | 'newest';
  limit?: number;
  cursor?: string;
};

/** `a,b` → the values, each one of `allowed`, else a 400 naming the field and what is allowed. */
function listOfValues<T extends string>(text: string, allowed: readonly T[], field: string): T[] {
  const values = text.split(',').map((v) => v.trim()).filter(Boolean);
  const bad = values.find((v) => !(allowed as readonly string[]).includes(v));
  if (bad !== undefined || values.length === 0) throw badRequest(field, `'${bad ?? text}' is not one of ${allowed.join(', ')}`);
  return [...new Set(values)] as T[];
}
/** The queue's querystring as a ticket query: the queue, its counts and the ticket export (reports.ts) read the same filters. */
export const listQuery = (q: ListQueryT): TicketQuery => ({
  statuses: q.status === undefined ? undefined : q.status === 'all' ? TICKET_STATUSES : listOfValues(q.status, TICKET_STATUSES, 'querystring.status'),
  priorities: q.priority === undefined ? undefined : listOfValues(q.priority, TICKET_PRIORITIES, 'querystring.priority'),
  station: q.station,
  area: q.area,
  category: q.category as TicketQuery['category'],
  team: q.team,
  assignee: q.assignee,
  escalated: q.escalated,
  resolution: q.resolution,
  text: q.q,
  account: q.account,
  sort: q.sort,
  limit: q.limit,
  cursor: q.cursor,
});
/** Runs a queue read; a bad cursor or filter becomes a 400 naming the query parameter. */
export const query = async <T>(fn: () => T | Promise<T>): Promise<T> => {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof TicketQueryError) throw badRequest(`querystring.${err.field}`, err.message);
    throw err;
  }
};
const StationId = Type.String({ pattern: '^[a-z0-9_-]+$', maxLength: 64 });

const CreateBody = Type.Object(
  {
    source: Type.Optional(Type.Union([Type.Literal('customer'), Type.Literal('manual')])),
    category: Type.Optional(Category),
    customer: Type.Optional(
      Type.Object(
        {
          name: Type.String({ minLength: 1, maxLength: 100 }),
          phone: Phone,
          address: Type.String({ minLength: 2, maxLength: 300 }),
          account: Type.Optional(Account),
        },
        { additionalProperties: false },
      ),
    ),
    title: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    description: Type.String({ minLength: 1, maxLength: 5000 }),
    station: Type.Optional(StationId),
    priority: Type.Optional(PriorityT),
    relatedTo: Type.Optional(Type.Integer({ minimum: 1, description: 'a ticket the new one is related to; linked both ways' })),
    linkToOutage: Type.Optional(Type.Boolean({ description: 'false: open a ticket even while a planned stop or incident covers the address' })),
  },
  { additionalProperties: false },
);

const TransitionBody = Type.Object(
  {
    to: Status,
    note: Type.Optional(Type.String({ maxLength: 2000 })),
    resolution: Type.Optional(Type.String({ maxLength: 40, description: 'on resolve: how it was put right, one of tickets.resolutionCodes' })),
    assignee: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    team: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  },
  { additionalProperties: false },
);

const CallbackBody = Type.Object(
  {
    reached: Type.Boolean(),
    satisfied: Type.Optional(Type.Boolean()),
    channel: Type.Optional(Type.Union([Type.Literal('phone'), Type.Literal('visit')])),
    note: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);

const PriorityBody = Type.Object({ priority: PriorityT, reason: Type.String({ maxLength: 500 }) }, { additionalProperties: false });

function toApi(err: unknown): never {
  if (err instanceof TicketError) {
    if (err.code === 'not_found') throw notFound(err.message.replace(/ not found$/, ''));
    if (err.code === 'bad_request') throw new ApiError(400, 'bad_request', err.message, err.field ?? 'body');
    if (err.code === 'forbidden') throw new ApiError(403, 'forbidden', err.message);
    // a bad request like any other: the upload named by the field is over a configured limit
    if (err.code === 'too_large') throw new ApiError(400, 'too_large', err.message, err.field);
    throw new ApiError(409, 'conflict', err.message, err.field);
  }
  throw err;
}

async function run<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    return toApi(err);
  }
}

/** The route plugin; registered by `buildApp` when `deps.tickets` is set. */
export const ticketRoutes: FastifyPluginAsyncTypebox<{ deps: AppDeps & { tickets: TicketService } }> = async (app, { deps }) => {
  const svc = deps.tickets;
  const settings = svc.settings;
  const dir = svc.attachmentsDir;
  const stations = new Map(deps.config.stations.map((s) => [s.id, s]));
  const actor = (req: FastifyRequest): Actor => ({ name: req.principal?.name ?? 'unknown', role: req.principal?.role ?? 'viewer' });
  const read = { onRequest: async (req: FastifyRequest) => void deps.auth.require(req, 'viewer') };
  const write = { onRequest: async (req: FastifyRequest) => void deps.auth.require(req, 'operator') };

  // every committed change, alarm-born ones included, goes to /ws
  const off = svc.onEvent((ev) => app.broadcast?.({ type: 'ticket', event: ev.type, id: ev.id, change: ev.change, ticket: ev.ticket }));
  app.addHook('onClose', async () => void off());
  // the webhook outbox is the tickets' (admin only: its own plugin, its own auth hook)
  await app.register(outboxRoutes, { deps });

  await app.register(multipart, { limits: { fileSize: settings.attachments.maxBytes, files: 1, fields: 5 } });
  app.addContentTypeParser('text/csv', { parseAs: 'string', bodyLimit: 10 * 1024 * 1024 }, (_req, body, done) => done(null, body));

  const stationView = async (id: string | null) => {
    if (!id) return null;
    const s = stations.get(id);
    const values: Record<string, { ts: number; value: number | boolean | null; quality: string } | null> = {};
    for (const key of KEY_POINTS) {
      const dev = s?.devices.find((d) => d.points.some((p) => p.id === key));
      const sample = dev ? deps.live.latest(pointId(id, dev.id, key)) : undefined;
      values[key] = sample ? { ts: sample.ts, value: sample.value, quality: sample.quality } : null;
    }
    const rel = await svc.related(id);
    return { id, name: s?.name ?? id, values, openAlarmTicket: rel.alarmTicket?.id ?? null, openIncident: rel.incident?.id ?? null };
  };
  await app.register(customerRoutes, { deps, stationView });

  const full = async (t: Ticket) => ({ ...(await run(() => svc.detail(t.id))), replies: svc.replies(t), station: await stationView(t.station) });

  app.get(
    '/api/tickets',
    {
      ...read,
      schema: {
        summary: 'The ticket queue: not closed unless `status` says otherwise; the next page is in the X-Next-Cursor header',
        description:
          '`status` and `priority` take one value or a comma-separated set (`status=all` for every status). `sort=priority` (default): escalated first, then P1..P4, oldest first; `sort=deadline`: the next deadline due first (respond-by, then on-site-by, then resolve-by). `q` finds words in the title, description, customer name, phone or address, or a ticket number. When more tickets match than `limit` (default 500), the response has an `X-Next-Cursor` header: pass it as `cursor` with the same filters and sort for the next page.',
        querystring: ListQuery,
      },
    },
    async (req, reply) => {
      const page = await query(() => svc.page(listQuery(req.query)));
      if (page.next) reply.header('x-next-cursor', page.next);
      return page.tickets;
    },
  );

  app.get(
    '/api/tickets/counts',
    { ...read, schema: { summary: 'How many tickets match the filters, per status (the status filter left out) and per priority', querystring: Type.Omit(ListQuery, ['sort', 'limit', 'cursor']) } },
    async (req) => query(() => svc.counts(listQuery(req.query))),
  );

  app.get('/api/tickets/:id', { ...read, schema: { summary: 'One ticket with its timeline, callbacks, attachments, reply texts and station live values', params: IdParams } }, async (req) => {
    const t = await svc.get(req.params.id);
    if (!t) throw notFound(`ticket ${req.params.id}`);
    return full(t);
  });

  app.post('/api/tickets', { ...write, schema: { summary: 'File a customer (service window) or manual ticket', body: CreateBody } }, async (req, reply) => {
    const b = req.body;
    const source = b.source ?? (b.category ? 'customer' : 'manual');
    const filed = await run(() => svc.fileCall({ ...b, source } as Parameters<TicketService['fileCall']>[0], actor(req)));
    // a no-heat call under a planned stop or incident joins it: 200 with the call, no ticket
    if ('call' in filed) return reply.status(200).send(filed);
    return reply.status(201).send({ ...(await full(filed.ticket)), noHeatAlarm: filed.noHeatAlarm });
  });

  app.post(
    '/api/tickets/:id/links',
    { ...write, schema: { summary: 'Link a related ticket, both ways', params: IdParams, body: Type.Object({ ticket: Type.Integer({ minimum: 1 }), note: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false }) } },
    async (req) => full(await run(() => svc.link(req.params.id, req.body.ticket, req.body.note ?? null, actor(req)))),
  );

  app.post('/api/tickets/:id/transition', { ...write, schema: { summary: 'Move a ticket through its lifecycle', params: IdParams, body: TransitionBody } }, async (req) => {
    const t = await run(() => svc.transition(req.params.id, req.body as Parameters<TicketService['transition']>[1], actor(req)));
    return full(t);
  });

  app.post(
    '/api/tickets/:id/priority',
    { ...write, schema: { summary: "Change a ticket's priority, with the reason (audited; deadlines follow the new priority)", params: IdParams, body: PriorityBody } },
    async (req) => full(await run(() => svc.changePriority(req.params.id, req.body as { priority: Ticket['priority']; reason: string }, actor(req)))),
  );

  app.post('/api/tickets/:id/callback', { ...write, schema: { summary: 'Record a callback to the customer (phone or visit); reached and not satisfied reopens a resolved, verified or closed ticket', params: IdParams, body: CallbackBody } }, async (req, reply) => {
    const cb = await run(() => svc.recordCallback(req.params.id, req.body, actor(req)));
    return reply.status(201).send(cb);
  });

  app.get(
    '/api/tickets/:id/reply',
    { ...read, schema: { summary: 'Reply text naming the concrete deadline', params: IdParams, querystring: Type.Object({ lang: Type.Optional(Type.Union([Type.Literal('zh-CN'), Type.Literal('en')])) }) } },
    async (req) => {
      const t = await svc.get(req.params.id);
      if (!t) throw notFound(`ticket ${req.params.id}`);
      const lang = req.query.lang ?? 'zh-CN';
      return { lang, text: svc.replies(t)[lang] };
    },
  );

  app.post('/api/tickets/:id/attachments', { ...write, schema: { summary: 'Upload a photo or video (multipart field `file`)', params: IdParams } }, async (req, reply) => {
    const id = req.params.id;
    if (!(await svc.get(id))) throw notFound(`ticket ${id}`);
    if (!req.isMultipart()) throw badRequest('body', 'expected multipart/form-data with a file field');
    // the ticket's quota, before a byte is stored: a full ticket is refused, the rest bounds this file
    const used = await svc.store.attachmentUsage(id);
    const full = quotaProblem(used, 1, settings.attachments, id);
    if (full) toApi(new TicketError(full.code, full.message, 'file'));
    const room = settings.attachments.maxTicketBytes - used.bytes;
    const limit = Math.min(settings.attachments.maxBytes, room);
    const tooLarge = () =>
      limit < settings.attachments.maxBytes
        ? new ApiError(400, 'too_large', `file: ticket ${id}'s attachments would total more than tickets.attachments.maxTicketBytes (${settings.attachments.maxTicketBytes})`, 'file')
        : new ApiError(400, 'too_large', `file: larger than tickets.attachments.maxBytes (${settings.attachments.maxBytes} bytes)`, 'file');
    const file = await req.file({ limits: { fileSize: limit, files: 1, fields: 5 } });
    if (!file) throw badRequest('file', 'no file in the upload');
    if (!settings.attachments.types.includes(file.mimetype)) {
      file.file.resume();
      throw badRequest('file', `type ${file.mimetype} not allowed (allowed: ${settings.attachments.types.join(', ')})`);
    }
    const folder = join(dir, String(id));
    mkdirSync(folder, { recursive: true });
    const name = `${randomUUID()}${extname(file.filename).toLowerCase().replace(/[^.a-z0-9]/g, '').slice(0, 10)}`;
    const tmp = join(folder, `.tmp-${name}`);
    try {
      await pipeline(file.file, createWriteStream(tmp));
      if (file.file.truncated) throw tooLarge();
      renameSync(tmp, join(folder, name));
      const size = statSync(join(folder, name)).size;
      const a = await run(() => svc.recordAttachment(id, { filename: file.filename.slice(0, 200), mime: file.mimetype, size, path: `${id}/${name}` }, actor(req)));
      return reply.status(201).send(a);
    } catch (err) {
      rmSync(tmp, { force: true });
      rmSync(join(folder, name), { force: true });
      if ((err as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') throw tooLarge();
      throw err;
    }
  });

  app.get(
    '/api/tickets/:id/attachments/:aid',
    { ...read, schema: { summary: 'Download an attachment', params: Type.Object({ id: Type.Integer({ minimum: 1 }), aid: Type.Integer({ minimum: 1 }) }) } },
    async (req, reply) => {
      const a = await svc.store.attachment(req.params.id, req.params.aid);
      if (!a) throw notFound(`attachment ${req.params.aid} of ticket ${req.params.id}`);
      reply.headers(downloadHeaders(a, settings.attachments.types));
      return reply.send(createReadStream(join(dir, a.path)));
    },
  );

  app.get(
    '/api/tickets/resolution-codes',
    { ...read, schema: { summary: 'How a fix can be recorded on resolve (tickets.resolutionCodes)', response: { 200: Type.Array(Type.String()) } } },
    async () => settings.resolutionCodes,
  );

  app.get('/api/tickets/addresses', { ...read, schema: { summary: 'Address → station mapping' } }, async () => svc.addresses());

  app.get(
    '/api/tickets/addresses/lookup',
    { ...read, schema: { summary: 'The station serving an address', querystring: Type.Object({ address: Type.String({ minLength: 1 }) }) } },
    async (req) => {
      const station = await svc.stationForAddress(req.query.address);
      if (!station) throw notFound(`station for address '${req.query.address}'`);
      return { address: req.query.address, station };
    },
  );

  app.post(
    '/api/tickets/addresses/import',
    { ...write, schema: { summary: 'Import address,station CSV (all rows or none)', consumes: ['text/csv'] } },
    async (req) => {
      if (typeof req.body !== 'string') throw badRequest('body', 'send text/csv with rows address,station');
      return run(() => svc.importAddresses(req.body as string, actor(req)));
    },
  );
};
