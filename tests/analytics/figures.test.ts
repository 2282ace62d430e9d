import { describe, expect, it } from 'vitest';
import { counterTotal, curveDeviationMinutes, dayFigures, heatingDegreeDays, meanOf, type DayInputs } from '../../src/analytics/daily.ts';
import { flowPerM2, intensity, makeupPct, outlierFlags, periodTotals, rankStations, type DailyRow } from '../../src/analytics/ranking.ts';
import { DailyStore } from '../../src/analytics/store.ts';
import { SqliteStateDb } from '../../src/state/sqlite-db.ts';

const f64 = (xs: Array<number | null>) => Float64Array.from(xs, (v) => (v === null ? Number.NaN : v));
const fill = (n: number, v: number | ((i: number) => number | null)) => f64(Array.from({ length: n }, (_, i) => (typeof v === 'function' ? v(i) : v)));

describe('degree-days, intensity, flow per m², make-up %', () => {
  it('HDD is how far the mean outdoor temperature is below the base, never negative', () => {
    expect(heatingDegreeDays(-12, 18)).toBe(30);
    expect(heatingDegreeDays(-12, 20)).toBe(32);
    expect(heatingDegreeDays(21, 18)).toBe(0);
    expect(heatingDegreeDays(null, 18)).toBeNull();
  });
  it('intensity is GJ per heated m² and degree-day; none without area or degree-days', () => {
    expect(intensity(240, 100_000, 30)).toBeCloseTo(8e-5, 12);
    expect(intensity(240, 100_000, 0)).toBeNull();
    expect(intensity(240, undefined, 30)).toBeNull();
    expect(intensity(null, 100_000, 30)).toBeNull();
  });
  it('flow per 1000 m² and make-up as % of the system volume', () => {
    expect(flowPerM2(150, 100_000)).toBeCloseTo(1.5, 12);
    expect(makeupPct(2.5, 125)).toBeCloseTo(2, 12);
    expect(makeupPct(2.5, undefined)).toBeNull();
  });
  it('means skip missing minutes and are null with none', () => {
    expect(meanOf(f64([1, null, 3]))).toBe(2);
    expect(meanOf(f64([null, null]))).toBeNull();
    expect(meanOf(f64([1, 2, 100]), 2)).toBe(1.5);
  });
});

describe('curve deviation', () => {
  const curve: Array<[number, number]> = [
    [-20, 70],
    [0, 46],
  ];
  it('counts the minutes in service more than k off the curve', () => {
    // outdoor −10 → curve 58: 60 min on it, 30 min 4 K above (counted), 10 min 3 K below (not more than 3)
    const supply = f64([...Array(60).fill(58), ...Array(30).fill(62), ...Array(10).fill(55)]);
    const outdoor = fill(100, -10);
    const inService = new Uint8Array(100).fill(1);
    expect(curveDeviationMinutes(supply, outdoor, curve, null, inService, 3)).toBe(30);
    // ten of the off minutes while stopped, two without an outdoor reading
    inService.fill(0, 60, 70);
    outdoor[75] = Number.NaN;
    outdoor[76] = Number.NaN;
    expect(curveDeviationMinutes(supply, outdoor, curve, null, inService, 3)).toBe(18);
  });
  it('allows the setback band: 5 K down at night is on the curve', () => {
    const supply = fill(10, 53);
    const band = { lo: fill(10, (i) => (i < 5 ? -5 : 0)), hi: fill(10, (i) => (i < 5 ? -5 : 0)) };
    expect(curveDeviationMinutes(supply, fill(10, -10), curve, band, new Uint8Array(10).fill(1), 3)).toBe(5);
  });
});

describe('a day from fixed series', () => {
  // a 1440-minute day with a day of counter values before and after it (the lookaround)
  const L = 1440;
  const n = 1440;
  const heat = fill(L + n + L, (i) => 1000 + 0.1 * i); // 0.1 GJ a minute: 144 GJ a day
  const inputs = (over: Partial<DayInputs> = {}): DayInputs => ({
    minutes: n,
    elapsed: n,
    counterOffset: L,
    heat: [{ values: heat, rolloverAt: null }],
    makeup: [{ values: fill(L + n + L, (i) => (i < L + 600 ? 50 : 52)), rolloverAt: null }],
    outdoor: fill(n, (i) => -12 + 2 * Math.sin((2 * Math.PI * i) / n)),
    supply: fill(n, 60),
    ret: fill(n, (i) => (i % 2 ? 40 : null)),
    priReturn: fill(n, 45),
    flows: [fill(n, 100), fill(n, 50)],
    curve: [
      [-20, 70],
      [0, 46],
    ],
    band: null,
    inService: new Uint8Array(n).fill(1),
    ...over,
  });

  it('adds the counters, averages the temperatures, sums zone flows, counts deviation and coverage', () => {
    const f = dayFigures(inputs(), { hddBaseC: 18, curveDeviationK: 3 });
    expect(f.heatGJ).toBeCloseTo(144, 9);
    expect(f.makeupM3).toBeCloseTo(2, 9);
    expect(f.meanOutdoorC).toBeCloseTo(-12, 9);
    expect(f.hdd).toBeCloseTo(30, 9);
    expect(f.meanSupplyC).toBe(60);
    expect(f.meanReturnC).toBe(40);
    expect(f.meanPriReturnC).toBe(45);
    expect(f.meanFlowSec).toBe(150);
    // curve at −12 ± 2 K outdoor is 60.4 ± 2.4: the supply of 60 is within 3 K all day
    expect(f.curveDeviationMin).toBe(0);
    // 8 inputs, the return reports every other minute
    expect(f.samplesOk).toBeCloseTo(7.5 / 8, 9);
  });

  it('today so far: only the elapsed minutes count', () => {
    const f = dayFigures(inputs({ elapsed: 360 }), { hddBaseC: 18, curveDeviationK: 3 });
    expect(f.heatGJ).toBeCloseTo(36, 9);
    expect(f.samplesOk).toBeCloseTo(7.5 / 8, 9);
  });

  it('a station without a heat meter or curve has no heat and no deviation figure, not zero', () => {
    const f = dayFigures(inputs({ heat: [], curve: null }), { hddBaseC: 18, curveDeviationK: 3 });
    expect(f.heatGJ).toBeNull();
    expect(f.curveDeviationMin).toBeNull();
  });

  it('sums the zones of a three-zone station and splits a counter gap at the day boundary', () => {
    // the second zone's meter is silent for the last 2 h of the day and the first 2 h of the next
    const gap = fill(L + n + L, (i) => (i >= L + n - 120 && i < L + n + 120 ? null : 500 + 0.05 * i));
    expect(counterTotal([{ values: gap, rolloverAt: null }], L, n)).toBeCloseTo(72, 9);
    const f = dayFigures(inputs({ heat: [{ values: heat, rolloverAt: null }, { values: gap, rolloverAt: null }] }), { hddBaseC: 18, curveDeviationK: 3 });
    expect(f.heatGJ).toBeCloseTo(144 + 72, 9);
  });
});

describe('outliers against the network median', () => {
  it('flags values more than factor × IQR from the median', () => {
    const r = outlierFlags([1, 1.1, 0.9, 1, 1.05, 3, 0.2], 1.5);
    expect(r.median).toBe(1);
    expect(r.flags).toEqual([undefined, undefined, undefined, undefined, undefined, 'high', 'low']);
  });
  it('flags nothing with fewer than four values or no spread, and skips missing values', () => {
    expect(outlierFlags([1, 5, 1], 1.5).flags.every((f) => f === undefined)).toBe(true);
    expect(outlierFlags([2, 2, 2, 2, 9], 1.5).flags.every((f) => f === undefined)).toBe(true);
    const r = outlierFlags([null, 1, 1.1, 0.9, 1, 4], 1.5);
    expect(r.flags).toEqual([undefined, undefined, undefined, undefined, undefined, 'high']);
    expect(r.median).toBe(1);
  });
  it('a smaller factor flags more', () => {
    const xs = [1, 1.1, 0.9, 1, 1.05, 1.15];
    expect(outlierFlags(xs, 1.5).flags[5]).toBeUndefined();
    expect(outlierFlags(xs, 1).flags[5]).toBe('high');
  });
});

describe('the ranking of a period', () => {
  const row = (station: string, day: string, heatGJ: number | null, over: Partial<DailyRow> = {}): DailyRow => ({
    station,
    day,
    heatGJ,
    makeupM3: 1,
    hdd: 30,
    meanOutdoorC: -12,
    meanSupplyC: 60,
    meanReturnC: 40,
    meanPriReturnC: 45,
    meanFlowSec: 100,
    curveDeviationMin: 10,
    samplesOk: 1,
    ...over,
  });
  const stations = ['a', 'b', 'c', 'd', 'e', 'f'].map((id) => ({ id, name: `站${id}`, area: 'A', heatedAreaM2: 100_000, systemVolumeM3: 100 }));
  const rows = [
    ...['a', 'b', 'c', 'd'].flatMap((s, i) => ['2026-12-01', '2026-12-02'].map((d) => row(s, d, 240 + i, { meanFlowSec: 100 + i, makeupM3: 1 + 0.1 * i }))),
    row('e', '2026-12-01', 480, { meanFlowSec: 200, makeupM3: 10 }),
    row('e', '2026-12-02', 480, { meanFlowSec: 200, makeupM3: 10, hdd: null }),
  ];

  it('sums heat and degree-days over the days with both, and sorts by intensity with stations without figures last', () => {
    const r = rankStations(stations, periodTotals(rows), { from: '2026-12-01', to: '2026-12-02', outlierFactor: 1.5 });
    expect(r.stations.map((s) => s.station)).toEqual(['e', 'd', 'c', 'b', 'a', 'f']);
    const e = r.stations[0];
    // day 2 has no degree-days: intensity from day 1 only; heat counts both days
    expect(e.heatGJ).toBe(960);
    expect(e.hdd).toBe(30);
    expect(e.intensity).toBeCloseTo(480 / (100_000 * 30), 12);
    expect(e.flowPerM2).toBeCloseTo(2, 12);
    expect(e.makeupPct).toBeCloseTo(10, 12); // per day, of 100 m³
    expect(e.outliers).toEqual({ intensity: 'high', flowPerM2: 'high', makeupPct: 'high' });
    expect(r.stations[1].outliers).toEqual({});
    expect(r.median.intensity).toBeCloseTo(484 / (100_000 * 60), 12);
    expect(r.median.flowPerM2).toBeCloseTo(1.02, 12);
    expect(r.stations[5]).toMatchObject({ station: 'f', heatGJ: null, intensity: null, days: 0, coverage: null });
  });

  it('the daily table sums a period in SQL as periodTotals does', async () => {
    const db = new SqliteStateDb(':memory:');
    const store = await DailyStore.open(db);
    await store.upsert([...rows, row('f', '2026-11-30', 100), row('a', '2026-12-03', 100)], 0);
    const sql = await store.totals('2026-12-01', '2026-12-02');
    await db.close();
    expect(sql.size).toBe(5);
    for (const [id, t] of periodTotals(rows)) {
      const q = sql.get(id)!;
      for (const [k, v] of Object.entries(t)) {
        if (typeof v === 'number') expect(q[k as keyof typeof q], `${id}.${k}`).toBeCloseTo(v, 9);
        else expect(q[k as keyof typeof q], `${id}.${k}`).toBe(v);
      }
    }
  });

  it('sorts by another metric when asked', () => {
    const r = rankStations(stations, periodTotals(rows), { from: '2026-12-01', to: '2026-12-02', outlierFactor: 1.5, sort: 'heatGJ' });
    expect(r.sort).toBe('heatGJ');
    expect(r.stations.map((s) => s.heatGJ)).toEqual([960, 486, 484, 482, 480, null]);
    const byFlow = rankStations(stations, periodTotals(rows), { from: '2026-12-01', to: '2026-12-02', outlierFactor: 1.5, sort: 'flowPerM2' });
    expect(byFlow.stations.map((s) => s.station)).toEqual(['e', 'd', 'c', 'b', 'a', 'f']);
  });
});
