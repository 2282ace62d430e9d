/**
 * A series answer's `points` array ([[ts, value], ...]) written as JSON bytes, exactly what
 * JSON.stringify gives for the pairs (NaN: null), straight into one buffer: a month of minutes
 * for 10 points is 432,000 pairs and ~13 MB, and a string per pair, joined, cost ~600 ms. The
 * bytes are the only thing that crosses from the store's worker (transferred, not copied).
 *
 * @example
 * const w = new JsonBytes(16);
 * w.byte(0x5b); w.pair(60_000, 1.5); w.byte(0x5d);
 * Buffer.from(w.finish()).toString(); // '[[60000,1.5]]'
 */
import type { SeriesValues } from './port.ts';

const COMMA = 0x2c;
const OPEN = 0x5b;
const CLOSE = 0x5d;

export class JsonBytes {
  private buf: Buffer;
  private len = 0;
  /** the millions of the last timestamp written, and its digits: consecutive ts share them */
  private mega = Number.NaN;
  private megaDigits = '';

  constructor(size: number) {
    // its own ArrayBuffer (never the Buffer pool's), so it can be transferred to another thread
    this.buf = Buffer.from(new ArrayBuffer(Math.max(64, size)));
  }

  get length(): number {
    return this.len;
  }

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const b = Buffer.from(new ArrayBuffer(Math.max(this.buf.length * 2, this.len + n)));
    this.buf.copy(b, 0, 0, this.len);
    this.buf = b;
  }

  byte(c: number): void {
    this.room(1);
    this.buf[this.len++] = c;
  }

  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  /** ASCII text as it is */
  ascii(s: string): void {
    const n = s.length;
    this.room(n);
    // a number's few characters copied here cost less than a call into Buffer.write
    if (n > 32) this.len += this.buf.write(s, this.len, 'latin1');
    else {
      const b = this.buf;
      for (let i = 0; i < n; i++) b[this.len + i] = s.charCodeAt(i);
      this.len += n;
    }
  }

  /** A number as JSON.stringify writes it (not finite: null). */
  num(x: number): void {
    if (!Number.isFinite(x)) this.ascii('null');
    else if ((x | 0) === x) this.int(x);
    else this.ascii(String(x));
  }

  /** A whole-ms timestamp: the last six digits computed, the rest reused from the previous one. */
  ts(t: number): void {
    if (!(t >= 1_000_000 && Number.isSafeInteger(t))) return this.num(t);
    const mega = Math.floor(t / 1_000_000);
    let lo = t - mega * 1_000_000;
    if (mega !== this.mega) {
      this.mega = mega;
      this.megaDigits = String(mega);
    }
    this.ascii(this.megaDigits);
    this.room(6);
    const b = this.buf;
    for (let j = this.len + 5; j >= this.len; j--) {
      b[j] = 0x30 + (lo % 10);
      lo = (lo / 10) | 0;
    }
    this.len += 6;
  }

  /** `[ts,value]` */
  pair(t: number, x: number): void {
    this.byte(OPEN);
    this.ts(t);
    this.byte(COMMA);
    this.num(x);
    this.byte(CLOSE);
  }

  /** The bytes written since `from` (a copy). */
  since(from: number): Uint8Array {
    return new Uint8Array(this.buf.subarray(from, this.len));
  }

  /** The bytes written: a view on this writer's own ArrayBuffer (transferable). */
  finish(): Uint8Array {
    return new Uint8Array(this.buf.buffer, this.buf.byteOffset, this.len);
  }

  /** a 32-bit integer's digits */
  private int(x: number): void {
    if (x === 0) return this.byte(0x30); // -0 too, as JSON.stringify writes it
    this.room(11);
    const b = this.buf;
    if (x < 0) b[this.len++] = 0x2d;
    let v = Math.abs(x);
    let digits = 1;
    for (let p = 10; p <= v; p *= 10) digits++;
    for (let j = this.len + digits - 1; j >= this.len; j--) {
      b[j] = 0x30 + (v % 10);
      v = Math.floor(v / 10);
    }
    this.len += digits;
  }
}

/** `[[ts,value],...]` of typed values, as JSON bytes. */
export function pointsJson(v: Pick<SeriesValues, 't0' | 'stepMs' | 'values'>): Uint8Array {
  const n = v.values.length;
  const w = new JsonBytes(n * 36 + 2);
  w.byte(OPEN);
  for (let i = 0; i < n; i++) {
    if (i > 0) w.byte(COMMA);
    w.pair(v.t0 + i * v.stepMs, v.values[i]);
  }
  w.byte(CLOSE);
  return w.finish();
}
