import { describe, expect, it } from 'vitest';
import { IdIndex } from '../src/id-index.ts';

describe('IdIndex', () => {
  it('agrees with a Map over random sets, replacements and deletes, through growth and tombstones', () => {
    let seed = 7;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const keys = Array.from({ length: 5000 }, (_, i) => `hs-${i % 97}.plc.${i.toString(36)}`);
    // values are positions in `keys`: the index reads the id of a value back from there
    const index = new IdIndex((v) => keys[v % keys.length]);
    const want = new Map<string, number>();
    for (let op = 0; op < 60_000; op++) {
      const k = Math.floor(rnd() * keys.length);
      const id = keys[k];
      const r = rnd();
      if (r < 0.55) {
        const v = k + keys.length * Math.floor(rnd() * 3); // a replacement changes the value, not the id
        index.set(id, v);
        want.set(id, v);
      } else if (r < 0.8) {
        expect(index.delete(id)).toBe(want.delete(id));
      } else {
        expect(index.get(id)).toBe(want.get(id));
      }
      expect(index.size).toBe(want.size);
    }
    for (const id of keys) expect(index.get(id)).toBe(want.get(id));
    expect(index.has('not.an.id')).toBe(false);
    index.clear();
    expect(index.size).toBe(0);
    expect(index.get(keys[0])).toBeUndefined();
  });

  it('finds ids equal in content, not only the same string object', () => {
    const ids = ['a.b.c'];
    const index = new IdIndex((v) => ids[v]);
    index.set('a.b.c', 0);
    expect(index.get(['a', 'b', 'c'].join('.'))).toBe(0);
  });

  it('refuses a value that is not an integer ≥ 0', () => {
    const index = new IdIndex(() => 'x');
    for (const v of [-1, 1.5, Number.NaN, 2 ** 31]) expect(() => index.set('x', v)).toThrow(/integer/);
  });
});
