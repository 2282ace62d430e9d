/**
 * Samples → InfluxDB line protocol, one line per device poll (pure; no I/O).
 *
 * A float point's values are written at its resolution (src/store/codec/spec.ts), as the SQLite
 * store keeps them (within resolution / 2): a float32 register's 51.19999694824219 is written
 * 51.2, a third of the text for influxd to parse.
 *
 * Samples of one device with the same ts become one line; the same point twice in a call: the
 * later sample wins. A poll cut in two by the ingest batch boundary arrives in two calls; its
 * second half is merged with the first (kept from the previous call by {@link LineMemory}), so
 * the line's `@bad` / `@uncertain` markers, which a later write overwrites whole, still cover
 * every point of the poll.
 */
import { rowQuality, rowValue, type ColumnRows } from '../../ingest/columns.ts';
import type { Sample } from '../../model.ts';
import { atResolution } from '../codec/spec.ts';
import { F_BAD, F_BOOL, F_UNCERTAIN, RAW } from './schema.ts';

/** What a line keeps of a sample. */
export type PointValue = Pick<Sample, 'value' | 'quality'>;

/** One device poll: its samples by point name. */
export interface Line {
  station: string;
  device: string;
  ts: number;
  points: Map<string, PointValue>;
}

/** `station\0device` + `\0ts`: ids cannot hold a NUL */
const deviceKeyOf = (station: string, device: string) => `${station}\0${device}`;
const keyOf = (deviceKey: string, ts: number) => `${deviceKey}\0${ts}`;

/** A point id's parts: `station.device.point` (checked by the sample rule). */
function partsOf(point: string): [station: string, device: string, field: string] {
  const a = point.indexOf('.');
  const b = point.indexOf('.', a + 1);
  return [point.slice(0, a), point.slice(a + 1, b), point.slice(b + 1)];
}

/** A point's resolution (codec/spec.ts `resolutionOf`): its numbers are written at it; 0 as they are. */
export type ResolutionOf = (point: string) => number;
const AS_THEY_ARE: ResolutionOf = () => 0;

/** A value at its point's resolution `q`. */
const valueAt = (v: Sample['value'], q: number): Sample['value'] => (q > 0 && typeof v === 'number' ? atResolution(v, q) : v);

/**
 * Groups samples (point ids `station.device.point`, already checked by the sample rule) into
 * lines, in first-seen order, their numbers at their points' resolution.
 */
export function groupLines(samples: Sample[], resolution: ResolutionOf = AS_THEY_ARE): Map<string, Line> {
  const lines = new Map<string, Line>();
  for (const s of samples) {
    const [station, device, field] = partsOf(s.point);
    const k = keyOf(deviceKeyOf(station, device), s.ts);
    let line = lines.get(k);
    if (!line) lines.set(k, (line = { station, device, ts: s.ts, points: new Map() }));
    const q = resolution(s.point);
    line.points.set(field, q > 0 ? { value: valueAt(s.value, q), quality: s.quality } : s);
  }
  return lines;
}

/**
 * The parts of a point table's ids (src/ingest/columns.ts), split once per id and kept as the
 * table grows, so grouping a batch of columns makes no string per sample.
 */
export class TableLineParts {
  readonly station: string[] = [];
  readonly device: string[] = [];
  readonly field: string[] = [];
  /** `station\0device`, one string object per device: rows of one poll compare by reference */
  readonly deviceKey: string[] = [];
  /** each point's resolution (0: as it is) */
  readonly resolution: number[] = [];
  private readonly keys = new Map<string, string>();

  constructor(private readonly resolutionOf: ResolutionOf = AS_THEY_ARE) {}

  /** Splits the ids added since the last call. */
  update(ids: readonly string[]): this {
    for (let i = this.field.length; i < ids.length; i++) {
      const [station, device, field] = partsOf(ids[i]);
      const dk = deviceKeyOf(station, device);
      let key = this.keys.get(dk);
      if (key === undefined) this.keys.set(dk, (key = dk));
      this.station.push(station);
      this.device.push(device);
      this.field.push(field);
      this.deviceKey.push(key);
      this.resolution.push(this.resolutionOf(ids[i]));
    }
    return this;
  }
}

/**
 * {@link groupLines} for a batch as columns (rows passed by the sample rule; point indexes into
 * the table `parts` was updated from). A poll's rows are consecutive, so the line is looked up
 * once per run of rows of one device and ts.
 */
export function groupColumnLines(c: ColumnRows, parts: TableLineParts): Map<string, Line> {
  const lines = new Map<string, Line>();
  let line: Line | null = null;
  let lastKey = '';
  let lastTs = Number.NaN;
  for (let i = 0; i < c.point.length; i++) {
    const p = c.point[i];
    const ts = c.ts[i];
    const dk = parts.deviceKey[p];
    if (line === null || dk !== lastKey || ts !== lastTs) {
      const k = keyOf(dk, ts);
      line = lines.get(k) ?? null;
      if (!line) lines.set(k, (line = { station: parts.station[p], device: parts.device[p], ts, points: new Map() }));
      lastKey = dk;
      lastTs = ts;
    }
    line.points.set(parts.field[p], { value: valueAt(rowValue(c, i), parts.resolution[p]), quality: rowQuality(c, i) });
  }
  return lines;
}

/**
 * The lines of the last successful write, to complete a poll split over two writes. Only the
 * previous call is kept: the pipeline and the spool write batches in order, so a split poll's
 * halves are in consecutive calls.
 */
export class LineMemory {
  private last = new Map<string, Line>();

  /** Merges each line with its earlier half from the previous call (the new samples win). */
  complete(lines: Map<string, Line>): void {
    if (this.last.size === 0) return;
    for (const [k, line] of lines) {
      const prev = this.last.get(k);
      if (!prev) continue;
      const merged = new Map(prev.points);
      for (const [p, s] of line.points) merged.set(p, s);
      line.points = merged;
    }
  }

  remember(lines: Map<string, Line>): void {
    this.last = lines;
  }
}

// line protocol escaping: https://docs.influxdata.com/influxdb/v1.6/write_protocols/line_protocol_reference/
export const escKey = (s: string) => (/[,= \\]/.test(s) ? s.replace(/[,= \\]/g, '\\$&') : s);
const escStr = (s: string) => (/["\\]/.test(s) ? s.replace(/["\\]/g, '\\$&') : s);

/**
 * One line of line protocol (ms precision). Values as floats (digital 0/1), bad points left
 * out, the three markers always written (empty when none) so a replay overwrites them.
 */
export function encodeLine(line: Line, area: string | undefined): string {
  let head = `${RAW.measurement},`;
  // tags in key order, as influxd sorts them anyway
  if (area) head += `area=${escKey(area)},`;
  head += `device=${escKey(line.device)},station=${escKey(line.station)} `;
  let fields = '';
  const bad: string[] = [];
  const uncertain: string[] = [];
  const bool: string[] = [];
  for (const [p, s] of line.points) {
    if (s.quality === 'bad' || s.value === null) {
      bad.push(p);
      continue;
    }
    if (s.quality === 'uncertain') uncertain.push(p);
    let v: number;
    if (typeof s.value === 'boolean') {
      bool.push(p);
      v = s.value ? 1 : 0;
    } else v = s.value;
    fields += `${escKey(p)}=${v},`;
  }
  fields += `${F_BAD}="${escStr(bad.join(','))}",${F_UNCERTAIN}="${escStr(uncertain.join(','))}",${F_BOOL}="${escStr(bool.join(','))}"`;
  return `${head}${fields} ${line.ts}`;
}
