/**
 * Series answers as JSON bytes (port.ts `queryJson`), written where the store runs (its worker
 * thread), so the event loop that polls the devices only copies them to the socket.
 *
 * A compacted hour's 1-minute rows never change while its block stays as it is, so the text of
 * its buckets (for one step and aggregation) is kept, with the block it was made from
 * ({@link HourTexts}): a month trend asked again (a dashboard's refresh, the next engineer)
 * decodes and formats only the hours that are new or changed, the head and the range's two
 * edge hours. A kept text is used only while the stored block is byte for byte the one it was
 * made from, so no write path has to tell this cache anything.
 */
import { bucketRange } from '../buckets.ts';
import { sourceFor } from '../query-plan.ts';
import type { SeriesJson, SeriesQuery } from '../port.ts';
import { JsonBytes, pointsJson } from '../series-json.ts';
import { type QueryMemo, queryValues, seriesAccs } from './read.ts';
import type { Core } from './core.ts';
import { hourOf } from './blocks.ts';
import { HOUR } from './schema.ts';

const COMMA = 0x2c;

/** Kept hour texts, least recently used dropped first past `maxBytes`. */
export class HourTexts {
  private readonly map = new Map<string, { block: Uint8Array; text: Uint8Array }>();
  private bytes = 0;

  constructor(readonly maxBytes = 64 * 1024 * 1024) {}

  get size(): number {
    return this.map.size;
  }

  /** The text kept for `key` if it was made from this very block. */
  get(key: string, block: Uint8Array): Uint8Array | undefined {
    const e = this.map.get(key);
    if (!e) return undefined;
    if (!Buffer.from(e.block.buffer, e.block.byteOffset, e.block.length).equals(block)) return undefined;
    this.map.delete(key);
    this.map.set(key, e);
    return e.text;
  }

  set(key: string, block: Uint8Array, text: Uint8Array): void {
    const old = this.map.get(key);
    if (old) this.bytes -= old.block.length + old.text.length;
    this.map.delete(key);
    this.map.set(key, { block, text });
    this.bytes += block.length + text.length;
    for (const [k, e] of this.map) {
      if (this.bytes <= this.maxBytes) break;
      this.map.delete(k);
      this.bytes -= e.block.length + e.text.length;
    }
  }
}

export function queryJson(core: Core, q: SeriesQuery, texts: HourTexts): SeriesJson[] {
  const { start, n, end } = bucketRange(q);
  // hour texts fit buckets that never straddle an hour: 1-minute rows, a step dividing the hour
  if (n === 0 || sourceFor(q) !== 'rollup_1m' || HOUR % q.stepMs !== 0) {
    return queryValues(core, q).map((v) => ({ point: v.point, source: v.source, points: pointsJson(v) }));
  }
  const memo: QueryMemo = {};
  return q.points.map((point) => {
    const keyOf = (h: number) => `${point}|${h}|${q.stepMs}|${q.agg}`;
    const kept = new Map<number, Uint8Array>();
    /** whole hours in range decoded now, whose text is kept once written */
    const fresh = new Map<number, Uint8Array>();
    const { source, accs } = seriesAccs(core, q, point, memo, (h, block) => {
      if (h * HOUR < start || (h + 1) * HOUR > end) return false;
      const text = texts.get(keyOf(h), block);
      if (text) kept.set(h, text);
      else fresh.set(h, block);
      return text !== undefined;
    });
    const w = new JsonBytes(n * 36 + 2);
    w.byte(0x5b);
    // hour by hour: step divides the hour and start is a multiple of step, so each hour is whole buckets
    for (let i = 0; i < n; ) {
      const h = hourOf(start + i * q.stepMs);
      const j = Math.min(n, ((h + 1) * HOUR - start) / q.stepMs);
      if (i > 0) w.byte(COMMA);
      const text = kept.get(h);
      if (text) w.bytes(text);
      else {
        const from = w.length;
        for (let b = i; b < j; b++) {
          if (b > i) w.byte(COMMA);
          w.pair(start + b * q.stepMs, accs.value(b, q.agg));
        }
        const block = fresh.get(h);
        if (block) texts.set(keyOf(h), block, w.since(from));
      }
      i = j;
    }
    w.byte(0x5d);
    return { point, source, points: w.finish() };
  });
}
