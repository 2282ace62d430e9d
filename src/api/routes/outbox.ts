/**
 * Webhook outbox for admins: the dead letters (and pending or delivered rows) and a re-send of
 * a dead letter. Admin only: rows name receivers and tickets. The re-send and its audit row are
 * one transaction; the receiver's sender is woken at once.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { listOutbox, outboxCounts, retryDeadLetter, type OutboxStatus } from '../../tickets/outbox-rows.ts';
import type { TicketService } from '../../tickets/service.ts';
import type { AppDeps } from '../deps.ts';
import { ApiError, notFound } from '../errors.ts';

const Status = Type.Union([Type.Literal('dead'), Type.Literal('pending'), Type.Literal('delivered')]);
const ListQuery = Type.Object({
  status: Type.Optional(Status),
  receiver: Type.Optional(Type.String({ pattern: '^[a-z0-9_-]+$', maxLength: 64 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  /** page on: rows with a smaller id */
  before: Type.Optional(Type.Integer({ minimum: 1 })),
});
const RetryBody = Type.Object({ comment: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false });

export const outboxRoutes: FastifyPluginAsyncTypebox<{ deps: AppDeps & { tickets: TicketService } }> = async (app, { deps }) => {
  const svc = deps.tickets;
  const db = svc.outbox.db;
  const now = () => deps.now?.() ?? Date.now();
  // webhooks and the notification channels alike: every receiver the dispatcher sends to
  const receivers = new Set(svc.dispatcher.receiverNames());
  app.addHook('onRequest', async (req) => void deps.auth.require(req, 'admin'));

  app.get('/api/outbox', { schema: { summary: 'Webhook outbox rows, newest first (default the dead letters); admin', querystring: ListQuery } }, async (req) => {
    const status: OutboxStatus = req.query.status ?? 'dead';
    const items = await listOutbox(db, { status, limit: req.query.limit ?? 100, ...(req.query.receiver ? { receiver: req.query.receiver } : {}), ...(req.query.before ? { beforeId: req.query.before } : {}) });
    return { status, counts: await outboxCounts(db), items };
  });

  app.post(
    '/api/outbox/:id/retry',
    { schema: { summary: 'Re-send a dead-lettered webhook event (admin; audited)', params: Type.Object({ id: Type.Integer({ minimum: 1 }) }), body: Type.Optional(RetryBody) } },
    async (req) => {
      const who = deps.auth.require(req, 'admin');
      const id = req.params.id;
      const ts = now();
      const outcome = await db.tx(async () => {
        const r = await retryDeadLetter(db, id, ts, receivers);
        if (r.ok) await deps.state.audit({ ts, user: who.name, role: who.role, action: 'outbox.retry', target: `outbox:${id}`, detail: { receiver: r.entry.receiver, event: r.entry.eventId, comment: req.body?.comment ?? null } });
        return r;
      });
      if (!outcome.ok) {
        if (outcome.reason === 'not_found') throw notFound(`outbox row ${id}`);
        if (outcome.reason === 'unknown_receiver') throw new ApiError(409, 'conflict', `outbox row ${id}: receiver '${outcome.receiver}' is no longer configured (tickets.webhooks, notify.channels)`);
        throw new ApiError(409, 'conflict', `outbox row ${id} is not dead-lettered`);
      }
      svc.dispatcher.kick();
      return { id, receiver: outcome.entry.receiver, eventId: outcome.entry.eventId, status: 'pending' as const };
    },
  );
};
