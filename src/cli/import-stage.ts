/**
 * The checked samples of an import, staged in a temporary binary file between the check pass
 * and the write pass, so the text is parsed once and the write pass only reads columns back.
 * Staged as the columns of src/ingest/columns.ts (point index, ts, value, flags: 21 bytes a
 * sample, 210 MB for 10 M), a segment of each column per {@link SEG} samples, so reading back
 * is four block reads per segment and the columns go to the store as they are. Nothing is held
 * in memory beyond one segment, the run being read and the table of distinct point ids.
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

  /**
   * The staged samples in order, in runs of at most `max`. With `key`, a run of at least `min`
   * ends where the key of ts changes (the store's history path takes whole hours). Each run has
   * fresh buffers the caller may give away.
   */
  *runs(min: number, max: number, key?: (ts: number) => number): Generator<SampleColumns> {
    this.flush();
    closeSync(this.fd);
    this.fd = openSync(this.file, 'r');
    let left = this.count;
    let out: SampleColumns | null = null;
    let m = 0;
    let last = Number.NaN;
    const done = (): SampleColumns => {
      const c = out!;
      out = null;
      left -= m;
      const r = { table: this.table, length: m, point: c.point.subarray(0, m), ts: c.ts.subarray(0, m), value: c.value.subarray(0, m), flags: c.flags.subarray(0, m) };
      m = 0;
      return r;
    };
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
        const ts = seg.ts[i];
        if (key) {
          const k = key(ts);
          if (k !== last && m >= min) yield done();
          last = k;
        }
        out ??= allocColumns(this.table, Math.min(max, left));
        out.point[m] = seg.point[i];
        out.ts[m] = ts;
        out.value[m] = seg.value[i];
        out.flags[m] = seg.flags[i];
        if (++m === max) yield done();
      }
    }
    if (m) yield done();
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
