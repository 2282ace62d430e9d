/**
 * The hot path's decoder: each request of a read plan compiled once into typed columns (what
 * to read where, scale, offset), executed per reply straight from the reply's bytes into a
 * device's value columns. No per-point object, string or closure per poll; float32/int16/
 * uint16 in the common orders read the Buffer directly, anything else goes through
 * {@link decodePoint} (same results, tested against it).
 *
 * @example
 * const plans = plan.map(compileRequest);         // once, shared by devices of a template
 * decodeInto(plans[0], replyBytes, vals, tags); // per reply
 */
import { decodePoint } from './decode.ts';
import { isBitTable, type ReadRequest } from './plan.ts';
import { POLL_BAD as TAG_NULL, POLL_FALSE as TAG_FALSE, POLL_NUM as TAG_NUM, POLL_TRUE as TAG_TRUE } from '../../poll-columns.ts';

// what a point's value is after a poll (a device's `tags` column): the poll columns' own tags
export { TAG_FALSE, TAG_NULL, TAG_NUM, TAG_TRUE };

const F32_BE = 1; // float32 ABCD
const I16 = 2;
const U16 = 3;
const BIT = 4; // coil/discrete, or a bit of a register
const GENERIC = 5;

export interface RequestDecoder {
  req: ReadRequest;
  /** per planned point: its index in the device's point list */
  index: Int32Array;
  kind: Uint8Array;
  /** byte offset in the reply (registers), or the bit/word offset for BIT */
  at: Int32Array;
  scale: Float64Array;
  offset: Float64Array;
  /** for BIT on registers: which bit; -1 for bit tables */
  bit: Int8Array;
}

export function compileRequest(req: ReadRequest): RequestDecoder {
  const n = req.points.length;
  const d: RequestDecoder = {
    req,
    index: new Int32Array(n),
    kind: new Uint8Array(n),
    at: new Int32Array(n),
    scale: new Float64Array(n),
    offset: new Float64Array(n),
    bit: new Int8Array(n).fill(-1),
  };
  const bits = isBitTable(req.table);
  req.points.forEach((pp, i) => {
    const p = pp.point;
    d.index[i] = pp.index;
    d.scale[i] = p.scale;
    d.offset[i] = p.offset;
    if (bits || p.type === 'bool') {
      d.kind[i] = BIT;
      d.at[i] = pp.offset;
      if (!bits) d.bit[i] = p.bit ?? 0;
    } else {
      d.at[i] = 2 * pp.offset;
      d.kind[i] = p.type === 'float32' && p.order === 'ABCD' ? F32_BE : p.type === 'int16' ? I16 : p.type === 'uint16' ? U16 : GENERIC;
      if (d.kind[i] === GENERIC) d.at[i] = pp.offset;
    }
  });
  return d;
}

/** register words of the reply, filled only where a GENERIC point reads them (at most 125 registers a request) */
const words = new Uint16Array(128);

/**
 * Decodes one reply into `vals`/`tags` at the points' indexes. `bytes` are the reply's data
 * bytes: registers big-endian, or bits packed least significant first (bit tables).
 */
export function decodeInto(d: RequestDecoder, bytes: Buffer, vals: Float64Array, tags: Uint8Array): void {
  const n = d.index.length;
  const bitTable = isBitTable(d.req.table);
  for (let i = 0; i < n; i++) {
    const k = d.kind[i];
    const at = d.at[i];
    const j = d.index[i];
    let raw: number;
    if (k === F32_BE) raw = bytes.readFloatBE(at);
    else if (k === I16) raw = bytes.readInt16BE(at);
    else if (k === U16) raw = bytes.readUInt16BE(at);
    else if (k === BIT) {
      const on = bitTable ? ((bytes[at >> 3] >> (at & 7)) & 1) === 1 : ((bytes.readUInt16BE(2 * at) >> d.bit[i]) & 1) === 1;
      tags[j] = on ? TAG_TRUE : TAG_FALSE;
      continue;
    } else {
      // other types and orders: the reference decoder, on the point's words (up to four)
      const last = Math.min(at + 4, bytes.length >> 1);
      for (let w = at; w < last; w++) words[w] = bytes.readUInt16BE(2 * w);
      const v = decodePoint(d.req.points[i].point, words, at);
      if (v === null) tags[j] = TAG_NULL;
      else if (typeof v === 'boolean') tags[j] = v ? TAG_TRUE : TAG_FALSE;
      else {
        tags[j] = TAG_NUM;
        vals[j] = v;
      }
      continue;
    }
    const v = raw * d.scale[i] + d.offset[i];
    if (v - v === 0) {
      // finite (NaN and ±Infinity give NaN)
      tags[j] = TAG_NUM;
      vals[j] = v;
    } else tags[j] = TAG_NULL;
  }
}
