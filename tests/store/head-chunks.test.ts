// The head's chunk list: sorted, no duplicates, ranges as asked, pruning only what is empty.
import { describe, expect, it } from 'vitest';
import { HeadChunks } from '../../src/store/sqlite/head-chunks.ts';

describe('HeadChunks', () => {
  it('keeps chunks sorted and distinct whatever order they are noted in', () => {
    const h = new HeadChunks();
    for (const c of [5, 6, 6, 9, 2, 7, 2, 100]) h.note(c);
    expect(h.between(-Infinity, Infinity)).toEqual([2, 5, 6, 7, 9, 100]);
    expect([h.min, h.max, h.size]).toEqual([2, 100, 6]);
    expect(h.between(6, 9)).toEqual([6, 7, 9]);
    expect(h.between(10, 99)).toEqual([]);
  });

  it('prunes the empty chunks of a range and nothing outside it', () => {
    const h = new HeadChunks();
    h.reset([1, 2, 3, 4, 5, 6]);
    const asked: number[] = [];
    h.prune(2, 5, (c) => {
      asked.push(c);
      return c !== 4;
    });
    expect(asked).toEqual([2, 3, 4, 5]);
    expect(h.between(-Infinity, Infinity)).toEqual([1, 4, 6]);
    h.reset([]);
    expect([h.min, h.max]).toEqual([Infinity, -Infinity]);
  });
});
