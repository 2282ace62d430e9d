/**
 * Samples → InfluxDB line protocol, one line per device poll (pure; no I/O).
 *
 * Samples of one device with the same ts become one line; the same point twice in a call: the
 * later sample wins. A poll cut in two by the ingest batch boundary arrives in two calls; its
 * second half is merged with the first (kept from the previous call by {@link LineMemory}), so
 * the line's `@bad` / `@uncertain` markers, which a later write overwrites whole, still cover
 * every point of the poll.
 */
import type { Sample } from '../../model.ts';
import { F_BAD, F_BOOL, F_UNCERTAIN, RAW } from './schema.ts';

/** One device poll: its samples by point name. */
export interface Line {
  station: string;
  device: string;
  ts: number;
  points: Map<string, Sample>;
}

/** `station\0device\0ts`: ids cannot hold a NUL */
const keyOf = (station: string, device: string, ts: number) => `${station}\0${device}\0${ts}`;

/** Groups samples (point ids `station.device.point`, already checked by the sample rule) into lines, in first-seen order. */
export function groupLines(samples: Sample[]): Map<string, Line> {
  const lines = new Map<string, Line>();
  for (const s of samples) {
    const a = s.point.indexOf('.');
    const b = s.point.indexOf('.', a + 1);
    const station = s.point.slice(0, a);
    const device = s.point.slice(a + 1, b);
    const k = keyOf(station, device, s.ts);
    let line = lines.get(k);
    if (!line) lines.set(k, (line = { station, device, ts: s.ts, points: new Map() }));
    line.points.set(s.point.slice(b + 1), s);
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
const escKey = (s: string) => (/[,= \\]/.test(s) ? s.replace(/[,= \\]/g, '\\$&') : s);
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
