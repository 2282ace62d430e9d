// The page views' pure helpers: the map state of a station, trend markers from alarm and ticket
// events, scatter pairs and the curve, and the season-over-season alignment.
import { describe, expect, it } from 'vitest';
import { mapState, type StationNow } from '../../../src/analytics/views/map-state.ts';
import { alarmMarkers, mergeMarkers, ticketMarkers, type Marker, type TicketEventLike } from '../../../src/analytics/views/markers.ts';
import { scatterPairs, sortedCurve } from '../../../src/analytics/views/scatter.ts';
import { alignSeasons, seasonSpans } from '../../../src/analytics/views/season.ts';

describe('mapState', () => {
  const cases: Array<[string, StationNow, ReturnType<typeof mapState>]> = [
    ['all well', { comm: 'online', worstAlarm: null, mode: 'in_service' }, 'ok'],
    ['not polled yet is no comm loss', { comm: 'unknown', worstAlarm: null, mode: null }, 'ok'],
    ['an annunciated alarm', { comm: 'online', worstAlarm: 3, mode: 'in_service' }, 'alarm'],
    ['an alarm outranks maintenance', { comm: 'online', worstAlarm: 1, mode: 'maintenance' }, 'alarm'],
    ['silent: comm loss over its (stale) alarm', { comm: 'offline', worstAlarm: 2, mode: 'in_service' }, 'comm_loss'],
    ['one device of two silent', { comm: 'partial', worstAlarm: null, mode: 'stopped' }, 'comm_loss'],
    ['crew on site', { comm: 'online', worstAlarm: null, mode: 'maintenance' }, 'maintenance'],
    ['commissioning is work on the station', { comm: 'online', worstAlarm: null, mode: 'commissioning' }, 'maintenance'],
    ['planned stop or out of season', { comm: 'online', worstAlarm: null, mode: 'stopped' }, 'stopped'],
  ];
  it.each(cases)('%s', (_, s, want) => expect(mapState(s)).toBe(want));
});

describe('trend markers', () => {
  const raise = (ts: number, alarmId: string, priority: number, type = 'raise') => ({ type, ts, alarmId, priority, message: `${alarmId} 报警` });
  const tk = (ts: number, kind: string, toStatus: TicketEventLike['toStatus'], ticket = 7, priority = 'P2'): TicketEventLike => ({ ts, kind, toStatus, ticket, priority, title: '南岗1号站: 二次供水温度低' });

  it('only raises of alarms become markers, with the message and priority', () => {
    const m = alarmMarkers([raise(1000, 'a1', 2), raise(2000, 'a1', 2, 'ack'), raise(3000, 'a1', 2, 'clear'), raise(4000, 'a2', 1)]);
    expect(m).toEqual([
      { ts: 1000, kind: 'alarm', label: 'a1 报警', priority: 2, ref: 'a1' },
      { ts: 4000, kind: 'alarm', label: 'a2 报警', priority: 1, ref: 'a2' },
    ]);
  });

  it('ticket creation, status changes and missed deadlines are markers; notes and occurrences are not', () => {
    const entries = [
      tk(1000, 'created', 'open'),
      tk(2000, 'occurrence', null),
      tk(3000, 'transition', 'dispatched'),
      tk(4000, 'breach_respond', null),
      tk(5000, 'attachment', null),
      tk(6000, 'reopened_repeat', 'reopened', 7, 'P1'),
    ];
    expect(ticketMarkers(entries).map((m) => [m.ts, m.label, m.priority])).toEqual([
      [1000, '#7 新建: 南岗1号站: 二次供水温度低', 2],
      [3000, '#7 已派单: 南岗1号站: 二次供水温度低', 2],
      [4000, '#7 响应超时: 南岗1号站: 二次供水温度低', 2],
      [6000, '#7 已重开: 南岗1号站: 二次供水温度低', 1],
    ]);
    expect(ticketMarkers([tk(1000, 'created', 'open'), tk(3000, 'transition', 'in_progress')], 'en').map((m) => m.label)).toEqual([
      '#7 created: 南岗1号站: 二次供水温度低',
      '#7 in progress: 南岗1号站: 二次供水温度低',
    ]);
    expect(ticketMarkers([tk(1000, 'created', 'open')])[0]).toMatchObject({ kind: 'ticket', ref: '7' });
  });

  it('merged in time order, alarms before tickets at the same instant, the newest kept past the cap', () => {
    const a: Marker[] = [1, 5, 9].map((ts) => ({ ts, kind: 'alarm', label: 'a', priority: 2, ref: 'a' }));
    const t: Marker[] = [5, 7].map((ts) => ({ ts, kind: 'ticket', label: 't', priority: 3, ref: '1' }));
    expect(mergeMarkers(a, t).map((m) => `${m.ts}${m.kind[0]}`)).toEqual(['1a', '5a', '5t', '7t', '9a']);
    expect(mergeMarkers(a, t, 3).map((m) => `${m.ts}${m.kind[0]}`)).toEqual(['5t', '7t', '9a']);
  });
});

describe('scatter', () => {
  const H = 3_600_000;
  it('pairs the hours that have both values, in time order', () => {
    const outdoor: Array<[number, number | null]> = [[0, -10.123], [H, null], [2 * H, -8], [3 * H, -7]];
    const supply: Array<[number, number | null]> = [[0, 58.456], [H, 57], [2 * H, null], [3 * H, 55]];
    expect(scatterPairs(outdoor, supply)).toEqual([[-10.12, 58.46], [-7, 55]]);
    expect(scatterPairs([], supply)).toEqual([]);
  });

  it("the curve sorted by outdoor temperature; none when the station has none", () => {
    expect(sortedCurve([[5, 39.8], [-24.2, 75], [-10, 58.8]])).toEqual([[-24.2, 75], [-10, 58.8], [5, 39.8]]);
    expect(sortedCurve(undefined)).toBeNull();
    expect(sortedCurve([[0, 40]])).toBeNull();
  });
});

describe('season over season', () => {
  const season = { start: 1015, end: 415 };

  it('in a season: this season up to today, the last one whole', () => {
    expect(seasonSpans('2026-12-10', season)).toEqual({ current: { from: '2026-10-15', to: '2026-12-10' }, last: { from: '2025-10-15', to: '2026-04-15' } });
    // on the first day of the season
    expect(seasonSpans('2026-10-15', season).current).toEqual({ from: '2026-10-15', to: '2026-10-15' });
    // between seasons: the one just ended, whole
    expect(seasonSpans('2026-07-01', season)).toEqual({ current: { from: '2025-10-15', to: '2026-04-15' }, last: { from: '2024-10-15', to: '2025-04-15' } });
  });

  it('without a configured season, heating years from 1 July', () => {
    expect(seasonSpans('2026-12-10', null)).toEqual({ current: { from: '2026-07-01', to: '2026-12-10' }, last: { from: '2025-07-01', to: '2026-06-30' } });
  });

  it('aligns both seasons by day of season, gaps as null, as long as the longer span', () => {
    const spans = { current: { from: '2026-10-15', to: '2026-10-17' }, last: { from: '2025-10-15', to: '2025-10-20' } };
    const days = alignSeasons(
      spans,
      [{ day: '2026-10-15', value: 10 }, { day: '2026-10-17', value: 12 }],
      [{ day: '2025-10-15', value: 20 }, { day: '2025-10-16', value: 21 }, { day: '2025-10-20', value: 25 }],
    );
    expect(days).toHaveLength(6);
    expect(days.map((d) => [d.index, d.value, d.lastValue])).toEqual([
      [0, 10, 20],
      [1, null, 21],
      [2, 12, null],
      [3, null, null],
      [4, null, null],
      [5, null, 25],
    ]);
    expect(days[2]).toMatchObject({ day: '2026-10-17', lastDay: '2025-10-17' });
    expect(days[4]).toMatchObject({ day: null, lastDay: '2025-10-19' });
  });

  it('a 29 February shifts the dates, not the day count', () => {
    // season 2023-24 holds 29 February 2024; day 137 of both seasons
    const spans = seasonSpans('2025-03-01', season);
    const days = alignSeasons(spans, [], []);
    const d = days.find((x) => x.day === '2025-03-01')!;
    expect(d.index).toBe(137);
    expect(d.lastDay).toBe('2024-02-29');
  });
});
