import { describe, expect, it } from 'vitest';
import { resolveTicketSettings } from '../../src/tickets/config.ts';
import { decideOpen, screenAlarmEvent, type OpenContext, type ScreenContext } from '../../src/tickets/dedup.ts';
import { checkTransition, type TransitionRequest } from '../../src/tickets/lifecycle.ts';
import { ev, HOUR, MIN, T0 } from './helpers.ts';

const S = resolveTicketSettings(undefined);
const screenCtx = (o: Partial<ScreenContext> = {}): ScreenContext => ({ settings: S, view: undefined, open: null, recentRaises: 1, ...o });

describe('dedup stage 1: screening an alarm event', () => {
  const raise = (priority: 1 | 2 | 3 | 4) => ev({ station: 'hs-001', ts: T0, priority });
  it.each([
    ['P1 raise opens at once (green channel)', raise(1), screenCtx(), { action: 'defer', reason: 'immediate', dueAt: T0 }],
    ['P2 raise waits the storm group wait', raise(2), screenCtx(), { action: 'defer', reason: 'group_wait', dueAt: T0 + 30_000 }],
    ['P3 raise waits 30 min', raise(3), screenCtx(), { action: 'defer', reason: 'awaiting_delay', dueAt: T0 + 30 * MIN }],
    ['P4 never opens', raise(4), screenCtx(), { action: 'ignore', reason: 'policy_never' }],
    ['re-raise while open updates', raise(3), screenCtx({ open: { id: 9, priority: 'P3' } }), { action: 'update', reason: 'open_ticket_exists', ticketId: 9, priority: 'P3', raised: false }],
    ['re-raise at higher priority raises it', raise(1), screenCtx({ open: { id: 9, priority: 'P3' } }), { action: 'update', reason: 'open_ticket_exists', ticketId: 9, priority: 'P1', raised: true }],
    ['re-raise at lower priority never lowers it', raise(3), screenCtx({ open: { id: 9, priority: 'P1' } }), { action: 'update', reason: 'open_ticket_exists', ticketId: 9, priority: 'P1', raised: false }],
    ['chattering (runner says so)', raise(1), screenCtx({ view: { state: 'unacked', chattering: true } }), { action: 'ignore', reason: 'chattering' }],
    ['chattering (3 raises in 60 s)', raise(1), screenCtx({ recentRaises: 3 }), { action: 'ignore', reason: 'chattering' }],
    ['chattering alarm still counts on an open ticket', raise(1), screenCtx({ recentRaises: 5, open: { id: 2, priority: 'P1' } }), { action: 'update', reason: 'open_ticket_exists', ticketId: 2, priority: 'P1', raised: false }],
    ['shelved', raise(1), screenCtx({ view: { state: 'shelved', chattering: false } }), { action: 'ignore', reason: 'shelved' }],
    ['suppressed', raise(1), screenCtx({ view: { state: 'suppressed', chattering: false } }), { action: 'ignore', reason: 'suppressed' }],
    ['out of service', raise(1), screenCtx({ view: { state: 'out_of_service', chattering: false } }), { action: 'ignore', reason: 'out_of_service' }],
    ['ack is not a raise', { ...raise(1), type: 'ack' as const, to: 'acked' as const }, screenCtx(), { action: 'ignore', reason: 'not_a_raise' }],
    ['clear cancels a pending candidate', { ...raise(3), type: 'clear' as const, to: 'rtn_unacked' as const }, screenCtx(), { action: 'cancel', reason: 'cleared_before_delay' }],
    ['shelve cancels a pending candidate', { ...raise(3), type: 'shelve' as const, to: 'shelved' as const }, screenCtx(), { action: 'cancel', reason: 'shelved' }],
    ['suppress cancels a pending candidate', { ...raise(3), type: 'suppress' as const, to: 'suppressed' as const }, screenCtx(), { action: 'cancel', reason: 'suppressed' }],
  ])('%s', (_name, e, ctx, want) => {
    expect(screenAlarmEvent(e, ctx)).toEqual(want);
  });
});

describe('dedup stage 2: a candidate falls due', () => {
  const base: OpenContext = { settings: S, now: T0, alarmPriority: 2, view: undefined, open: null, lastClosed: null, areaRaises: 1, openIncident: null };
  it.each([
    ['new ticket', {}, { action: 'create', reason: 'new', linkedTo: null }],
    ['re-raise 1 h after closing reopens as repeat repair', { lastClosed: { id: 4, closedAt: T0 - HOUR } }, { action: 'reopen', reason: 'repeat_within_window', ticketId: 4 }],
    ['re-raise exactly 72 h after closing still reopens', { lastClosed: { id: 4, closedAt: T0 - 72 * HOUR } }, { action: 'reopen', reason: 'repeat_within_window', ticketId: 4 }],
    ['re-raise later opens a new ticket linked to the old', { lastClosed: { id: 4, closedAt: T0 - 73 * HOUR } }, { action: 'create', reason: 'new_linked', linkedTo: 4 }],
    ['another candidate opened the ticket meanwhile', { open: { id: 8 } }, { action: 'update', reason: 'open_ticket_exists', ticketId: 8 }],
    ['cleared meanwhile (runner)', { view: { state: 'rtn_unacked' as const, chattering: false } }, { action: 'drop', reason: 'no_longer_active' }],
    ['shelved meanwhile', { view: { state: 'shelved' as const, chattering: false } }, { action: 'drop', reason: 'shelved' }],
    ['chattering meanwhile', { view: { state: 'unacked' as const, chattering: true } }, { action: 'drop', reason: 'chattering' }],
    ['10 alarms in the area is no storm yet', { areaRaises: 10 }, { action: 'create', reason: 'new', linkedTo: null }],
    ['11 alarms in the area open an incident', { areaRaises: 11 }, { action: 'open_incident', reason: 'storm' }],
    ['a storm joins the open incident', { areaRaises: 50, openIncident: { id: 3 } }, { action: 'join_incident', reason: 'storm', incidentId: 3 }],
    ['P1 keeps its green channel in a storm', { areaRaises: 50, openIncident: { id: 3 }, alarmPriority: 1 }, { action: 'create', reason: 'new', linkedTo: null }],
  ])('%s', (_n, o, want) => {
    expect(decideOpen({ ...base, ...o })).toEqual(want);
  });
});

describe('lifecycle state machine with roles', () => {
  const r = (o: Partial<TransitionRequest>): TransitionRequest => ({ from: 'open', to: 'dispatched', role: 'operator', source: 'alarm', callbackDone: false, hasAssignee: true, ...o });
  it.each([
    ['operator dispatches', r({}), 'ok'],
    ['dispatch needs an assignee', r({ hasAssignee: false }), 'assignee_required'],
    ['viewer cannot dispatch', r({ role: 'viewer' }), 'forbidden'],
    ['reassign while dispatched', r({ from: 'dispatched', to: 'dispatched' }), 'ok'],
    ['crew starts work', r({ from: 'dispatched', to: 'in_progress' }), 'ok'],
    ['operator cannot resolve', r({ from: 'in_progress', to: 'resolved' }), 'forbidden'],
    ['qa cannot resolve', r({ from: 'in_progress', to: 'resolved', role: 'qa' }), 'forbidden'],
    ['engineer resolves', r({ from: 'in_progress', to: 'resolved', role: 'engineer' }), 'ok'],
    ['engineer cannot verify own fix', r({ from: 'resolved', to: 'verified', role: 'engineer' }), 'forbidden'],
    ['qa verifies', r({ from: 'resolved', to: 'verified', role: 'qa' }), 'ok'],
    ['admin verifies', r({ from: 'resolved', to: 'verified', role: 'admin' }), 'ok'],
    ['qa rejects → reopened', r({ from: 'resolved', to: 'reopened', role: 'qa' }), 'ok'],
    ['alarm ticket closes after QA', r({ from: 'verified', to: 'closed' }), 'ok'],
    ['customer ticket needs a callback to close', r({ from: 'verified', to: 'closed', source: 'customer' }), 'callback_required'],
    ['customer ticket closes after callback', r({ from: 'verified', to: 'closed', source: 'customer', callbackDone: true }), 'ok'],
    ['cannot close before QA', r({ from: 'resolved', to: 'closed' }), 'invalid_transition'],
    ['cannot skip to resolved', r({ from: 'open', to: 'resolved', role: 'admin' }), 'invalid_transition'],
    ['closed reopens', r({ from: 'closed', to: 'reopened' }), 'ok'],
    ['reopened is dispatched again', r({ from: 'reopened', to: 'dispatched' }), 'ok'],
    ['the system may reopen', r({ from: 'closed', to: 'reopened', role: 'system' }), 'ok'],
  ] as const)('%s', (_n, req, want) => {
    const c = checkTransition(req);
    expect(c.ok ? 'ok' : c.reason).toBe(want);
  });
});
