/**
 * The summary a shift opens with, on fixed inputs: open tickets by priority (absent priorities
 * are zero), annunciated alarms by priority and unacknowledged, the breaches oldest first, and
 * only the stations in maintenance or stopped, with source, until, reason and who; a part whose
 * service is not deployed is null.
 */
import { describe, expect, it } from 'vitest';
import type { EffectiveMode } from '../../src/modes/schedule.ts';
import { buildShiftSummary, type ShiftBreach } from '../../src/shifts/summary.ts';

const T = Date.UTC(2025, 0, 15, 0, 0);
const mode = (m: Partial<EffectiveMode> & Pick<EffectiveMode, 'mode' | 'source'>): EffectiveMode => ({ attended: false, until: null, ...m });
const breach = (ticket: number, deadline: ShiftBreach['deadline'], at: number): ShiftBreach => ({
  ticket,
  title: `工单 ${ticket}`,
  station: 'hs-001',
  area: null,
  priority: 'P2',
  status: 'open',
  deadline,
  at,
});

describe('buildShiftSummary', () => {
  it('counts, lists and filters what it is given', () => {
    const s = buildShiftSummary({
      at: T,
      openByPriority: { P1: 1, P3: 4 },
      alarms: [
        { priority: 1, state: 'unacked' },
        { priority: 2, state: 'acked' },
        { priority: 2, state: 'rtn_unacked' },
        { priority: 4, state: 'acked' },
      ],
      breaches: [breach(7, 'resolve', T - 1000), breach(3, 'respond', T - 5000), breach(7, 'respond', T - 5000)],
      stations: [
        { id: 'hs-003', name: '三号站', area: '南岗区', mode: mode({ mode: 'stopped', source: 'planned_stop', until: T + 3_600_000, stop: { id: 's1', stations: ['hs-003'], area: null, from: T - 1, to: T + 3_600_000, reason: '换热器检修', by: 'desk-1' } }) },
        { id: 'hs-001', name: '一号站', area: '南岗区', mode: mode({ mode: 'in_service', source: 'default' }) },
        { id: 'hs-004', name: '四号站', area: null, mode: mode({ mode: 'commissioning', source: 'operator' }) },
        { id: 'hs-002', name: '二号站', area: '道里区', mode: mode({ mode: 'maintenance', source: 'operator', attended: true, operator: { station: 'hs-002', mode: 'maintenance', comment: '班组检修', user: 'desk-2', from: T - 10, until: null, setAt: T - 10 } }) },
        { id: 'hs-005', name: '五号站', area: null, mode: mode({ mode: 'stopped', source: 'season' }) },
        { id: 'hs-009', name: '九号站', area: null, mode: undefined },
      ],
    });
    expect(s.at).toBe(T);
    expect(s.openTickets).toEqual({ total: 5, byPriority: { P1: 1, P2: 0, P3: 4, P4: 0 } });
    expect(s.alarms).toEqual({ total: 4, unacked: 2, byPriority: { '1': 1, '2': 2, '3': 0, '4': 1 } });
    expect(s.breached!.map((b) => [b.ticket, b.deadline])).toEqual([
      [3, 'respond'],
      [7, 'respond'],
      [7, 'resolve'],
    ]);
    expect(s.stationsOff).toEqual([
      { station: 'hs-002', name: '二号站', area: '道里区', mode: 'maintenance', source: 'operator', until: null, reason: '班组检修', by: 'desk-2' },
      { station: 'hs-003', name: '三号站', area: '南岗区', mode: 'stopped', source: 'planned_stop', until: T + 3_600_000, reason: '换热器检修', by: 'desk-1' },
      { station: 'hs-005', name: '五号站', area: null, mode: 'stopped', source: 'season', until: null, reason: null, by: null },
    ]);
  });

  it('a part without its service is null; empty inputs are zeros and empty lists', () => {
    expect(buildShiftSummary({ at: T })).toEqual({ at: T, openTickets: null, alarms: null, breached: null, stationsOff: null });
    expect(buildShiftSummary({ at: T, openByPriority: {}, alarms: [], breaches: [], stations: [] })).toEqual({
      at: T,
      openTickets: { total: 0, byPriority: { P1: 0, P2: 0, P3: 0, P4: 0 } },
      alarms: { total: 0, unacked: 0, byPriority: { '1': 0, '2': 0, '3': 0, '4': 0 } },
      breached: [],
      stationsOff: [],
    });
  });
});
