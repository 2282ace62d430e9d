/**
 * String ids → small integers, for indexes over hundreds of thousands of point ids whose
 * strings the owner keeps anyway (`keyOf(value)` gives the id of a value back). One Int32Array
 * with open addressing and linear probing: 6–16 bytes an id (4 a slot, 25–70 % full), where a
 * Map of 610,000 ids takes 29 MB and every major GC walks its 3 M slots. A lookup hashes the
 * id (FNV-1a over its UTF-16 code units): slower than a Map's cached hash, fine where lookups
 * are not per sample.
 *
 * @example
 * const ids: string[] = [];
 * const index = new IdIndex((v) => ids[v]);
 * index.set('hs-001.plc.t', ids.push('hs-001.plc.t') - 1);
 * index.get('hs-001.plc.t'); // 0
 */
export class IdIndex {
  private table = new Int32Array(16).fill(EMPTY);
  /** live entries */
  size = 0;
  /** live entries and tombstones: what the probes walk */
  private filled = 0;

  constructor(private readonly keyOf: (value: number) => string) {}

  /**
   * The index of a list: each id → its position (a later duplicate wins). Its own function, so
   * the lookup closure holds only the list, not the locals of the caller's scope.
   */
  static over(ids: readonly string[]): IdIndex {
    return IdIndex.of(ids.length, (i) => ids[i]);
  }

  /** The index of values 0 … n-1, each under `keyOf(value)` (a later duplicate wins). */
  static of(n: number, keyOf: (value: number) => string): IdIndex {
    const index = new IdIndex(keyOf);
    for (let i = 0; i < n; i++) index.set(keyOf(i), i);
    return index;
  }

  get(id: string): number | undefined {
    const t = this.table;
    const mask = t.length - 1;
    for (let i = hash(id) & mask; ; i = (i + 1) & mask) {
      const v = t[i];
      if (v === EMPTY) return undefined;
      if (v >= 0 && this.keyOf(v) === id) return v;
    }
  }

  has(id: string): boolean {
    return this.get(id) !== undefined;
  }

  /** Sets the value of `id` (a value ≥ 0 whose `keyOf` is `id`), replacing one it had. */
  set(id: string, value: number): void {
    if (!(value >= 0 && value <= 0x7fffffff) || !Number.isInteger(value)) throw new RangeError(`IdIndex: value must be an integer ≥ 0, got ${value}`);
    if ((this.filled + 1) * 10 > this.table.length * 7) this.rehash(this.size + 1);
    const t = this.table;
    const mask = t.length - 1;
    let free = -1;
    for (let i = hash(id) & mask; ; i = (i + 1) & mask) {
      const v = t[i];
      if (v === EMPTY) {
        if (free < 0) {
          free = i;
          this.filled++;
        }
        break;
      }
      if (v === DELETED) {
        if (free < 0) free = i;
        continue;
      }
      if (this.keyOf(v) === id) {
        t[i] = value;
        return;
      }
    }
    t[free] = value;
    this.size++;
  }

  delete(id: string): boolean {
    const t = this.table;
    const mask = t.length - 1;
    for (let i = hash(id) & mask; ; i = (i + 1) & mask) {
      const v = t[i];
      if (v === EMPTY) return false;
      if (v >= 0 && this.keyOf(v) === id) {
        t[i] = DELETED;
        this.size--;
        return true;
      }
    }
  }

  clear(): void {
    this.table = new Int32Array(16).fill(EMPTY);
    this.size = 0;
    this.filled = 0;
  }

  /** A table for `live` entries at most half full, without tombstones. */
  private rehash(live: number): void {
    let n = 16;
    while (n < live * 2) n *= 2;
    const old = this.table;
    const t = new Int32Array(n).fill(EMPTY);
    const mask = n - 1;
    for (const v of old) {
      if (v < 0) continue;
      let i = hash(this.keyOf(v)) & mask;
      while (t[i] !== EMPTY) i = (i + 1) & mask;
      t[i] = v;
    }
    this.table = t;
    this.filled = this.size;
  }
}

const EMPTY = -1;
const DELETED = -2;

/** FNV-1a, 32 bits, over the UTF-16 code units. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  // the low bits pick the slot: fold the high ones in
  return (h ^ (h >>> 16)) >>> 0;
}
