/**
 * Small deterministic random sources for the simulator. No `Math.random` anywhere
 * in `simulators/`: every run with the same seed produces the same values.
 */

/** mulberry32: a tiny 32-bit PRNG. Returns a function giving uniforms in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seeded source of uniforms and standard normals (Box-Muller, caching the second value). */
export class Rng {
  private readonly next: () => number;
  private spare = NaN;

  constructor(seed: number) {
    this.next = mulberry32(seed);
  }

  uniform(lo = 0, hi = 1): number {
    return lo + (hi - lo) * this.next();
  }

  /** Standard normal N(0, 1). */
  normal(): number {
    if (!Number.isNaN(this.spare)) {
      const s = this.spare;
      this.spare = NaN;
      return s;
    }
    let u = this.next();
    while (u <= 1e-12) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  int(lo: number, hiInclusive: number): number {
    return lo + Math.floor(this.next() * (hiInclusive - lo + 1));
  }
}

/** A 32-bit integer hash of up to four integers (for stateless, order-independent noise). */
export function hash4(a: number, b: number, c: number, d: number): number {
  let h = 0x811c9dc5 ^ a;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h ^= b + 0x9e3779b9;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= c + 0x7f4a7c15;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h ^= d + 0x165667b1;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * A standard normal that depends only on its inputs: sensor noise is computed when a value is
 * read, so reading order and read frequency never change what the model does.
 */
export function hashNormal(a: number, b: number, c: number, d: number): number {
  const h1 = hash4(a, b, c, d);
  const h2 = hash4(h1, d, b, a ^ 0x5bd1e995);
  const u = (h1 + 1) / 4294967297;
  const v = h2 / 4294967296;
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** murmur3's finaliser: every input bit flips about half the output bits. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * A uniform in [0, 1) that depends only on its inputs (per-station parameters, schedules).
 * hash4 alone correlates neighbouring last arguments; the finaliser decorrelates them.
 */
export function hashUniform(a: number, b: number, c: number, d: number): number {
  return fmix32(hash4(a, b, c, d) ^ Math.imul(d, 0x9e3779b1)) / 4294967296;
}

/**
 * A uniform source seeded by a hash of its inputs: each (seed, station, day, kind) gets its own
 * stream, so one kind of event or one day never shifts the draws of another.
 */
export function hashStream(a: number, b: number, c: number, d: number): (lo?: number, hi?: number) => number {
  const next = mulberry32(fmix32(hash4(a, b, c, d) ^ Math.imul(d, 0x9e3779b1)));
  return (lo = 0, hi = 1) => lo + (hi - lo) * next();
}
