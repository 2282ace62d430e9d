import { describe, expect, it } from 'vitest';
import { resolveTicketSettings } from '../../src/tickets/config.ts';
import { customerPolicy, deadlinesFor, dedupKey, equipmentOf, maxPriority, openDelayMs, ticketPriorityOf } from '../../src/tickets/policy.ts';
import { formatDuration, replyText } from '../../src/tickets/replies.ts';
import { matchStation, normalizeAddress, parseAddressCsv } from '../../src/tickets/address.ts';
import { HOUR, MIN, T0 } from './helpers.ts';

const S = resolveTicketSettings(undefined);

describe('policy: alarm priority → ticket priority, opening delay, deadlines (DOMAIN §4 defaults)', () => {
  it.each([
    [1, 'P1', 0, 5 * MIN, 30 * MIN, 48 * HOUR],
    [2, 'P2', 0, 2 * HOUR, null, 24 * HOUR],
    [3, 'P3', 30 * MIN, 24 * HOUR, null, 72 * HOUR],
    [4, 'P4', null, 48 * HOUR, null, 120 * HOUR],
  ] as const)('alarm priority %i → %s, opens after %s ms, respond %i, on site %s, resolve %i', (ap, tp, delay, respond, onSite, resolve) => {
    expect(ticketPriorityOf(ap)).toBe(tp);
    expect(openDelayMs(ap, S)).toBe(delay);
    expect(deadlinesFor(tp, T0, S.sla)).toEqual({ respondBy: T0 + respond, onSiteBy: onSite === null ? null : T0 + onSite, resolveBy: T0 + resolve });
  });

  it('takes SLA and delays from config', () => {
    const s = resolveTicketSettings({ sla: { P2: { respondMin: 60 } }, openAfterMin: { '4': 120, '3': null } });
    expect(deadlinesFor('P2', T0, s.sla).respondBy).toBe(T0 + HOUR);
    expect(deadlinesFor('P2', T0, s.sla).resolveBy).toBe(T0 + 24 * HOUR);
    expect(openDelayMs(4, s)).toBe(120 * MIN);
    expect(openDelayMs(3, s)).toBeNull();
  });

  it.each([
    ['no_heat', 'P2', 2 * HOUR, 24 * HOUR],
    ['leak', 'P1', 5 * MIN, 48 * HOUR],
    ['repair', 'P3', 24 * HOUR, 72 * HOUR],
    ['fee_dispute', 'P4', 48 * HOUR, 120 * HOUR],
    ['complaint', 'P3', 24 * HOUR, 72 * HOUR],
    ['consult', 'P4', 24 * HOUR, 48 * HOUR],
  ] as const)('customer category %s → %s, respond in %i, resolve in %i', (cat, p, respond, resolve) => {
    const r = customerPolicy(cat, T0, S);
    expect(r.priority).toBe(p);
    expect(r.deadlines.respondBy - T0).toBe(respond);
    expect(r.deadlines.resolveBy - T0).toBe(resolve);
  });

  it.each([
    ['P1', 'P2', 'P1'],
    ['P3', 'P2', 'P2'],
    ['P4', 'P4', 'P4'],
  ] as const)('priority only rises: max(%s, %s) = %s', (a, b, want) => expect(maxPriority(a, b)).toBe(want));

  it.each([
    ['hs-001.plc.pump1_run', 'plc', 'plc/pump1'],
    ['hs-001.plc.pump2_fault', 'plc', 'plc/pump2'],
    ['hs-001.plc.p_sec_return', 'plc', 'plc'],
    ['hs-001.plc.makeup_run', 'plc', 'plc/makeup'],
    ['hs-001.plc', 'plc', 'plc'],
  ])('equipment of %s is %s', (point, device, want) => {
    expect(equipmentOf({ point, device })).toBe(want);
    expect(dedupKey('hs-001', 'pump_trip', want)).toBe(`hs-001|pump_trip|${want}`);
  });
});

describe('reply templates name the concrete deadline', () => {
  const base = { id: 7, createdAt: T0, respondBy: T0 + 2 * HOUR + 30 * MIN, resolveBy: T0 + 24 * HOUR };
  it.each([
    ['zh-CN', 'no_heat', '您的工单 #7（供暖不热）已受理。我们将在 150 分钟内响应（14:30 前），并在 24 小时内处理完毕（1月16日 12:00 前）。'],
    ['en', 'no_heat', 'Ticket #7 (heating not warm) is registered. We will respond within 150 minutes by 14:30 and resolve it within 24 hours by 2025-01-16 12:00.'],
  ] as const)('%s %s', (lang, category, want) => {
    expect(replyText(lang, { ...base, category }, 'Asia/Shanghai')).toBe(want);
  });
  it('2 hours → "2 小时" / "2 hours"; fee disputes get a review reply', () => {
    const t = { id: 3, category: 'fee_dispute' as const, createdAt: T0, respondBy: T0 + 48 * HOUR, resolveBy: T0 + 120 * HOUR };
    expect(replyText('zh-CN', t, 'Asia/Shanghai')).toContain('我们将在 48 小时内完成复核（1月17日 12:00 前）');
    expect(replyText('en', t, 'Asia/Shanghai')).toContain('within 48 hours by 2025-01-17 12:00');
    expect(formatDuration(2 * HOUR, 'zh-CN')).toBe('2 小时');
    expect(formatDuration(HOUR, 'en')).toBe('1 hour');
    expect(formatDuration(5 * 24 * HOUR, 'en')).toBe('5 days');
    expect(replyText('zh-CN', { id: 1, category: 'no_heat', createdAt: T0, respondBy: T0 + 2 * HOUR, resolveBy: T0 + 24 * HOUR }, 'Asia/Shanghai')).toContain('我们将在 2 小时内响应（14:00 前）');
  });
  it('never says "as soon as possible"', () => {
    for (const lang of ['zh-CN', 'en'] as const) expect(replyText(lang, { ...base, category: 'repair' }, 'UTC')).not.toMatch(/尽快|as soon as possible/i);
  });
});

describe('address → station', () => {
  const entries = [
    { address: '南岗区学府路12号', station: 'hs-001' },
    { address: '南岗区学府路12号3栋', station: 'hs-002' },
    { address: 'Main St 5', station: 'hs-003' },
  ];
  it.each([
    ['南岗区 学府路12号 1栋 2单元', 'hs-001'],
    ['南岗区学府路１２号３栋501', 'hs-002'],
    ['main st 5, flat 2', 'hs-003'],
    ['道里区 友谊路', undefined],
  ])('%s → %s', (addr, want) => expect(matchStation(addr, entries)).toBe(want));
  it('normalizes full-width digits and spaces', () => expect(normalizeAddress('学府路 １２号')).toBe('学府路12号'));
  it('parses CSV with header, quotes; reports bad rows by line', () => {
    const ok = parseAddressCsv('address,station\n"学府路12号, 1栋",hs-001\r\nMain St 5,hs-003\n', new Set(['hs-001', 'hs-003']));
    expect(ok).toEqual({ entries: [{ address: '学府路12号, 1栋', station: 'hs-001' }, { address: 'Main St 5', station: 'hs-003' }], errors: [] });
    const bad = parseAddressCsv('a,hs-009\nb\n,hs-001\nc,HS 1', new Set(['hs-001']));
    expect(bad.errors).toEqual([
      "line 1: unknown station 'hs-009'",
      'line 2: expected 2 fields (address,station), got 1',
      'line 3: address is empty',
      "line 4: station 'HS 1' is not a station id",
    ]);
  });
});
