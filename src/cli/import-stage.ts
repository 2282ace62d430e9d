/**
 * The checked samples of an import into a store without a history path (InfluxDB), staged in
 * a temporary binary file between the check pass and the write pass, so the text is parsed
 * once and the write pass only reads columns back: the columns of src/ingest/columns.ts (point
 * index, ts, value, flags: 21 bytes a sample, 210 MB for 10 M), a segment of each column per
 * {@link SEG} samples, four block reads per segment. Nothing is held in memory beyond one
 * segment, the run being read and the table of distinct point ids. {@link Runs} cuts samples
 * into the store's writes, for this pass and for the SQLite import that writes while it reads.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Sample } from '../model.ts';
import { allocColumns, PointTable, putSample, type SampleColumns } from '../ingest/columns.ts';

const SEG = 65_536;

type Column = 'point' | 'ts' | 'value' | 'flags';
const COLUMNS: Column[] = ['point', 'ts', 'value', 'flags'];

export class Stage {
  private readonly dir: string;
  private readonly file: string;
  private fd: number;
  /** the staged samples' point ids by index */
  readonly table = new PointTable();
  private readonly seg = allocColumns(this.table, SEG);
  private n = 0;
  /** samples staged */
  count = 0;

  constructor(parent = tmpdir()) {
    this.dir = mkdtempSync(join(parent, 'heatwatch-import-'));
    this.file = join(this.dir, 'samples.bin');
    this.fd = openSync(this.file, 'w');
  }

  /** Stages a sample (one the sample rule accepts). */
  add(s: Sample): void {
    putSample(this.seg, this.n, s);
    this.count++;
    if (++this.n === SEG) this.flush();
  }

  private flush(): void {
    if (!this.n) return;
    for (const col of COLUMNS) {
      const a = this.seg[col];
      writeSync(this.fd, new Uint8Array(a.buffer, 0, this.n * a.BYTES_PER_ELEMENT));
    }
    this.n = 0;
  }

  /** The staged samples in order, in runs as {@link Runs} cuts them. */
  *runs(runs: Runs): Generator<SampleColumns> {
    this.flush();
    closeSync(this.fd);
    this.fd = openSync(this.file, 'r');
    const seg = this.seg;
    for (let read = 0; read < this.count; ) {
      const n = Math.min(SEG, this.count - read);
      for (const col of COLUMNS) {
        const a = seg[col];
        const bytes = n * a.BYTES_PER_ELEMENT;
        if (readSync(this.fd, new Uint8Array(a.buffer, 0, bytes), 0, bytes, null) !== bytes) throw new Error(`${this.file}: short read`);
      }
      read += n;
      for (let i = 0; i < n; i++) {
        const done = runs.addRow(seg, i);
        if (done) yield done;
      }
    }
    const last = runs.finish();
    if (last) yield last;
  }

  /** Deletes the file; safe to call twice. */
  remove(): void {
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Cuts samples into runs for the store, each in fresh buffers the caller may give away: at
 * most `max` samples; with `key`, a run of at least `min` ends where the key of ts changes (the
 * SQLite store's history path takes whole hours). A run is handed out when the sample after it
 * arrives, whose ts is then {@link next}.
 */
export class Runs {
  private out: SampleColumns;
  private m = 0;
  private last = Number.NaN;
  /** ts of the sample that ended the run just handed out */
  next = Number.NaN;

  constructor(
    readonly table: PointTable,
    private readonly min: number,
    private readonly max: number,
    private readonly key?: (ts: number) => number,
  ) {
    this.out = allocColumns(table, Math.min(max, SEG));
  }

  /** Adds a sample; the run it ends, if any. */
  add(s: Sample): SampleColumns | null {
    const done = this.cut(s.ts);
    putSample(this.out, this.m++, s);
    return done;
  }

  /** Adds row i of `c` (same point table); the run it ends, if any. */
  addRow(c: SampleColumns, i: number): SampleColumns | null {
    const done = this.cut(c.ts[i]);
    const o = this.out;
    const m = this.m++;
    o.point[m] = c.point[i];
    o.ts[m] = c.ts[i];
    o.value[m] = c.value[i];
    o.flags[m] = c.flags[i];
    return done;
  }

  /** The last run, or null when nothing is left. */
  finish(): SampleColumns | null {
    return this.m ? this.take() : null;
  }

  /** The finished run if ts starts a new one; room for one more sample either way. */
  private cut(ts: number): SampleColumns | null {
    let done: SampleColumns | null = null;
    if (this.key) {
      const k = this.key(ts);
      if (k !== this.last && this.m >= this.min) done = this.take();
      this.last = k;
    }
    if (!done && this.m === this.max) done = this.take();
    if (done) this.next = ts;
    if (this.m === this.out.length) this.out = grown(this.out, Math.min(this.max, this.m * 2));
    return done;
  }

  private take(): SampleColumns {
    const c = this.out;
    const m = this.m;
    this.out = allocColumns(this.table, Math.min(this.max, Math.max(SEG, m)));
    this.m = 0;
    return { table: c.table, length: m, point: c.point.subarray(0, m), ts: c.ts.subarray(0, m), value: c.value.subarray(0, m), flags: c.flags.subarray(0, m) };
  }
}

/** A copy of c with room for n rows (the run's size is not known ahead). */
function grown(c: SampleColumns, n: number): SampleColumns {
  const g = allocColumns(c.table, n);
  g.point.set(c.point);
  g.ts.set(c.ts);
  g.value.set(c.value);
  g.flags.set(c.flags);
  return g;
}
