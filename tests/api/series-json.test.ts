// The series answer written from typed values is byte for byte what JSON.stringify gives for
// the [ts, value] pairs, and the streamed body parses to the same object.
import { describe, expect, it } from 'vitest';
import { jsonSeriesBody, seriesValuesJson } from '../../src/api/routes/series.ts';

describe('series JSON from typed values', () => {
  it('equals JSON.stringify of the pairs, gaps and awkward numbers included', () => {
    const values = new Float64Array([1.5, Number.NaN, -0, 1e21, 1e-7, 0.1 + 0.2, -273.15, 42]);
    const t0 = 1_700_000_040_000;
    const stepMs = 60_000;
    const pairs = [...values].map((v, i) => [t0 + i * stepMs, Number.isNaN(v) ? null : v]);
    expect(seriesValuesJson({ point: 'hs-001.plc.t_"x', source: 'rollup_1m', t0, stepMs, values }, 'degC')).toBe(
      JSON.stringify({ point: 'hs-001.plc.t_"x', unit: 'degC', source: 'rollup_1m', points: pairs }),
    );
    expect(seriesValuesJson({ point: 'a.b.c', source: 'raw', t0, stepMs, values: new Float64Array(0) }, null)).toBe(
      JSON.stringify({ point: 'a.b.c', unit: null, source: 'raw', points: [] }),
    );
  });

  it('streams head and series as one JSON document', async () => {
    const body = jsonSeriesBody({ from: 1, to: 2, stepMs: 1, agg: 'mean' }, [() => '{"point":"a"}', () => '{"point":"b"}']);
    let text = '';
    for await (const chunk of body) text += String(chunk);
    expect(JSON.parse(text)).toEqual({ from: 1, to: 2, stepMs: 1, agg: 'mean', series: [{ point: 'a' }, { point: 'b' }] });
  });
});
