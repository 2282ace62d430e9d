// A typed answer (what the store's worker sends) read back in the port's [ts, value] form:
// bucket times from t0 and the step, NaN as a gap, and it survives the copy between threads.
import { describe, expect, it } from 'vitest';
import { queryValues, resultsOf, type SeriesQuery, type SeriesResult, type SeriesValues } from '../../src/store/port.ts';

describe('typed answers in the port form', () => {
  it('give every bucket its time and keep gaps as null', () => {
    const values: SeriesValues[] = [
      { point: 'a.b.c', source: 'raw', t0: 60_000, stepMs: 60_000, values: new Float64Array([1.5, Number.NaN, -0, 1e300]) },
      { point: 'a.b.d', source: 'rollup_1m', t0: 0, stepMs: 60_000, values: new Float64Array(0) },
    ];
    expect(resultsOf(structuredClone(values))).toEqual([
      { point: 'a.b.c', source: 'raw', points: [[60_000, 1.5], [120_000, null], [180_000, -0], [240_000, 1e300]] },
      { point: 'a.b.d', source: 'rollup_1m', points: [] },
    ]);
  });

  it('are made from the pairs of a store without typed answers, aligned to the first bucket', async () => {
    const q: SeriesQuery = { points: ['a.b.c'], from: 90_000, to: 300_000, stepMs: 60_000, agg: 'mean' };
    const pairs: SeriesResult[] = [{ point: 'a.b.c', source: 'raw', points: [[60_000, 2], [120_000, null], [240_000, -0.5]] }];
    const [v] = await queryValues({ query: async () => pairs }, q);
    expect(v.t0).toBe(60_000);
    expect(v.stepMs).toBe(60_000);
    expect(v.source).toBe('raw');
    // buckets 60k, 120k, 180k, 240k (300k is past `to`): the missing 180k and the null both NaN
    expect([...v.values]).toEqual([2, Number.NaN, Number.NaN, -0.5]);
  });

  it("are the store's own when it has them, without asking for pairs", async () => {
    const own: SeriesValues[] = [{ point: 'a.b.c', source: 'rollup_1m', t0: 0, stepMs: 60_000, values: new Float64Array([7]) }];
    const store = {
      query: async (): Promise<SeriesResult[]> => {
        throw new Error('pairs asked for');
      },
      queryValues: async () => own,
    };
    expect(await queryValues(store, { points: ['a.b.c'], from: 0, to: 60_000, stepMs: 60_000, agg: 'last' })).toBe(own);
  });
});
