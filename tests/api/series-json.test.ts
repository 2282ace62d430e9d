// The series answer written as bytes from typed values is byte for byte what JSON.stringify
// gives for the [ts, value] pairs, and the streamed body parses to the same object.
import { describe, expect, it } from 'vitest';
import { jsonSeriesBody, seriesJsonParts } from '../../src/api/routes/series.ts';
import { JsonBytes, pointsJson } from '../../src/store/series-json.ts';

const text = (b: Uint8Array) => Buffer.from(b).toString('latin1');
const pairsOf = (t0: number, stepMs: number, values: Float64Array) => [...values].map((v, i) => [t0 + i * stepMs, Number.isNaN(v) ? null : v]);

describe('series JSON from typed values', () => {
  it('equals JSON.stringify of the pairs, gaps and awkward numbers included', () => {
    const values = new Float64Array([1.5, Number.NaN, -0, 1e21, 1e-7, 0.1 + 0.2, -273.15, 42, -42, 2 ** 31, -(2 ** 31), 2 ** 53, Infinity, 55.123333333333335]);
    for (const [t0, stepMs] of [
      [1_700_000_040_000, 60_000],
      [999_000, 1000],
      [-120_000, 60_000],
      [0, 1],
      [1_700_000_000_000.5, 1],
    ]) {
      expect(text(pointsJson({ t0, stepMs, values }))).toBe(JSON.stringify(pairsOf(t0, stepMs, values)));
    }
    expect(text(pointsJson({ t0: 0, stepMs: 60_000, values: new Float64Array(0) }))).toBe('[]');
  });

  it('grows past its first size and copies what was written since a mark', () => {
    const w = new JsonBytes(1);
    w.byte(0x5b);
    const mark = w.length;
    for (let i = 0; i < 1000; i++) w.pair(1_700_000_000_000 + i * 1000, i / 3);
    expect(text(w.since(mark))).toBe(Array.from({ length: 1000 }, (_, i) => JSON.stringify([1_700_000_000_000 + i * 1000, i / 3])).join(''));
    expect(w.finish().buffer.byteLength).toBeGreaterThanOrEqual(w.length);
  });

  it('wraps a series around its points as JSON.stringify writes it', async () => {
    const values = new Float64Array([1.5, Number.NaN]);
    const s = { point: 'hs-001.plc.t_"x', source: 'rollup_1m' as const, points: pointsJson({ t0: 60_000, stepMs: 60_000, values }) };
    const body = jsonSeriesBody({ from: 1, to: 2, stepMs: 1, agg: 'mean' }, [() => seriesJsonParts(s, 'degC'), () => seriesJsonParts({ ...s, point: 'a.b.c' }, null)]);
    let out = '';
    for await (const chunk of body) out += String(chunk);
    const series = (point: string, unit: string | null) => ({ point, unit, source: 'rollup_1m', points: pairsOf(60_000, 60_000, values) });
    expect(out).toBe(JSON.stringify({ from: 1, to: 2, stepMs: 1, agg: 'mean', series: [series('hs-001.plc.t_"x', 'degC'), series('a.b.c', null)] }));
  });

  it('sends a long series whole, in pieces', async () => {
    const values = Float64Array.from({ length: 20_000 }, (_, i) => (i % 97 === 0 ? Number.NaN : i / 7));
    const s = { point: 'a.b.c', source: 'rollup_1m' as const, points: pointsJson({ t0: 1_700_000_040_000, stepMs: 60_000, values }) };
    expect(s.points.byteLength).toBeGreaterThan(300_000);
    const parts: Buffer[] = [];
    for await (const chunk of jsonSeriesBody({ agg: 'mean' }, [() => seriesJsonParts(s, null)])) parts.push(Buffer.from(chunk));
    expect(Math.max(...parts.map((p) => p.length))).toBeLessThanOrEqual(128 * 1024);
    const points = pairsOf(1_700_000_040_000, 60_000, values);
    expect(Buffer.concat(parts).toString('latin1')).toBe(JSON.stringify({ agg: 'mean', series: [{ point: 'a.b.c', unit: null, source: 'rollup_1m', points }] }));
  });

  it('streams head and series as one JSON document', async () => {
    const body = jsonSeriesBody({ from: 1, to: 2, stepMs: 1, agg: 'mean' }, [() => '{"point":"a"}', () => '{"point":"b"}']);
    let text = '';
    for await (const chunk of body) text += String(chunk);
    expect(JSON.parse(text)).toEqual({ from: 1, to: 2, stepMs: 1, agg: 'mean', series: [{ point: 'a' }, { point: 'b' }] });
  });
});
