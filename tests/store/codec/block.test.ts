import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BitReader, BitWriter } from '../../../src/store/codec/bits.ts';
import { type SampleColumns, blockCount, concatBlocks, decodeBlock, emptyColumns, encodeBlock } from '../../../src/store/codec/block.ts';
import { readNumbers, writeNumbers } from '../../../src/store/codec/numbers.ts';
import { decodeRollups, encodeRollups, minuteColumns, rollupColumns } from '../../../src/store/codec/rollup-block.ts';
import { valueEnc } from '../../../src/store/codec/spec.ts';

const T0 = Date.UTC(2024, 0, 1);

function cols(samples: Array<[number, number, number]>): SampleColumns {
  const c = emptyColumns(samples.length);
  samples.forEach(([ts, v, q], i) => {
    c.ts[i] = ts;
    c.value[i] = v;
    c.quality[i] = q;
  });
  c.n = samples.length;
  return c;
}

/** the reference: sorted by ts, the later of equal ts wins, bad values dropped */
function expected(samples: Array<[number, number, number]>): Array<[number, number | null, number]> {
  const m = new Map<number, [number, number | null, number]>();
  for (const [ts, v, q] of samples) m.set(ts, [ts, q === 2 ? null : v, q]);
  return [...m.values()].sort((a, b) => a[0] - b[0]);
}

function rows(c: SampleColumns): Array<[number, number | null, number]> {
  return Array.from({ length: c.n }, (_, i) => [c.ts[i], c.quality[i] === 2 ? null : c.value[i], c.quality[i]]);
}

const tsArb = fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2099, 11, 31) });
const sampleArb = (v: fc.Arbitrary<number>) => fc.tuple(tsArb, v, fc.constantFrom(0, 0, 0, 1, 2));

describe('block codec', () => {
  it('round-trips any float64 losslessly when no encoding is declared (unsorted input, duplicates: last wins)', () => {
    fc.assert(
      fc.property(fc.array(sampleArb(fc.double({ noNaN: true, noDefaultInfinity: true })), { maxLength: 400 }), (xs) => {
        const got = rows(decodeBlock(encodeBlock(cols(xs), null)));
        const want = expected(xs);
        expect(got.map((r) => r[0])).toEqual(want.map((r) => r[0]));
        got.forEach((r, i) => expect(Object.is(r[1], want[i][1]) || r[1] === want[i][1]).toBe(true));
        expect(got.map((r) => r[2])).toEqual(want.map((r) => r[2]));
      }),
      { numRuns: 300 },
    );
  });

  it('round-trips integer registers exactly: raw × scale + offset, negative and huge raw values', () => {
    for (const [scale, offset] of [[0.001, 0], [0.1, -40], [0.01, 0], [1, 0], [0.3, 7.5]] as const) {
      fc.assert(
        fc.property(fc.array(fc.tuple(tsArb, fc.integer({ min: -(2 ** 31), max: 2 ** 32 })), { minLength: 1, maxLength: 300 }), (xs) => {
          const s = xs.map(([ts, raw]) => [ts, raw * scale + offset, 0] as [number, number, number]);
          const buf = encodeBlock(cols(s), valueEnc({ kind: 'int', scale, offset }));
          expect(rows(decodeBlock(buf))).toEqual(expected(s));
        }),
        { numRuns: 60 },
      );
    }
  });

  it('keeps a float within resolution / 2 of what was written', () => {
    for (const resolution of [0.01, 0.001, 0.25, 5]) {
      fc.assert(
        fc.property(fc.array(sampleArb(fc.double({ min: -1e6, max: 1e6, noNaN: true })), { minLength: 1, maxLength: 300 }), (xs) => {
          const got = rows(decodeBlock(encodeBlock(cols(xs), valueEnc({ kind: 'float', resolution }))));
          const want = expected(xs);
          expect(got.map((r) => [r[0], r[2]])).toEqual(want.map((r) => [r[0], r[2]]));
          got.forEach((r, i) => {
            if (want[i][1] === null) expect(r[1]).toBeNull();
            else expect(Math.abs(r[1]! - want[i][1]!)).toBeLessThanOrEqual(resolution / 2 + 1e-9);
          });
        }),
        { numRuns: 60 },
      );
    }
  });

  it('handles edge cases: empty, one sample, all bad, booleans, huge timestamp deltas, decimals', () => {
    expect(decodeBlock(encodeBlock(cols([]), null)).n).toBe(0);
    expect(rows(decodeBlock(encodeBlock(cols([[T0, -3.25, 1]]), null)))).toEqual([[T0, -3.25, 1]]);
    const bad: Array<[number, number, number]> = [[T0, 0, 2], [T0 + 10_000, 0, 2]];
    expect(rows(decodeBlock(encodeBlock(cols(bad), null)))).toEqual([[T0, null, 2], [T0 + 10_000, null, 2]]);
    const far: Array<[number, number, number]> = [[Date.UTC(2000, 0, 1), 1, 0], [Date.UTC(2099, 11, 31), 0, 0], [Date.UTC(2050, 0, 1), 1, 0]];
    expect(rows(decodeBlock(encodeBlock(cols(far), null)))).toEqual(expected(far));
    const dec: Array<[number, number, number]> = Array.from({ length: 360 }, (_, i) => [T0 + i * 10_000, Math.round(50_000 + i * 7.3) / 1000, 0]);
    const buf = encodeBlock(cols(dec), null);
    expect(rows(decodeBlock(buf))).toEqual(dec);
    expect(blockCount(buf)).toBe(360);
    // a periodic poll with small steps: a few bits a sample
    expect(buf.length).toBeLessThan(360 * 1.5);
  });

  it('reads blocks put back to back as their merge, in time order', () => {
    const a: Array<[number, number, number]> = Array.from({ length: 50 }, (_, i) => [T0 + i * 10_000, i, 0]);
    const b: Array<[number, number, number]> = [[T0 + 5_000, -1, 1], [T0 + 600_000, 7, 2], [T0 + 700_000, 8.5, 0]];
    const enc = valueEnc({ kind: 'float', resolution: 0.5 });
    const two = concatBlocks(encodeBlock(cols(a), enc), encodeBlock(cols(b), enc));
    const want = expected([...a, ...b]);
    expect(rows(decodeBlock(two))).toEqual(want);
    expect(blockCount(two)).toBe(53);
    // a third segment, re-encoded as one: the same samples
    const three = concatBlocks(two, encodeBlock(cols([[T0 - 1, 3, 0]]), enc));
    expect(rows(decodeBlock(encodeBlock(decodeBlock(three), enc)))).toEqual(expected([[T0 - 1, 3, 0], ...a, ...b]));
  });

  it('encodes a block and its minute rows to the same bytes whatever was encoded before (the columns each call reuses)', () => {
    const h = T0 + 5 * 3_600_000;
    const poll = (n: number, step: number, f: (i: number) => number): SampleColumns =>
      cols(Array.from({ length: n }, (_, i) => [h + i * step + (i % 3), f(i), i % 17 === 5 ? 2 : 0] as [number, number, number]));
    const enc = valueEnc({ kind: 'float', resolution: 0.01 });
    const small = poll(90, 10_000, (i) => 50 + Math.sin(i / 7) * 3);
    const encodeBoth = (c: SampleColumns) => {
      const m = minuteColumns(c.ts, c.value, c.quality, c.n, rollupColumns());
      return [encodeBlock(c, enc), encodeBlock(c, null), encodeRollups(h, Array.from({ length: m.n }, (_, i) => ({ ts: m.ts[i], count: m.count[i], sum: m.sum[i], min: m.min[i], max: m.max[i], last: m.last[i], lastTs: m.lastTs[i] })), enc, null)];
    };
    const first = encodeBoth(small);
    // a longer column with other values in between leaves more in every reused column
    encodeBoth(poll(3600, 1000, (i) => 1e6 - i * 0.37));
    expect(encodeBoth(small)).toEqual(first);
    expect(rows(decodeBlock(first[1]))).toEqual(rows(decodeBlock(encodeBlock(small, null))));
  });

  it('refuses NaN and infinite values of good samples', () => {
    expect(() => encodeBlock(cols([[T0, Number.NaN, 0]]), null)).toThrow(/not a finite number/);
    expect(() => encodeBlock(cols([[T0, Infinity, 1]]), null)).toThrow(/not a finite number/);
    // a bad sample has no value, so its NaN is fine
    expect(rows(decodeBlock(encodeBlock(cols([[T0, Number.NaN, 2]]), null)))).toEqual([[T0, null, 2]]);
  });

  it('codes a steady 10 s poll of a bool in a few bytes', () => {
    const xs: Array<[number, number, number]> = Array.from({ length: 360 }, (_, i) => [T0 + i * 10_000, i > 200 ? 1 : 0, 0]);
    const buf = encodeBlock(cols(xs), { q: 1, off: 0, tolAbs: 0, tolRel: 0 });
    expect(rows(decodeBlock(buf))).toEqual(xs);
    expect(buf.length).toBeLessThan(70);
  });
});

describe('number columns and bits', () => {
  it('round-trips Rice codes with escapes and wide values', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), { maxLength: 50 }), fc.integer({ min: 0, max: 30 }), (xs, k) => {
        const w = new BitWriter();
        for (const x of xs) w.rice(x, k);
        const r = new BitReader(w.finish());
        expect(xs.map(() => r.rice(k))).toEqual(xs);
      }),
    );
  });

  it('codes a column of mixed magnitudes losslessly', () => {
    const vals = [0, -0, 1, 1e300, -5e-324, 123.456, 2 ** 53, -(2 ** 52)];
    const w = new BitWriter();
    writeNumbers(w, vals, vals.length, null);
    const out = new Float64Array(vals.length);
    readNumbers(new BitReader(w.finish()), out, vals.length);
    vals.forEach((v, i) => expect(Object.is(out[i], v)).toBe(true));
  });
});

describe('rollup blocks', () => {
  it('round-trips the minute rows of an hour (lossless without an encoding)', () => {
    const h = T0 + 5 * 3_600_000;
    const rs = [0, 1, 2, 30, 59].map((m) => ({ ts: h + m * 60_000, count: 6 - (m % 2), sum: 300.5 + m, min: 49.9, max: 51.2, last: 50 + m / 10, lastTs: h + m * 60_000 + 50_000 }));
    expect(decodeRollups(h, encodeRollups(h, rs, null, null))).toEqual(rs);
    expect(() => encodeRollups(h, [{ ...rs[0], ts: h - 60_000 }], null, null)).toThrow(RangeError);
    // two rows of one minute are refused, not merged
    expect(() => encodeRollups(h, [rs[0], rs[0]], null, null)).toThrow(RangeError);
  });

  it('folds sorted samples into their minutes, leaving bad ones out', () => {
    const h = T0 + 5 * 3_600_000;
    const ts = Float64Array.from([h + 1000, h + 20_000, h + 59_999, h + 60_000, h + 125_000, h + 126_000]);
    const value = Float64Array.from([3, 1, 2, 9, 0, 7]);
    const quality = Uint8Array.from([0, 1, 0, 2, 2, 0]);
    const out = rollupColumns();
    out.n = 60; // reused: what it held before does not matter
    const c = minuteColumns(ts, value, quality, ts.length, out);
    expect(c.n).toBe(2);
    const rows = Array.from({ length: c.n }, (_, i) => [c.ts[i], c.count[i], c.sum[i], c.min[i], c.max[i], c.last[i], c.lastTs[i]]);
    expect(rows).toEqual([
      [h, 3, 6, 1, 3, 2, h + 59_999],
      [h + 120_000, 1, 7, 7, 7, 7, h + 126_000],
    ]);
  });
});
