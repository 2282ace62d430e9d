import type Database from 'better-sqlite3';

/**
 * Buffers rows for one INSERT and runs them as multi-row statements (`max` rows per
 * statement, the remainder in power-of-two pieces), which costs far less per row than
 * one statement per row. Statements are prepared on first use.
 *
 * @example
 * const ins = new MultiInsert(db, 'INSERT INTO t (a, b, c, d) VALUES', 4, '', 64);
 * ins.push4(1, 2, 3, 4); ins.flush();
 */
export class MultiInsert {
  private readonly buf: unknown[];
  private n = 0;
  private readonly stmts = new Map<number, Database.Statement>();

  constructor(
    private readonly db: Database.Database,
    private readonly head: string,
    private readonly cols: number,
    private readonly tail: string,
    private readonly max: number,
  ) {
    this.buf = new Array(max * cols);
  }

  /** rows buffered and not yet run */
  get pending(): number {
    return this.n;
  }

  /** Appends one row of a 4-column insert; runs a full statement when the buffer is full. */
  push4(a: unknown, b: unknown, c: unknown, d: unknown): void {
    const buf = this.buf;
    const o = this.n * 4;
    buf[o] = a;
    buf[o + 1] = b;
    buf[o + 2] = c;
    buf[o + 3] = d;
    this.bump();
  }

  /** Appends one row of an 8-column insert; runs a full statement when the buffer is full. */
  push8(a: unknown, b: unknown, c: unknown, d: unknown, e: unknown, f: unknown, g: unknown, h: unknown): void {
    const buf = this.buf;
    const o = this.n * 8;
    buf[o] = a;
    buf[o + 1] = b;
    buf[o + 2] = c;
    buf[o + 3] = d;
    buf[o + 4] = e;
    buf[o + 5] = f;
    buf[o + 6] = g;
    buf[o + 7] = h;
    this.bump();
  }

  private bump(): void {
    if (++this.n === this.max) {
      this.stmt(this.max).run(this.buf);
      this.n = 0;
    }
  }

  /** Runs every buffered row. */
  flush(): void {
    let off = 0;
    for (let k = this.max >> 1; this.n > 0 && k >= 1; k >>= 1) {
      if (this.n < k) continue;
      this.stmt(k).run(this.buf.slice(off, off + k * this.cols));
      off += k * this.cols;
      this.n -= k;
    }
  }

  /** Forgets buffered rows (after a failed transaction). */
  clear(): void {
    this.n = 0;
  }

  private stmt(rows: number): Database.Statement {
    let s = this.stmts.get(rows);
    if (!s) {
      const row = `(${new Array(this.cols).fill('?').join(', ')})`;
      s = this.db.prepare(`${this.head} ${new Array(rows).fill(row).join(', ')} ${this.tail}`);
      this.stmts.set(rows, s);
    }
    return s;
  }
}
