/**
 * Dedup decisions (DOMAIN §4), pure: each returns an action and a named
 * reason, after Alertmanager's notification stages. The service applies them.
 *
 * Stage 1, `screenAlarmEvent`, runs when an alarm event arrives. Stage 2,
 * `decideOpen`, runs when a deferred candidate falls due.
 */
import type { AlarmEvent, AlarmStateName } from '../alarms/types.ts';
import type { TicketSettings } from './config.ts';
import { maxPriority, openDelayMs, ticketPriorityOf } from './policy.ts';
import type { TicketPriority } from './types.ts';

/** What the alarm runner says about the alarm now (undefined: runner not wired or alarm unknown). */
export interface AlarmView {
  state: AlarmStateName;
  chattering: boolean;
  active?: boolean;
  /** the alarm's text per language, for ticket titles */
  messages?: { 'zh-CN': string; en: string };
}

export type IgnoreReason =
  | 'not_a_raise'
  | 'shelved'
  | 'suppressed'
  | 'out_of_service'
  | 'chattering'
  | 'policy_never';

export type ScreenDecision =
  | { action: 'ignore'; reason: IgnoreReason }
  | { action: 'cancel'; reason: 'cleared_before_delay' | 'shelved' | 'suppressed' | 'out_of_service' }
  | { action: 'update'; reason: 'open_ticket_exists'; ticketId: number; priority: TicketPriority; raised: boolean }
  | { action: 'defer'; reason: 'awaiting_delay' | 'group_wait' | 'immediate'; dueAt: number };

export interface ScreenContext {
  settings: Pick<TicketSettings, 'openAfterMin' | 'storm' | 'chatter'>;
  view: AlarmView | undefined;
  /** open (not closed) ticket with this event's dedup key */
  open: { id: number; priority: TicketPriority } | null;
  /** raises of this alarm within the chatter window, this one included */
  recentRaises: number;
}

const HIDDEN: Partial<Record<AlarmStateName, 'shelved' | 'suppressed' | 'out_of_service'>> = {
  shelved: 'shelved',
  suppressed: 'suppressed',
  out_of_service: 'out_of_service',
};

const CANCELLING: Partial<Record<AlarmEvent['type'], 'cleared_before_delay' | 'shelved' | 'suppressed' | 'out_of_service'>> = {
  clear: 'cleared_before_delay',
  shelve: 'shelved',
  suppress: 'suppressed',
  oos: 'out_of_service',
};

/** Stage 1: what to do with one alarm event. */
export function screenAlarmEvent(e: AlarmEvent, ctx: ScreenContext): ScreenDecision {
  const cancel = CANCELLING[e.type];
  if (cancel) return { action: 'cancel', reason: cancel };
  if (e.type !== 'raise' || e.to !== 'unacked') return { action: 'ignore', reason: 'not_a_raise' };
  const hidden = HIDDEN[ctx.view?.state ?? 'unacked'];
  if (hidden) return { action: 'ignore', reason: hidden };
  const priority = ticketPriorityOf(e.priority);
  if (ctx.open) {
    const next = maxPriority(ctx.open.priority, priority);
    return { action: 'update', reason: 'open_ticket_exists', ticketId: ctx.open.id, priority: next, raised: next !== ctx.open.priority };
  }
  if (ctx.view?.chattering || ctx.recentRaises >= ctx.settings.chatter.raises) return { action: 'ignore', reason: 'chattering' };
  const delay = openDelayMs(e.priority, ctx.settings);
  if (delay === null) return { action: 'ignore', reason: 'policy_never' };
  // P1 is the green channel: never held back for storm grouping.
  const wait = e.priority === 1 ? delay : Math.max(delay, ctx.settings.storm.groupWaitMs);
  const reason = delay > 0 ? 'awaiting_delay' : wait > 0 ? 'group_wait' : 'immediate';
  return { action: 'defer', reason, dueAt: e.ts + wait };
}

export type OpenDecision =
  | { action: 'drop'; reason: 'no_longer_active' | 'shelved' | 'suppressed' | 'out_of_service' | 'chattering' }
  | { action: 'update'; reason: 'open_ticket_exists'; ticketId: number }
  | { action: 'join_incident'; reason: 'storm'; incidentId: number }
  | { action: 'open_incident'; reason: 'storm' }
  | { action: 'reopen'; reason: 'repeat_within_window'; ticketId: number }
  | { action: 'create'; reason: 'new' | 'new_linked'; linkedTo: number | null };

export interface OpenContext {
  settings: Pick<TicketSettings, 'reopenWindowMs' | 'storm'>;
  now: number;
  alarmPriority: number;
  view: AlarmView | undefined;
  open: { id: number } | null;
  /** most recently closed ticket of the key */
  lastClosed: { id: number; closedAt: number } | null;
  /** eligible alarm raises in the candidate's area around its raise (storm window) */
  areaRaises: number;
  openIncident: { id: number } | null;
}

/** Stage 2: a candidate whose delay elapsed while its alarm stayed active. */
export function decideOpen(ctx: OpenContext): OpenDecision {
  const v = ctx.view;
  if (v) {
    const hidden = HIDDEN[v.state];
    if (hidden) return { action: 'drop', reason: hidden };
    if (v.active === false || v.state === 'normal' || v.state === 'rtn_unacked') return { action: 'drop', reason: 'no_longer_active' };
    if (v.chattering) return { action: 'drop', reason: 'chattering' };
  }
  if (ctx.open) return { action: 'update', reason: 'open_ticket_exists', ticketId: ctx.open.id };
  if (ctx.alarmPriority !== 1 && ctx.areaRaises > ctx.settings.storm.maxAlarms) {
    return ctx.openIncident ? { action: 'join_incident', reason: 'storm', incidentId: ctx.openIncident.id } : { action: 'open_incident', reason: 'storm' };
  }
  if (ctx.lastClosed && ctx.now - ctx.lastClosed.closedAt <= ctx.settings.reopenWindowMs) {
    return { action: 'reopen', reason: 'repeat_within_window', ticketId: ctx.lastClosed.id };
  }
  return ctx.lastClosed ? { action: 'create', reason: 'new_linked', linkedTo: ctx.lastClosed.id } : { action: 'create', reason: 'new', linkedTo: null };
}
