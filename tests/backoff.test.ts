import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../src/backoff.ts';

describe('backoffDelay', () => {
  const plain = { baseMs: 500, maxMs: 30_000 };

  it('doubles from the base up to the cap', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((a) => backoffDelay(a, plain))).toEqual([500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
  });

  it('stays at the cap for any attempt, and treats a negative attempt as the first', () => {
    expect(backoffDelay(10_000, plain)).toBe(30_000);
    expect(backoffDelay(Number.MAX_SAFE_INTEGER, { baseMs: 0, maxMs: 100 })).toBe(0);
    expect(backoffDelay(-3, plain)).toBe(500);
  });

  it('jitter takes a random share off the top: [b·(1 − jitter), b]', () => {
    const at = (r: number, jitter: number) => backoffDelay(3, { ...plain, jitter, random: () => r });
    expect(at(0, 0.5)).toBe(2000);
    expect(at(1, 0.5)).toBe(4000);
    expect(at(0.5, 0.5)).toBe(3000);
    expect(at(0, 0.25)).toBe(3000);
    expect(at(0.999, 0.25)).toBe(3999);
  });

  it('without jitter never calls the random source', () => {
    expect(backoffDelay(2, { ...plain, random: () => { throw new Error('called'); } })).toBe(2000);
  });

  it('jittered delays stay within their band for any random value', () => {
    for (let a = 0; a < 12; a++) {
      for (const r of [0, 0.1, 0.37, 0.5, 0.81, 0.9999]) {
        const b = Math.min(30_000, 500 * 2 ** a);
        const d = backoffDelay(a, { ...plain, jitter: 0.5, random: () => r });
        expect(d).toBeGreaterThanOrEqual(Math.floor(b / 2));
        expect(d).toBeLessThanOrEqual(b);
      }
    }
  });

  it('gives whole milliseconds', () => {
    expect(Number.isInteger(backoffDelay(1, { baseMs: 333, maxMs: 10_000, jitter: 0.5, random: () => 0.123 }))).toBe(true);
  });
});
