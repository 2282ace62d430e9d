import { describe, expect, it } from 'vitest';
import { escalationsFor, teamFor } from '../../src/notify/escalation.ts';
import { buildMessage } from '../../src/notify/message.ts';
import { change, HOUR, MIN, T0, TEAMS, ticket } from './fixtures.ts';

describe('the escalation chain', () => {
  it('a P1 ticket created notifies level 1; a P2 created notifies nobody', () => {
    expect(escalationsFor(change('created', ticket()))).toEqual([{ rule: 'p1_open', level: 1 }]);
    expect(escalationsFor(change('created', ticket({ priority: 'P2' })))).toEqual([]);
  });

  it('raised to P1, by an alarm re-raise or a dispatcher: level 1', () => {
    expect(escalationsFor(change('priority_raised', ticket(), { detail: { priority: 'P1' } }))).toEqual([{ rule: 'p1_raised', level: 1 }]);
    expect(escalationsFor(change('priority', ticket(), { detail: { from: 'P3', to: 'P1' } }))).toEqual([{ rule: 'p1_raised', level: 1 }]);
    expect(escalationsFor(change('priority', ticket({ priority: 'P2' }), { detail: { from: 'P3', to: 'P2' } }))).toEqual([]);
  });

  it('reopened as P1 (a repeat repair or by hand): level 1; reopened as P3: nobody', () => {
    expect(escalationsFor(change('reopened_repeat', ticket(), { from: 'closed', to: 'reopened' }))).toEqual([{ rule: 'p1_reopened', level: 1 }]);
    expect(escalationsFor(change('transition', ticket({ priority: 'P3' }), { from: 'closed', to: 'reopened' }))).toEqual([]);
  });

  it('deadlines: respond and on-site → level 2, resolve → level 3', () => {
    expect(escalationsFor(change('breach_respond', ticket({ priority: 'P3' })))).toEqual([{ rule: 'breach_respond', level: 2 }]);
    expect(escalationsFor(change('breach_on_site', ticket()))).toEqual([{ rule: 'breach_on_site', level: 2 }]);
    expect(escalationsFor(change('breach_resolve', ticket()))).toEqual([{ rule: 'breach_resolve', level: 3 }]);
  });

  it('an unhappy callback that reopens tells the QA lead (and, on a P1, the on-call too)', () => {
    const customer = ticket({ source: 'customer', priority: 'P3', category: 'repair' });
    expect(escalationsFor(change('transition', customer, { from: 'closed', to: 'reopened', detail: { callback: 4 } }))).toEqual([{ rule: 'callback_unhappy', level: 'qa' }]);
    expect(escalationsFor(change('transition', { ...customer, priority: 'P1' }, { from: 'verified', to: 'reopened', detail: { callback: 5 } }))).toEqual([
      { rule: 'callback_unhappy', level: 'qa' },
      { rule: 'p1_reopened', level: 1 },
    ]);
    // the callback itself is no notification; other changes neither
    expect(escalationsFor(change('callback', customer, { detail: { reached: true, satisfied: false } }))).toEqual([]);
    for (const c of ['occurrence', 'transition', 'attachment', 'link']) expect(escalationsFor(change(c, ticket(), { from: 'open', to: 'dispatched' }))).toEqual([]);
  });
});

describe('the team of a ticket', () => {
  it('the dispatched team, by id or name', () => {
    expect(teamFor(ticket({ team: 'north' }), TEAMS, null)).toMatchObject({ team: { id: 'north' }, reason: 'dispatched' });
    expect(teamFor(ticket({ team: '道里维修班' }), TEAMS, null)).toMatchObject({ team: { id: 'north' }, reason: 'dispatched' });
  });

  it('else by area, a team naming the fault class or category first', () => {
    expect(teamFor(ticket({ team: '维修二班' }), TEAMS, null)).toMatchObject({ team: { id: 'south' }, reason: 'area' });
    expect(teamFor(ticket({ faultClass: 'flood' }), TEAMS, null)).toMatchObject({ team: { id: 'leaks' }, reason: 'area_and_kind' });
    expect(teamFor(ticket({ source: 'customer', faultClass: null, category: 'leak', area: '道里区' }), TEAMS, null)).toMatchObject({ team: { id: 'leaks' }, reason: 'area_and_kind' });
    expect(teamFor(ticket({ area: '道里区' }), TEAMS, null)).toMatchObject({ team: { id: 'north' }, reason: 'area' });
  });

  it('else the default team, else none', () => {
    const local = TEAMS.filter((t) => t.id !== 'leaks');
    expect(teamFor(ticket({ area: null }), local, 'north')).toMatchObject({ team: { id: 'north' }, reason: 'default' });
    expect(teamFor(ticket({ area: '松北区' }), local, null)).toEqual({ team: null, reason: 'no_team' });
  });
});

describe('messages (zh-CN, site time zone)', () => {
  const base = { stationName: '南岗1号站', teamName: '南岗维修班', now: T0, timeZone: 'Asia/Shanghai' };

  it('a P1: number, station, priority, title, the deadlines, who', () => {
    const m = buildMessage({ ...base, rule: 'p1_open', level: 1, asked: 1, ticket: ticket(), people: ['张三', '李四'] });
    expect(m.subject).toBe('【P1 紧急】新工单 #12 · 南岗1号站');
    expect(m.text.split('\n')).toEqual([
      '【P1 紧急】新工单 #12',
      '站点：南岗1号站（南岗区）',
      '优先级：P1 紧急（绿色通道）',
      '标题：南岗1号站: 二次侧压力过高',
      '响应期限：12:05 前；到场期限：12:30 前',
      '通知：南岗维修班 一级（值班人员） 张三、李四',
    ]);
  });

  it('a breach names the deadline missed and by how much; a jump up the chain is said', () => {
    const t = ticket({ breaches: { respond: T0 + 8 * MIN } });
    const m = buildMessage({ ...base, now: T0 + 8 * MIN, rule: 'breach_respond', level: 3, asked: 2, ticket: t, people: ['王主管'] });
    expect(m.text).toContain('【超时升级】工单 #12 超过响应期限');
    expect(m.text).toContain('已超过响应期限：12:05（超时 3 分钟）');
    expect(m.text).toContain('通知：南岗维修班 三级（主管） 王主管（二级（值班长）无人值班，已通知上一级）');
  });

  it('a deadline on another day carries its date; nobody on call is said', () => {
    // due 23:00, marked past midnight: the deadline is yesterday's
    const t = ticket({ resolveBy: T0 + 11 * HOUR, breaches: { resolve: T0 + 13 * HOUR } });
    const m = buildMessage({ ...base, now: T0 + 13 * HOUR, rule: 'breach_resolve', level: 3, asked: 3, ticket: t, people: [] });
    expect(m.text).toContain('已超过处理期限：12月1日 23:00（超时 2 小时）');
    expect(m.text).toContain('无人值班');
  });

  it('an unhappy callback: the address, not the phone', () => {
    const t = ticket({ source: 'customer', priority: 'P3', category: 'repair', customer: { name: '李四', phone: '13900000000', address: '和平路8号' } });
    const m = buildMessage({ ...base, rule: 'callback_unhappy', level: 'qa', asked: 'qa', ticket: t, people: ['质检赵'] });
    expect(m.text).toContain('回访：客户不满意，请质检复核（报修，和平路8号）');
    expect(m.text).not.toContain('13900000000');
    expect(m.text).toContain('质检负责人 质检赵');
  });
});
