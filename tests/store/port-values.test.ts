// A typed answer (what the store's worker sends) read back in the port's [ts, value] form:
// bucket times from t0 and the step, NaN as a gap, and it survives the copy between threads.
import { describe, expect, it } from 'vitest';
import { resultsOf, type SeriesValues } from '../../src/store/port.ts';

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
});
