/**
 * Samples as columns: a point index into an append-only {@link PointTable}, ts, value and a
 * flags byte (quality and value kind). The ingest queue holds samples this way (about 21 bytes
 * each instead of a Sample object the GC must trace while the store is behind), and a store
 * that takes columns (the worker store) gets them without a Sample object being rebuilt.
 *
 * @example
 * const table = new PointTable();
 * const cols = columnsOf(samples, table);   // null if a sample does not fit the columns
 * toSamples(cols!);                         // equal to samples
 */
import { IdIndex } from '../id-index.ts';
import { sampleProblem, type Quality, type Sample } from '../model.ts';
import type { SeriesStore } from '../store/port.ts';

/** flags: low 2 bits quality (0 good, 1 uncertain, 2 bad); bits 2-3 kind (0 number, 1 false, 2 true, 3 null) */
export const QCODE: Readonly<Record<string, number>> = Object.freeze({ good: 0, uncertain: 1, bad: 2 });
const QUALITY: Quality[] = ['good', 'uncertain', 'bad'];
export const K_NUM = 0;
export const K_FALSE = 4;
export const K_TRUE = 8;
export const K_NULL = 12;

let tables = 0;

/** Point ids by index; only grows, so a receiver can mirror it by sending what was added since. */
export class PointTable {
  /** unique per table in this process, so a receiver can keep one mirror per table */
  readonly id = ++tables;
  readonly ids: string[] = [];
  private readonly index = new IdIndex((i) => this.ids[i]);
  /** polls repeat their points in the same order: try the one after the last first */
  private guess = 0;

  /** The index of a point already in the table (nothing is added). */
  find(point: string): number | undefined {
    return this.index.get(point);
  }

  /** The index of a point, added at the end if new. */
  indexOf(point: string): number {
    const g = this.guess;
    if (g < this.ids.length && this.ids[g] === point) {
      this.guess = g + 1;
      return g;
    }
    let i = this.index.get(point);
    if (i === undefined) {
      i = this.ids.length;
      this.ids.push(point);
      this.index.set(point, i);
    }
    this.guess = i + 1;
    return i;
  }
}

export interface SampleColumns {
  table: PointTable;
  length: number;
  point: Int32Array;
  ts: Float64Array;
  value: Float64Array;
  flags: Uint8Array;
}

export function allocColumns(table: PointTable, n: number): SampleColumns {
  return { table, length: n, point: new Int32Array(n), ts: new Float64Array(n), value: new Float64Array(n), flags: new Uint8Array(n) };
}

/** Whether a sample fits the columns exactly (every sample the sample rule accepts does). */
export function fitsColumns(s: Sample): boolean {
  if (s == null || typeof s !== 'object' || typeof s.point !== 'string' || typeof s.ts !== 'number') return false;
  const v = s.value;
  return (v === null || typeof v === 'number' || typeof v === 'boolean') && Object.hasOwn(QCODE, s.quality);
}

/** Writes `s` at row `i` (it must fit, see {@link fitsColumns}). */
export function putSample(c: SampleColumns, i: number, s: Sample): void {
  c.point[i] = c.table.indexOf(s.point);
  c.ts[i] = s.ts;
  const v = s.value;
  let kind = K_NUM;
  if (typeof v === 'number') c.value[i] = v;
  else kind = v === null ? K_NULL : v ? K_TRUE : K_FALSE;
  c.flags[i] = kind | QCODE[s.quality];
}

/** Columns for `samples`, or null when one does not fit. */
export function columnsOf(samples: readonly Sample[], table: PointTable): SampleColumns | null {
  for (const s of samples) if (!fitsColumns(s)) return null;
  const c = allocColumns(table, samples.length);
  for (let i = 0; i < samples.length; i++) putSample(c, i, samples[i]);
  return c;
}

/** Rows [from, length) as views (no copy). */
export function sliceColumns(c: SampleColumns, from: number): SampleColumns {
  return { table: c.table, length: c.length - from, point: c.point.subarray(from), ts: c.ts.subarray(from), value: c.value.subarray(from), flags: c.flags.subarray(from) };
}

/** The columns of a batch without their table (point ids by index in a separate list). */
export type ColumnRows = Pick<SampleColumns, 'point' | 'ts' | 'value' | 'flags'>;

/** Row i's value as a sample has it (a number, a boolean or null). */
export function rowValue(c: ColumnRows, i: number): Sample['value'] {
  const kind = c.flags[i] & 12;
  return kind === K_NUM ? c.value[i] : kind === K_NULL ? null : kind === K_TRUE;
}

/** Row i's quality (`?` for a code no sample has: the sample rule refuses it). */
export function rowQuality(c: ColumnRows, i: number): Quality {
  return QUALITY[c.flags[i] & 3] ?? ('?' as Quality);
}

/** The samples back as objects, point ids from `ids` (the table's, or a mirror of it). */
export function toSamples(c: ColumnRows, ids: readonly string[]): Sample[] {
  const n = c.point.length;
  const out = new Array<Sample>(n);
  for (let i = 0; i < n; i++) out[i] = { point: ids[c.point[i]], ts: c.ts[i], value: rowValue(c, i), quality: rowQuality(c, i) };
  return out;
}

/** Row i as a sample, written into `into` (one reused object: no allocation per row). */
export function readSample(c: ColumnRows, ids: readonly string[], i: number, into: Sample): Sample {
  into.point = ids[c.point[i]];
  into.ts = c.ts[i];
  into.value = rowValue(c, i);
  into.quality = rowQuality(c, i);
  return into;
}

/**
 * The rows the sample rule (model.ts `sampleProblem`, without a clock) accepts: the same
 * columns when all are, else a copy without the others, so one bad sample never blocks the
 * rest of its batch.
 */
export function storableRows(c: ColumnRows, ids: readonly string[]): ColumnRows {
  const scratch: Sample = { point: '', ts: 0, value: null, quality: 'good' };
  const n = c.point.length;
  let keep: Uint8Array | null = null;
  let kept = n;
  for (let i = 0; i < n; i++) {
    if (sampleProblem(readSample(c, ids, i, scratch)) === null) continue;
    if (!keep) keep = new Uint8Array(n).fill(1);
    keep[i] = 0;
    kept--;
  }
  if (!keep) return c;
  const out = { point: new Int32Array(kept), ts: new Float64Array(kept), value: new Float64Array(kept), flags: new Uint8Array(kept) };
  for (let i = 0, j = 0; i < n; i++) {
    if (!keep[i]) continue;
    out.point[j] = c.point[i];
    out.ts[j] = c.ts[i];
    out.value[j] = c.value[i];
    out.flags[j++] = c.flags[i];
  }
  return out;
}

/**
 * A store that also takes columns (same contract as `write`: the batch atomically). `behind`:
 * the writer holds at least two more batches after this one, so the store should leave work
 * that can wait (the SQLite store's compaction) until it has caught up.
 */
export interface ColumnWriter {
  writeColumns(c: SampleColumns, behind?: boolean): Promise<void>;
}

/**
 * A store with a path for history (`heatwatch import`): batches of past samples, possibly
 * millions, written as the SQLite store's compaction would leave them (its hours past the
 * grace straight into blocks), all of an import in one transaction from `beginHistory` to
 * `endHistory` (commit or not). `horizon`: the ts written next, if known (what is before it is
 * complete). The caller gives the
 * columns' buffers away.
 */
export interface HistoryWriter {
  beginHistory(): Promise<void>;
  writeHistory(c: SampleColumns, horizon?: number): Promise<void>;
  endHistory(commit: boolean): Promise<void>;
}

export function takesHistory(store: SeriesStore): store is SeriesStore & HistoryWriter {
  return typeof (store as Partial<HistoryWriter>).writeHistory === 'function';
}

export function takesColumns(store: SeriesStore): store is SeriesStore & ColumnWriter {
  return typeof (store as Partial<ColumnWriter>).writeColumns === 'function';
}
