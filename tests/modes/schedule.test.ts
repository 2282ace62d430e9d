/** The effective station mode (pure): operator > planned stop > season > in service; attended hours by area. */
import { describe, expect, it } from 'vitest';
import { inSeason, inWindow, localClock } from '../../src/modes/clock.ts';
import { resolveOperations } from '../../src/modes/config.ts';
import { effectiveMode, type OperatorMode } from '../../src/modes/schedule.ts';

const known = { stations: new Set(['hs-001', 'hs-002']), areas: new Set(['南岗区', '道里区']) };
const { settings, problems } = resolveOperations(
  {
    season: { start: '10-20', end: '04-10' },
    attendedHours: { from: '08:00', to: '18:00', areas: { 道里区: { from: '22:00', to: '06:00' } } },
    plannedStops: [{ area: '南岗区', from: '2026-12-05T08:00:00+08:00', to: '2026-12-05T16:00:00+08:00', reason: '主管网检修' }],
  },
  known,
);
const clock = localClock('Asia/Shanghai');
const at = (iso: string) => Date.parse(iso);
const mode = (station: { id: string; area: string | null }, iso: string, op?: OperatorMode) => effectiveMode(station, at(iso), clock(at(iso)), settings, op, settings.plannedStops);
const NG = { id: 'hs-001', area: '南岗区' };
const DL = { id: 'hs-002', area: '道里区' };

describe('effective station mode', () => {
  it('reads the config without problems', () => expect(problems).toEqual([]));

  it('a planned stop for an area stops its stations for its window only', () => {
    expect(mode(NG, '2026-12-05T09:00:00+08:00')).toMatchObject({ mode: 'stopped', source: 'planned_stop', until: at('2026-12-05T16:00:00+08:00') });
    expect(mode(NG, '2026-12-05T16:00:00+08:00')).toMatchObject({ mode: 'in_service', source: 'default' });
    expect(mode(DL, '2026-12-05T09:00:00+08:00').mode).toBe('in_service');
  });

  it('outside the heating season (wrapping the new year) stations are stopped', () => {
    expect(mode(NG, '2026-06-01T12:00:00+08:00')).toMatchObject({ mode: 'stopped', source: 'season' });
    expect(mode(NG, '2027-01-15T12:00:00+08:00').mode).toBe('in_service');
    expect(mode(NG, '2026-04-10T23:59:00+08:00').mode).toBe('in_service');
    expect(mode(NG, '2026-04-11T00:01:00+08:00').mode).toBe('stopped');
  });

  it("an operator's mode wins while it lasts", () => {
    const op: OperatorMode = { station: 'hs-001', mode: 'maintenance', comment: '抢修', user: 'u', from: at('2026-12-05T08:30:00+08:00'), until: at('2026-12-05T10:00:00+08:00'), setAt: 0 };
    expect(mode(NG, '2026-12-05T09:00:00+08:00', op)).toMatchObject({ mode: 'maintenance', source: 'operator', attended: true });
    expect(mode(NG, '2026-12-05T10:00:00+08:00', op).mode).toBe('stopped');
  });

  it('attended hours come from the area (wrapping midnight) or the site, in the site time zone', () => {
    expect(mode(NG, '2026-12-07T09:00:00+08:00').attended).toBe(true);
    expect(mode(NG, '2026-12-07T19:00:00+08:00').attended).toBe(false);
    expect(mode(DL, '2026-12-07T23:00:00+08:00').attended).toBe(true);
    expect(mode(DL, '2026-12-07T09:00:00+08:00').attended).toBe(false);
    // 01:00 UTC is 09:00 in Shanghai
    expect(mode(NG, '2026-12-07T01:00:00Z').attended).toBe(true);
  });

  it('names every bad field of the operations config', () => {
    const r = resolveOperations(
      {
        attendedHours: { from: '08:00', to: '18:00', areas: { 无此区: { from: '08:00', to: '18:00' } } },
        plannedStops: [
          { stations: ['hs-404'], from: '2026-12-05T08:00:00+08:00', to: '2026-12-05T07:00:00+08:00', reason: 'x' },
          { area: '南岗区', from: 'tomorrow', to: 5, reason: 'x' },
        ],
      },
      known,
    );
    expect(r.problems.map((p) => p.path)).toEqual([
      'operations.attendedHours.areas.无此区',
      'operations.plannedStops[0].to',
      'operations.plannedStops[0].stations[0]',
      'operations.plannedStops[1].from',
    ]);
  });

  it('windows and seasons wrap', () => {
    expect(inWindow(23 * 60, { from: 22 * 60, to: 6 * 60 })).toBe(true);
    expect(inWindow(7 * 60, { from: 22 * 60, to: 6 * 60 })).toBe(false);
    expect(inSeason(1231, { start: 1020, end: 410 })).toBe(true);
    expect(inSeason(501, { start: 1020, end: 410 })).toBe(false);
  });
});
