// The schedule of normal operations, listed without stepping the model: shapes of each kind over
// 500 stations × 7 days, and that it is a pure function of seed, station and time.
import { describe, expect, it } from 'vitest';
import { createNetwork, type Network, type Operation, type OperationsOptions } from '../../simulators/model.ts';
import { loadTemplate } from '../../simulators/templates.ts';

const H = 3_600_000;
const MIN = 60_000;
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 11, 16, 0); // Monday 00:00 Asia/Shanghai
const WEEK = [T0, T0 + 7 * DAY] as const;

function net(o: { stations?: number; seed?: number; startMs?: number; operations?: boolean | OperationsOptions } = {}): Network {
  return createNetwork({ stations: o.stations ?? 500, seed: o.seed ?? 1, template: loadTemplate('hs-plc'), startMs: o.startMs ?? T0, stepMs: 5000, operations: o.operations ?? true });
}
/** local hour of day (UTC+8) */
const hourOf = (t: number) => (((t + 8 * H) % DAY) + DAY) % DAY / H;
const minutes = (o: { fromMs: number; toMs: number }) => (o.toMs - o.fromMs) / MIN;
const ofKind = <K extends Operation['kind']>(ops: Operation[], kind: K) => ops.filter((o): o is Operation & { kind: K } => o.kind === kind);

const network = net();
const week = network.operations(...WEEK);

describe('schedule of normal operations', () => {
  it('is a pure function of seed, station and time: not of when the model was created, its size, or the range asked', () => {
    const later = net({ stations: 40, startMs: T0 + 3 * DAY + 5 * H });
    const day4 = [T0 + 4 * DAY, T0 + 5 * DAY] as const;
    const a = network.operations(...day4).filter((o) => o.station < 40);
    expect(later.operations(...day4)).toEqual(a);
    expect(a.length).toBeGreaterThan(40);
    // a sub-range is the filter of a larger range
    const fromWeek = week.filter((o) => o.toMs > day4[0] && o.fromMs < day4[1] && o.station < 40);
    expect(a).toEqual(fromWeek);
    // one station alone
    expect(network.operations(...day4, 7)).toEqual(a.filter((o) => o.station === 7));
    // another seed, another schedule
    expect(net({ stations: 40, seed: 2 }).operations(...day4)).not.toEqual(a);
    // disabling a kind leaves the others as they were
    const noOutages = net({ stations: 40, operations: { kinds: ['patrol', 'changeover', 'setback', 'boost', 'refill', 'planned_stop', 'meter_replace'] } });
    expect(noOutages.operations(...day4)).toEqual(a.filter((o) => o.kind !== 'outage'));
  });

  it('is empty with operations off', () => {
    expect(net({ stations: 5, operations: false }).operations(...WEEK)).toEqual([]);
  });

  it('patrols: 10–30 min with the door open, in attended hours but for a few named edge cases, about daily with skipped days', () => {
    const patrols = ofKind(week, 'patrol');
    for (const p of patrols) {
      expect(minutes(p), JSON.stringify(p)).toSatisfy((m: number) => m >= 10 && m <= 30);
      expect(p.door).toEqual([[p.fromMs, p.toMs]]);
      const h0 = hourOf(p.fromMs);
      const h1 = hourOf(p.toMs);
      if (p.edge === 'before_hours') expect(h0).toSatisfy((h: number) => h >= 7.8 && h < 8);
      else if (p.edge === 'after_hours') expect(h1).toSatisfy((h: number) => h > 18 && h <= 18.5);
      else expect([h0, h1]).toSatisfy(([a, b]: number[]) => a >= 8 && b <= 18);
    }
    const perStationDay = patrols.filter((p) => p.edge !== 'second_visit').length / (500 * 7);
    expect(perStationDay).toSatisfy((x: number) => x > 0.6 && x < 0.97);
    for (const edge of ['before_hours', 'after_hours', 'second_visit']) expect(patrols.some((p) => p.edge === edge), edge).toBe(true);
  });

  it('pump changeovers: every few days per station; feedback 1–2 s (3–6 s when late), then the duty pump off; a ±0.05–0.1 MPa transient of 5–20 s', () => {
    const co = ofKind(week, 'changeover');
    const perStation = new Map<number, number>();
    for (const c of co) {
      perStation.set(c.station, (perStation.get(c.station) ?? 0) + 1);
      const late = c.edge === 'late_feedback';
      expect(c.feedbackMs).toSatisfy((f: number) => (late ? f >= 3000 && f <= 6000 : f >= 1000 && f <= 2000));
      if (c.edge === 'early_stop') expect(c.offMs - c.fromMs).toBeLessThan(c.feedbackMs);
      else expect(c.offMs - c.fromMs - c.feedbackMs).toSatisfy((d: number) => d >= 1000 && d <= 3000);
      expect(Math.abs(c.transientMPa)).toSatisfy((a: number) => a >= 0.05 && a <= 0.1);
      expect(c.transientMs).toSatisfy((d: number) => d >= 5000 && d <= 20_000);
      expect(c.toMs).toBe(c.offMs + c.transientMs);
    }
    // every 2–5 days: 2–4 changeovers per station in a week
    expect([...perStation.values()].every((n) => n >= 1 && n <= 4)).toBe(true);
    expect(perStation.size).toBe(500);
    // the duty pump alternates
    const s0 = co.filter((c) => c.station === 0).map((c) => c.toPump);
    for (let i = 1; i < s0.length; i++) expect(s0[i]).not.toBe(s0[i - 1]);
  });

  it('night setback 23:00–05:00 of 3–6 K and a morning boost of 3–5 K for 1–2 h; a minority without, floor stations mostly without', () => {
    const sb = ofKind(week, 'setback');
    const boost = ofKind(week, 'boost');
    for (const s of sb) {
      expect([hourOf(s.fromMs), hourOf(s.toMs)]).toEqual([23, 5]);
      expect(-s.offsetK).toSatisfy((k: number) => k >= 3 && k <= 6);
    }
    for (const b of boost) {
      expect(hourOf(b.fromMs)).toBe(5);
      expect(minutes(b)).toSatisfy((m: number) => m >= 60 && m <= 120);
      expect(b.offsetK).toSatisfy((k: number) => k >= 3 && k <= 5);
    }
    const withSetback = new Set(sb.map((s) => s.station));
    const info = Array.from({ length: 500 }, (_, s) => network.stationInfo(s));
    const radiators = info.filter((i) => i.heatingType === 'radiator');
    const floors = info.filter((i) => i.heatingType === 'floor');
    const none = radiators.filter((i) => !withSetback.has(i.index)).length / radiators.length;
    expect(none).toSatisfy((x: number) => x > 0.05 && x < 0.3);
    const floorWith = floors.filter((i) => withSetback.has(i.index));
    expect(floorWith.length).toBeGreaterThan(0);
    expect(floorWith.length / floors.length).toBeLessThan(0.4);
    expect(sb.filter((s) => s.edge === 'floor_setback').every((s) => info[s.station].heatingType === 'floor')).toBe(true);
    for (const i of info) expect(i.setbackK > 0).toBe(withSetback.has(i.index));
  });

  it('riser refills: a few per week; drain, then make-up 20–40 min at 2.5–4 % of circulation; door open during the visit', () => {
    const rf = ofKind(net({ operations: { rates: { refill: 5 } } }).operations(...WEEK), 'refill');
    expect(rf.length).toBeGreaterThan(10);
    expect(ofKind(week, 'refill').length).toSatisfy((n: number) => n >= 1 && n <= 12);
    for (const r of rf) {
      expect(r.fromMs).toBeLessThan(r.drainFromMs);
      expect((r.refillFromMs - r.drainFromMs) / MIN).toSatisfy((m: number) => m >= 15 && m <= 40);
      expect((r.toMs - r.refillFromMs) / MIN).toSatisfy((m: number) => m >= 20 && m <= 40);
      expect(r.makeupPct).toSatisfy((p: number) => p >= 2.5 && p <= 4);
      expect(r.dropMPa).toSatisfy((d: number) => d >= 0.04 && d <= 0.1);
      expect(r.door?.[0][0]).toBe(r.fromMs);
    }
    // a refill done by the patrol crew overlaps that patrol's door
    const all = net({ operations: { rates: { refill: 5 } } }).operations(...WEEK);
    const withPatrol = rf.filter((r) => r.edge === 'with_patrol');
    expect(withPatrol.length).toBeGreaterThan(0);
    for (const r of withPatrol) {
      const p = ofKind(all, 'patrol').find((x) => x.station === r.station && x.fromMs <= r.fromMs && r.fromMs < x.toMs);
      expect(p, JSON.stringify(r)).toBeDefined();
    }
    expect(rf.some((r) => r.edge === 'night' && hourOf(r.fromMs) >= 20)).toBe(true);
  });

  it('short 4G outages: 1–8 min, a few per station-week, some cell-wide', () => {
    const out = ofKind(net({ operations: { rates: { outage: 3 } } }).operations(...WEEK), 'outage');
    for (const o of out) expect(minutes(o)).toSatisfy((m: number) => m >= 1 && m <= 8);
    const cells = out.filter((o) => o.edge === 'cell');
    expect(cells.length).toBeGreaterThan(1);
    // a cell outage takes every station of that cell within a minute
    const c = cells[0];
    const same = cells.filter((o) => o.cell === c.cell && Math.abs(o.fromMs - c.fromMs) < MIN);
    const inCell = Array.from({ length: 500 }, (_, s) => network.stationInfo(s)).filter((i) => i.cell === c.cell).length;
    expect(same.length).toBe(inCell);
    const normal = ofKind(week, 'outage').filter((o) => !o.edge).length / (500 * 7);
    expect(normal).toSatisfy((x: number) => x > 0.2 && x < 0.5);
  });

  it('planned stops: a few per week, 4–10 h, announced in the schedule, the crew at start and end', () => {
    const st = ofKind(net({ operations: { rates: { planned_stop: 10 } } }).operations(...WEEK), 'planned_stop');
    expect(st.length).toBeGreaterThan(10);
    expect(ofKind(week, 'planned_stop').length).toBeLessThan(10);
    for (const p of st) {
      expect(minutes(p) / 60).toSatisfy((h: number) => h >= 4 && h <= 10);
      expect(p.reason).toBeTruthy();
      expect(p.door?.[0][0]).toBe(p.fromMs);
      expect(p.door?.[1][1]).toBe(p.toMs);
    }
  });

  it('season start only when asked: empty, filling, pressure test, cold circulation, heat-up, in that order per station', () => {
    expect(week.some((o) => o.kind === 'season_start')).toBe(false);
    const n = net({ stations: 30, operations: { seasonStart: { atMs: T0 } } });
    const ss = ofKind(n.operations(T0 - 40 * DAY, T0 + 10 * DAY), 'season_start');
    for (let s = 0; s < 30; s++) {
      const mine = ss.filter((o) => o.station === s);
      expect(mine.map((o) => o.phase)).toEqual(['empty', 'filling', 'pressure_test', 'cold_circulation', 'heat_up']);
      for (let i = 1; i < mine.length; i++) expect(mine[i].fromMs).toBe(mine[i - 1].toMs);
      expect(mine[1].fromMs).toSatisfy((t: number) => t >= T0 && t < T0 + 3 * DAY);
      expect(minutes(mine[2])).toSatisfy((m: number) => m >= 70 && m <= 90);
      expect(mine[2].testMPa).toSatisfy((x: number) => x >= 0.3 && x <= 0.5);
    }
  });

  it('explicit operations join the schedule with defaults, and bad ones are refused naming the field', () => {
    const n = net({ stations: 3, operations: { kinds: [], extra: [{ kind: 'planned_stop', station: 2, fromMs: T0 + 9 * H, toMs: T0 + 15 * H }] } });
    expect(n.operations(...WEEK)).toEqual([
      expect.objectContaining({ station: 2, kind: 'planned_stop', fromMs: T0 + 9 * H, toMs: T0 + 15 * H, reason: 'planned', edge: 'extra' }),
    ]);
    expect(() => net({ stations: 3, operations: { extra: [{ kind: 'outage', station: 3, fromMs: T0, toMs: T0 + MIN }] } })).toThrow('operations.extra[0].station');
    expect(() => net({ stations: 3, operations: { extra: [{ kind: 'outage', station: 0, fromMs: T0, toMs: T0 }] } })).toThrow('operations.extra[0]: expected fromMs < toMs');
    expect(() => net({ stations: 3, operations: { kinds: ['nap' as never] } })).toThrow("operations.kinds: unknown kind 'nap'");
  });
});
