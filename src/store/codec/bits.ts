/**
 * Bit-level writer and reader with the integer codes every block stream uses:
 * length-prefixed numbers (headers), zigzag, and Rice codes with an escape for outliers.
 * Numbers are plain doubles holding non-negative integers below 2^53 (no BigInt: 10× slower).
 */

const P24 = 0x100_0000;
/** quotients of at least this many ones switch a Rice code to its length-prefixed escape */
const ESC = 24;

export function zigzag(x: number): number {
  return x >= 0 ? 2 * x : -2 * x - 1;
}

export function unzigzag(z: number): number {
  return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
}

/** bits needed for a non-negative integer < 2^53 (0 for 0) */
export function bitLength(z: number): number {
  if (z < 0x1_0000_0000) return 32 - Math.clz32(z);
  return 64 - Math.clz32(Math.floor(z / 0x1_0000_0000));
}

/**
 * A column reused by one call site from call to call, grown as needed: compaction encodes a
 * block, its minute rows and their streams per series and pass (~1.2 M series-hours an hour at
 * 5,000 stations), and a new typed array for each stream was a large part of its garbage.
 * A call site's column is free again when the call returns, so nested calls use their own.
 */
export class ScratchColumn {
  private a = new Float64Array(256);
  /** at least n entries (their content is whatever the last use left) */
  get(n: number): Float64Array {
    if (this.a.length < n) this.a = new Float64Array(Math.max(n, 2 * this.a.length));
    return this.a;
  }
}

export class BitWriter {
  private buf = new Uint8Array(512);
  private len = 0;
  /** pending bits (fewer than 8) in the low bits of acc */
  private acc = 0;
  private nacc = 0;

  /** n ≤ 24 bits of v (0 ≤ v < 2^n), most significant first */
  bits(v: number, n: number): void {
    if (n === 0) return;
    this.acc = (this.acc << n) | v;
    this.nacc += n;
    while (this.nacc >= 8) {
      this.nacc -= 8;
      if (this.len === this.buf.length) this.grow();
      this.buf[this.len++] = (this.acc >>> this.nacc) & 0xff;
    }
    this.acc &= (1 << this.nacc) - 1;
  }

  /** n ≤ 53 bits of an integer 0 ≤ v < 2^n */
  wide(v: number, n: number): void {
    for (let s = n; s > 0; ) {
      const take = s > 24 ? 24 : s;
      s -= take;
      this.bits(Math.floor(v / 2 ** s) % 2 ** take, take);
    }
  }

  /** n ≤ 32 bits of an unsigned 32-bit v */
  u32(v: number, n: number): void {
    if (n > 16) {
      this.bits((v >>> 16) & ((1 << (n - 16)) - 1), n - 16);
      this.bits(v & 0xffff, 16);
    } else this.bits(v & ((1 << n) - 1), n);
  }

  /** a non-negative integer < 2^53 as 6 bits of length then its bits (headers, rare values) */
  uvar(v: number): void {
    const n = bitLength(v);
    this.bits(n, 6);
    this.wide(v, n);
  }

  /** a Rice code with parameter k; quotients ≥ 24 escape to {@link uvar} */
  rice(z: number, k: number): void {
    if (z < 0x4000_0000 && k <= 24) {
      // small values (nearly all): 32-bit integer arithmetic
      const q = z >>> k;
      if (q < ESC) {
        this.bits(((1 << q) - 1) << 1, q + 1);
        if (k > 0) this.bits(z & ((1 << k) - 1), k);
        return;
      }
    }
    const q = k === 0 ? z : Math.floor(z / 2 ** k);
    if (q < ESC) {
      this.bits(((1 << q) - 1) << 1, q + 1);
      if (k > 0) this.wide(z - q * 2 ** k, k);
    } else {
      this.bits(P24 - 1, ESC);
      this.uvar(z);
    }
  }

  /** pads to a whole byte and returns the bytes */
  finish(): Uint8Array {
    if (this.nacc > 0) this.bits(0, 8 - this.nacc);
    return this.buf.slice(0, this.len);
  }

  private grow(): void {
    const b = new Uint8Array(this.buf.length * 2);
    b.set(this.buf);
    this.buf = b;
  }
}

export class BitReader {
  private pos: number;
  private bit = 0;
  private readonly end: number;
  constructor(
    private readonly buf: Uint8Array,
    start = 0,
  ) {
    this.pos = start;
    this.end = buf.length;
  }

  /** the byte after the current one, once a writer's padding is skipped (where the next segment starts) */
  nextByte(): number {
    return this.bit === 0 ? this.pos : this.pos + 1;
  }

  /**
   * The next 32 bits (zeros past the end), most significant first: a read takes its bits from
   * this window with one shift instead of a loop per byte (a month of rollup blocks is ~3 M
   * codes, and the byte loop was most of a month trend's time).
   */
  private peek(): number {
    const b = this.buf;
    const p = this.pos;
    let hi: number;
    let lo: number;
    if (p + 4 < this.end) {
      hi = (b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3];
      lo = b[p + 4];
    } else {
      hi = 0;
      for (let i = 0; i < 4; i++) hi = (hi << 8) | (p + i < this.end ? b[p + i] : 0);
      lo = p + 4 < this.end ? b[p + 4] : 0;
    }
    const s = this.bit;
    return s === 0 ? hi >>> 0 : ((hi << s) | (lo >>> (8 - s))) >>> 0;
  }

  /** moves on n bits; past the end of the buffer is a truncated block */
  private skip(n: number): void {
    const b = this.bit + n;
    this.pos += b >>> 3;
    this.bit = b & 7;
    if (this.pos > this.end || (this.pos === this.end && this.bit > 0)) throw new RangeError('block truncated');
  }

  /** n ≤ 32 bits */
  bits(n: number): number {
    if (n === 0) return 0;
    const v = this.peek() >>> (32 - n);
    this.skip(n);
    return v;
  }

  wide(n: number): number {
    if (n <= 32) return this.bits(n);
    const hi = this.bits(n - 32);
    return hi * 0x1_0000_0000 + this.bits(32);
  }

  u32(n: number): number {
    return this.bits(n);
  }

  uvar(): number {
    return this.wide(this.bits(6));
  }

  rice(k: number): number {
    const w = this.peek();
    // the unary part: the ones at the top of the window
    const q = Math.clz32(~w);
    const n = q + 1 + k;
    if (q < ESC && n <= 32) {
      this.skip(n);
      if (k === 0) return q;
      const rem = (w << (q + 1)) >>> (32 - k);
      // small integers stay 32-bit arithmetic
      return n <= 31 ? ((q << k) | rem) >>> 0 : q * 2 ** k + rem;
    }
    if (q >= ESC) {
      this.skip(ESC);
      return this.uvar();
    }
    this.skip(q + 1);
    return q * 2 ** k + this.wide(k);
  }
}

/** bits of `z` as a Rice code with parameter k */
function riceBits(z: number, k: number): number {
  const q = z < 0x4000_0000 && k < 31 ? z >>> k : Math.floor(z / 2 ** k);
  return q < ESC ? q + 1 + k : ESC + 6 + bitLength(z);
}

/** The Rice parameter that codes `zs[0..n)` in the fewest bits (estimated from the mean, checked +1), and that cost. */
export function riceK(zs: ArrayLike<number>, n: number): { k: number; bits: number } {
  if (n === 0) return { k: 0, bits: 0 };
  let sum = 0;
  for (let i = 0; i < n; i++) sum += zs[i];
  const mean = sum / n;
  const k0 = mean < 1 ? 0 : Math.min(50, Math.floor(Math.log2(mean)));
  // both candidates in one pass (compaction codes millions of streams an hour)
  let b0 = 0;
  let b1 = 0;
  for (let i = 0; i < n; i++) {
    const z = zs[i];
    b0 += riceBits(z, k0);
    b1 += riceBits(z, k0 + 1);
  }
  return b1 < b0 ? { k: k0 + 1, bits: b1 } : { k: k0, bits: b0 };
}

/**
 * Writes non-negative integers (zigzagged deltas) in the smaller of two forms, 1 bit to say
 * which: plain Rice codes with one parameter, or zero runs — (run of zeros, value − 1) pairs,
 * each Rice-coded — so a steady stream (a periodic poll's delta-of-delta, a flat value) costs a
 * few bits per block instead of one per sample.
 */
export function writeZ(w: BitWriter, zs: ArrayLike<number>, n: number): void {
  const plain = riceK(zs, n);
  // at most n runs and n values
  const runs = zeroRuns.get(n + 1);
  const vals = runValues.get(n + 1);
  let nr = 0;
  let nv = 0;
  let run = 0;
  for (let i = 0; i < n; i++) {
    if (zs[i] === 0) run++;
    else {
      runs[nr++] = run;
      vals[nv++] = zs[i] - 1;
      run = 0;
    }
  }
  if (run > 0) runs[nr++] = run;
  const r = riceK(runs, nr);
  const v = riceK(vals, nv);
  if (plain.bits <= r.bits + v.bits + 6) {
    w.bits(0, 1);
    w.bits(plain.k, 6);
    for (let i = 0; i < n; i++) w.rice(zs[i], plain.k);
    return;
  }
  w.bits(1, 1);
  w.bits(r.k, 6);
  w.bits(v.k, 6);
  for (let i = 0; i < nr; i++) {
    w.rice(runs[i], r.k);
    if (i < nv) w.rice(vals[i], v.k);
  }
}

const zeroRuns = new ScratchColumn();
const runValues = new ScratchColumn();

export function readZ(r: BitReader, out: Float64Array, n: number): void {
  if (r.bits(1) === 0) {
    const k = r.bits(6);
    for (let i = 0; i < n; i++) out[i] = r.rice(k);
    return;
  }
  const kr = r.bits(6);
  const kv = r.bits(6);
  let i = 0;
  while (i < n) {
    const run = r.rice(kr);
    out.fill(0, i, i + run);
    i += run;
    if (i >= n) break;
    out[i++] = r.rice(kv) + 1;
  }
}

/**
 * Writes integers as: the first zigzagged (uvar), then, 1 bit to say which, the zigzagged
 * deltas or deltas-of-delta (a counter's steady increase costs nothing) through {@link writeZ}.
 */
export function writeIntStream(w: BitWriter, xs: ArrayLike<number>, n: number): void {
  if (n === 0) return;
  w.uvar(zigzag(xs[0]));
  if (n === 1) return;
  // zigzagged deltas (z1) and, second order, the first delta then deltas of deltas (z2), with a
  // rough size of each (zeros nearly free in zero runs), enough to choose the order
  const z1 = deltas1.get(n - 1);
  const z2 = deltas2.get(n - 1);
  let c1 = 0;
  let c2 = 0;
  let prev = 0;
  for (let i = 1; i < n; i++) {
    const d = xs[i] - xs[i - 1];
    const a = zigzag(d);
    const b = i === 1 ? a : zigzag(d - prev);
    prev = d;
    z1[i - 1] = a;
    z2[i - 1] = b;
    c1 += a === 0 ? 0.1 : 2 * bitLength(a);
    c2 += b === 0 ? 0.1 : 2 * bitLength(b);
  }
  const second = c2 < c1;
  w.bits(second ? 1 : 0, 1);
  writeZ(w, second ? z2 : z1, n - 1);
}

const deltas1 = new ScratchColumn();
const deltas2 = new ScratchColumn();

export function readIntStream(r: BitReader, out: Float64Array, n: number): void {
  if (n === 0) return;
  out[0] = unzigzag(r.uvar());
  if (n === 1) return;
  const second = r.bits(1) === 1;
  // the codes go into out[1..n) and are turned into values in place (no column allocated per call)
  const zs = out.subarray(1, n);
  readZ(r, zs, n - 1);
  let d = 0;
  for (let i = 1; i < n; i++) {
    const zi = out[i];
    const z = zi < 0x8000_0000 ? (zi >>> 1) ^ -(zi & 1) : unzigzag(zi);
    d = second && i > 1 ? d + z : z;
    out[i] = out[i - 1] + d;
  }
}
