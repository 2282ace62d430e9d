// Query results cross from the store's worker as one Float64Array per series: the answer read
// back is the store's own, gaps (null) and bucket times included.
import { describe, expect, it } from 'vitest';
import type { SeriesResult } from '../../../src/store/port.ts';
import { unwireResults, wireResults } from '../../../src/store/worker/pack.ts';

describe('query results on the wire', () => {
  it('come back equal: values, nulls, bucket times and source', () => {
    const results: SeriesResult[] = [
      { point: 'a.b.c', source: 'raw', points: [[60_000, 1.5], [120_000, null], [180_000, -0], [240_000, 1e300]] },
      { point: 'a.b.d', source: 'rollup_1m', points: [] },
      { point: 'a.b.e', source: 'rollup_1h', points: [[3_600_000, null]] },
    ];
    const wire = wireResults(results, 60_000);
    expect(wire[0].values).toBeInstanceOf(Float64Array);
    expect(structuredClone(wire)).toEqual(wire);
    expect(unwireResults(structuredClone(wire))).toEqual(results);
  });
});
