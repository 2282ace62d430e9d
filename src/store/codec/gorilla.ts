import type { BitReader, BitWriter } from './bits.ts';

/**
 * XOR coding of float64 values (docs/historian.md has where it comes from): each value is
 * XORed with the one before; an equal value costs 1 bit, one sharing the previous window
 * of meaningful bits costs 2 + that window, else 13 + the meaningful bits. Lossless.
 */
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error('the block codec needs a little-endian machine');

const ctz = (x: number) => 31 - Math.clz32(x & -x);

export function writeXor(w: BitWriter, vals: ArrayLike<number>, n: number): void {
  if (n === 0) return;
  f64[0] = vals[0];
  let ph = u32[1];
  let pl = u32[0];
  w.u32(ph, 32);
  w.u32(pl, 32);
  let plz = -1;
  let ptz = 0;
  for (let i = 1; i < n; i++) {
    f64[0] = vals[i];
    const h = u32[1];
    const l = u32[0];
    const xh = (h ^ ph) >>> 0;
    const xl = (l ^ pl) >>> 0;
    ph = h;
    pl = l;
    if (xh === 0 && xl === 0) {
      w.bits(0, 1);
      continue;
    }
    const lz = xh !== 0 ? Math.clz32(xh) : 32 + Math.clz32(xl);
    const tz = xl !== 0 ? ctz(xl) : 32 + ctz(xh);
    if (plz >= 0 && lz >= plz && tz >= ptz) {
      w.bits(2, 2); // '10': inside the previous window
      writeRange(w, xh, xl, ptz, 64 - plz - ptz);
    } else {
      const lzc = lz > 31 ? 31 : lz;
      const len = 64 - lzc - tz;
      w.bits(3, 2); // '11': new window
      w.bits(lzc, 5);
      w.bits(len - 1, 6);
      writeRange(w, xh, xl, tz, len);
      plz = lzc;
      ptz = tz;
    }
  }
}

export function readXor(r: BitReader, out: Float64Array, n: number): void {
  if (n === 0) return;
  let ph = r.u32(32);
  let pl = r.u32(32);
  u32[1] = ph;
  u32[0] = pl;
  out[0] = f64[0];
  let plz = 0;
  let ptz = 0;
  for (let i = 1; i < n; i++) {
    if (r.bits(1) === 1) {
      if (r.bits(1) === 1) {
        plz = r.bits(5);
        const len = r.bits(6) + 1;
        ptz = 64 - plz - len;
      }
      const len = 64 - plz - ptz;
      // read `len` bits, shift them left by ptz, XOR into the previous value
      const hiN = len > 32 ? len - 32 : 0;
      let h = hiN > 0 ? r.u32(hiN) : 0;
      let l = r.u32(len - hiN);
      if (ptz >= 32) {
        h = ptz === 32 ? l : (l << (ptz - 32)) >>> 0;
        l = 0;
      } else if (ptz > 0) {
        h = ((h << ptz) | (l >>> (32 - ptz))) >>> 0;
        l = (l << ptz) >>> 0;
      }
      ph = (ph ^ h) >>> 0;
      pl = (pl ^ l) >>> 0;
    }
    u32[1] = ph;
    u32[0] = pl;
    out[i] = f64[0];
  }
}

/** writes bits [from, from + len) of the 64-bit (h, l), most significant first */
function writeRange(w: BitWriter, h: number, l: number, from: number, len: number): void {
  // shift right by `from`
  let sh: number;
  let sl: number;
  if (from >= 32) {
    sh = 0;
    sl = h >>> (from - 32);
  } else if (from > 0) {
    sh = h >>> from;
    sl = ((l >>> from) | (h << (32 - from))) >>> 0;
  } else {
    sh = h;
    sl = l;
  }
  if (len > 32) {
    w.u32(sh, len - 32);
    w.u32(sl, 32);
  } else w.u32(sl, len);
}
