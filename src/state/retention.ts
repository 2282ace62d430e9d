/**
 * Retention of the state database's growing tables (`storage.state.retention`): alarm events,
 * the audit trail, and webhook outbox rows once delivered (or long dead). Pruned in batches of
 * `batchRows`, yielding to the event loop between batches: one DELETE of a year of rows would
 * hold the write lock and stall alarms and the API for seconds.
 *
 * @example
 *   const r = resolveStateRetention({ auditDays: 730 });
 *   const removed = await pruneState(stateDb, r, Date.now()); // → { alarm_events: 1200, audit: 0, ... }
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import Type, { type Static } from 'typebox';
import type { StateDb } from './db.ts';

const Days = Type.Number({ exclusiveMinimum: 0, maximum: 36_500 });

export const StateRetentionConfig = Type.Object(
  {
    /** alarm events (history, KPIs); default 400, so a year's KPIs can always be computed */
    alarmEventsDays: Type.Optional(Days),
    /** audit trail; default 400 */
    auditDays: Type.Optional(Days),
    /** webhook outbox rows after delivery; default 30 */
    outboxDeliveredDays: Type.Optional(Days),
    /** dead-lettered outbox rows not re-sent; default 90 */
    outboxDeadDays: Type.Optional(Days),
    /** rows per DELETE; default 5000 */
    batchRows: Type.Optional(Type.Integer({ minimum: 100, maximum: 1_000_000 })),
  },
  { additionalProperties: false },
);
export type StateRetentionInput = Static<typeof StateRetentionConfig>;

export interface StateRetention {
  alarmEventsMs: number;
  auditMs: number;
  outboxDeliveredMs: number;
  outboxDeadMs: number;
  batchRows: number;
}

const DAY = 86_400_000;

export function resolveStateRetention(c: StateRetentionInput | undefined): StateRetention {
  return {
    alarmEventsMs: (c?.alarmEventsDays ?? 400) * DAY,
    auditMs: (c?.auditDays ?? 400) * DAY,
    outboxDeliveredMs: (c?.outboxDeliveredDays ?? 30) * DAY,
    outboxDeadMs: (c?.outboxDeadDays ?? 90) * DAY,
    batchRows: c?.batchRows ?? 5000,
  };
}

/** One prunable set of rows: `where` takes the cut-off time as its only parameter and should use an index. */
interface Target {
  name: string;
  table: string;
  where: string;
  keepMs: number;
}

function targets(r: StateRetention): Target[] {
  return [
    { name: 'alarm_events', table: 'alarm_events', where: 'ts < ?', keepMs: r.alarmEventsMs },
    { name: 'audit', table: 'audit', where: 'ts < ?', keepMs: r.auditMs },
    { name: 'outbox_delivered', table: 'tk_outbox', where: 'delivered_at IS NOT NULL AND delivered_at < ?', keepMs: r.outboxDeliveredMs },
    { name: 'outbox_dead', table: 'tk_outbox', where: 'dead = 1 AND created_at < ?', keepMs: r.outboxDeadMs },
  ];
}

/**
 * Deletes rows past their retention, `batchRows` per statement, yielding between statements
 * (`onBatch` sees each, for tests and logs). Tables that do not exist (a process without
 * alarms or tickets) are skipped; an aborted `signal` (shutdown) stops before the next batch.
 * Returns the rows removed per target.
 */
export async function pruneState(
  db: StateDb,
  r: StateRetention,
  now: number,
  onBatch?: (target: string, rows: number) => void,
  signal?: AbortSignal,
): Promise<Record<string, number>> {
  const removed: Record<string, number> = {};
  for (const t of targets(r)) {
    removed[t.name] = 0;
    if (signal?.aborted) break;
    if ((await db.columns(t.table)).length === 0) continue;
    // a bounded DELETE both dialects take (PostgreSQL has no DELETE ... LIMIT); oldest ids first
    const del = `DELETE FROM ${t.table} WHERE id IN (SELECT id FROM ${t.table} WHERE ${t.where} ORDER BY id LIMIT ?)`;
    const before = now - t.keepMs;
    for (;;) {
      if (signal?.aborted) return removed;
      const n = await db.run(del, [before, r.batchRows]);
      removed[t.name] += n;
      if (n > 0) onBatch?.(t.name, n);
      if (n < r.batchRows) break;
      await yieldToLoop();
    }
  }
  return removed;
}
