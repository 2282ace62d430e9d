/**
 * Write batches between threads without structured-cloning thousands of Sample objects: a
 * batch travels as the four typed columns of src/ingest/columns.ts plus the point ids its
 * table gained since the last batch sent to this worker; the worker mirrors each table, so a
 * point's id string crosses once per worker lifetime. A batch holding a sample the columns
 * cannot represent (not a number/boolean/null value, unknown quality, ...) goes as plain
 * objects, so the store refuses it exactly as it would in-process.
 *
 * @example
 * const w = wireColumns(cols, sent);              // main thread
 * const samples = unwireSamples(w, mirrors);      // worker
 */
import type { Sample } from '../../model.ts';
import { toSamples, type SampleColumns } from '../../ingest/columns.ts';

export type WireColumns = { table: number; newPoints: string[]; point: Int32Array; ts: Float64Array; value: Float64Array; flags: Uint8Array };
export type WireBatch = WireColumns | { plain: Sample[] };

/** `sent`: per table id, how many of its ids this worker has; updated here. */
export function wireColumns(c: SampleColumns, sent: Map<number, number>): WireColumns {
  const have = sent.get(c.table.id) ?? 0;
  const ids = c.table.ids;
  sent.set(c.table.id, ids.length);
  return { table: c.table.id, newPoints: have < ids.length ? ids.slice(have) : [], point: c.point, ts: c.ts, value: c.value, flags: c.flags };
}

/** The buffers a caller may give away with a wired batch (only when it keeps no copy). */
export function wireTransfer(w: WireBatch): ArrayBuffer[] {
  if ('plain' in w) return [];
  return [w.point.buffer, w.ts.buffer, w.value.buffer, w.flags.buffer] as ArrayBuffer[];
}

/** `mirrors`: per table id, its ids as received so far; extended here. */
export function unwireSamples(w: WireBatch, mirrors: Map<number, string[]>): Sample[] {
  if ('plain' in w) return w.plain;
  return toSamples(w, mirror(w, mirrors));
}

/** The point ids of a columns batch by index: its table's mirror, extended by what the batch brings. */
export function mirror(w: WireColumns, mirrors: Map<number, string[]>): string[] {
  let ids = mirrors.get(w.table);
  if (!ids) mirrors.set(w.table, (ids = []));
  for (const p of w.newPoints) ids.push(p);
  return ids;
}
